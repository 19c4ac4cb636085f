"""What the routes that edit training data share: reading their bodies, and
calling the (blocking) data files in a thread with their errors as HTTP ones."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from bot.studio.datafiles import Invalid, NameTaken, WriteFailed
from bot.studio.http import Refused

T = TypeVar("T")


async def in_thread(function: Callable[..., T], *args: Any) -> T:
    """`function(*args)` off the event loop; Invalid → 422, NameTaken → 409, WriteFailed → 500.

    Conflict is left to the route: its 409 carries the fresh diff, which differs per route.
    """
    try:
        return await asyncio.to_thread(function, *args)
    except Invalid as error:
        raise Refused(422, str(error)) from error
    except NameTaken as error:
        raise Refused(409, str(error)) from error
    except WriteFailed as error:
        raise Refused(500, str(error)) from error


def string_map(
    body: dict[str, Any], name: str, *, max_items: int, max_length: int
) -> dict[str, str]:
    """An optional {str: str} field of the body (absent → {})."""
    value = body.get(name, {})
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > max_items:
        raise Refused(400, f"'{name}' must be an object of at most {max_items} strings.")
    for key, item in value.items():
        if not isinstance(item, str) or len(item) > max_length:
            raise Refused(
                400, f"'{name}.{key}' must be a string of at most {max_length} characters."
            )
    return dict(value)
