"""Per-user memory in the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import threading

from sqlalchemy import func, select

from actions.erp.context import Request
from actions.erp.db import read_session
from actions.erp.models import MemoryKind, UserMemory
from actions.erp.service import ERPService

SALES = ("padma.sales", "padma")  # stock.read and sales.read
WAREHOUSE = ("padma.warehouse", "padma")
NORTHWIND = ("northwind.sales", "northwind")


def rows(url: str) -> list[UserMemory]:
    with read_session(url) as session:
        found = list(session.scalars(select(UserMemory).order_by(UserMemory.id)))
        session.expunge_all()  # keep the loaded values after the read session rolls back
        return found


def say(text: str, **entities: str) -> Request:
    return Request(text=text, entities={name: [value] for name, value in entities.items()})


DHAKA = say("remember that I only care about the Dhaka warehouse", warehouse="Dhaka")


def test_remember_a_warehouse_resolves_it_and_lists_it(writer: ERPService) -> None:
    answer = writer.remember(*SALES, DHAKA)
    assert answer.outcome == "ok"
    assert "default warehouse is Dhaka Central" in answer.text
    (row,) = rows(writer.database_url)
    assert (row.kind, row.key, row.value) == (MemoryKind.PREFERENCE, "default_warehouse", "DHK")
    assert row.text == DHAKA.text
    listed = writer.list_memory(*SALES)
    assert "default warehouse Dhaka Central" in listed.text
    assert listed.payloads[0]["rows"][0]["said"] == DHAKA.text


def test_the_warehouse_name_is_read_from_the_text_without_an_entity(writer: ERPService) -> None:
    answer = writer.remember(*SALES, say("remember that I only care about the Gazipur warehouse"))
    assert "default warehouse is Gazipur" in answer.text, answer.text
    assert [r.value for r in rows(writer.database_url)] == ["GZP"]


def test_remembering_twice_updates_one_row(writer: ERPService) -> None:
    writer.remember(*SALES, DHAKA)
    first = rows(writer.database_url)[0]
    writer.remember(*SALES, say("set my default warehouse to Gazipur", warehouse="Gazipur"))
    writer.remember(*SALES, say("set my default warehouse to Gazipur", warehouse="Gazipur"))
    writer.remember(*SALES, say("note that I report to the CFO"))
    writer.remember(*SALES, say("Note that I report to the CFO!"))
    memories = rows(writer.database_url)
    assert len(memories) == 2, [(r.key, r.value) for r in memories]
    warehouse = next(r for r in memories if r.key == "default_warehouse")
    assert warehouse.id == first.id and warehouse.value == "GZP"
    assert warehouse.created_at == first.created_at


def test_concurrent_identical_remembers_leave_one_row(writer: ERPService) -> None:
    results: list[str] = []

    def remember() -> None:
        results.append(writer.remember(*SALES, DHAKA).outcome)

    threads = [threading.Thread(target=remember) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["ok"] * 6
    assert len(rows(writer.database_url)) == 1


def test_unknown_warehouse_is_refused_and_changes_nothing(writer: ERPService) -> None:
    writer.remember(*SALES, DHAKA)
    answer = writer.remember(*SALES, say("my default warehouse is Savar", warehouse="Savar"))
    assert answer.outcome == "clarify"
    assert "savar" in answer.text.lower() and "haven't saved anything" in answer.text
    assert [(r.key, r.value) for r in rows(writer.database_url)] == [("default_warehouse", "DHK")]


def test_caring_about_something_that_is_no_warehouse_is_a_note(writer: ERPService) -> None:
    answer = writer.remember(*SALES, say("remember that I only care about overdue invoices"))
    assert answer.outcome == "ok" and "Noted" in answer.text, answer.text
    assert [(r.kind, r.value) for r in rows(writer.database_url)] == [
        (MemoryKind.FACT, "I only care about overdue invoices")
    ]


def test_another_companys_warehouse_is_not_accepted(writer: ERPService) -> None:
    dallas = say("my default warehouse is Dallas TX", warehouse="Dallas TX")
    answer = writer.remember(*SALES, dallas)
    assert answer.outcome == "clarify"
    assert rows(writer.database_url) == []


def test_default_period_and_notes(writer: ERPService) -> None:
    period = writer.remember(*SALES, say("by default show last month", time_period="last month"))
    assert "default period is last month (October 2026 today)" in period.text
    bad = writer.remember(*SALES, say("by default show the blue moon", time_period="blue moon"))
    assert bad.outcome == "clarify"
    note = writer.remember(*SALES, say("remember that I'm the regional manager for the north"))
    assert note.text == "Noted: \u201cI'm the regional manager for the north\u201d."
    display = writer.remember(*SALES, say("show amounts in thousands from now on"))
    assert "I'll show amounts in thousands and millions" in display.text
    kinds = {(r.kind, r.key.split(":")[0], r.value) for r in rows(writer.database_url)}
    assert kinds == {
        (MemoryKind.PREFERENCE, "default_period", "last month"),
        (MemoryKind.FACT, "note", "I'm the regional manager for the north"),
        (MemoryKind.PREFERENCE, "number_style", "international"),
    }


FINANCE = ("padma.finance", "padma")


def test_the_number_style_applies_to_every_amount_until_forgotten(writer: ERPService) -> None:
    lakh = writer.ask("cash_balance", *FINANCE, say("what's our cash balance?"))
    assert ("BDT" in lakh.text and lakh.payloads == []) or "number_style" not in str(lakh.payloads)
    grouped_lakh = lakh.text
    saved = writer.remember(*FINANCE, say("remember to show amounts in millions"))
    assert saved.outcome == "ok" and "thousands and millions" in saved.text
    western = writer.ask("cash_balance", *FINANCE, say("what's our cash balance?"))
    assert western.text != grouped_lakh
    amounts = re.findall(r"BDT ([\d,]+\.\d\d)", western.text)
    assert amounts and all(re.fullmatch(r"\d{1,3}(,\d{3})*\.\d\d", a) for a in amounts)
    receivables = writer.ask("receivables", *FINANCE, say("who owes us money?"))
    assert receivables.payloads and all(
        p["number_style"] == "international" for p in receivables.payloads
    )
    assert "amounts shown in thousands and millions" in writer.list_memory(*FINANCE).text
    # another user of the same company keeps the company's style
    other = writer.ask("receivables", "padma.admin", "padma", say("who owes us money?"))
    assert all("number_style" not in p for p in other.payloads)
    back = writer.remember(*FINANCE, say("show amounts in lakh and crore"))
    assert "in lakh and crore" in back.text
    assert writer.ask("cash_balance", *FINANCE, say("cash balance")).text == grouped_lakh
    forgotten = writer.forget(*FINANCE, say("forget my number format"))
    assert "amounts shown in lakh and crore" in forgotten.text
    assert rows(writer.database_url) == []


def test_memories_are_scoped_to_the_user_and_company(writer: ERPService) -> None:
    writer.remember(*SALES, DHAKA)
    writer.remember(*SALES, say("note that I report to the CFO"))
    assert writer.list_memory(*WAREHOUSE).outcome == "empty"
    assert writer.list_memory(*NORTHWIND).outcome == "empty"
    # the other user's stock question gets no default, and forgetting touches only their own
    stock = writer.ask("stock", *WAREHOUSE, say("stock report"))
    assert "your default" not in stock.text and "Gazipur" in stock.text
    assert "nothing to forget" in writer.forget(*WAREHOUSE, say("forget everything")).text
    assert len(rows(writer.database_url)) == 2
    # the same user name in another company is refused (identity is user and company)
    assert writer.list_memory("padma.sales", "northwind").outcome == "refused"


def test_forget_one_item_by_key_or_words_or_everything(writer: ERPService) -> None:
    writer.remember(*SALES, DHAKA)
    writer.remember(*SALES, say("by default show last month", time_period="last month"))
    writer.remember(*SALES, say("note that I report to the CFO every Monday"))
    missing = writer.forget(*SALES, say("forget the note about the auditors"))
    assert missing.outcome == "clarify" and len(rows(writer.database_url)) == 3
    gone = writer.forget(*SALES, say("forget the note about the CFO"))
    assert "CFO" in gone.text
    assert {r.key for r in rows(writer.database_url)} == {"default_warehouse", "default_period"}
    assert "Dhaka Central" in writer.forget(*SALES, say("forget my default warehouse")).text
    assert [r.key for r in rows(writer.database_url)] == ["default_period"]
    writer.remember(*SALES, DHAKA)
    everything = writer.forget(*SALES, say("forget everything"))
    assert "forgotten everything" in everything.text and "(2)" in everything.text
    assert rows(writer.database_url) == []
    assert writer.list_memory(*SALES).outcome == "empty"


def test_stock_uses_the_default_warehouse_unless_one_is_named(writer: ERPService) -> None:
    before = writer.ask("stock", *SALES, say("stock report"))
    assert "Gazipur" in before.text and "(your default)" not in before.text
    writer.remember(*SALES, DHAKA)
    stock = writer.ask("stock", *SALES, say("stock report"))
    assert "in Dhaka Central (your default)" in stock.text, stock.text
    warehouses = {row["warehouse"] for row in stock.payloads[0]["rows"]}
    assert warehouses == {"Dhaka Central"}
    named = writer.ask("stock", *SALES, say("stock at Gazipur", warehouse="Gazipur"))
    assert "your default" not in named.text
    assert {row["warehouse"] for row in named.payloads[0]["rows"]} == {"Gazipur"}
    every = writer.ask("stock", *SALES, say("stock in all warehouses"))
    assert "your default" not in every.text
    assert len({row["warehouse"] for row in every.payloads[0]["rows"]}) == 3
    low = writer.ask("low_stock", *SALES, say("what should I reorder"))
    assert "your default" in low.text, low.text
    assert {row["warehouse"] for p in low.payloads for row in p["rows"]} <= {"Dhaka Central"}


def test_sales_use_the_default_period_unless_one_is_named(writer: ERPService) -> None:
    plain = writer.ask("sales", *SALES, say("how are sales"))
    assert plain.text.startswith("Sales for November 2026")
    writer.remember(*SALES, say("by default show last month", time_period="last month"))
    remembered = writer.ask("sales", *SALES, say("how are sales"))
    assert remembered.text.startswith("Sales for October 2026"), remembered.text
    assert "last month, your default" in remembered.text
    named = writer.ask("sales", *SALES, say("sales this year", time_period="this year"))
    assert "your default" not in named.text and "October 2026" not in named.text
    # the default warehouse does not change sales, and the default period does not change stock
    assert "your default" not in writer.ask("stock", *SALES, say("stock report")).text


def test_memory_counts_rows_per_user(writer: ERPService) -> None:
    writer.remember(*SALES, DHAKA)
    writer.remember(*WAREHOUSE, say("remember I only care about Gazipur", warehouse="Gazipur"))
    with read_session(writer.database_url) as session:
        count = session.scalar(select(func.count()).select_from(UserMemory))
    assert count == 2
    assert "Gazipur" in writer.list_memory(*WAREHOUSE).text
    assert "Gazipur" not in writer.list_memory(*SALES).text
