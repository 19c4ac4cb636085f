"""What every studio endpoint shares: who may call it, how a request body
is read, and how a refusal becomes a JSON error.

Refusals are exceptions (`Refused`, `NotSignedIn`), turned into
`{"error": …}` responses once, by the blueprint's handlers.
"""

from __future__ import annotations

from typing import Any

from sanic.request import Request

from bot.auth import Identity
from connectors.identity import Authenticator

STUDIO_ROLES = frozenset({"trainer", "administrator"})


class Refused(Exception):
    """A request the studio turns down, with the status and the reason to show."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def trainer(request: Request, authenticator: Authenticator) -> Identity:
    """The signed-in trainer or administrator making this request; refuses anyone else."""
    identity = await authenticator.identify_header(request.headers.get("Authorization"))
    if not STUDIO_ROLES & set(identity.roles):
        raise Refused(403, "The training studio is for trainers and administrators.")
    return identity


def json_body(request: Request, hint: str) -> dict[str, Any]:
    """The request's JSON object, or a 400 that says what to send."""
    try:
        body = request.json if request.body else None
    except Exception as error:  # sanic raises its own error on bad JSON
        raise Refused(400, hint) from error
    if not isinstance(body, dict):
        raise Refused(400, hint)
    return body


def text_field(body: dict[str, Any], name: str, *, max_length: int = 2000) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise Refused(400, f"'{name}' must be a non-empty string.")
    if len(value) > max_length:
        raise Refused(400, f"'{name}' must be at most {max_length} characters.")
    return value.strip()


def int_arg(request: Request, name: str, default: int, *, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Refused(400, f"'{name}' must be a whole number.") from None
    if not low <= value <= high:
        raise Refused(400, f"'{name}' must be between {low} and {high}.")
    return value
