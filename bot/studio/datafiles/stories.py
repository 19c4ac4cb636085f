"""New stories (training) and test stories as edits of their files.

The trainer's YAML (as Rasa's story writer makes it) must pass Rasa's own
schema and story reader; what it names and the domain lacks is added to
domain.yml, and its stories are appended to the end of the file's
`stories:` list, every existing byte kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rasa.shared.utils.io
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.training_data.story_reader.yaml_story_reader import (
    CORE_SCHEMA_FILE,
    YAMLStoryReader,
)
from rasa.shared.core.training_data.structures import StoryStep
from rasa.shared.utils.validation import validate_yaml_schema

from bot.studio.datafiles import yaml_text
from bot.studio.datafiles.domain import DomainNeeds
from bot.studio.datafiles.errors import Invalid

TARGETS = {"story": "data/stories/studio.yml", "test": "tests/stories/test_studio_stories.yml"}
HEADERS = {
    "story": 'version: "3.1"\n\n# Stories saved from the training studio.\nstories:\n',
    "test": 'version: "3.1"\n# End-to-end test stories saved from the training studio.\nstories:\n',
}
ALLOWED_KEYS = {"version", "stories"}


@dataclass
class StoryRequest:
    """A trainer's stories, read and checked; `needs` is what they name beyond the domain."""

    kind: str
    yaml: str
    names: list[str]
    parsed: list[Any]
    needs: DomainNeeds


def read_request(kind: str, text: str, domain: Domain, responses: dict[str, str]) -> StoryRequest:
    """The stories in `text`, refused (Invalid) unless Rasa would read them as they are."""
    if kind not in TARGETS:
        raise Invalid(f"kind must be one of {', '.join(TARGETS)}.")
    content = _parsed_yaml(text)
    stories = content.get("stories")
    if not isinstance(stories, list) or not stories:
        raise Invalid("The YAML must have a non-empty 'stories:' list.")
    names = _story_names(stories)
    try:
        validate_yaml_schema(text, CORE_SCHEMA_FILE)
        steps = YAMLStoryReader(domain).read_from_parsed_yaml(content)
    except Exception as error:  # schema errors, and the reader's own for malformed steps
        raise Invalid(f"The YAML is not a valid story: {error}") from error
    return StoryRequest(kind, text, names, list(stories), _needs(steps, domain, responses))


def _parsed_yaml(text: str) -> dict[str, Any]:
    try:
        content = rasa.shared.utils.io.read_yaml(text)
    except Exception as error:  # ruamel's errors say where the YAML breaks
        raise Invalid(f"The YAML cannot be read: {error}") from error
    if not isinstance(content, dict):
        raise Invalid("The YAML must be a mapping with 'version' and 'stories'.")
    extra = sorted(set(content) - ALLOWED_KEYS)
    if extra:
        raise Invalid(f"Only stories can be saved here; remove {', '.join(map(str, extra))}.")
    return content


def _story_names(stories: list[Any]) -> list[str]:
    names: list[str] = []
    for story in stories:
        if not isinstance(story, dict) or not isinstance(story.get("story"), str):
            raise Invalid("Every item under 'stories:' needs a 'story:' name.")
        name = story["story"].strip()
        if not name:
            raise Invalid("A story name must not be empty.")
        if not isinstance(story.get("steps"), list) or not story["steps"]:
            raise Invalid(f"The story {name!r} has no steps.")
        if name in names:
            raise Invalid(f"The story name {name!r} appears twice in the YAML.")
        names.append(name)
    return names


def _needs(steps: list[StoryStep], domain: Domain, responses: dict[str, str]) -> DomainNeeds:
    needs = DomainNeeds()
    known_actions = set(domain.action_names_or_texts)
    slots = {slot.name for slot in domain.slots}
    for event in (event for step in steps for event in step.events):
        if isinstance(event, UserUttered):
            if event.intent_name:
                needs.intents.append(event.intent_name)
            needs.entities.extend(entity["entity"] for entity in event.entities)
        elif isinstance(event, ActionExecuted) and event.action_name:
            _need_action(event.action_name, known_actions, responses, needs)
        elif isinstance(event, SlotSet) and event.key not in slots:
            raise Invalid(f"The slot {event.key!r} is not in the domain; add it there first.")
        elif isinstance(event, ActiveLoop) and event.name and event.name not in domain.form_names:
            raise Invalid(f"The form {event.name!r} is not in the domain; add it there first.")
    return needs


def _need_action(name: str, known: set[str], responses: dict[str, str], needs: DomainNeeds) -> None:
    if name in known or name in needs.responses:
        return
    if not name.startswith("utter_"):
        raise Invalid(f"The action {name!r} is not in the domain (a custom action needs code).")
    if not (responses.get(name) or "").strip():
        raise Invalid(f"The response {name!r} is new: give its text in 'responses'.")
    needs.responses[name] = responses[name]


def existing_story_names(root: Path) -> set[str]:
    """The names of every story in the workspace's training data and test stories."""
    names: set[str] = set()
    for folder in (root / "data", root / "tests" / "stories"):
        for path in sorted([*folder.rglob("*.yml"), *folder.rglob("*.yaml")]):
            try:
                content = rasa.shared.utils.io.read_yaml(path.read_text(encoding="utf-8"))
            except Exception:  # a broken file elsewhere is not this request's problem
                continue
            stories = content.get("stories") if isinstance(content, dict) else None
            for story in stories if isinstance(stories, list) else []:
                if isinstance(story, dict) and isinstance(story.get("story"), str):
                    names.add(story["story"].strip())
    return names


def appended(target: str, old: str, request: StoryRequest) -> str:
    """The target file's text with the request's stories at the end of its `stories:` list."""
    items = _request_items(request.yaml)
    if not old.strip():
        new = HEADERS[request.kind] + "".join(_reindented(items, 0 - _indent(items)))
    else:
        new = _appended_to(target, old, items)
    _check_appended(target, old, new, request)
    return new


def _request_items(text: str) -> list[str]:
    lines = yaml_text.lines_of(text)
    section = yaml_text.top_level_section(lines, "stories")
    if section is None:
        raise Invalid("The stories must be written as a block list under 'stories:'.")
    items = lines[section.key + 1 : section.last + 1]
    if items and not items[-1].endswith("\n"):
        items[-1] += "\n"
    while items and yaml_text.is_blank(items[0]):
        items.pop(0)
    return items


def _indent(items: list[str]) -> int:
    dashes = [yaml_text.indent_of(line) for line in items if line.lstrip(" ").startswith("-")]
    return min(dashes) if dashes else 0


def _reindented(items: list[str], delta: int) -> list[str]:
    if delta >= 0:
        return [line if yaml_text.is_blank(line) else " " * delta + line for line in items]
    return [line[min(-delta, yaml_text.indent_of(line)) :] for line in items]


def _appended_to(target: str, old: str, items: list[str]) -> str:
    lines = yaml_text.lines_of(old)
    section = yaml_text.top_level_section(lines, "stories")
    if section is None:
        if yaml_text.has_inline_value(lines, "stories"):
            raise Invalid(f"{target} writes 'stories' on one line; fix it by hand.")
        block = "stories:\n" + "".join(_reindented(items, -_indent(items)))
        return yaml_text.append_block(old, block)
    has_items = section.last > section.key
    indent = yaml_text.list_item_indent(lines, section, default=_indent(items))
    new_lines = (["\n"] if has_items else []) + _reindented(items, indent - _indent(items))
    return "".join(yaml_text.insert_after(lines, section.last, new_lines))


def _check_appended(target: str, old: str, new: str, request: StoryRequest) -> None:
    """Refuses unless the new file reads as the old stories followed by the request's."""
    try:
        validate_yaml_schema(new, CORE_SCHEMA_FILE)
        after = rasa.shared.utils.io.read_yaml(new).get("stories") or []
        before = (rasa.shared.utils.io.read_yaml(old).get("stories") or []) if old.strip() else []
    except Exception as error:  # the schema's and ruamel's errors
        raise Invalid(f"{target} would not be valid after the edit: {error}") from error
    if _plain(after) != _plain(before) + _plain(request.parsed):
        raise Invalid(f"{target}: the stories could not be appended safely; edit it by hand.")


def _plain(value: Any) -> Any:
    # ruamel's commented containers compare by content once made plain
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
