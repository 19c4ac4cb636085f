"""Where an intent's examples are in an NLU file's text, found line by line.

Only the common layout is recognised (`- intent: x` then `examples: |`);
an intent written any other way simply has no block here, and new examples
for it go to a new block in studio.yml, which Rasa merges with the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.studio.datafiles.yaml_text import indent_of, is_blank

INTENT_LINE = re.compile(r"^(?P<dash> *)- +intent: *(?P<name>[^\s#]+) *(#.*)?$")
EXAMPLES_LINE = re.compile(r"^(?P<indent> *)examples: *\|(?P<indicator>[-+]?[1-9]?[-+]?) *(#.*)?$")


@dataclass(frozen=True)
class Block:
    intent: str
    # the line after which a new example goes, and the indentation of the example lines
    last: int
    indent: int


def intent_blocks(lines: list[str]) -> dict[str, Block]:
    """The first `examples: |` block of every intent in the file."""
    blocks: dict[str, Block] = {}
    for number, line in enumerate(lines):
        match = INTENT_LINE.match(line.rstrip("\r\n"))
        if not match:
            continue
        name = match.group("name").strip("'\"")
        if name in blocks:
            continue
        block = _examples_block(lines, number, len(match.group("dash")))
        if block is not None:
            blocks[name] = Block(intent=name, last=block[0], indent=block[1])
    return blocks


def _examples_block(lines: list[str], intent_line: int, dash: int) -> tuple[int, int] | None:
    number = intent_line + 1
    while number < len(lines):
        line = lines[number].rstrip("\r\n")
        if not is_blank(line) and indent_of(line) <= dash:
            return None  # the item ended before an examples block
        match = EXAMPLES_LINE.match(line)
        if match:
            return _block_extent(
                lines, number, len(match.group("indent")), match.group("indicator")
            )
        number += 1
    return None


def _block_extent(
    lines: list[str], key_line: int, key_indent: int, indicator: str
) -> tuple[int, int]:
    digits = "".join(c for c in indicator if c.isdigit())
    content_indent = key_indent + int(digits) if digits else None
    last = key_line
    for number in range(key_line + 1, len(lines)):
        line = lines[number]
        if is_blank(line):
            continue
        if indent_of(line) <= key_indent:
            break
        if content_indent is None:
            content_indent = indent_of(line)
        last = number
    return last, content_indent if content_indent is not None else key_indent + 2
