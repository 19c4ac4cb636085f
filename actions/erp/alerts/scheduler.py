"""Run the detectors in the background of an asyncio server, every N seconds.

The blocking database work runs in a worker thread (`asyncio.to_thread`), so
the event loop keeps serving requests; a failing run is logged and the loop
goes on to the next one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)


async def run_periodically(
    job: Callable[[], Any],
    interval_seconds: float,
    *,
    initial_delay: float = 0.0,
    on_result: Callable[[Any], None] | None = None,
) -> None:
    """Call `job` in a thread now (after `initial_delay`) and then every interval.

    Returns at once when the interval is 0 or less (disabled). Runs until cancelled.
    """
    if interval_seconds <= 0:
        logger.info("alert detectors disabled (interval %s)", interval_seconds)
        return
    await asyncio.sleep(initial_delay)
    while True:
        try:
            result = await asyncio.to_thread(job)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("alert detector run failed; trying again in %s s", interval_seconds)
        else:
            if on_result is not None:
                on_result(result)
        await asyncio.sleep(interval_seconds)
