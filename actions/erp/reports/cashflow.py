"""Cash-flow outlook: today's cash plus open receivables minus open payables, by week."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from actions.erp.answers import Answer, Column, chart, table
from actions.erp.context import Context, Request
from actions.erp.formatting import format_date
from actions.erp.parsing import parse_horizon
from actions.erp.reports.aging import AP, AR, OpenItem, open_items
from actions.erp.reports.cash import total_cash

ZERO = Decimal("0.00")
DEFAULT_WEEKS = 4
HORIZON_IN_TEXT = re.compile(
    r"\b(?:next|coming|following)\s+(?:\d+|two|three|four|five|six|eight|twelve)?\s*"
    r"(?:weeks?|months?|days?|quarter)\b",
    re.IGNORECASE,
)


@dataclass
class Week:
    start: date
    end: date
    inflow: Decimal = ZERO
    outflow: Decimal = ZERO
    closing: Decimal = ZERO


@dataclass
class Outlook:
    opening: Decimal
    weeks: list[Week]
    overdue_receivables: Decimal
    overdue_payables: Decimal
    largest_outflows: list[OpenItem]

    @property
    def lowest(self) -> Week:
        return min(self.weeks, key=lambda w: w.closing)


def outlook(ctx: Context, weeks: int = DEFAULT_WEEKS) -> Outlook:
    """Project the bank balance week by week.

    Receivables count in the week they fall due; those already overdue are
    left out of the projection (collection is uncertain) and reported apart.
    Overdue payables are due now, so they count in the first week.
    """
    opening = total_cash(ctx)
    horizon = [
        Week(ctx.today + timedelta(days=7 * i), ctx.today + timedelta(days=7 * i + 6))
        for i in range(weeks)
    ]
    receivables = open_items(ctx, AR).items
    payables = open_items(ctx, AP).items
    for item in receivables:
        week = _week_of(horizon, item.due_date)
        if week is not None and item.due_date >= ctx.today:
            week.inflow += item.open_amount
    in_horizon: list[OpenItem] = []
    for item in payables:
        week = horizon[0] if item.due_date < ctx.today else _week_of(horizon, item.due_date)
        if week is not None:
            week.outflow += item.open_amount
            in_horizon.append(item)
    balance = opening
    for week in horizon:
        balance += week.inflow - week.outflow
        week.closing = balance
    return Outlook(
        opening=opening,
        weeks=horizon,
        overdue_receivables=sum(
            (i.open_amount for i in receivables if i.due_date < ctx.today), ZERO
        ),
        overdue_payables=sum((i.open_amount for i in payables if i.due_date < ctx.today), ZERO),
        largest_outflows=sorted(in_horizon, key=lambda i: -i.open_amount)[:3],
    )


def _week_of(weeks: list[Week], day: date) -> Week | None:
    for week in weeks:
        if week.start <= day <= week.end:
            return week
    return None


def cash_flow(ctx: Context, request: Request) -> Answer:
    weeks = parse_horizon(_horizon_text(request))
    result = outlook(ctx, weeks)
    inflow = sum((w.inflow for w in result.weeks), ZERO)
    outflow = sum((w.outflow for w in result.weeks), ZERO)
    last = result.weeks[-1]
    text = (
        f"Cash outlook for the next {weeks} weeks from {format_date(ctx.today)}: "
        f"starting cash {ctx.money(result.opening)}, expected inflows {ctx.money(inflow)} "
        f"from receivables falling due, outflows {ctx.money(outflow)} to suppliers; "
        f"projected cash on {format_date(last.end)}: {ctx.money(last.closing)}."
    )
    text += " " + _explanation(ctx, result)
    labels = [f"{format_date(w.start)}" for w in result.weeks]
    series_chart = chart(
        "Projected cash by week",
        "line",
        labels,
        {
            "Closing cash": [w.closing for w in result.weeks],
            "Inflows": [w.inflow for w in result.weeks],
            "Outflows": [w.outflow for w in result.weeks],
        },
        currency=ctx.currency,
    )
    weeks_table = table(
        "Cash-flow outlook",
        [
            Column("week", "Week from"),
            Column("inflow", "Inflows", "money"),
            Column("outflow", "Outflows", "money"),
            Column("closing", "Closing cash", "money"),
        ],
        [
            {"week": label, "inflow": w.inflow, "outflow": w.outflow, "closing": w.closing}
            for label, w in zip(labels, result.weeks, strict=True)
        ],
        currency=ctx.currency,
    )
    return Answer(text, [series_chart, weeks_table])


def _horizon_text(request: Request) -> str:
    """The forecast horizon the user named, as an entity or inside the sentence."""
    entity = request.first("time_period")
    if entity:
        return entity
    found = HORIZON_IN_TEXT.search(request.text)
    return found.group(0) if found else ""


def _explanation(ctx: Context, result: Outlook) -> str:
    lowest = result.lowest
    tight = lowest.closing < ZERO or lowest.closing < result.opening * Decimal("0.25")
    if not tight:
        return (
            f"Cash stays healthy: the lowest point is {ctx.money(lowest.closing)} "
            f"in the week from {format_date(lowest.start)}."
        )
    reasons = []
    if result.largest_outflows:
        bills = ", ".join(
            f"{i.number} to {i.party} {ctx.money(i.open_amount)} due {format_date(i.due_date)}"
            for i in result.largest_outflows
        )
        reasons.append(f"large supplier bills fall due ({bills})")
    if result.overdue_payables > ZERO:
        reasons.append(f"{ctx.money(result.overdue_payables)} of bills are already overdue")
    if result.overdue_receivables > ZERO:
        reasons.append(
            f"{ctx.money(result.overdue_receivables)} of customer invoices are overdue and "
            "not counted as coming in"
        )
    verb = "goes negative" if lowest.closing < ZERO else "gets low"
    return (
        f"Cash {verb} ({ctx.money(lowest.closing)} in the week from "
        f"{format_date(lowest.start)}) because " + "; ".join(reasons) + "."
    )
