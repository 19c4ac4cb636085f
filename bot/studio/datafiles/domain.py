"""Additions to domain.yml that new training data needs: intents, entities, responses.

Lines are inserted into the file's own `intents:`, `entities:` and
`responses:` sections (comments, order and layout stay as they were); the
result must load with Rasa's Domain, which also tells what is already there.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from rasa.shared.core.domain import Domain

from bot.studio.datafiles import yaml_text
from bot.studio.datafiles.errors import Invalid
from bot.studio.datafiles.markup import check_name

RESPONSE_NAME = re.compile(r"^utter_[a-z0-9_]{1,60}$")
MAX_RESPONSE_TEXT = 2000


@dataclass
class DomainNeeds:
    """Names some new data uses; `responses` maps utter_ names to the text to give them."""

    intents: list[str] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)
    responses: dict[str, str] = field(default_factory=dict)


def load_domain(text: str, path: str = "domain.yml") -> Domain:
    try:
        return Domain.from_yaml(text)
    except Exception as error:  # Rasa raises several kinds (YAML, schema, domain errors)
        raise Invalid(f"{path} is not a valid Rasa domain: {error}") from error


def check_response(name: str, text: str) -> None:
    if not RESPONSE_NAME.match(name):
        raise Invalid(f"Response name {name!r} must be utter_ and lowercase letters, digits or _.")
    if not text.strip():
        raise Invalid(f"The text of {name} must not be empty.")
    if len(text) > MAX_RESPONSE_TEXT:
        raise Invalid(f"The text of {name} must be at most {MAX_RESPONSE_TEXT} characters.")


def missing(domain: Domain, needs: DomainNeeds) -> DomainNeeds:
    """What of `needs` the domain lacks, in the order first named, without repeats."""
    known_intents, known_entities = set(domain.intents), set(domain.entities)
    return DomainNeeds(
        intents=[n for n in dict.fromkeys(needs.intents) if n not in known_intents],
        entities=[n for n in dict.fromkeys(needs.entities) if n not in known_entities],
        responses={k: v for k, v in needs.responses.items() if k not in domain.responses},
    )


def with_additions(text: str, needs: DomainNeeds, path: str = "domain.yml") -> str:
    """domain.yml's text with what `needs` names and the domain lacks; `text` if nothing."""
    lacking = missing(load_domain(text, path), needs)
    for name in lacking.intents:
        check_name("Intent", name)
    for name in lacking.entities:
        check_name("Entity", name)
    for name, response in lacking.responses.items():
        check_response(name, response)
    new = _add_list_items(text, "intents", lacking.intents, path)
    new = _add_list_items(new, "entities", lacking.entities, path)
    new = _add_responses(new, lacking.responses, path)
    if new != text:
        _check_result(new, lacking, path)
    return new


def _add_list_items(text: str, key: str, names: list[str], path: str) -> str:
    if not names:
        return text
    lines = yaml_text.lines_of(text)
    section = yaml_text.top_level_section(lines, key)
    if section is None:
        if yaml_text.has_inline_value(lines, key):
            raise Invalid(f"{path} writes '{key}' on one line; add {', '.join(names)} by hand.")
        block = f"{key}:\n" + "".join(f"  - {name}\n" for name in names)
        return yaml_text.append_block(text, block)
    indent = " " * yaml_text.list_item_indent(lines, section)
    new_lines = [f"{indent}- {name}\n" for name in names]
    return "".join(yaml_text.insert_after(lines, section.last, new_lines))


def _add_responses(text: str, responses: dict[str, str], path: str) -> str:
    if not responses:
        return text
    lines = yaml_text.lines_of(text)
    section = yaml_text.top_level_section(lines, "responses")
    if section is None:
        if yaml_text.has_inline_value(lines, "responses"):
            raise Invalid(f"{path} writes 'responses' on one line; add the responses by hand.")
        return yaml_text.append_block(text, "responses:\n" + _response_lines(responses, 2, 4))
    key_indent = yaml_text.mapping_key_indent(lines, section)
    item_indent = _response_item_indent(lines, section, key_indent)
    new_lines = yaml_text.lines_of(_response_lines(responses, key_indent, item_indent))
    return "".join(yaml_text.insert_after(lines, section.last, new_lines))


def _response_item_indent(lines: list[str], section: yaml_text.Section, key_indent: int) -> int:
    # the indentation of the first response's "- text:" line, so that new ones look the same
    for line in lines[section.key + 1 : section.end]:
        if yaml_text.indent_of(line) > key_indent and line.lstrip(" ").startswith("-"):
            return yaml_text.indent_of(line)
    return key_indent + 2


def _response_lines(responses: dict[str, str], key_indent: int, item_indent: int) -> str:
    return "".join(
        f"{' ' * key_indent}{name}:\n{' ' * item_indent}- text: {quoted(text)}\n"
        for name, text in responses.items()
    )


def quoted(text: str) -> str:
    """`text` as a YAML double-quoted scalar: a JSON string is one, with what YAML would read
    as a line break or refuse raw (U+2028, C1 controls, ...) escaped too."""
    return "".join(
        c if c.isprintable() or c == " " else f"\\U{ord(c):08x}"
        for c in json.dumps(text, ensure_ascii=False)
    )


def _check_result(new: str, added: DomainNeeds, path: str) -> None:
    domain = load_domain(new, path)
    still_missing = missing(domain, added)
    if still_missing.intents or still_missing.entities or still_missing.responses:
        raise Invalid(f"{path} could not be extended safely at text level; edit it by hand.")
    for name, text in added.responses.items():
        if domain.responses[name][0].get("text") != text:
            raise Invalid(f"The response {name} would not read back as given.")
