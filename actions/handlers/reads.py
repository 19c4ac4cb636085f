"""One action per read capability; all the work happens in the ERP service."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handlers.common import run_capability, send_answer


class ReadAction(Action, ABC):
    """Answers one ERP question. Subclasses only name the capability."""

    @property
    @abstractmethod
    def capability(self) -> str: ...

    def name(self) -> str:
        return f"action_{self.capability}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        answer = await run_capability(self.name(), self.capability, tracker)
        send_answer(dispatcher, tracker, self.capability, answer)
        return []


class ActionCashBalance(ReadAction):
    capability = "cash_balance"


class ActionReceivables(ReadAction):
    capability = "receivables"


class ActionPayables(ReadAction):
    capability = "payables"


class ActionCashFlow(ReadAction):
    capability = "cash_flow"


class ActionPurchaseOrders(ReadAction):
    capability = "purchase_orders"


class ActionPendingApprovals(ReadAction):
    capability = "pending_approvals"


class ActionStock(ReadAction):
    capability = "stock"


class ActionLowStock(ReadAction):
    capability = "low_stock"


class ActionSales(ReadAction):
    capability = "sales"


class ActionDashboard(ReadAction):
    capability = "dashboard"


class ActionCustomer(ReadAction):
    capability = "customer"


class ActionDocumentStatus(ReadAction):
    capability = "document_status"
