"""Structured logs: JSON lines, the request id, and no personal data."""

from __future__ import annotations

import json
import logging

from bot.logs import REQUEST_ID, JsonFormatter, mask, pseudonym, readable


def formatted(message: str, *args: object, **extra: object) -> dict[str, object]:
    record = logging.makeLogRecord(
        {"name": "erp.test", "levelname": "INFO", "msg": message, "args": args, **extra}
    )
    return json.loads(JsonFormatter("actions").format(record))


def test_a_record_is_one_json_object_with_the_request_id_of_its_context() -> None:
    token = REQUEST_ID.set("abc123")
    try:
        entry = formatted("action %s", "action_cash_balance", ms=12.5)
    finally:
        REQUEST_ID.reset(token)
    assert entry["message"] == "action action_cash_balance"
    assert (entry["service"], entry["level"], entry["logger"]) == ("actions", "info", "erp.test")
    assert entry["request_id"] == "abc123"
    assert entry["ms"] == 12.5
    assert entry["ts"].endswith("+00:00")
    assert "request_id" not in formatted("outside a request")


def test_personal_data_is_masked_in_messages_and_extras() -> None:
    entry = formatted(
        "mail rahim.uddin@padma.example or call +880 1711-234567, Bearer eyJhbGciOi.abc.def",
        detail={"note": "password: hunter2", "list": ["x@y.org"]},
    )
    text = json.dumps(entry)
    for secret in ("rahim.uddin", "1711-234567", "eyJhbGciOi", "hunter2", "x@y.org"):
        assert secret not in text, secret
    assert "[email]" in entry["message"] and "[number]" in entry["message"]
    assert entry["detail"]["note"] == "password: [masked]"


def test_references_amounts_and_dates_survive_the_masking() -> None:
    kept = "PO-2025-0042 of 12,500.00 BDT due 2025-06-30 for 40 units"
    assert mask(kept) == kept


def test_people_become_stable_pseudonyms() -> None:
    entry = formatted("told the user", sender_id="padma.sales:web-1", user="padma.sales")
    assert entry["sender_id"] == pseudonym("padma.sales:web-1") != "padma.sales:web-1"
    assert entry["user"] == pseudonym("padma.sales")
    assert pseudonym("padma.sales") == pseudonym("padma.sales") != pseudonym("padma.finance")


def test_rasas_structlog_json_is_merged_not_nested() -> None:
    entry = formatted(json.dumps({"event": "processor.message.parse", "level": "debug", "x": 1}))
    assert entry["message"] == "processor.message.parse"
    assert entry["x"] == 1 and entry["level"] == "info"


def test_exceptions_are_kept_and_the_console_shows_lines_readably() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        entry = formatted("failed", exc_info=sys.exc_info())
    assert "RuntimeError: boom" in entry["exception"]
    line = json.dumps({**entry, "request_id": "r1"})
    shown = readable(line)
    assert "INFO" in shown and "failed [r1]" in shown and "RuntimeError: boom" in shown
    assert readable("plain text\n") == "plain text\n"
