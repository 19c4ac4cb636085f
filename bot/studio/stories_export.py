"""Events as a story, written by Rasa's own story writer (as
`rasa interactive` and `GET /conversations/<id>/story` do)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_writer.yaml_story_writer import YAMLStoryWriter

_domains: dict[Path, tuple[int, Domain]] = {}
_lock = threading.Lock()


def domain_of(path: Path) -> Domain:
    """The domain file, parsed again only when it changed."""
    stamp = path.stat().st_mtime_ns
    with _lock:
        cached = _domains.get(path)
        if cached is None or cached[0] != stamp:
            cached = (stamp, Domain.from_path(path))
            _domains[path] = cached
        return cached[1]


def export_story(events: list[dict[str, Any]], name: str, test: bool, domain_path: Path) -> str:
    """Blocking. A test story keeps the user's words (with entity markup); a
    story keeps only intents and entities."""
    domain = domain_of(domain_path)
    # slots that never steer the dialogue (who is speaking, the last answer)
    # are noise in a story, and identity must not leak into training data
    steering = {slot.name for slot in domain.slots if slot.influence_conversation}
    parsed = [
        Event.from_parameters(e)
        for e in events
        if e.get("event") != "slot" or e.get("name") in steering
    ]
    for event in parsed:
        if isinstance(event, UserUttered):
            event.metadata = {}  # who spoke never belongs in training data
    tracker = DialogueStateTracker.from_events(name, parsed, slots=domain.slots)
    story = tracker.as_story(include_source=False)
    for step in story.story_steps:
        step.block_name = name
    return YAMLStoryWriter().dumps(story.story_steps, is_test_story=test)
