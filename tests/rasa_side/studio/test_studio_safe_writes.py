"""Saving training data safely: stale previews refused, concurrent saves all kept,
a failed write leaving every file as it was."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import pytest
from studio_data_support import copy_project, data_files, snapshot

import bot.studio.datafiles.files as files
from bot.studio.datafiles import Conflict, DataFiles, EntitySpan, Example, WriteFailed
from bot.studio.datafiles.files import version_of


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


@pytest.fixture
def data(project: Path, tmp_path: Path) -> DataFiles:
    return data_files(project, tmp_path / "state")


def bases_of(preview) -> dict[str, str]:
    return {change.path: change.base for change in preview.changes}


def save_with_retries(data: DataFiles, examples: list[Example], tries: int = 50) -> int:
    """Preview and save until no one else saved in between; returns the conflicts met."""
    conflicts = 0
    bases = bases_of(data.preview_examples(examples))
    for _ in range(tries):
        try:
            data.save_examples(examples, bases)
            return conflicts
        except Conflict as conflict:
            conflicts += 1
            bases = {change.path: change.base for change in conflict.changes}
    raise AssertionError("never saved")


def test_the_base_is_the_sha256_of_the_file(data: DataFiles, project: Path) -> None:
    preview = data.preview_examples([Example("cash figure please", "ask_cash_balance")])
    change = preview.changes[0]
    assert change.base == version_of((project / change.path).read_bytes())
    assert change.diff.startswith("--- a/data/nlu/finance.yml\n+++ b/data/nlu/finance.yml\n")


def test_a_stale_preview_is_refused_with_fresh_changes_and_both_edits_survive_a_retry(
    tmp_path: Path, project: Path
) -> None:
    mine, theirs = data_files(project, tmp_path / "state"), data_files(project, tmp_path / "state")
    my_examples = [Example("treasury balance now", "ask_cash_balance")]
    preview = mine.preview_examples(my_examples)
    # another trainer saves to the same file in between
    their_examples = [Example("bank money total", "ask_cash_balance")]
    theirs.save_examples(their_examples, bases_of(theirs.preview_examples(their_examples)))
    after_theirs = snapshot(project)

    with pytest.raises(Conflict) as refused:
        mine.save_examples(my_examples, bases_of(preview))
    assert snapshot(project) == after_theirs  # nothing written
    fresh = refused.value.changes
    assert fresh[0].base == version_of((project / "data/nlu/finance.yml").read_bytes())
    assert "+    - treasury balance now" in fresh[0].diff

    mine.save_examples(my_examples, {c.path: c.base for c in fresh})
    text = (project / "data/nlu/finance.yml").read_text()
    assert text.count("    - bank money total\n") == 1
    assert text.count("    - treasury balance now\n") == 1


def test_a_save_whose_plan_changed_is_a_conflict(data: DataFiles, project: Path) -> None:
    # the preview added to finance.yml; meanwhile the text got there another way
    examples = [Example("our cash pile", "ask_cash_balance")]
    preview = data.preview_examples(examples)
    data.save_examples(examples, bases_of(preview))
    with pytest.raises(Conflict) as refused:
        data.save_examples(examples, bases_of(preview))
    assert refused.value.changes == []


def test_threads_saving_at_once_lose_no_edit(tmp_path: Path, project: Path) -> None:
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def trainer(number: int) -> None:
        try:
            data = data_files(project, tmp_path / "state")
            examples = [Example(f"cash question number {number}", "ask_cash_balance")]
            barrier.wait()
            save_with_retries(data, examples)
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=trainer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    text = (project / "data/nlu/finance.yml").read_text()
    assert all(text.count(f"    - cash question number {n}\n") == 1 for n in range(4))


def _process_trainer(root: str, state: str, number: int) -> None:
    data = data_files(Path(root), Path(state))
    save_with_retries(data, [Example(f"stock check from process {number}", "ask_stock")])


def test_processes_saving_at_once_lose_no_edit(tmp_path: Path, project: Path) -> None:
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=_process_trainer, args=(str(project), str(tmp_path / "state"), n))
        for n in range(3)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]
    text = (project / "data/nlu/inventory.yml").read_text()
    assert all(text.count(f"    - stock check from process {n}\n") == 1 for n in range(3))


def test_a_failed_second_write_leaves_the_first_file_unchanged(
    data: DataFiles, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    examples = [
        Example("cash in the vault", "ask_cash_balance"),
        Example("tell me the exchange rate", "ask_exchange_rate", (EntitySpan(12, 25, "rate"),)),
    ]
    preview = data.preview_examples(examples)
    assert [c.path for c in preview.changes] == [
        "data/nlu/finance.yml",
        "data/nlu/studio.yml",
        "domain.yml",
    ]
    before = snapshot(project)
    real_write = files.atomic_write
    calls: list[str] = []

    def failing_write(path: Path, raw: bytes) -> None:
        calls.append(path.name)
        if len(calls) == 2:
            raise OSError("disk full")
        real_write(path, raw)

    monkeypatch.setattr(files, "atomic_write", failing_write)
    with pytest.raises(WriteFailed, match="disk full"):
        data.save_examples(examples, bases_of(preview))
    assert calls[:2] == ["finance.yml", "studio.yml"]
    assert snapshot(project) == before
    assert not (project / "data/nlu/studio.yml").exists()


def test_atomic_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "a.yml"
    target.write_text("old\n")
    files.atomic_write(target, b"new\n")
    assert target.read_bytes() == b"new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.yml"]
