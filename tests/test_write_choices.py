"""The answers the write form offers as buttons come from the user's own company."""

from __future__ import annotations

from sqlalchemy import select

from actions.erp.db import read_session
from actions.erp.models import (
    BankAccount,
    Company,
    Customer,
    CustomerInvoice,
    InvoiceStatus,
    Warehouse,
)


def names(url: str, model: type, company: str) -> list[str]:
    with read_session(url) as session:
        return list(
            session.scalars(
                select(model.name)
                .join(Company, Company.id == model.company_id)
                .where(Company.code == company)
                .order_by(model.id)
            )
        )


def test_warehouses_and_bank_accounts_of_the_company(service, database_url):
    for company in ("padma", "northwind"):
        warehouses = service.write_choices(
            "create_sales_order", f"{company}.sales", company, {}, "warehouse"
        )
        assert [c.title for c in warehouses] == names(database_url, Warehouse, company)
        assert {c.entity for c in warehouses} == {"warehouse"}
        accounts = service.write_choices(
            "record_payment", f"{company}.finance", company, {}, "bank_account"
        )
        assert [c.title for c in accounts] == names(database_url, BankAccount, company)


def test_open_documents_of_the_party_for_allocation(service, database_url):
    with read_session(database_url) as session:
        invoice = session.scalar(
            select(CustomerInvoice)
            .join(Company, Company.id == CustomerInvoice.company_id)
            .where(Company.code == "padma", CustomerInvoice.status == InvoiceStatus.POSTED)
            .limit(1)
        )
        code = session.get(Customer, invoice.customer_id).code
    draft = {"direction": "receipt", "party": code}
    choices = service.write_choices("record_payment", "padma.finance", "padma", draft, "allocation")
    assert choices[0].title == "oldest first"
    assert all(c.title.startswith("INV-") and c.entity == "document_ref" for c in choices[1:])
    assert 1 < len(choices) <= 6


def test_nothing_offered_without_permission_or_for_free_text(service):
    assert service.write_choices("record_payment", "padma.sales", "padma", {}, "bank_account") == []
    assert service.write_choices("create_customer", "padma.sales", "padma", {}, "name") == []
