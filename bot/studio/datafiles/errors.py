"""Why an edit of the training data was not made.

Each error means nothing was written. The routes turn them into HTTP
statuses (Invalid → 422, Conflict and NameTaken → 409, WriteFailed → 500).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.studio.datafiles.files import Change


class Invalid(Exception):
    """The data would not be valid (or the edit cannot be made safely at text level)."""


class NameTaken(Exception):
    """A story name that the workspace already has."""


class Conflict(Exception):
    """A file changed since the trainer saw its diff; carries the changes as they are now."""

    def __init__(self, message: str, changes: list[Change]) -> None:
        super().__init__(message)
        self.changes = changes


class WriteFailed(Exception):
    """Writing failed part-way; the files already written were put back."""
