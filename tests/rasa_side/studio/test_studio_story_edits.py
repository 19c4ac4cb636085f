"""Stories and test stories from the studio: appended byte for byte, checked by
Rasa's readers, their new intents and responses added to the domain."""

from __future__ import annotations

from pathlib import Path

import pytest
from studio_data_support import copy_project, data_files, snapshot, without_lines

from bot.studio.datafiles import Conflict, DataFiles, Invalid, NameTaken

STORY = """version: "3.1"
stories:
- story: {name}
  steps:
  - intent: greet
  - action: utter_greet
  - intent: ask_cash_balance
  - action: action_cash_balance
"""

TEST_STORY = """version: "3.1"
stories:
- story: {name}
  steps:
  - user: |
      hello
    intent: greet
  - action: utter_greet
  - user: |
      status of [PO-2025-0042](document_ref)
    intent: ask_document_status
  - action: action_document_status
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


@pytest.fixture
def data(project: Path, tmp_path: Path) -> DataFiles:
    return data_files(project, tmp_path / "state")


def save(data: DataFiles, kind: str, yaml: str, responses: dict[str, str] | None = None):
    preview = data.preview_story(kind, yaml, responses or {})
    return data.save_story(kind, yaml, responses or {}, preview.base)


def test_a_story_is_appended_to_studio_yml(data: DataFiles, project: Path) -> None:
    before = snapshot(project)
    saved = save(data, "story", STORY.format(name="morning cash check"))
    assert saved.path == "data/stories/studio.yml" and saved.names == ["morning cash check"]
    assert [c.path for c in saved.changes] == ["data/stories/studio.yml"]  # domain has it all
    first = (project / "data/stories/studio.yml").read_text()
    assert first.startswith('version: "3.1"\n')
    assert first.endswith(STORY.format(name="morning cash check").split("stories:\n")[1])

    save(data, "story", STORY.format(name="second check"))
    second = (project / "data/stories/studio.yml").read_text()
    assert second.startswith(first)  # every byte of the file as it was
    assert second[len(first) :] == "\n" + STORY.format(name="second check").split("stories:\n")[1]
    after = snapshot(project)
    assert {p for p in after if after[p] != before.get(p)} == {"data/stories/studio.yml"}


def test_a_story_follows_the_indentation_of_an_existing_file(
    data: DataFiles, project: Path
) -> None:
    target = project / "data/stories/studio.yml"
    original = (
        'version: "3.1"\n\n# kept\nstories:\n  - story: old one\n    steps:\n'
        "      - intent: greet\n      - action: utter_greet\n"
    )
    target.write_text(original)
    save(data, "story", STORY.format(name="indented"))
    text = target.read_text()
    assert text.startswith(original)
    assert "\n  - story: indented\n    steps:\n    - intent: greet\n" in text


def test_a_test_story_goes_to_tests_stories(data: DataFiles, project: Path) -> None:
    saved = save(data, "test", TEST_STORY.format(name="approver checks a PO"))
    assert saved.path == "tests/stories/test_studio_stories.yml"
    text = (project / saved.path).read_text()
    assert "      status of [PO-2025-0042](document_ref)\n" in text
    assert not (project / "data/stories/studio.yml").exists()


def test_yaml_that_is_not_a_story_is_refused(data: DataFiles, project: Path) -> None:
    before = snapshot(project)
    for bad in (
        "stories: [unclosed",
        "just text",
        'version: "3.1"\nrules:\n- rule: r\n  steps:\n  - intent: greet\n',
        'version: "3.1"\nstories:\n- story: s\n  steps:\n  - foo: bar\n',
        'version: "3.1"\nstories:\n- story: s\n',
        'version: "3.1"\nstories:\n- story: a\n  steps:\n  - intent: greet\n'
        "- story: a\n  steps:\n  - intent: greet\n",
    ):
        with pytest.raises(Invalid):
            data.preview_story("story", bad, {})
    assert snapshot(project) == before


def test_a_story_name_that_exists_is_refused(data: DataFiles, project: Path) -> None:
    before = snapshot(project)
    # in data/stories/read.yml, and in tests/stories/test_conversations.yml
    for name in ("morning check of cash and receivables", "payables and cash outlook"):
        with pytest.raises(NameTaken):
            data.preview_story("story", STORY.format(name=name), {})
        with pytest.raises(NameTaken):
            data.preview_story("test", TEST_STORY.format(name=name), {})
    assert snapshot(project) == before


def test_a_new_response_needs_its_text(data: DataFiles, project: Path) -> None:
    yaml = STORY.format(name="weather").replace("action: utter_greet", "action: utter_weather")
    yaml = yaml.replace("intent: greet", "intent: ask_weather")
    before = snapshot(project)
    with pytest.raises(Invalid, match="utter_weather"):
        data.preview_story("story", yaml, {})
    with pytest.raises(Invalid, match="utter_weather"):
        data.preview_story("story", yaml, {"utter_other": "not this one"})
    assert snapshot(project) == before

    domain_before = (project / "domain.yml").read_text()
    saved = save(data, "story", yaml, {"utter_weather": 'It is "sunny" in Dhaka.'})
    assert [c.path for c in saved.changes] == ["data/stories/studio.yml", "domain.yml"]
    domain = (project / "domain.yml").read_text()
    assert (
        without_lines(
            domain,
            [
                "  - ask_weather\n",
                "  utter_weather:\n",
                '    - text: "It is \\"sunny\\" in Dhaka."\n',
            ],
        )
        == domain_before
    )
    assert domain.index("utter_weather:") < domain.index("\nactions:")
    from bot.studio.datafiles.domain import load_domain

    assert load_domain(domain).responses["utter_weather"] == [{"text": 'It is "sunny" in Dhaka.'}]


def test_an_unknown_custom_action_or_slot_is_refused(data: DataFiles) -> None:
    yaml = STORY.format(name="x").replace("action_cash_balance", "action_launch_rocket")
    with pytest.raises(Invalid, match="action_launch_rocket"):
        data.preview_story("story", yaml, {"action_launch_rocket": "no"})
    slot = STORY.format(name="y") + "  - slot_was_set:\n    - no_such_slot: 1\n"
    with pytest.raises(Invalid, match="no_such_slot"):
        data.preview_story("story", slot, {})


def test_a_new_entity_in_a_story_is_added_to_the_domain(data: DataFiles, project: Path) -> None:
    yaml = STORY.format(name="by bank").replace(
        "  - intent: ask_cash_balance\n",
        "  - intent: ask_cash_balance\n    entities:\n    - bank: brac\n",
    )
    preview = data.preview_story("story", yaml, {})
    assert "+  - bank\n" in preview.diff


def test_a_story_saved_after_the_file_changed_is_a_conflict(data: DataFiles, project: Path) -> None:
    preview = data.preview_story("story", STORY.format(name="late"), {})
    save(data, "story", STORY.format(name="early"))
    after_early = snapshot(project)
    with pytest.raises(Conflict) as refused:
        data.save_story("story", STORY.format(name="late"), {}, preview.base)
    assert snapshot(project) == after_early
    fresh = refused.value.changes[0]
    data.save_story("story", STORY.format(name="late"), {}, fresh.base)
    text = (project / "data/stories/studio.yml").read_text()
    assert "- story: early\n" in text and "- story: late\n" in text
