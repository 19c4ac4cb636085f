"""NLU examples: checking them, writing them in Rasa's entity markup, comparing texts.

An example becomes one line of a YAML literal block (`    - text`), so a
text must not be able to end that block or be read back differently.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field

from bot.studio import texts
from bot.studio.datafiles.errors import Invalid

NAME = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
MAX_TEXT = 500
# Rasa's markup: [text](entity), [text]{"entity": ...}, [text][{...}]
MARKUP = re.compile(r"\[(?P<text>[^\]]+?)\](?:\([^)]*\)|\{[^}]*\}|\[[^\]]*\])")
# YAML reads these as line breaks, which would end the literal block
LINE_BREAKS = {"\n", "\r", "\x85", "\u2028", "\u2029"}


@dataclass(frozen=True)
class EntitySpan:
    start: int
    end: int
    entity: str
    value: str | None = None


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: tuple[EntitySpan, ...] = field(default_factory=tuple)


def normalised(text: str) -> str:
    """What makes two texts "the same example": case, spacing and entity markup ignored."""
    return texts.normalised(MARKUP.sub(lambda match: match.group("text"), text))


def trimmed(example: Example) -> Example:
    """The example without surrounding spaces (Rasa drops them), its spans moved to match."""
    text = example.text.lstrip(" ")
    shift = len(example.text) - len(text)
    text = text.rstrip(" ")
    spans = tuple(
        EntitySpan(s.start - shift, s.end - shift, s.entity, s.value) for s in example.entities
    )
    return Example(text=text, intent=example.intent, entities=spans)


def check_name(kind: str, name: str) -> None:
    if not NAME.match(name):
        raise Invalid(
            f"{kind} name {name!r} must be 1-60 lowercase letters, digits or _, "
            "starting with a letter."
        )


def check_example(example: Example) -> None:
    """Refuses an example that Rasa could not read back exactly as given."""
    check_name("Intent", example.intent)
    text = example.text
    if not text.strip():
        raise Invalid("An example's text must not be empty.")
    if len(text) > MAX_TEXT:
        raise Invalid(f"An example's text must be at most {MAX_TEXT} characters.")
    for character in text:
        if character in LINE_BREAKS:
            raise Invalid(f"{text!r}: an example is one line; it must not contain a line break.")
        if unicodedata.category(character) == "Cc" or character == "\ufeff":
            raise Invalid(f"{text!r}: control characters are not allowed.")
    if "[" in text or "]" in text:
        # Rasa would read brackets as entity markup; there is no way to escape them
        raise Invalid(f"{text!r}: square brackets cannot be written in Rasa's example format.")
    _check_spans(example)


def _check_spans(example: Example) -> None:
    text = example.text
    previous_end = 0
    for span in sorted(example.entities, key=lambda s: s.start):
        check_name("Entity", span.entity)
        if not 0 <= span.start < span.end <= len(text):
            raise Invalid(
                f"{text!r}: entity {span.entity} at {span.start}-{span.end} "
                f"is not a non-empty span inside the text (length {len(text)})."
            )
        if span.start < previous_end:
            raise Invalid(f"{text!r}: entity spans overlap ({span.entity} at {span.start}).")
        covered = text[span.start : span.end]
        if covered != covered.strip():
            raise Invalid(f"{text!r}: entity {span.entity} must not start or end with a space.")
        if span.value is not None:
            if not span.value.strip() or any(c in LINE_BREAKS for c in span.value):
                raise Invalid(f"{text!r}: entity {span.entity} has an empty or multi-line value.")
            if "}" in span.value:
                raise Invalid(f"{text!r}: an entity value cannot contain '}}' in Rasa's format.")
        previous_end = span.end


def render(example: Example) -> str:
    """The example's text with its entities in Rasa markup."""
    text = example.text
    parts: list[str] = []
    position = 0
    for span in sorted(example.entities, key=lambda s: s.start):
        covered = text[span.start : span.end]
        parts.append(text[position : span.start])
        if span.value is None or span.value == covered:
            parts.append(f"[{covered}]({span.entity})")
        else:
            described = json.dumps({"entity": span.entity, "value": span.value}, ensure_ascii=False)
            parts.append(f"[{covered}]{described}")
        position = span.end
    parts.append(text[position:])
    return "".join(parts)
