"""Column types shared by the ERP models."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import BigInteger, Integer
from sqlalchemy.sql import operators
from sqlalchemy.types import TypeDecorator

CENT = Decimal("0.01")


def to_money(value: Any) -> Decimal:
    """Round any number to cents, half up, as accountants do."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


class Money(TypeDecorator):
    """A money amount stored as integer minor units (cents, paisa).

    SQLite keeps NUMERIC as floating point, which drifts when thousands of
    amounts are summed; integers are exact on every backend. Python code sees
    `Decimal` with two places, and `func.sum()` over a Money column comes back
    as `Decimal` too because SUM keeps the type of its argument.
    """

    impl = BigInteger
    cache_ok = True

    class comparator_factory(BigInteger.Comparator):  # noqa: N801 - SQLAlchemy's hook name
        # Keep the Money type through arithmetic so that expressions such as
        # `total - amount_paid` or `standard_cost * quantity` still come back
        # as Decimal amounts rather than raw minor units.
        def _adapt_expression(self, op: Any, other_comparator: Any) -> Any:
            other = other_comparator.type
            if op in (operators.add, operators.sub) and isinstance(other, Money):
                return op, self.type
            if (
                op in (operators.mul, operators.truediv)
                and isinstance(other, Integer)
                and not isinstance(other, Money)
            ):
                return op, self.type
            return super()._adapt_expression(op, other_comparator)

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None:
            return None
        return int(to_money(value) * 100)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) / 100).quantize(CENT)

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        # A literal compared with, added to or subtracted from money is money;
        # a literal multiplier is a plain count.
        if op in (operators.mul, operators.truediv) and isinstance(value, int):
            return Integer()
        return self
