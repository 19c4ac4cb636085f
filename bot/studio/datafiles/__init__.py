"""Edits of a workspace's training data (data/ and domain.yml), shown as diffs first.

Nothing here knows HTTP. A preview computes the changes from the files as
they are; a save recomputes them under the workspace lock and writes them
only if every file still has the version ("base") the trainer saw, all
files or none. Every function here blocks: async callers use a thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import rasa.shared.utils.io

from bot.studio.datafiles import domain as domain_edits
from bot.studio.datafiles import nlu, stories
from bot.studio.datafiles.errors import Conflict, Invalid, NameTaken, WriteFailed
from bot.studio.datafiles.files import Change, change_for, commit, read_text
from bot.studio.datafiles.markup import EntitySpan, Example
from bot.studio.datafiles.nlu import Skipped
from bot.studio.workspace import Workspace

__all__ = [
    "Change",
    "Conflict",
    "DataFiles",
    "EntitySpan",
    "Example",
    "Invalid",
    "NameTaken",
    "Preview",
    "Skipped",
    "StoryPreview",
    "WriteFailed",
]

DOMAIN = "domain.yml"


@dataclass
class Preview:
    changes: list[Change]
    skipped: list[Skipped] = field(default_factory=list)

    def as_json(self) -> dict[str, list[dict[str, str]]]:
        return {
            "changes": [change.as_json() for change in self.changes],
            "skipped": [skip.as_json() for skip in self.skipped],
        }


@dataclass
class StoryPreview:
    """A story edit: the stories file (`path`, its `base`) and domain.yml when it needs more."""

    path: str
    base: str
    changes: list[Change]
    names: list[str]

    @property
    def diff(self) -> str:
        return "".join(change.diff for change in self.changes)


class DataFiles:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    @property
    def root(self) -> Path:
        return self.workspace.root

    def intents_and_entities(self) -> dict[str, list[str]]:
        """The intents and entities the domain file declares, sorted."""
        try:
            content = rasa.shared.utils.io.read_yaml(read_text(self.workspace.domain_path)) or {}
        except Exception as error:  # ruamel's errors say where the file breaks
            raise Invalid(f"{DOMAIN} cannot be read: {error}") from error
        if not isinstance(content, dict):
            raise Invalid(f"{DOMAIN} is not a mapping.")
        return {key: sorted(_names(content.get(key))) for key in ("intents", "entities")}

    # --- NLU examples ---

    def preview_examples(self, examples: list[Example]) -> Preview:
        return self._examples_preview(examples)

    def save_examples(self, examples: list[Example], bases: dict[str, str]) -> Preview:
        """Writes the examples (Conflict when a file's base differs from `bases`)."""
        skipped: list[Skipped] = []

        def compute() -> list[Change]:
            preview = self._examples_preview(examples)
            skipped[:] = preview.skipped
            return preview.changes

        changes = commit(self.root, self.workspace.state_dir, compute, bases)
        return Preview(changes=changes, skipped=skipped)

    def _examples_preview(self, examples: list[Example]) -> Preview:
        plan = nlu.plan_examples(self.root, examples)
        changes = [change_for(path, old, new) for path, (old, new) in plan.texts.items()]
        needs = domain_edits.DomainNeeds(
            intents=[e.intent for e in plan.added],
            entities=[span.entity for e in plan.added for span in e.entities],
        )
        changes.extend(self._domain_change(needs))
        return Preview(changes=changes, skipped=plan.skipped)

    # --- stories ---

    def preview_story(self, kind: str, yaml: str, responses: dict[str, str]) -> StoryPreview:
        return self._story_preview(kind, yaml, responses)

    def save_story(
        self, kind: str, yaml: str, responses: dict[str, str], base: str
    ) -> StoryPreview:
        """Appends the stories (Conflict when the stories file's version is no longer `base`)."""
        target = stories.TARGETS.get(kind, "")
        previews: list[StoryPreview] = []

        def compute() -> list[Change]:
            previews[:] = [self._story_preview(kind, yaml, responses)]
            return previews[0].changes

        # domain.yml's additions are recomputed under the lock, so they need no base of their own
        commit(self.root, self.workspace.state_dir, compute, {target: base}, frozenset({DOMAIN}))
        return previews[0]

    def _story_preview(self, kind: str, yaml: str, responses: dict[str, str]) -> StoryPreview:
        domain_text = read_text(self.workspace.domain_path)
        request = stories.read_request(kind, yaml, domain_edits.load_domain(domain_text), responses)
        taken = sorted(set(request.names) & stories.existing_story_names(self.root))
        if taken:
            raise NameTaken(f"A story named {', '.join(map(repr, taken))} already exists.")
        target = stories.TARGETS[kind]
        old = read_text(self.root / target)
        story_change = change_for(target, old, stories.appended(target, old, request))
        changes = [story_change, *self._domain_change(request.needs, domain_text)]
        return StoryPreview(target, story_change.base, changes, request.names)

    # --- domain ---

    def _domain_change(
        self, needs: domain_edits.DomainNeeds, text: str | None = None
    ) -> list[Change]:
        old = read_text(self.workspace.domain_path) if text is None else text
        new = domain_edits.with_additions(old, needs, DOMAIN)
        return [change_for(DOMAIN, old, new)] if new != old else []


def _names(entries: object) -> list[str]:
    # a domain list entry is a name, or a mapping {name: {options}}
    if not isinstance(entries, list):
        return []
    names: list[str] = []
    for entry in entries:
        if isinstance(entry, str):
            names.append(entry)
        elif isinstance(entry, dict):
            names.extend(str(key) for key in entry)
    return names
