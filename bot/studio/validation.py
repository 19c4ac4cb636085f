"""`rasa data validate` on the workspace, its output split into errors and warnings.

Rasa 3.6 reports everything the validator finds as a yellow `UserWarning`
(`…/rasa/shared/utils/io.py:100: UserWarning: <message>`), errors included,
and ends with the red line "Project validation completed with errors." and
exit code 1; a file it cannot read at all is one red block
("YamlSyntaxException: Failed to read 'data/…'. …"). So the messages that
make the validator fail (rasa/validator.py: the checks that return False)
are told apart by their wording; every other message is a warning.
"""

from __future__ import annotations

import re
from typing import Any

from bot.studio.jobs import Jobs

RED = re.compile(r"\x1b\[91m(.*?)\x1b\[0m", re.DOTALL)
YELLOW = re.compile(r"\x1b\[93m(.*?)\x1b\[0m", re.DOTALL)
LOGGED = re.compile(r"^\S+ \S+ (WARNING|ERROR)\s+[\w.]+\s+- (.*)$")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
SUMMARY = "Project validation completed with errors."
# wording of the checks in rasa/validator.py (3.6) that fail the validation
ERROR_WORDING = (
    "is not listed in the domain",
    "is not listed in your domain",
    "not part of the domain",
    "is not a valid utterance action",
    "labeled with multiple different intents",
    "is not present in the domain slots",
    "which is not listed in domain forms",
    "form's 'required_slots'",
    "MappingPolicy format",
    "mandatory key",
    "Story structure conflict",
)


def warning_text(block: str) -> str:
    """The message of one yellow block, without the file:line prefix and the docs link."""
    text = block.split("Warning: ", 1)[1] if "Warning: " in block else block
    text = text.split("\n  More info at")[0]
    return " ".join(text.split())


def error_text(block: str) -> str:
    lines = [line.rstrip() for line in block.strip().splitlines()]
    kept = [line for line in lines if line.strip() and not line.startswith("You can use https")]
    return "\n".join(kept)


def parse_validation(output: str, exit_code: int) -> dict[str, Any]:
    errors: list[str] = []
    warnings: list[str] = []

    def add(message: str, is_error: bool) -> None:
        target = errors if is_error else warnings
        if message and message not in target:
            target.append(message)

    for block in YELLOW.findall(output):
        message = warning_text(block)
        if "DeprecationWarning" in block or "FutureWarning" in block:
            continue  # Rasa's dependencies, not the data
        add(message, any(wording in message for wording in ERROR_WORDING))
    lines = ANSI.sub("", output).splitlines()
    for index, line in enumerate(lines):
        if match := LOGGED.match(line):
            level, message = match.groups()
            # a story conflict goes on over the indented lines that follow it
            follow = []
            for after in lines[index + 1 :]:
                if not after.startswith("  "):
                    break
                follow.append(after.strip())
            text = " ".join([message, *follow]).strip()
            add(text, level == "ERROR" or any(w in text for w in ERROR_WORDING))
    for block in RED.findall(output):
        message = error_text(block)
        if message != SUMMARY:
            add(message, True)
    if exit_code != 0 and not errors:
        add(SUMMARY if SUMMARY in output else f"rasa data validate failed ({exit_code}).", True)
    return {"ok": exit_code == 0 and not errors, "errors": errors, "warnings": warnings}


async def validate(jobs: Jobs) -> dict[str, Any]:
    """`POST /studio/api/validate`: Rasa's validator on the workspace's own files."""
    code, output = await jobs.rasa_output(
        ["data", "validate", "--data", "data", "--domain", "domain.yml", "--config", "config.yml"]
    )
    return parse_validation(output, code)
