"""The inputs every capability receives."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from actions.erp.access import Actor
from actions.erp.formatting import NumberStyle, format_money, format_money_short


@dataclass(frozen=True)
class Request:
    """What the user asked: the raw text and the entities NLU found in it."""

    text: str = ""
    entities: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def first(self, name: str) -> str | None:
        values = [v for v in self.entities.get(name, ()) if v and v.strip()]
        return values[0].strip() if values else None

    def all(self, name: str) -> list[str]:
        return [v.strip() for v in self.entities.get(name, ()) if v and v.strip()]

    def mentions(self, *words: str) -> bool:
        lowered = f" {self.text.lower()} "
        return any(word in lowered for word in words)


@dataclass
class Context:
    session: Session
    actor: Actor
    today: date
    # when a write happens (audit times, workflow history)
    now: datetime = field(default_factory=datetime.now)
    # how this user asked to see amounts; None: the way of the company's currency
    number_style: NumberStyle | None = None

    @property
    def company_id(self) -> int:
        return self.actor.company_id

    @property
    def currency(self) -> str:
        return self.actor.currency

    def money(self, amount: Decimal) -> str:
        return format_money(amount, self.actor.currency, self.number_style)

    def money_short(self, amount: Decimal) -> str:
        return format_money_short(amount, self.actor.currency, self.number_style)
