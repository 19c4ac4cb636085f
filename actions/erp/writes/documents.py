"""Finding the document a write is about, within the user's company."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select

from actions.erp.context import Context
from actions.erp.errors import InvalidInput, NotFound
from actions.erp.parsing import DOCUMENT_TYPES, normalise_document_ref

T = TypeVar("T")


def find_document(ctx: Context, model: type[T], prefix: str, text: str, *, lock: bool = False) -> T:
    """The document of this company named in `text`, which must be a `prefix` reference.

    A document of another company is reported exactly like one that does not
    exist, so that nobody can probe another company's numbers.
    """
    ref = normalise_document_ref(text)
    noun = DOCUMENT_TYPES[prefix].noun
    if ref.prefix != prefix:
        raise InvalidInput(
            f"{ref.canonical} is {_a(DOCUMENT_TYPES[ref.prefix].noun)}, not {_a(noun)}. "
            f"Please give a {noun} number such as {DOCUMENT_TYPES[prefix].example}."
        )
    query: Any = select(model).where(
        model.company_id == ctx.company_id,  # type: ignore[attr-defined]
        model.number == ref.canonical,  # type: ignore[attr-defined]
    )
    if lock:
        # lock only the document row: its joined relations may be outer joins
        query = query.with_for_update(of=model).execution_options(populate_existing=True)
    document = ctx.session.scalar(query)
    if document is None:
        raise NotFound(f"I can't find {noun} {ref.canonical} in {ctx.actor.company_name}.")
    return document


def _a(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"
