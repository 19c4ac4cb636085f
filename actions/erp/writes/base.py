"""What every write command is made of.

A command turns what the user said into a *draft* (normalised, JSON-able
parameters), field by field; `plan` checks a complete draft against the
current data and says exactly what will change; `execute` makes the change.
Commands know nothing of Rasa or of confirmations.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from actions.erp.context import Context, Request
from actions.erp.errors import ERPError

Draft = dict[str, Any]


@dataclass(frozen=True)
class Plan:
    """A write, fully decided, as the user will see it in the read-back."""

    params: Draft  # exactly what `execute` receives
    summary: str
    # the current state of every record the write depends on; if it differs
    # at confirmation time the write is refused instead of done
    state: Any
    payloads: list[dict[str, Any]] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.state)


@dataclass(frozen=True)
class Done:
    """What a write changed, for the reply and for the audit log."""

    text: str
    entity_type: str
    entity_ref: str
    before: dict[str, Any]
    after: dict[str, Any]
    payloads: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Choice:
    """One answer offered as a button: its label and the entity it stands for."""

    title: str
    entity: str | None = None  # None: the title is sent as typed text


@dataclass
class FillResult:
    """The draft after reading one message, and what went wrong in it."""

    draft: Draft
    problems: list[ERPError] = field(default_factory=list)


def fingerprint(state: Any) -> str:
    encoded = json.dumps(state, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


class WriteCommand(ABC):
    """One kind of write, e.g. approving a purchase order."""

    name: ClassVar[str]
    permission: ClassVar[str]
    # the fields a complete draft has, in the order the user is asked for them
    fields: ClassVar[tuple[str, ...]]
    # which NLU entity can fill which field, in any message of the conversation
    entity_fields: ClassVar[Mapping[str, str]] = {}

    def missing(self, draft: Draft) -> list[str]:
        """Fields still to ask for, in order."""
        return [name for name in self.fields if name not in draft]

    def fill(
        self, ctx: Context, draft: Draft, request: Request, requested: str | None = None
    ) -> FillResult:
        """Read every field the message gives: entities anywhere, and the whole
        text for the field the assistant just asked for."""
        result = FillResult(dict(draft))
        given: dict[str, str] = {}
        for entity, name in self.entity_fields.items():
            value = request.first(entity)
            if value and name not in given:
                given[name] = value
        # "actually use the Chattogram warehouse" while the date is being asked
        # corrects a field already given: its text is not an answer to the question
        corrects = any(name != requested and name in draft for name in given)
        if requested and requested not in given and not corrects and request.text.strip():
            given[requested] = request.text.strip()
        for name, value in given.items():
            try:
                result.draft.update(self.read(ctx, name, value, result.draft))
            except ERPError as problem:
                result.draft.pop(name, None)
                result.problems.append(problem)
        return result

    def choices(self, ctx: Context, name: str, draft: Draft) -> list[Choice]:
        """Answers to offer as buttons when asking for a field (none by default)."""
        return []

    @abstractmethod
    def read(self, ctx: Context, name: str, value: str, draft: Draft) -> Draft:
        """Parse and check one field; return the draft entries it sets.

        Raises an ERPError whose message tells the user what is wrong (with
        candidates for an ambiguous name).
        """

    @abstractmethod
    def plan(self, ctx: Context, draft: Draft) -> Plan:
        """Check a complete draft against the current data; never writes."""

    @abstractmethod
    def execute(self, ctx: Context, params: Draft) -> Done:
        """Make the change planned with these parameters, in ctx.session.

        Runs inside the confirmation's transaction, right after `plan` was
        recomputed from the same parameters and found unchanged, so it may
        rely on every check `plan` made. Lock rows it updates.
        """
