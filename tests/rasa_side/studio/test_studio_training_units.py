"""The decisions behind training, evaluation and validation, without running Rasa."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest
from studio_training_support import REPO

from bot.studio.evaluation import comparison, failed_stories, nlu_figures, story_figures
from bot.studio.http import Refused
from bot.studio.jobs import INTERRUPTED, Job, Jobs
from bot.studio.models import checked_name
from bot.studio.train import TrainingProgress, trained_components
from bot.studio.validation import parse_validation
from bot.training import activated_model, fingerprint, prune_models

YELLOW, RED, RESET = "\x1b[93m", "\x1b[91m", "\x1b[0m"
IO = "/venv/lib/python3.10/site-packages/rasa/shared/utils/io.py:100: UserWarning: "


def prediction(text: str, gold: str, said: str, confidence: float) -> dict[str, Any]:
    return {
        "text": text,
        "intent": gold,
        "intent_prediction": {"name": said, "confidence": confidence},
    }


def test_nlu_figures_by_hand() -> None:
    predictions = [
        prediction("a1", "a", "a", 0.9),
        prediction("a2", "a", "b", 0.6),
        prediction("a3", "a", "b", 0.8),
        prediction("b1", "b", "b", 0.7),
        # nlu_fallback is out_of_scope, as tests/nlu/heldout.py counts it
        prediction("o1", "out_of_scope", "nlu_fallback", 0.3),
        prediction("o2", "out_of_scope", "a", 0.5),
    ]
    figures = nlu_figures(predictions)
    assert figures["examples"] == 6
    assert figures["accuracy"] == pytest.approx(3 / 6, abs=1e-4)
    a, b, oos = (figures["per_intent"][k] for k in ("a", "b", "out_of_scope"))
    assert a == {
        "precision": 0.5,
        "recall": pytest.approx(1 / 3, abs=1e-4),
        "f1": 0.4,
        "support": 3,
    }
    assert b["precision"] == pytest.approx(1 / 3, abs=1e-4) and b["recall"] == 1.0
    assert oos == {
        "precision": 1.0,
        "recall": 0.5,
        "f1": pytest.approx(2 / 3, abs=1e-4),
        "support": 2,
    }
    assert figures["macro_f1"] == pytest.approx((0.4 + 0.5 + 2 / 3) / 3, abs=1e-3)
    first, second = figures["confusions"]
    assert (first["actual"], first["predicted"], first["count"]) == ("a", "b", 2)
    # the surest mistake first
    assert first["examples"] == [
        {"text": "a3", "confidence": 0.8},
        {"text": "a2", "confidence": 0.6},
    ]
    assert (second["actual"], second["predicted"], second["count"]) == ("out_of_scope", "a", 1)


FAILED_STORIES = """version: "3.1"
stories:
- story: planted failure (/tmp/ws/tests/stories/planted.yml)
  steps:
  - intent: greet
    user: |-
      hi there
  - action: utter_thank  # predicted: utter_greet
- story: second one
  steps:
  - intent: thank
  - action: utter_thank
"""


def test_failed_stories_keep_their_yaml() -> None:
    stories = failed_stories(FAILED_STORIES)
    assert [s["name"] for s in stories] == ["planted failure", "second one"]
    assert "(/tmp/ws/tests/stories/planted.yml)" in stories[0]["yaml"]
    assert "# predicted: utter_greet" in stories[0]["yaml"]
    assert "second one" not in stories[0]["yaml"]
    assert failed_stories("# None of the test stories failed - all good!") == []


def test_story_figures_from_rasas_summary() -> None:
    lines = [
        "INFO rasa.core.test - Evaluating 16 stories",
        "INFO rasa.core.test - Evaluation Results on CONVERSATION level:",
        "INFO rasa.core.test - \tCorrect:          15 / 16",
        "INFO rasa.core.test - \tCorrect:          107 / 108",
    ]
    figures = story_figures(lines, [{"name": "x", "yaml": ""}])
    assert (figures["correct"], figures["total"]) == (15, 16)
    assert story_figures([], [{"name": "x", "yaml": ""}])["total"] == 1


def test_comparison_is_this_minus_the_active() -> None:
    new = {
        "model": "erp-b.tar.gz",
        "nlu": {
            "accuracy": 0.9,
            "macro_f1": 0.8,
            "per_intent": {"x": {"f1": 0.9}, "y": {"f1": 0.5}, "z": {"f1": 0.7}},
        },
    }
    old = {
        "model": "erp-a.tar.gz",
        "nlu": {
            "accuracy": 0.85,
            "macro_f1": 0.82,
            "per_intent": {"x": {"f1": 0.8}, "y": {"f1": 0.5}, "w": {"f1": 0.4}},
        },
    }
    delta = comparison(new, old)
    assert delta == {
        "model": "erp-a.tar.gz",
        "accuracy": 0.05,
        "macro_f1": -0.02,
        "per_intent_f1": {"w": -0.4, "x": 0.1, "z": 0.7},
    }
    assert comparison(new, None) is None
    assert comparison(new, {**new}) is None  # the active model itself


def test_validation_output_split_into_errors_and_warnings() -> None:
    output = "\n".join(
        [
            "2026-12-01 12:01:48 INFO     rasa.validator  - Validating intents...",
            f"{YELLOW}{IO}The intent 'no_such_intent' is used in your stories, but it is not "
            f"listed in the domain file. You should add it to your domain file!\n"
            f"  More info at https://rasa.com/docs/rasa/domain\n{RESET}"
            f"{YELLOW}{IO}The utterance 'utter_default' is not used in any story or rule.\n{RESET}"
            "2026-12-01 12:01:48 WARNING  rasa.validator  - Story structure conflict after "
            "intent 'greet':",
            "  utter_greet predicted in 'a'",
            "  utter_thank predicted in 'b'",
            f"{RED}Project validation completed with errors.{RESET}",
        ]
    )
    result = parse_validation(output, 1)
    assert result["ok"] is False
    assert result["errors"] == [
        "The intent 'no_such_intent' is used in your stories, but it is not listed in the "
        "domain file. You should add it to your domain file!",
        "Story structure conflict after intent 'greet': utter_greet predicted in 'a' "
        "utter_thank predicted in 'b'",
    ]
    assert result["warnings"] == ["The utterance 'utter_default' is not used in any story or rule."]


def test_an_unreadable_file_is_one_error() -> None:
    output = (
        f"{RED}YamlSyntaxException: Failed to read 'data/stories/x.yml'. while parsing\n"
        '  in "data/stories/x.yml", line 5, column 1:\n\n'
        f"You can use https://yamlchecker.com/ to validate the YAML syntax of your file.{RESET}"
    )
    result = parse_validation(output, 1)
    assert result["ok"] is False and len(result["errors"]) == 1
    assert result["errors"][0].startswith(
        "YamlSyntaxException: Failed to read 'data/stories/x.yml'"
    )
    assert "yamlchecker" not in result["errors"][0]
    assert parse_validation("", 0) == {"ok": True, "errors": [], "warnings": []}
    assert parse_validation("Traceback ...", 1)["errors"] == ["rasa data validate failed (1)."]


class Recorder:
    def __init__(self) -> None:
        self.job = Job(id="x", kind="training", created_at="now")
        self.updates: list[dict[str, Any]] = []

    def update(self, **changes: Any) -> None:
        self.updates.append(changes)
        for name, value in changes.items():
            setattr(self.job, name, value)


def test_training_progress_follows_rasas_component_lines() -> None:
    assert trained_components(REPO / "config.yml") == 10
    run = Recorder()
    progress = TrainingProgress(run, 2)  # type: ignore[arg-type]
    hooks = "2026-12-01 11:59:15 INFO     rasa.engine.training.hooks  - "
    progress.feed(
        "2026-12-01 INFO rasa.cli.train  - Started validating domain and training data..."
    )
    assert run.job.progress == 0.05
    progress.feed(hooks + "Starting to train component 'RegexFeaturizer'.")
    assert run.job.stage == "training RegexFeaturizer"
    progress.feed(hooks + "Finished training component 'RegexFeaturizer'.")
    assert 0.5 < run.job.progress < 0.6
    progress.feed(hooks + "Restored component 'CRFEntityExtractor' from cache.")
    progress.feed(hooks + "Finished training component 'Extra'.")
    assert run.job.progress == 0.97  # never past the end before the archive is written
    progress.feed("InvalidConfigException: Can't load class for name 'X'.")
    assert progress.error == "InvalidConfigException: Can't load class for name 'X'."


def test_prune_keeps_the_newest_five_and_the_protected(tmp_path: Path) -> None:
    names = [f"erp-{i:016x}.tar.gz" for i in range(9)]
    for age, name in enumerate(names):
        path = tmp_path / name
        path.write_bytes(b"x")
        os.utime(path, (1000 + age, 1000 + age))  # names[8] is the newest
    removed = prune_models(tmp_path, {names[0], names[2]})
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept == sorted([names[0], names[2], *names[4:]])
    assert sorted(p.name for p in removed) == [names[1], names[3]]


def test_make_run_starts_with_the_activated_model_only_on_the_same_data(tmp_path: Path) -> None:
    models, state = tmp_path / "models", tmp_path / "studio"
    models.mkdir()
    state.mkdir()
    (models / "erp-00000000000000aa.tar.gz").write_bytes(b"x")
    assert activated_model(models, state, "f1") is None  # nothing activated yet
    record = {"model": "erp-00000000000000aa.tar.gz", "previous": None, "data_fingerprint": "f1"}
    (state / "active_model.json").write_text(json.dumps(record))
    assert activated_model(models, state, "f1") == models / "erp-00000000000000aa.tar.gz"
    assert activated_model(models, state, "f2") is None  # the data changed since: train
    (state / "active_model.json").write_text(json.dumps({**record, "model": "../x.tar.gz"}))
    assert activated_model(models, state, "f1") is None
    (state / "active_model.json").write_text(json.dumps({**record, "model": "erp-gone.tar.gz"}))
    assert activated_model(models, state, "f1") is None
    (state / "active_model.json").write_text("{not json")
    assert activated_model(models, state, "f1") is None


def test_the_fingerprint_takes_code_from_the_code_root(tmp_path: Path) -> None:
    for name in ("config.yml", "domain.yml"):
        (tmp_path / name).write_bytes((REPO / name).read_bytes())
    (tmp_path / "data").mkdir()
    for source in sorted((REPO / "data").rglob("*")):
        target = tmp_path / source.relative_to(REPO)
        if source.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    # the same data and the repository's code: the name `make run` would train
    assert fingerprint(tmp_path, REPO) == fingerprint(REPO)
    assert fingerprint(tmp_path) != fingerprint(REPO)  # no nlu_models/ in the copy
    (tmp_path / "domain.yml").write_text((REPO / "domain.yml").read_text() + "\n# edit\n")
    assert fingerprint(tmp_path, REPO) != fingerprint(REPO)


@pytest.mark.parametrize("name", ["../erp-a.tar.gz", "a/b.tar.gz", "erp-a.zip", "..tar.gz", ""])
def test_odd_model_names_are_refused(name: str) -> None:
    with pytest.raises(Refused) as refused:
        checked_name(name)
    assert refused.value.status == 400


def test_a_job_running_when_the_server_stopped_shows_interrupted(tmp_path: Path) -> None:
    jobs_dir = tmp_path / "jobs"
    jobs_dir.mkdir()
    for status in ("running", "succeeded"):
        job = {
            "id": f"20260101T00000000000{len(status) % 10}-abcdef",
            "kind": "training",
            "created_at": "2026-01-01T00:00:00Z",
            "status": status,
        }
        (jobs_dir / f"{job['id']}.json").write_text(json.dumps(job))
    jobs = Jobs(tmp_path, Path("python"), tmp_path, {})
    by_status = {j.status: j for j in jobs.list()}
    assert set(by_status) == {"failed", "succeeded"}
    assert by_status["failed"].error == INTERRUPTED and by_status["failed"].finished_at
    # persisted: the next server start reads "failed" too
    again = Jobs(tmp_path, Path("python"), tmp_path, {})
    assert {j.status for j in again.list()} == {"failed", "succeeded"}


def test_the_log_is_read_in_whole_lines_while_a_job_runs(tmp_path: Path) -> None:
    async def scenario() -> list[dict[str, Any]]:
        jobs = Jobs(tmp_path, Path("python"), tmp_path, {})
        release = asyncio.Event()

        async def work(run: Any) -> None:
            with open(jobs.log_path(run.job.id), "a") as handle:
                handle.write("one\ntw")
            await release.wait()
            with open(jobs.log_path(run.job.id), "a") as handle:
                handle.write("o\nthree")

        job = jobs.start("evaluation", work)
        await asyncio.sleep(0.05)
        reads = [jobs.read_log(job.id, 0)]
        release.set()
        await jobs.wait(job.id)
        reads.append(jobs.read_log(job.id, reads[0]["next_offset"]))
        reads.append(jobs.read_log(job.id, 10**6))
        with pytest.raises(Refused):
            jobs.read_log("../../etc/passwd", 0)
        return reads

    first, rest, beyond = asyncio.run(scenario())
    assert first == {"text": "one\n", "next_offset": 4, "done": False}
    assert rest["text"] == "two\nthree" and rest["done"] is True
    assert beyond["text"] == "" and beyond["done"] is True
