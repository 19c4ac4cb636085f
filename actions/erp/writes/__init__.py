"""Confirmed writes: each command plans a change, and only a confirmed plan runs.

A command never writes in `plan`; `execute` runs inside the confirmation's
transaction after the plan has been recomputed and found unchanged.
"""

from __future__ import annotations

from actions.erp.writes.base import WriteCommand
from actions.erp.writes.purchasing import ApprovePurchaseOrder, RejectPurchaseOrder

COMMANDS: dict[str, WriteCommand] = {
    command.name: command
    for command in (
        ApprovePurchaseOrder(),
        RejectPurchaseOrder(),
    )
}

__all__ = ["COMMANDS", "WriteCommand"]
