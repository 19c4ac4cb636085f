"""Indexing is incremental, removes deleted files and survives a reload."""

from __future__ import annotations

import json
from pathlib import Path

from actions.knowledge.index import Indexer, KnowledgeIndex
from actions.knowledge.pages import DocumentPages


def test_incremental_update_add_change_delete(small_kb: Path, indexer: Indexer) -> None:
    index = KnowledgeIndex.empty()
    stages: list[tuple[str, int, int]] = []
    first = indexer.update(index, small_kb, progress=lambda *p: stages.append(p))
    assert len(first.added) == 4 and not first.errors
    assert stages[-1][1] == stages[-1][2] == first.passages_embedded
    total = index.store.count_documents()
    assert total == first.passages_embedded > 20

    again = indexer.update(index, small_kb)
    assert again.unchanged == 4 and again.passages_embedded == 0 and not again.changed

    leave = small_kb / "padma/leave-policy.txt"
    leave.write_text(leave.read_text() + "\n\n13. STUDY LEAVE\n\nTen days for exams.\n")
    (small_kb / "northwind/401k-and-benefits-enrollment.md").unlink()
    changed = indexer.update(index, small_kb)
    assert changed.updated == ["padma/leave-policy.txt"]
    assert changed.removed == ["northwind/401k-and-benefits-enrollment.md"]
    paths = {d.meta["path"] for d in index.store.storage.values()}
    assert "northwind/401k-and-benefits-enrollment.md" not in paths
    study = [d for d in index.store.storage.values() if d.meta["section"] == "13. STUDY LEAVE"]
    assert len(study) == 1 and "Ten days for exams." in study[0].content
    assert set(index.manifest) == {d.meta["path"] for d in index.store.storage.values()}


def test_unreadable_and_misplaced_files(small_kb: Path, indexer: Indexer) -> None:
    (small_kb / "padma/scan.pdf").write_bytes(b"%PDF-1.4 not really")
    (small_kb / "loose-file.md").write_text("# Belongs to no company\n\nText.\n")
    index = KnowledgeIndex.empty()
    report = indexer.update(index, small_kb)
    assert any("scan.pdf" in error for error in report.errors)
    assert "loose-file.md" not in index.manifest and len(index.manifest) == 4


def test_save_and_load_round_trip(small_kb: Path, indexer: Indexer, tmp_path: Path) -> None:
    index = KnowledgeIndex.empty()
    indexer.update(index, small_kb)
    path = tmp_path / "kb" / "index.json"
    index.save(path)
    loaded = KnowledgeIndex.load(path)
    assert loaded.manifest == index.manifest
    assert loaded.store.count_documents() == index.store.count_documents()
    some = next(iter(loaded.store.storage.values()))
    assert some.embedding is not None and len(some.embedding) == 384
    assert not list(path.parent.glob("*.tmp*"))


def test_a_changed_file_that_becomes_unreadable_leaves_the_index(
    small_kb: Path, indexer: Indexer
) -> None:
    index = KnowledgeIndex.empty()
    indexer.update(index, small_kb)
    leave = small_kb / "padma/leave-policy.txt"
    leave.write_text("   \n")  # no text left: unreadable
    report = indexer.update(index, small_kb)
    assert report.removed == ["padma/leave-policy.txt"] and report.errors
    assert "padma/leave-policy.txt" not in index.manifest
    assert all(d.meta["path"] != "padma/leave-policy.txt" for d in index.store.storage.values())


def test_pages_follow_the_index(small_kb: Path, tmp_path: Path) -> None:
    pages = DocumentPages(tmp_path / "pages")
    indexer = Indexer(pages=pages)
    index = KnowledgeIndex.empty()
    indexer.update(index, small_kb)
    page = json.loads(pages.path_for("padma/eid-bonus-and-salary-advance.md").read_text())
    assert (
        page["company"] == "padma"
        and page["title"] == index.manifest["padma/eid-bonus-and-salary-advance.md"]["title"]
    )
    anchors = {
        d.meta["anchor"]
        for d in index.store.storage.values()
        if d.meta["path"] == "padma/eid-bonus-and-salary-advance.md"
    }
    assert anchors <= {s["anchor"] for s in page["sections"]}  # every cited anchor exists

    (small_kb / "padma/eid-bonus-and-salary-advance.md").unlink()
    indexer.update(index, small_kb)
    assert not pages.exists("padma/eid-bonus-and-salary-advance.md")

    # an index made before pages existed gets them on the next run, without re-embedding
    pages.path_for("global/how-to-post-an-invoice.md").unlink()
    report = indexer.update(index, small_kb)
    assert report.passages_embedded == 0 and pages.exists("global/how-to-post-an-invoice.md")
