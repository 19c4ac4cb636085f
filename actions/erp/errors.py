"""Errors whose message is safe and useful to show to the user as it is."""

from __future__ import annotations

from collections.abc import Sequence


class ERPError(Exception):
    """Base class: `str(error)` is a complete sentence for the user.

    `field` names the write field the problem is about (e.g. "lines" when
    stock ran short), so that the assistant can ask for it again.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotAuthenticated(ERPError):
    pass


class PermissionDenied(ERPError):
    pass


class NotFound(ERPError):
    pass


class InvalidInput(ERPError):
    pass


class Ambiguous(ERPError):
    """A name matched several records; the user has to pick one."""

    def __init__(
        self, message: str, candidates: Sequence[str], *, field: str | None = None
    ) -> None:
        super().__init__(message, field=field)
        self.candidates = list(candidates)
