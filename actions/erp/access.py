"""Who may do what: the role catalogue and the acting user.

The catalogue is data (seeded into the roles/permissions tables); checks
always read the user's current roles from the database, never from what a
channel or the user claims.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.erp.errors import NotAuthenticated, PermissionDenied
from actions.erp.models import Company, User

# permission code → what it allows, in words a refusal can quote
PERMISSIONS: dict[str, str] = {
    "cash.read": "see bank balances and cash flow",
    "receivables.read": "see customer invoices and receivables",
    "payables.read": "see supplier bills and payables",
    "purchasing.read": "see purchase orders",
    "approvals.read": "see purchase orders waiting for approval",
    "stock.read": "see stock levels",
    "sales.read": "see sales figures and sales orders",
    "customers.read": "see customer records",
    "dashboard.read": "see the company dashboard",
    "alerts.read": "see alerts",
    "purchasing.approve": "approve or reject purchase orders",
    "purchasing.create": "raise purchase orders",
    "sales.create": "create sales orders",
    "customers.create": "create customers",
    "invoices.post": "post invoices to the ledger",
    "payments.record": "record payments and receipts",
    "studio.use": "use the training studio",
}

ROLES: dict[str, tuple[str, list[str]]] = {
    "finance_manager": (
        "Finance manager",
        [
            "cash.read",
            "receivables.read",
            "payables.read",
            "purchasing.read",
            "approvals.read",
            "sales.read",
            "customers.read",
            "dashboard.read",
            "alerts.read",
            "purchasing.approve",
            "invoices.post",
            "payments.record",
        ],
    ),
    "sales_officer": (
        "Sales officer",
        [
            "sales.read",
            "customers.read",
            "receivables.read",
            "stock.read",
            "alerts.read",
            "sales.create",
            "customers.create",
        ],
    ),
    "warehouse_clerk": (
        "Warehouse clerk",
        # the clerk gets the low-stock alerts and raises the reorder; someone else approves it
        ["stock.read", "purchasing.read", "alerts.read", "purchasing.create"],
    ),
    "purchasing_approver": (
        "Purchasing approver",
        [
            "purchasing.read",
            "approvals.read",
            "payables.read",
            "stock.read",
            "alerts.read",
            "purchasing.approve",
            "purchasing.create",
        ],
    ),
    "administrator": ("Administrator", list(PERMISSIONS)),
    "trainer": ("Bot trainer", ["studio.use"]),
}


@dataclass(frozen=True)
class Actor:
    """The signed-in user on whose behalf a service call runs."""

    user_id: int
    username: str
    full_name: str
    company_id: int
    company_code: str
    company_name: str
    currency: str
    roles: frozenset[str]
    permissions: frozenset[str]

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str) -> None:
        if permission not in self.permissions:
            what = PERMISSIONS.get(permission, permission)
            raise PermissionDenied(
                f"Sorry, your role does not allow you to {what}. "
                "Please ask your administrator if you need access."
            )


def load_actor(session: Session, username: str | None, company_code: str | None) -> Actor:
    """Load the acting user; the company must be the user's own."""
    if not username or not company_code:
        raise NotAuthenticated("I don't know who you are. Please sign in again.")
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active:
        raise NotAuthenticated("Your account is not active. Please sign in again.")
    company = session.get(Company, user.company_id)
    if company is None or company.code != company_code:
        raise NotAuthenticated("Your session does not match your company. Please sign in again.")
    return Actor(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        company_id=company.id,
        company_code=company.code,
        company_name=company.name,
        currency=company.currency,
        roles=frozenset(role.code for role in user.roles),
        permissions=frozenset(p.code for role in user.roles for p in role.permissions),
    )
