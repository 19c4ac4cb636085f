"""Structured logs: one JSON object per line, with the request id and no personal data.

Both servers log through `JsonFormatter`. A message gets a request id when a
channel receives it (`connectors/turns.py`); the id travels to the action
server in the message's metadata, so `grep <request id> var/logs/*.log`
shows one message's path through both processes.

Masking happens here, at the last moment, so no caller can forget it:
e-mail addresses, phone and account numbers, and tokens are replaced in
every message, and the fields that name a person (`user`, `sender_id`,
`conversation_id`) become a stable pseudonym, which still lets an operator
follow one user's messages without learning who they are.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import sys
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)

# The attributes every LogRecord has; anything else was passed with `extra=`.
_RECORD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
PSEUDONYMISED_FIELDS = ("user", "sender_id", "conversation_id")
PROJECT_LOGGERS = ("actions", "bot", "connectors")

_MASKS = (
    (re.compile(r"(?i)\bbearer\s+[\w.~+/=-]+"), "Bearer [token]"),
    (re.compile(r"\beyJ[\w-]+\.[\w.-]+"), "[token]"),  # signed tokens
    (re.compile(r"(?i)\b(password|secret|api[_-]?key|token)\b(\W{1,3})\S+"), r"\1\2[masked]"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    # phone and account numbers: 8+ digits, possibly grouped by spaces, dots or
    # dashes, but not ISO dates
    (
        re.compile(r"(?<![\w-])(?!\d{4}-\d\d-\d\d(?!\d))\+?\d(?:[\s.-]?\d){7,}(?![\w-])"),
        "[number]",
    ),
)


def new_request_id() -> str:
    return secrets.token_hex(8)


def mask(text: str) -> str:
    """The text with e-mail addresses, long numbers and credentials replaced."""
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def pseudonym(value: object) -> str:
    """A stable stand-in for an identifier: the same user always reads the same."""
    digest = hashlib.sha256(str(value).encode("utf-8")).hexdigest()[:10]
    return f"anon-{digest}"


UNMASKED_FIELDS = frozenset({"ts", "request_id"})  # ours, and all digits at times


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: v if k in UNMASKED_FIELDS else _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    return value


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, service, request id, message, extras."""

    def __init__(self, service: str = "erp", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "service": self.service,
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            entry["request_id"] = request_id
        message = record.getMessage()
        entry.update(_structured(message) or {"message": message})
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and key != "request_id":
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        for key in PSEUDONYMISED_FIELDS:
            if entry.get(key):
                entry[key] = pseudonym(entry[key])
        return json.dumps(_masked(entry), default=str, ensure_ascii=False)


def _structured(message: str) -> dict[str, Any] | None:
    """Rasa logs through structlog, which renders JSON itself: merge it, not nest it."""
    if not message.startswith("{"):
        return None
    try:
        fields = json.loads(message)
    except ValueError:
        return None
    if not isinstance(fields, dict):
        return None
    fields.pop("level", None)
    fields.pop("timestamp", None)
    if "event" in fields:
        fields["message"] = fields.pop("event")
    return fields


def configure(service: str, level: int = logging.INFO) -> None:
    """Send every log record of this process to stdout as JSON (Python warnings too)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    # replace the console handlers (Rasa's coloured one); keep any other
    others = [h for h in root.handlers if not _writes_to_console(h)]
    root.handlers[:] = [*others, handler]
    root.setLevel(level)
    # libraries loaded later raise the root's level (Rasa's start-up does);
    # this project's own records keep theirs
    for name in PROJECT_LOGGERS:
        logging.getLogger(name).setLevel(level)
    logging.captureWarnings(True)


def _writes_to_console(handler: logging.Handler) -> bool:
    consoles = (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__)
    return any(getattr(handler, "stream", None) is stream for stream in consoles)


def configured(service: str) -> bool:
    """Whether this process already logs as `service` through `configure`."""
    return any(
        isinstance(h.formatter, JsonFormatter) and h.formatter.service == service
        for h in logging.getLogger().handlers
    )


SANIC_LOGGERS = ("sanic.root", "sanic.error", "sanic.access")


def adopt_library_loggers(names: tuple[str, ...] = SANIC_LOGGERS) -> None:
    """Route loggers that a library gave its own handlers through the root's JSON handler.

    Sanic configures its loggers when an app is created, after the process
    configured logging, so this runs once the app exists.
    """
    for name in names:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True


def as_json_line(line: str, service: str) -> str:
    """A line of a service's output as a JSON log line: its own, or plain text wrapped."""
    text = line.rstrip("\n")
    if text.startswith("{") and _structured(text) is not None:
        return text + "\n"
    entry = {
        "ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        "level": "output",
        "service": service,
        "message": mask(text),
    }
    return json.dumps(entry, ensure_ascii=False) + "\n"


def readable(line: str) -> str:
    """A JSON log line as a person reads it on the console; other lines unchanged."""
    try:
        entry = json.loads(line)
    except ValueError:
        return line
    if not isinstance(entry, dict) or "message" not in entry:
        return line
    time = str(entry.get("ts", ""))[11:23]
    request = f" [{entry['request_id']}]" if entry.get("request_id") else ""
    text = f"{time} {str(entry.get('level', '')).upper():7} {entry['message']}{request}"
    if entry.get("exception"):
        text += "\n" + str(entry["exception"])
    return text + "\n"
