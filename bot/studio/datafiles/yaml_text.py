"""Finding places in a YAML file's text, so that an edit inserts lines and
leaves every other byte as it was (a YAML dumper would reformat the file and
drop its comments)."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    """A top-level key's lines: `key` is the line of `key:`, `end` the first line after it."""

    key: int
    end: int
    # the line after which new entries go: the last line of the section that holds content
    last: int


def lines_of(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def is_blank(line: str) -> bool:
    return not line.strip()


def _belongs_to_section(line: str) -> bool:
    # indented lines, blank lines, top-level comments and top-level list items
    # ("intents:\n- greet" is valid YAML) all continue the section above them
    return is_blank(line) or line[0] in " \t#" or line.startswith("- ") or line.rstrip() == "-"


def top_level_section(lines: list[str], key: str) -> Section | None:
    pattern = re.compile(rf"^{re.escape(key)}:[ \t]*(#.*)?$")
    for number, line in enumerate(lines):
        if pattern.match(line.rstrip("\r\n")):
            end = number + 1
            while end < len(lines) and _belongs_to_section(lines[end]):
                end += 1
            last = number
            for inner in range(number + 1, end):
                line_inner = lines[inner]
                if not is_blank(line_inner) and not line_inner.startswith("#"):
                    last = inner
            return Section(key=number, end=end, last=last)
    return None


def has_inline_value(lines: list[str], key: str) -> bool:
    """`key: [a, b]` or `key: {}`: a flow collection that lines cannot be added to."""
    pattern = re.compile(rf"^{re.escape(key)}:[ \t]*[^\s#]")
    return any(pattern.match(line) for line in lines)


def insert_after(lines: list[str], number: int, new_lines: list[str]) -> list[str]:
    """`lines` with `new_lines` (each ending in a newline) inserted after line `number`."""
    head = list(lines[: number + 1])
    if head and not head[-1].endswith("\n"):
        head[-1] += "\n"  # the file ended without a newline; the new line needs one before it
    return head + new_lines + lines[number + 1 :]


def append_block(text: str, block: str) -> str:
    """`text` with `block` at its end, after a blank line, keeping the text's bytes."""
    if not text:
        return block
    if not text.endswith("\n"):
        text += "\n"
    if not text.endswith("\n\n"):
        text += "\n"
    return text + block


def list_item_indent(lines: list[str], section: Section, default: int = 2) -> int:
    """The indentation of the section's list items (`  - x`), outermost first."""
    indents = [
        indent_of(line)
        for line in lines[section.key + 1 : section.end]
        if line.lstrip(" ").startswith("-") and not line.startswith("#")
    ]
    return min(indents) if indents else default


def mapping_key_indent(lines: list[str], section: Section, default: int = 2) -> int:
    indents = [
        indent_of(line)
        for line in lines[section.key + 1 : section.end]
        if not is_blank(line) and not line.lstrip(" ").startswith(("#", "-"))
    ]
    return min(indents) if indents else default
