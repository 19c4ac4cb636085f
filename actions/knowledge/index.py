"""The knowledge index: passages with embeddings, kept in step with `KB_DIR`.

`KB_DIR` holds `global/` (every company) and one folder per company code.
Indexing is incremental: a file is re-read only when its content hash
changed, and the passages of deleted files are removed. The default store is
Haystack's in-memory store, saved with its manifest as one JSON file under
`var/kb/` and replaced atomically, so a reader never sees half an index.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from haystack import Document
from haystack.document_stores.in_memory import InMemoryDocumentStore
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


def new_store() -> InMemoryDocumentStore:
    # cosine on normalised MiniLM vectors: scores are comparable across queries
    return InMemoryDocumentStore(embedding_similarity_function="cosine", bm25_algorithm="BM25Plus")


@dataclass
class KnowledgeIndex:
    """The store plus the manifest saying which file produced which passages."""

    store: InMemoryDocumentStore
    manifest: dict[str, dict]  # path relative to KB_DIR → {sha256, company, title, ids}

    @classmethod
    def empty(cls) -> KnowledgeIndex:
        return cls(store=new_store(), manifest={})

    @classmethod
    def load(cls, path: Path) -> KnowledgeIndex:
        if not path.exists():
            return cls.empty()
        data = json.loads(path.read_text())
        if data.get("format") != FORMAT_VERSION:
            return cls.empty()
        store = new_store()
        store.write_documents([Document.from_dict(d) for d in data["documents"]])
        return cls(store=store, manifest=data["manifest"])

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        documents = [d.to_dict(flatten=False) for d in self.store.storage.values()]
        data = {"format": FORMAT_VERSION, "manifest": self.manifest, "documents": documents}
        temporary = path.with_suffix(f".tmp{os.getpid()}")
        temporary.write_text(json.dumps(data))
        os.replace(temporary, path)


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
        for relative in sorted(set(index.manifest) - set(files)):
            self._drop(index, relative)
            report.removed.append(relative)

        pending: list[Document] = []
        changed: list[tuple[str, dict]] = []
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
                    self._drop(index, relative)
                    report.removed.append(relative)
                continue
            if self.pages:
                self.pages.write(relative, company, source)
            meta = {"path": relative, "company": company, "sha256": sha, "format": path.suffix[1:]}
            passages = self.splitter.run(source=source, meta=meta)["documents"]
            pending.extend(passages)
            entry = {
                "sha256": sha,
                "company": company,
                "title": source.title,
                "sections": [s.heading for s in source.sections if s.heading],
                "ids": [p.id for p in passages],
            }
            changed.append((relative, entry))
            (report.updated if known else report.added).append(relative)

        embedded = self._embed(pending, progress)
        for relative, entry in changed:
            old = index.manifest.get(relative)
            if old:
                index.store.delete_documents(old["ids"])
            index.manifest[relative] = entry
        index.store.write_documents(embedded)
        report.passages_embedded = len(embedded)
        report.seconds = time.perf_counter() - started
        return report

    def _drop(self, index: KnowledgeIndex, relative: str) -> None:
        index.store.delete_documents(index.manifest.pop(relative)["ids"])
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
