"""Entity patterns are built from the ERP master data, deterministically."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from actions.erp.db import read_session
from actions.erp.models import Customer, Warehouse
from bot.nlu_patterns import build_patterns


def test_patterns_come_from_the_database_and_are_stable(sqlite_url: str, tmp_path: Path) -> None:
    out = tmp_path / "erp_patterns.jsonl"
    count = build_patterns(sqlite_url, out)
    lines = out.read_text().splitlines()
    assert count == len(lines) > 0
    patterns = [json.loads(line) for line in lines]
    labels = {p["label"] for p in patterns}
    assert {"customer", "supplier", "product", "warehouse", "city"} <= labels
    with read_session(sqlite_url) as session:
        customer = session.scalar(select(Customer.name).order_by(Customer.id).limit(1))
        warehouse = session.scalar(select(Warehouse.name).order_by(Warehouse.id).limit(1))
    names = {p["pattern"] if isinstance(p["pattern"], str) else "" for p in patterns}
    assert customer in names
    assert warehouse in names

    modified = out.stat().st_mtime_ns
    assert build_patterns(sqlite_url, out) == count
    assert out.stat().st_mtime_ns == modified, "an unchanged file is not rewritten"
    assert out.read_text().splitlines() == lines
