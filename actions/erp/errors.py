"""Errors whose message is safe and useful to show to the user as it is."""

from __future__ import annotations

from collections.abc import Sequence


class ERPError(Exception):
    """Base class: `str(error)` is a complete sentence for the user."""


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

    def __init__(self, message: str, candidates: Sequence[str]) -> None:
        super().__init__(message)
        self.candidates = list(candidates)
