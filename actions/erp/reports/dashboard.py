"""A one-screen summary across the modules the user may see."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from actions.erp.answers import Answer, Column, table
from actions.erp.context import Context, Request
from actions.erp.formatting import format_date, format_percent
from actions.erp.reports.aging import AP, AR, open_items
from actions.erp.reports.alerts import visible_alerts
from actions.erp.reports.cash import total_cash
from actions.erp.reports.inventory import below_reorder_level
from actions.erp.reports.purchasing import count_pending_for
from actions.erp.reports.sales import net_sales

ZERO = Decimal("0.00")


def dashboard(ctx: Context, request: Request) -> Answer:
    """Each section appears only when the user holds its permission."""
    rows: list[dict] = []
    sentences: list[str] = []
    can = ctx.actor.can

    if can("cash.read"):
        cash = total_cash(ctx)
        rows.append({"metric": "Cash in bank", "value": ctx.money(cash)})
        sentences.append(f"cash {ctx.money(cash)}")
    if can("sales.read"):
        month_start = ctx.today.replace(day=1)
        this_month = net_sales(ctx, month_start, ctx.today)
        last_start = (month_start - timedelta(days=1)).replace(day=1)
        days_in = (ctx.today - month_start).days
        last_same = net_sales(
            ctx,
            last_start,
            min(last_start + timedelta(days=days_in), month_start - timedelta(days=1)),
        )
        trend = ""
        if last_same > ZERO:
            change = (this_month - last_same) / last_same * 100
            trend = f" ({format_percent(change, signed=True)} vs same days last month)"
        rows.append({"metric": "Sales this month", "value": ctx.money(this_month) + trend})
        sentences.append(f"sales this month {ctx.money(this_month)}{trend}")
    if can("receivables.read"):
        ar = open_items(ctx, AR)
        rows.append({"metric": "Receivables open", "value": ctx.money(ar.total)})
        rows.append({"metric": "Receivables overdue", "value": ctx.money(ar.overdue)})
        sentences.append(f"receivables {ctx.money(ar.total)} ({ctx.money(ar.overdue)} overdue)")
    if can("payables.read"):
        ap = open_items(ctx, AP)
        week = ctx.today + timedelta(days=7)
        due_soon = sum((i.open_amount for i in ap.items if i.due_date <= week), ZERO)
        rows.append({"metric": "Payables open", "value": ctx.money(ap.total)})
        rows.append({"metric": "Payables due within 7 days", "value": ctx.money(due_soon)})
        sentences.append(
            f"payables {ctx.money(ap.total)} ({ctx.money(due_soon)} due within a week)"
        )
    if can("approvals.read"):
        pending = count_pending_for(ctx)
        rows.append({"metric": "Waiting for your approval", "value": str(pending)})
        sentences.append(
            f"{pending} purchase order{'s' if pending != 1 else ''} waiting for your approval"
        )
    if can("stock.read"):
        low = len(below_reorder_level(ctx))
        rows.append({"metric": "Stock lines below reorder level", "value": str(low)})
        sentences.append(f"{low} stock line{'s' if low != 1 else ''} below reorder level")
    if can("alerts.read"):
        open_alerts = len(visible_alerts(ctx))
        rows.append({"metric": "Open alerts", "value": str(open_alerts)})

    if not sentences:
        return Answer(
            "Your role does not include any of the dashboard's figures. "
            "Please ask your administrator if you need access.",
            outcome="refused",
        )
    text = (
        f"{ctx.actor.company_name} at a glance, {format_date(ctx.today)}: "
        + "; ".join(sentences)
        + "."
    )
    return Answer(
        text, [table("Dashboard", [Column("metric", "Metric"), Column("value", "Value")], rows)]
    )
