"""The knowledge index: passages with embeddings, kept in step with `KB_DIR`.

`KB_DIR` holds `global/` (every company) and one folder per company code.
Indexing is incremental: a file is re-read only when its content hash
changed, and the passages of deleted files are removed.

Where the passages and the manifest live is a `StoreBackend`. The default
(`KB_STORE_URL` unset) is Haystack's in-memory store, saved with its manifest
as one JSON file under `var/kb/` and replaced atomically, so a reader never
sees half an index. With `KB_STORE_URL` they live in PostgreSQL with pgvector
(`pgvector_store.py`), shared by every action server.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable, Hashable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from haystack import Document
from haystack.components.retrievers.in_memory import (
    InMemoryBM25Retriever,
    InMemoryEmbeddingRetriever,
)
from haystack.document_stores.in_memory import InMemoryDocumentStore
from haystack.document_stores.types import DocumentStore
from haystack_integrations.components.embedders.sentence_transformers import (
    SentenceTransformersDocumentEmbedder,
)

from actions.knowledge.models import embedder_settings
from actions.knowledge.pages import DocumentPages
from actions.knowledge.passages import SectionSplitter
from actions.knowledge.sources import UnreadableDocument, is_supported, read_document

GLOBAL = "global"
FORMAT_VERSION = 1
EMBED_BATCH = 32

ProgressFn = Callable[[str, int, int], None]


class StoreUnavailable(RuntimeError):
    """The store can't be reached or used; the message says why, without credentials."""


class IndexConflict(RuntimeError):
    """Another indexing run changed the index since this one loaded it."""


@dataclass
class IndexReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    passages_embedded: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} added",
            f"{len(self.updated)} updated",
            f"{len(self.removed)} removed",
            f"{self.unchanged} unchanged",
            f"{self.passages_embedded} passages embedded in {self.seconds:.1f} s",
        ]
        if self.errors:
            parts.append(f"{len(self.errors)} unreadable: " + "; ".join(self.errors))
        return ", ".join(parts)


@dataclass
class IndexChanges:
    """What one indexing run changes, handed to the backend in one piece."""

    removed: list[str] = field(default_factory=list)  # files whose passages and entry go
    entries: dict[str, dict] = field(default_factory=dict)  # new or changed file → entry
    passages: list[Document] = field(default_factory=list)  # their passages, embedded

    def __bool__(self) -> bool:
        return bool(self.removed or self.entries)

    def stale_ids(self, manifest: dict[str, dict]) -> list[str]:
        """Passages of removed files and the old passages of changed ones."""
        paths = [*self.removed, *(p for p in self.entries if p in manifest)]
        return [i for path in paths for i in manifest[path]["ids"]]


class StoreBackend(Protocol):
    """Where an index lives: the document store, its two retrievers and the manifest."""

    name: str
    # held around each retrieval: a store whose connection is not thread-safe serialises it
    query_lock: AbstractContextManager[Any]

    def load(self) -> KnowledgeIndex:
        """The index as it is now (empty if nothing was indexed yet)."""

    def version(self) -> Hashable | None:
        """Changes whenever a reader must reload; None while nothing is indexed."""

    def apply(self, index: KnowledgeIndex, changes: IndexChanges) -> None:
        """Make one indexing run's changes to the store (the manifest follows in
        `KnowledgeIndex.apply`), as atomically as the backend allows."""

    def save(self, index: KnowledgeIndex, path: Path | None = None) -> None:
        """Persist what `apply` left only in memory (nothing, for a database)."""

    def keyword_retriever(self, store: DocumentStore, top_k: int) -> Any: ...

    def embedding_retriever(self, store: DocumentStore, top_k: int) -> Any:
        """Its documents' `score` must be the cosine similarity (abstention is calibrated on it)."""


def new_store() -> InMemoryDocumentStore:
    # cosine on normalised MiniLM vectors: scores are comparable across queries
    return InMemoryDocumentStore(embedding_similarity_function="cosine", bm25_algorithm="BM25Plus")


@dataclass
class KnowledgeIndex:
    """The store plus the manifest saying which file produced which passages."""

    store: DocumentStore
    manifest: dict[str, dict]  # path relative to KB_DIR → {sha256, company, title, sections, ids}
    backend: StoreBackend = field(default_factory=lambda: MemoryBackend())
    version: Hashable | None = None  # the backend's version when this was loaded

    @classmethod
    def empty(cls) -> KnowledgeIndex:
        return MemoryBackend().empty()

    @classmethod
    def load(cls, path: Path) -> KnowledgeIndex:
        return MemoryBackend(path).load()

    def apply(self, changes: IndexChanges) -> None:
        self.backend.apply(self, changes)
        for relative in changes.removed:
            del self.manifest[relative]
        self.manifest.update(changes.entries)

    def save(self, path: Path | None = None) -> None:
        self.backend.save(self, path)


class MemoryBackend:
    """Haystack's in-memory store, kept as one JSON file (`path`) with its manifest."""

    name = "in-memory index"
    # read-only after loading: concurrent retrievals are fine
    query_lock: AbstractContextManager[Any] = nullcontext()

    def __init__(self, path: Path | None = None) -> None:
        self.path = path

    def empty(self) -> KnowledgeIndex:
        return KnowledgeIndex(store=new_store(), manifest={}, backend=self)

    def version(self) -> Hashable | None:
        try:
            return self.path.stat().st_mtime if self.path else None
        except FileNotFoundError:
            return None

    def load(self) -> KnowledgeIndex:
        version = self.version()
        if version is None or self.path is None:
            return self.empty()
        data = json.loads(self.path.read_text())
        if data.get("format") != FORMAT_VERSION:
            return self.empty()
        store = new_store()
        store.write_documents([Document.from_dict(d) for d in data["documents"]])
        return KnowledgeIndex(store=store, manifest=data["manifest"], backend=self, version=version)

    def apply(self, index: KnowledgeIndex, changes: IndexChanges) -> None:
        index.store.delete_documents(changes.stale_ids(index.manifest))
        index.store.write_documents(changes.passages)

    def save(self, index: KnowledgeIndex, path: Path | None = None) -> None:
        path = path or self.path
        if path is None:
            raise ValueError("an in-memory index needs a path to be saved to")
        assert isinstance(index.store, InMemoryDocumentStore)
        path.parent.mkdir(parents=True, exist_ok=True)
        documents = [d.to_dict(flatten=False) for d in index.store.storage.values()]
        data = {"format": FORMAT_VERSION, "manifest": index.manifest, "documents": documents}
        temporary = path.with_suffix(f".tmp{os.getpid()}")
        temporary.write_text(json.dumps(data))
        os.replace(temporary, path)

    def keyword_retriever(self, store: DocumentStore, top_k: int) -> InMemoryBM25Retriever:
        assert isinstance(store, InMemoryDocumentStore)
        return InMemoryBM25Retriever(store, top_k=top_k)

    def embedding_retriever(self, store: DocumentStore, top_k: int) -> InMemoryEmbeddingRetriever:
        assert isinstance(store, InMemoryDocumentStore)
        return InMemoryEmbeddingRetriever(store, top_k=top_k)


def open_backend(store_url: str | None, index_path: Path) -> StoreBackend:
    """The backend `KB_STORE_URL` names: unset, the JSON file at `index_path`."""
    if not store_url:
        return MemoryBackend(index_path)
    from actions.knowledge.pgvector_store import PgvectorBackend

    return PgvectorBackend(store_url)


def scan(kb_dir: Path) -> dict[str, tuple[Path, str]]:
    """Supported files → (absolute path, company folder). Files directly in
    KB_DIR belong to no company and are ignored."""
    found: dict[str, tuple[Path, str]] = {}
    if not kb_dir.is_dir():
        return found
    for path in sorted(kb_dir.rglob("*")):
        relative = path.relative_to(kb_dir)
        if path.is_file() and is_supported(path) and len(relative.parts) > 1:
            found[relative.as_posix()] = (path, relative.parts[0])
    return found


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Indexer:
    """Brings a `KnowledgeIndex` up to date with the files under `kb_dir`."""

    def __init__(self, max_words: int = 160, pages: DocumentPages | None = None) -> None:
        self.splitter = SectionSplitter(max_words=max_words)
        self.pages = pages
        self._embedder: SentenceTransformersDocumentEmbedder | None = None

    def embedder(self) -> SentenceTransformersDocumentEmbedder:
        if self._embedder is None:
            self._embedder = SentenceTransformersDocumentEmbedder(**embedder_settings())
            self._embedder.warm_up()
        return self._embedder

    def update(
        self, index: KnowledgeIndex, kb_dir: Path, progress: ProgressFn | None = None
    ) -> IndexReport:
        started = time.perf_counter()
        report = IndexReport()
        files = scan(kb_dir)
        changes = IndexChanges()
        for relative in sorted(set(index.manifest) - set(files)):
            # a deleted file: its passages and manifest entry go in index.apply() below
            self._remove(changes, relative)
            report.removed.append(relative)

        pending: list[Document] = []
        for relative, (path, company) in files.items():
            sha = file_hash(path)
            known = index.manifest.get(relative)
            if known and known["sha256"] == sha:
                report.unchanged += 1
                self._ensure_page(relative, company, path)
                continue
            try:
                source = read_document(path)
            except UnreadableDocument as error:
                report.errors.append(str(error))
                if known:  # its old text no longer says what the file says
                    self._remove(changes, relative)
                    report.removed.append(relative)
                continue
            if self.pages:
                self.pages.write(relative, company, source)
            meta = {"path": relative, "company": company, "sha256": sha, "format": path.suffix[1:]}
            passages = self.splitter.run(source=source, meta=meta)["documents"]
            pending.extend(passages)
            changes.entries[relative] = {
                "sha256": sha,
                "company": company,
                "title": source.title,
                "sections": [s.heading for s in source.sections if s.heading],
                "ids": [p.id for p in passages],
            }
            (report.updated if known else report.added).append(relative)

        changes.passages = self._embed(pending, progress)
        # one step for the whole run: the old passages of changed and removed files
        # go, the new ones come, and the manifest follows
        index.apply(changes)
        report.passages_embedded = len(changes.passages)
        report.seconds = time.perf_counter() - started
        return report

    def _remove(self, changes: IndexChanges, relative: str) -> None:
        changes.removed.append(relative)
        if self.pages:
            self.pages.remove(relative)

    def _ensure_page(self, relative: str, company: str, path: Path) -> None:
        """An index made before pages existed gets them without re-embedding."""
        if self.pages is None or self.pages.exists(relative):
            return
        # it was readable when indexed; its next change is re-read anyway
        with contextlib.suppress(UnreadableDocument):
            self.pages.write(relative, company, read_document(path))

    def _embed(self, passages: list[Document], progress: ProgressFn | None) -> list[Document]:
        if not passages:
            return []
        embedder = self.embedder()
        done: list[Document] = []
        for start in range(0, len(passages), EMBED_BATCH):
            batch = passages[start : start + EMBED_BATCH]
            done.extend(embedder.run(documents=batch)["documents"])
            if progress:
                progress("embedding passages", len(done), len(passages))
        return done
