"""Products below their reorder level, with the purchase quantity to suggest.

One alert per product and warehouse (`low_stock:<sku>:<warehouse>`), for the
warehouse clerk. The quantity is the inventory report's: top up to reorder
level plus the product's reorder quantity, less what approved purchase orders
still bring in. Critical when the line is out of stock, else a warning.
"""

from __future__ import annotations

from actions.erp.alerts.base import Candidate, DetectorSettings
from actions.erp.context import Context
from actions.erp.models import AlertSeverity, Warehouse
from actions.erp.reports.inventory import below_reorder_level


def detect_low_stock(ctx: Context, settings: DetectorSettings) -> list[Candidate]:
    codes = {
        w.name: w.code
        for w in ctx.session.query(Warehouse).filter(Warehouse.company_id == ctx.company_id)
    }
    found = []
    for item in below_reorder_level(ctx):
        warehouse = codes.get(item["warehouse"], item["warehouse"])
        on_order = f", {item['on_order']} already on order" if item["on_order"] else ""
        if item["suggested"]:
            suggestion = (
                f"Raise a purchase order for {item['suggested']} × {item['product']} "
                f"({item['sku']}) for {item['warehouse']}, about "
                f"{ctx.money(item['suggested_cost'])}."
            )
        else:
            suggestion = "Chase the open purchase orders: they already cover the top-up."
        found.append(
            Candidate(
                alert_type="low_stock",
                severity=AlertSeverity.CRITICAL if item["quantity"] <= 0 else AlertSeverity.WARNING,
                module="inventory",
                record_ref=item["sku"],
                message=(
                    f"{item['product']} at {item['warehouse']} is below its reorder level: "
                    f"{item['quantity']} on hand, reorder level {item['reorder_level']}"
                    f"{on_order}."
                ),
                suggested_action=suggestion,
                target_role="warehouse_clerk",
                dedup_key=f"low_stock:{item['sku']}:{warehouse}",
            )
        )
    return found
