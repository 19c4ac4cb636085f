"""Constants and the in-memory records the company simulation works with."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from actions.erp.demo.catalog import CitySpec

DAY = timedelta(days=1)
NEVER = date.max

# sales order lines per order and how likely each count is
LINE_COUNTS = (1, 2, 3, 4)
LINE_COUNT_WEIGHTS = (0.28, 0.32, 0.24, 0.16)
MEAN_LINES = sum(n * w for n, w in zip(LINE_COUNTS, LINE_COUNT_WEIGHTS, strict=True))
LINE_SIGMA = 0.55  # spread of a line's value around the company's typical line
LINE_MEAN_FACTOR = math.exp(LINE_SIGMA**2 / 2)

# how ordinary customers pay (share of them), and when: days after the due date
PAYER_PROFILES = (("prompt", 0.40), ("normal", 0.42), ("late", 0.18))
PAYMENT_DELAYS = {"prompt": (-8, 3), "normal": (-3, 14), "late": (5, 40), "slow": (35, 115)}
SUPPLIER_DELAYS = {"good": (-1, 2), "fair": (0, 7), "poor": (3, 18)}  # days after expected

# the final stretch of the simulation in which purchasing gets stuck
FINAL_WINDOW_DAYS = 35
SHORTAGE_WINDOW_DAYS = 45
TROUBLE_WINDOW_DAYS = 60
ORDER_FOOTNOTE_DAYS = 10  # recent deliveries that may still wait for their invoice


class SimulationError(RuntimeError):
    """An invariant the simulation guarantees was about to break (a bug)."""


@dataclass(eq=False)
class Product:
    index: int
    id: int
    sku: str
    name: str
    category: str
    price: int
    cost: int
    tax_bp: int
    sellable: bool
    weight: float = 0.0
    supplier: int = 0
    reorder_level: int = 0
    reorder_qty: int = 0
    trigger: list[int] = field(default_factory=list)  # reorder point per warehouse
    unit: str = "pcs"


@dataclass(eq=False)
class Customer:
    index: int
    id: int
    name: str
    warehouse: int
    terms: int
    weight: float
    size: float
    discount_bp: int
    payer: str
    created: date
    active_until: date = NEVER
    default_from: date = NEVER
    hold_from: date = NEVER
    account_manager: str = "sales"
    bank: int = 0
    city: CitySpec | None = None


@dataclass
class Supplier:
    index: int
    id: int
    name: str
    category: str
    terms: int
    lead: int
    reliability: str
    troubled: bool = False
    ref_prefix: str = "INV"


@dataclass
class OpenBill:
    row: dict[str, Any]
    supplier: int
    due: date
    held_until: date
    installments: bool = False  # half now, the rest a few weeks later
