"""Start the real action server and Rasa server for end-to-end tests and benchmarks."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from actions.erp.db import normalise_url
from bot.cli import cmd_seed, cmd_tokens
from bot.config import ROOT, Settings, load_settings
from bot.supervisor import Stack
from bot.training import model_path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningStack:
    settings: Settings
    tokens: dict[str, dict[str, Any]]
    stack: Stack

    @property
    def webhook(self) -> str:
        return f"{self.settings.rasa_url}/webhooks/erp/webhook"

    def token(self, username: str) -> str:
        return self.tokens[username]["token"]

    def say(
        self,
        username: str,
        message: str,
        sender: str = "e2e",
        metadata: dict[str, Any] | None = None,
        timeout: float = 30,
    ) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"sender": sender, "message": message}
        if metadata is not None:
            body["metadata"] = metadata
        reply = httpx.post(
            self.webhook,
            json=body,
            headers={"Authorization": f"Bearer {self.token(username)}"},
            timeout=timeout,
        )
        reply.raise_for_status()
        return reply.json()


def query(stack: RunningStack, sql: str, **params: Any) -> list[Any]:
    """Run SQL on the stack's ERP database in its own transaction (rows, if any)."""
    engine = create_engine(normalise_url(stack.settings.database_url))
    try:
        with engine.begin() as connection:
            result = connection.execute(text(sql), params)
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


def text_of(messages: list[dict[str, Any]]) -> str:
    return " ".join(m["text"] for m in messages if m.get("text"))


def payloads_of(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for m in messages if m.get("custom") for p in m["custom"].get("payloads", [])]


@contextmanager
def running_stack(
    var_dir: Path, extra_env: dict[str, str] | None = None, seed_scale: float = 1.0
) -> Iterator[RunningStack]:
    """Seed (if empty), issue tokens and start both servers on free ports."""
    env = {
        **os.environ,
        "ERP_VAR_DIR": str(var_dir),
        "RASA_PORT": str(free_port()),
        "ACTIONS_PORT": str(free_port()),
        # alerts only when a test asks: conversations expect the seeded data as it is
        "ERP_ALERT_INTERVAL_SECONDS": "0",
        **(extra_env or {}),
    }
    settings = load_settings(env)
    cmd_seed(settings, scale=seed_scale)
    tokens = cmd_tokens(settings, quiet=True)
    model = Path(os.environ.get("ERP_TEST_MODEL") or model_path(load_settings()))
    if not model.exists():
        raise RuntimeError(f"No trained model at {model}: run `python -m bot train` first")
    stack = Stack(settings, model, echo=False)
    stack.start(timeout=240)
    try:
        yield RunningStack(settings, tokens, stack)
    finally:
        stack.stop()


DEFAULT_VAR_DIR = Path(os.environ.get("ERP_VAR_DIR", ROOT / "var" / "test"))
