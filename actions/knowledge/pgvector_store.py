"""The knowledge index in PostgreSQL with pgvector (`KB_STORE_URL`).

Three tables, so that every action server shares one index:

- `kb_passages`: the passages, created and searched by pgvector-haystack's
  `PgvectorDocumentStore` (384-dimensional vectors, cosine similarity, exact
  nearest neighbours, a GIN full-text index on the content);
- `kb_manifest`: one row per indexed file (the JSON index's manifest);
- `kb_state`: one row: a version counter that every indexing run increments,
  and the passage count and total length the keyword ranking needs.

Guarantee: one indexing run is one transaction. Its deleted and inserted
passages, its manifest rows and the version bump commit together or not at
all, so a reader sees the index before the run or after it, never a mix, and
a failed run leaves the index as it was. A run that loaded the index at an
older version than the committed one is refused (`IndexConflict`) rather
than applied over another run's changes. Readers notice a new version with
one small query per question and reload the manifest (the section outline);
the passages themselves are always read live.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from haystack import Document, component
from haystack.document_stores.errors import DocumentStoreError
from haystack.document_stores.types import DocumentStore
from haystack.utils.auth import Secret
from haystack_integrations.components.retrievers.pgvector import PgvectorEmbeddingRetriever
from haystack_integrations.document_stores.pgvector import PgvectorDocumentStore

# the embedding retriever and this keyword retriever must agree on filter semantics
from haystack_integrations.document_stores.pgvector.filters import (
    _convert_filters_to_where_clause_and_params,
)
from pgvector.psycopg import register_vector
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row
from psycopg.sql import SQL, Composed
from psycopg.sql import Literal as SQLLiteral
from psycopg.types.json import Jsonb

from actions.knowledge.index import (
    FORMAT_VERSION,
    IndexChanges,
    IndexConflict,
    KnowledgeIndex,
    StoreUnavailable,
)
from actions.knowledge.models import EMBEDDING_DIMENSION
from bot.config import check_kb_store_url

PASSAGES = "kb_passages"
MANIFEST = "kb_manifest"
STATE = "kb_state"
LANGUAGE = "english"  # the text search configuration of the store's full-text index
WORD = re.compile(r"[^\W_]+")
BM25_K1, BM25_B = 1.5, 0.75  # as Haystack's in-memory BM25

SETUP = [
    f"""CREATE TABLE IF NOT EXISTS {MANIFEST} (
        path TEXT PRIMARY KEY,
        company TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        entry JSONB NOT NULL,
        indexed_at TIMESTAMPTZ NOT NULL DEFAULT now())""",
    f"""CREATE TABLE IF NOT EXISTS {STATE} (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version BIGINT NOT NULL,
        format INTEGER NOT NULL,
        passages BIGINT NOT NULL DEFAULT 0,
        lexemes BIGINT NOT NULL DEFAULT 0,
        updated_at TIMESTAMPTZ NOT NULL DEFAULT now())""",
    # version 0: the tables exist, nothing is indexed yet
    f"INSERT INTO {STATE} (id, version, format) VALUES (1, 0, {FORMAT_VERSION}) "
    "ON CONFLICT (id) DO NOTHING",
]
INSERT_PASSAGE = f"INSERT INTO {PASSAGES} (id, embedding, content, meta) VALUES (%s, %s, %s, %s)"
# passage count and distinct-lexeme total of some passages, before they go or after they came
LENGTHS = f"""SELECT count(*), coalesce(sum(length(to_tsvector('{LANGUAGE}', content))), 0)
    FROM {PASSAGES} WHERE id = ANY(%s)"""
UPSERT_ENTRY = f"""INSERT INTO {MANIFEST} (path, company, sha256, entry) VALUES (%s, %s, %s, %s)
    ON CONFLICT (path) DO UPDATE SET
        company = EXCLUDED.company, sha256 = EXCLUDED.sha256, entry = EXCLUDED.entry,
        indexed_at = now()"""


def describe(url: str) -> str:
    """Database and host of a URL, for messages (never the password)."""
    info = conninfo_to_dict(url)
    return f"database {info.get('dbname')!r} on {info.get('host') or 'the local socket'}"


def or_tsquery(question: str) -> str:
    """'how much is the Eid bonus?' → 'how | much | is | the | eid | bonus'.

    Only letters and digits reach to_tsquery, so no question is a syntax
    error; the text search configuration drops the stop words.
    """
    return " | ".join(dict.fromkeys(w.lower() for w in WORD.findall(question)))


class PgvectorBackend:
    """`StoreBackend` over one PostgreSQL database with the pgvector extension."""

    def __init__(self, url: str) -> None:
        self.url = check_kb_store_url(url)
        self.name = f"PostgreSQL ({describe(url)})"
        self.store = PgvectorDocumentStore(
            connection_string=Secret.from_token(url),
            table_name=PASSAGES,
            keyword_index_name=f"{PASSAGES}_content_fts",
            language=LANGUAGE,
            embedding_dimension=EMBEDDING_DIMENSION,
            vector_function="cosine_similarity",
            search_strategy="exact_nearest_neighbor",
        )
        # the store runs every query on one shared cursor: one retrieval at a time
        self.query_lock = threading.Lock()
        self._reader: psycopg.Connection | None = None
        self._ready = False

    # ------------------------------------------------------------ connections

    @contextmanager
    def _errors(self, *also: type[Exception]) -> Iterator[None]:
        try:
            yield
        except (psycopg.OperationalError, DocumentStoreError, *also) as error:
            cause = str(error.__cause__ or error).strip().rstrip(".")
            raise StoreUnavailable(
                f"The knowledge store ({describe(self.url)}) can't be used: {cause}. Is PostgreSQL "
                "up, and is the pgvector extension installed? (README, 'Knowledge store')"
            ) from error

    def _connect(self) -> psycopg.Connection:
        return psycopg.connect(self.url, autocommit=True, connect_timeout=10)

    def _setup(self) -> None:
        if self._ready:
            return
        # any error here (no pgvector on the server, no right to create tables) is the store's
        with self._errors(psycopg.Error):
            # creates the vector extension, kb_passages and its full-text index if missing
            self.store.count_documents()
            with self._connect() as connection, connection.transaction():
                for statement in SETUP:
                    connection.execute(statement)
        self._ready = True

    def _read(self, query: str | Composed, params: tuple = ()) -> list[dict[str, Any]]:
        """One statement on the long-lived reader connection; reconnects once if it broke."""
        self._setup()
        for attempt in (1, 2):
            try:
                with self._errors():
                    if self._reader is None or self._reader.closed or self._reader.broken:
                        self._reader = self._connect()
                    with self._reader.cursor(row_factory=dict_row) as cursor:
                        return cursor.execute(query, params).fetchall()
            except StoreUnavailable:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        self.store.close()

    # ------------------------------------------------------------ StoreBackend

    def version(self) -> Hashable | None:
        rows = self._read(f"SELECT version FROM {STATE} WHERE id = 1")
        return rows[0]["version"] or None

    def load(self) -> KnowledgeIndex:
        # one statement, so the version and the manifest come from one snapshot
        rows = self._read(
            f"SELECT s.version, s.format, m.path, m.entry FROM {STATE} s "
            f"LEFT JOIN {MANIFEST} m ON TRUE WHERE s.id = 1"
        )
        if rows[0]["format"] != FORMAT_VERSION:
            raise StoreUnavailable(
                f"The knowledge store ({describe(self.url)}) holds an index of format "
                f"{rows[0]['format']}, this version writes {FORMAT_VERSION}: drop the tables "
                f"{PASSAGES}, {MANIFEST} and {STATE} and run `bot kb index` again."
            )
        manifest = {r["path"]: r["entry"] for r in rows if r["path"] is not None}
        return KnowledgeIndex(
            store=self.store, manifest=manifest, backend=self, version=rows[0]["version"]
        )

    def apply(self, index: KnowledgeIndex, changes: IndexChanges) -> None:
        if not changes and index.version:
            return  # nothing to write; version 0 is bumped once so readers see "indexed"
        self._setup()
        new_ids = [d.id for d in changes.passages]
        # rows that already hold a new id (a manifest out of step) are replaced, not duplicated
        gone = changes.stale_ids(index.manifest) + new_ids
        passages = [
            (
                d.id,
                None if d.embedding is None else np.asarray(d.embedding, dtype=np.float32),
                d.content,
                Jsonb(d.meta),
            )
            for d in changes.passages
        ]
        entries = [
            (path, e["company"], e["sha256"], Jsonb(e)) for path, e in changes.entries.items()
        ]
        with self._errors(), self._connect() as connection:
            register_vector(connection)
            with connection.transaction(), connection.cursor() as cursor:
                # the row lock also makes concurrent runs wait for each other
                cursor.execute(f"SELECT version FROM {STATE} WHERE id = 1 FOR UPDATE")
                (current,) = cursor.fetchone() or (None,)
                if current != index.version:
                    raise IndexConflict(
                        f"The knowledge index changed while this run was indexing (version "
                        f"{index.version} → {current}, another `bot kb index`?); nothing was "
                        "written. Run it again."
                    )
                # corpus statistics kept up to date by difference: no scan of the whole table
                removed, removed_lexemes = cursor.execute(LENGTHS, (gone,)).fetchone()
                cursor.execute(f"DELETE FROM {PASSAGES} WHERE id = ANY(%s)", (gone,))
                if passages:
                    cursor.executemany(INSERT_PASSAGE, passages)
                added, added_lexemes = cursor.execute(LENGTHS, (new_ids,)).fetchone()
                cursor.execute(f"DELETE FROM {MANIFEST} WHERE path = ANY(%s)", (changes.removed,))
                if entries:
                    cursor.executemany(UPSERT_ENTRY, entries)
                cursor.execute(
                    f"UPDATE {STATE} SET version = version + 1, format = %s, "
                    "passages = passages + %s, lexemes = lexemes + %s, updated_at = now() "
                    "WHERE id = 1 RETURNING version",
                    (FORMAT_VERSION, added - removed, added_lexemes - removed_lexemes),
                )
                (index.version,) = cursor.fetchone()

    def save(self, index: KnowledgeIndex, path: Path | None = None) -> None:
        """Nothing to do: `apply` committed the run."""

    def keyword_retriever(self, store: DocumentStore, top_k: int) -> PgvectorFullTextRetriever:
        return PgvectorFullTextRetriever(self, top_k=top_k)

    def embedding_retriever(self, store: DocumentStore, top_k: int) -> PgvectorEmbeddingRetriever:
        # score = 1 - cosine distance: the cosine similarity abstention is calibrated on
        assert isinstance(store, PgvectorDocumentStore)
        return PgvectorEmbeddingRetriever(
            document_store=store, top_k=top_k, vector_function="cosine_similarity"
        )


# Okapi BM25 over the passages that contain any of the question's lexemes. The
# idf counts documents among those visible to the asking company; the passage
# count and the average length are the whole table's, from kb_state.
FULL_TEXT = """
WITH asked AS (SELECT DISTINCT lexeme FROM unnest(to_tsvector({language}, %s))),
matches AS MATERIALIZED (
    SELECT id, content, meta, to_tsvector({language}, content) AS words
    FROM {passages}
    WHERE to_tsvector({language}, content) @@ to_tsquery({language}, %s) {filters}
),
hits AS (
    SELECT m.id, w.lexeme, coalesce(array_length(w.positions, 1), 1) AS tf,
        length(m.words) AS length
    FROM matches m CROSS JOIN LATERAL unnest(m.words) AS w JOIN asked USING (lexeme)
),
df AS (SELECT lexeme, count(*) AS n FROM hits GROUP BY lexeme),
corpus AS (
    SELECT greatest(passages, 1)::float AS n, greatest(lexemes::float / greatest(passages, 1), 1)
        AS average FROM {state} WHERE id = 1
)
SELECT m.id, m.content, m.meta, sum(
    ln(1 + (corpus.n - df.n + 0.5) / (df.n + 0.5))
    * h.tf * ({k1} + 1) / (h.tf + {k1} * (1 - {b} + {b} * h.length / corpus.average))
) AS score
FROM matches m JOIN hits h USING (id) JOIN df USING (lexeme) CROSS JOIN corpus
GROUP BY m.id, m.content, m.meta
ORDER BY score DESC, m.id
LIMIT %s
"""


@component
class PgvectorFullTextRetriever:
    """Keyword search over `kb_passages` for natural-language questions.

    pgvector-haystack's `PgvectorKeywordRetriever` parses the query with
    `plainto_tsquery`, which ANDs every word: a question finds only passages
    that contain all of its words, which is rare (it found any passage for 10%
    of the evaluation questions). This one matches passages holding any of
    the words (an OR tsquery, served by the store's GIN index) and ranks them
    by BM25, as the in-memory index does; `ts_rank_cd`, which knows no idf,
    ranked a third worse (README, 'Knowledge store'). The company filter is
    applied inside the database, as the embedding retriever applies it.
    """

    def __init__(self, backend: PgvectorBackend, top_k: int = 20) -> None:
        self.backend = backend
        self.top_k = top_k

    @component.output_types(documents=list[Document])
    def run(
        self, query: str, filters: dict[str, Any] | None = None, top_k: int | None = None
    ) -> dict[str, list[Document]]:
        terms = or_tsquery(query)
        if not terms:
            return {"documents": []}
        where: Composed | SQL = SQL("")
        where_params: tuple = ()
        if filters:
            where, where_params = _convert_filters_to_where_clause_and_params(filters, "AND")
        sql = SQL(FULL_TEXT).format(
            # the same expression as the store's GIN index, so that the index serves the match
            language=SQLLiteral(LANGUAGE),
            passages=SQL(PASSAGES),
            state=SQL(STATE),
            filters=where,
            k1=SQLLiteral(BM25_K1),
            b=SQLLiteral(BM25_B),
        )
        rows = self.backend._read(sql, (query, terms, *where_params, top_k or self.top_k))
        return {
            "documents": [
                Document(id=r["id"], content=r["content"], meta=r["meta"] or {}, score=r["score"])
                for r in rows
            ]
        }
