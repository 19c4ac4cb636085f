"""What the benchmark modules share."""

from __future__ import annotations

import uuid

# Conversation ids are unique per run: the tracker store outlives a run, and
# continuing yesterday's conversations would measure their length, not us.
RUN = uuid.uuid4().hex[:8]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]
