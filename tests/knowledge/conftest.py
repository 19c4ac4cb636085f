from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

import actions.knowledge  # noqa: F401  (offline switches before Haystack loads)
from actions.knowledge.index import Indexer, KnowledgeIndex
from actions.knowledge.service import KnowledgeService

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_KB = ROOT / "knowledge"


@pytest.fixture(scope="session")
def indexer() -> Indexer:
    return Indexer()


@pytest.fixture(scope="session")
def shipped_index_path(tmp_path_factory: pytest.TempPathFactory, indexer: Indexer) -> Path:
    """The sample knowledge base, indexed once for the session."""
    path = tmp_path_factory.mktemp("kb") / "index.json"
    index = KnowledgeIndex.empty()
    report = indexer.update(index, SHIPPED_KB)
    assert not report.errors
    index.save(path)
    return path


@pytest.fixture(scope="session")
def knowledge(shipped_index_path: Path) -> KnowledgeService:
    service = KnowledgeService(shipped_index_path)
    service.warm_up()
    return service


@pytest.fixture
def small_kb(tmp_path: Path) -> Path:
    """A private copy of a few shipped documents, free to edit."""
    kb = tmp_path / "knowledge"
    for relative in (
        "global/how-to-post-an-invoice.md",
        "padma/eid-bonus-and-salary-advance.md",
        "padma/leave-policy.txt",
        "northwind/401k-and-benefits-enrollment.md",
    ):
        target = kb / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SHIPPED_KB / relative, target)
    return kb


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Refuses and records every connection attempt: a model that "loads
    offline" must not even try the hub."""
    attempts: list[object] = []

    def refuse(_socket: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError(f"network access in an offline test: {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts
