"""Confirmed writes: each command plans a change, and only a confirmed plan runs.

A command never writes in `plan`; `execute` runs inside the confirmation's
transaction after the plan has been recomputed and found unchanged.
"""

from __future__ import annotations

from actions.erp.writes.base import WriteCommand
from actions.erp.writes.customers import CreateCustomer
from actions.erp.writes.invoicing import PostInvoice
from actions.erp.writes.payments import RecordPayment
from actions.erp.writes.purchase_orders import CreatePurchaseOrder
from actions.erp.writes.purchasing import ApprovePurchaseOrder, RejectPurchaseOrder
from actions.erp.writes.sales import CreateSalesOrder

COMMANDS: dict[str, WriteCommand] = {
    command.name: command
    for command in (
        ApprovePurchaseOrder(),
        RejectPurchaseOrder(),
        CreateSalesOrder(),
        CreateCustomer(),
        PostInvoice(),
        RecordPayment(),
        CreatePurchaseOrder(),
    )
}

__all__ = ["COMMANDS", "WriteCommand"]
