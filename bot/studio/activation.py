"""Switching the running server to another model without stopping it.

Rasa's own `PUT /model` loads the model inside the event loop: measured in
`make bench`, every conversation (chat, voice, the studio) waited for the
whole 3-6 s load. Inside the server the studio can do better: it builds the
new Agent in a worker thread, with the running agent's tracker store, lock
store, action endpoint and response generator, and swaps it in at once.
Channels look up `app.ctx.agent` per message, so the next message uses it;
messages already being handled finish on the old one.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from rasa.core.agent import Agent


class ModelRefused(Exception):
    """The file is not a model this Rasa can load; the running model stays."""


def _load(current: Agent, model_path: Path) -> Agent:
    agent = Agent(
        generator=current.nlg,
        tracker_store=current.tracker_store,
        lock_store=current.lock_store,
        action_endpoint=current.action_endpoint,
        model_server=current.model_server,
        remote_storage=current.remote_storage,
        http_interpreter=current.http_interpreter,
    )
    try:
        agent.load_model(model_path)
    except Exception as error:  # Rasa raises many kinds for a bad archive
        raise ModelRefused(f"Rasa could not load {model_path.name}: {error}") from error
    return agent


async def switch_model(app: Any, model_path: Path) -> None:
    """Load `model_path` off the event loop, then make it the server's model."""
    current = app.ctx.agent
    app.ctx.agent = await asyncio.to_thread(_load, current, model_path)
