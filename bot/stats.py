"""The one percentile both the studio and the action server report."""

from __future__ import annotations


def percentile(values: list[float], share: float) -> float | None:
    """The value below which `share` of the values lie (nearest rank); None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
