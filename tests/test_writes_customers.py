"""Creating customers through the confirmed-write protocol, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from actions.erp.formatting import format_money
from actions.erp.models import Customer
from actions.erp.service import ERPService
from tests.conftest import AS_OF
from tests.writes_support import Dialogue, audits, company_id, execute, session, snapshot, sql

SQLITE_ONLY = pytest.mark.parametrize("writable_url", ["sqlite"], indirect=True)
COMMAND = "create_customer"


def highest_code(url: str, company: str) -> int:
    codes = [row for row in _codes(url, company) if row.startswith("CUST-") and row[5:].isdigit()]
    return max(int(code[5:]) for code in codes)


def _codes(url: str, company: str) -> list[str]:
    with session(url) as s:
        return list(
            s.scalars(select(Customer.code).where(Customer.company_id == company_id(url, company)))
        )


def fill_all(dialogue: Dialogue, name: str, limit: str) -> None:
    dialogue.start(f"create a customer called {name}", customer=name)
    dialogue.say("email ap@northstar.example, phone (214) 555-0199", "contact")
    dialogue.say("dallas, tx", "city", city="dallas, tx")
    dialogue.say("net 45", "payment_terms")
    dialogue.say(f"credit limit {limit}", "credit_limit", amount=limit)


def test_customer_is_created_with_the_next_code_and_audited(
    writer: ERPService, writable_url: str
) -> None:
    user = "northwind.sales"
    dialogue = Dialogue(writer, COMMAND, user)
    fill_all(dialogue, "North Star Fabrication", "$20,000")
    assert dialogue.reply and dialogue.reply.missing == [] and dialogue.reply.text == ""
    assert dialogue.draft["contact"] == {"email": "ap@northstar.example", "phone": "(214) 555-0199"}
    assert dialogue.draft["city"] == "Dallas, TX"  # the spelling the company already uses
    proposal = dialogue.propose()
    assert proposal.outcome == "confirm", proposal.text
    for fragment in ("North Star Fabrication", "Dallas, TX", "45 days", "$20,000.00"):
        assert fragment in proposal.text
    expected_code = f"CUST-{highest_code(writable_url, 'northwind') + 1:04d}"
    before = snapshot(writable_url)
    done = dialogue.confirm()
    assert done.outcome == "done", done.text
    assert expected_code in done.text

    with session(writable_url) as s:
        customer = s.scalar(
            select(Customer).where(
                Customer.company_id == company_id(writable_url, "northwind"),
                Customer.code == expected_code,
            )
        )
        assert customer is not None
        assert customer.name == "North Star Fabrication"
        assert (customer.email, customer.phone) == ("ap@northstar.example", "(214) 555-0199")
        assert (customer.city, customer.payment_terms_days) == ("Dallas, TX", 45)
        assert str(customer.credit_limit) == "20000.00" and str(customer.discount_pct) == "0.00"
        assert customer.is_active and customer.created_at == AS_OF
    assert snapshot(writable_url)["customers"] == before["customers"] + 1
    [audit] = audits(writable_url, COMMAND)
    assert (audit.source, audit.entity_type, audit.entity_ref) == (
        "assistant",
        "customer",
        expected_code,
    )
    assert audit.details["before"] == {}
    assert audit.details["after"]["name"] == "North Star Fabrication"
    assert audit.details["after"]["credit_limit"] == "20000.00"

    # the next one gets the next code, even when a code was taken outside the assistant
    execute(
        writable_url,
        "INSERT INTO customers (company_id, code, name, email, phone, city, address, "
        "payment_terms_days, credit_limit, discount_pct, is_active, created_at) VALUES "
        "(:c, :code, 'Typed In The ERP', '', '', 'Newark, NJ', '', 30, 0, 0, :yes, :day)",
        c=company_id(writable_url, "northwind"),
        code=f"CUST-{highest_code(writable_url, 'northwind') + 5:04d}",
        yes=True,
        day=AS_OF,
    )
    second = Dialogue(writer, COMMAND, user)
    fill_all(second, "Bluebonnet Janitorial Supply", "0")
    assert second.propose().outcome == "confirm"
    done = second.confirm()
    assert done.outcome == "done", done.text
    assert f"CUST-{highest_code(writable_url, 'northwind'):04d}" in done.text
    assert "credit limit of $0.00" in done.text


def test_a_duplicate_created_after_the_summary_makes_the_confirmation_fail(
    writer: ERPService, writable_url: str
) -> None:
    dialogue = Dialogue(writer, COMMAND, "padma.sales")
    dialogue.start("new customer", customer="Padma Fresh Foods")
    dialogue.say("orders@padmafresh.example", "contact")
    dialogue.say("Cumilla", "city", city="Cumilla")
    dialogue.say("cash on delivery", "payment_terms")
    dialogue.say("2 lakh", "credit_limit", amount="2 lakh")
    proposal = dialogue.propose()
    assert proposal.outcome == "confirm", proposal.text
    assert "cash (due immediately)" in proposal.text
    execute(
        writable_url,
        "INSERT INTO customers (company_id, code, name, email, phone, city, address, "
        "payment_terms_days, credit_limit, discount_pct, is_active, created_at) VALUES "
        "(:c, 'CUST-9000', 'Padma Fresh Foods Ltd', '', '', 'Cumilla', '', 0, 0, 0, :yes, :day)",
        c=company_id(writable_url, "padma"),
        yes=True,
        day=AS_OF,
    )
    before = snapshot(writable_url)
    failed = dialogue.confirm()
    assert failed.outcome == "failed"
    assert "Padma Fresh Foods Ltd (CUST-9000" in failed.text
    assert snapshot(writable_url) == before
    assert audits(writable_url, COMMAND) == []


def test_near_duplicate_names_are_refused_naming_the_existing_customer(sqlite_url: str) -> None:
    service = ERPService(sqlite_url, today=lambda: AS_OF)
    for typed, existing in (
        ("Meghna Textile", "Meghna Textiles"),
        ("karim enterprises", "Karim Enterprise (CUST-0005"),
        ("RAHMAN TRADERS LIMITED", "Rahman Traders (CUST-0001"),
        ("Textiles Meghna", "Meghna Textiles"),
    ):
        reply = Dialogue(service, COMMAND, "padma.sales").start("new", customer=typed)
        assert "already has a customer called" in reply.text, typed
        assert existing in reply.text, (typed, reply.text)
        assert "name" in reply.missing
    # the same name in the other company is no duplicate
    other = Dialogue(service, COMMAND, "northwind.sales").start("new", customer="Rahman Traders")
    assert other.text == "" and other.draft["name"] == "Rahman Traders"
    # a close but different name is accepted, and pointed out in the summary later
    fine = Dialogue(service, COMMAND, "padma.sales").start("new", customer="Meghna Fabrics")
    assert fine.text == ""


def test_contact_city_terms_and_name_are_checked(sqlite_url: str) -> None:
    service = ERPService(sqlite_url, today=lambda: AS_OF)
    good = {
        "contact": [
            ("accounts@meghna.example", {"email": "accounts@meghna.example", "phone": ""}),
            ("mobile 01913 778899", {"email": "", "phone": "01913 778899"}),
            (
                "contact person Nasima Begum, 01712-998877",
                {"email": "", "phone": "01712-998877"},
            ),
            ("the phone number is +880 1819-456789", {"email": "", "phone": "+880 1819-456789"}),
        ],
        "city": [
            ("cox's bazar", "Cox's Bazar"),
            ("CHATTOGRAM", "Chattogram"),
            ("Bogura", "Bogura"),
        ],
        "payment_terms": [
            ("30 days", 30),
            ("net 45", 45),
            ("45 days credit", 45),
            ("payment within 60 days", 60),
            ("COD", 0),
            ("cash", 0),
            ("immediate", 0),
            ("advance payment", 0),
            ("2 weeks", 14),
        ],
    }
    for field, cases in good.items():
        for typed, value in cases:
            dialogue = Dialogue(service, COMMAND, "padma.sales")
            reply = dialogue.say(typed, field)
            assert reply.text == "", (typed, reply.text)
            assert dialogue.draft[field] == value, typed
    # contact details said in passing are kept; the asked field takes only its part
    dialogue = Dialogue(service, COMMAND, "padma.sales")
    reply = dialogue.say("Padma Fresh Foods, email ops@padmafresh.example", "name")
    assert reply.text == "" and dialogue.draft["name"] == "Padma Fresh Foods"
    assert dialogue.draft["contact"] == {"email": "ops@padmafresh.example", "phone": ""}
    dialogue.say("and their phone is 01711-234567")
    assert dialogue.draft["contact"]["phone"] == "01711-234567"
    assert dialogue.reply and dialogue.reply.missing == ["city", "payment_terms", "credit_limit"]
    bad = {
        "contact": [
            ("no idea", "email address or a phone number"),
            ("ops@bluebird", "not a valid email"),
            ("call 12345", "email address or a phone number"),
            ("+880 1711 234 567 890 123 45", "7 to 15"),
        ],
        "city": [("12345", "place name"), ("", "city")],
        "payment_terms": [("181 days", "at most 180"), ("whenever", "payment terms")],
        "name": [("AB", "at least 3"), ("123", "at least 3"), ("x" * 201, "under 200")],
    }
    for field, cases in bad.items():
        for typed, message in cases:
            dialogue = Dialogue(service, COMMAND, "padma.sales")
            reply = dialogue.say(typed, field, **({"customer": typed} if field == "name" else {}))
            assert field in reply.missing
            assert message in reply.text or message in " ".join(reply.missing), (typed, reply.text)


def test_credit_limit_is_capped_by_the_role_and_in_the_company_currency(
    sqlite_url: str,
) -> None:
    service = ERPService(sqlite_url, today=lambda: AS_OF)
    ceiling = sql(
        sqlite_url,
        "SELECT r.max_amount FROM approval_rules r JOIN roles ro ON ro.id = r.role_id "
        "JOIN companies c ON c.id = r.company_id WHERE c.code = 'padma' "
        "AND r.document_type = 'customer_credit_limit' AND ro.code = 'sales_officer'",
    )
    assert ceiling == 100_000_000  # 10 lakh, in paisa

    def limit(user: str, typed: str) -> tuple[str | None, str]:
        dialogue = Dialogue(service, COMMAND, user)
        reply = dialogue.say(typed, "credit_limit", amount=typed)
        return dialogue.draft.get("credit_limit"), reply.text

    assert limit("padma.sales", "10 lakh") == ("1000000.00", "")
    value, text = limit("padma.sales", "10,00,001")
    assert value is None and "up to BDT 10,00,000.00" in text
    assert limit("padma.admin", "5 crore") == ("50000000.00", "")  # no ceiling
    for typed in ("0", "no credit limit for now", "cash only", "Tk 0"):
        assert limit("padma.sales", typed) == ("0.00", ""), typed
    for typed, message in (
        ("$5,000", "has to be in BDT"),
        ("-5000", "negative"),
        ("lots", "couldn't read"),
        ("10^14", "couldn't read"),
        ("100000000000000", "far larger"),
    ):
        value, text = limit("padma.sales", typed)
        assert value is None and message in text, (typed, text)
    value, text = limit("northwind.sales", "Tk 5,000")
    assert value is None and "has to be in USD" in text


@SQLITE_ONLY
def test_ceiling_is_checked_again_when_the_summary_is_made(
    writer: ERPService, writable_url: str
) -> None:
    dialogue = Dialogue(writer, COMMAND, "padma.sales")
    dialogue.draft = {
        "name": "Sonar Tori Traders",
        "contact": {"email": "hello@sonartori.example", "phone": ""},
        "city": "Dhaka",
        "payment_terms": "30",
        "credit_limit": "2000000.00",  # a stale or tampered draft above the ceiling
    }
    reply = dialogue.propose()
    assert reply.outcome == "collect" and reply.missing == ["credit_limit"]
    assert format_money(1_000_000, "BDT") in reply.text
    dialogue.say("5 lakh", "credit_limit", amount="5 lakh")
    proposal = dialogue.propose()
    assert proposal.outcome == "confirm"
    assert "Similar" not in proposal.text
    assert dialogue.confirm().outcome == "done"


@pytest.mark.parametrize("user", ["padma.finance", "padma.warehouse", "northwind.approver"])
def test_roles_without_customers_create_are_refused(sqlite_url: str, user: str) -> None:
    service = ERPService(sqlite_url, today=lambda: AS_OF)
    reply = Dialogue(service, COMMAND, user).start("new customer", customer="Someone New Ltd")
    assert reply.outcome == "refused" and "create customers" in reply.text
