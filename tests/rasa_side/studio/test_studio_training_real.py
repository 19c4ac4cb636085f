"""Real `rasa train` and `rasa test` in background jobs, once for the module.

The scenario runs in one event loop: a ticker coroutine proves the loop stays
responsive while Rasa trains; the log is read by offset as it grows; a second
training is refused while the first runs. The figures of the evaluation are
checked against the held-out file itself.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from studio_training_support import REPO, copy_project, make_studio

from bot.config import load_settings
from bot.studio.evaluation import start_evaluation
from bot.studio.jobs import JobConflict
from bot.studio.train import start_training
from bot.training import fingerprint, model_name

ACTIVE_REPORT = {
    "model": "erp-00000000000000aa.tar.gz",
    "nlu": {"accuracy": 0.5, "macro_f1": 0.25, "per_intent": {"greet": {"f1": 0.125}}},
}
PLANTED_STORY = """version: "3.1"
stories:
- story: planted failure
  steps:
  - user: |
      hi there
    intent: greet
  - action: utter_thank
"""


async def train_and_evaluate(studio: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {"ticks": [], "samples": [], "log": ""}
    running = True

    async def ticker() -> None:
        while running:
            facts["ticks"].append(time.monotonic())
            await asyncio.sleep(0.05)

    tick_task = asyncio.create_task(ticker())
    started = time.monotonic()
    job = start_training(studio.jobs, studio.workspace, studio.models, "t")
    try:
        start_training(studio.jobs, studio.workspace, studio.models, "t")
    except JobConflict as refused:
        facts["conflict"] = refused
    offset = 0
    while True:
        done = job.done
        facts["samples"].append((job.progress, job.stage))
        chunk = studio.jobs.read_log(job.id, offset)
        assert chunk["next_offset"] >= offset
        facts["log"] += chunk["text"]
        offset = chunk["next_offset"]
        if done and chunk["done"]:
            break
        await asyncio.sleep(0.3)
    facts["training_seconds"] = time.monotonic() - started
    running = False
    await tick_task
    facts["job"] = await studio.jobs.wait(job.id)
    facts["described"] = studio.jobs.describe(job)
    again = start_training(studio.jobs, studio.workspace, studio.models, "t")
    facts["again"] = await studio.jobs.wait(again.id)

    # an active model evaluated before: the new evaluation is compared with it
    studio.evaluations.save(ACTIVE_REPORT)
    active = {"model": ACTIVE_REPORT["model"], "previous": None, "data_fingerprint": "x"}
    (studio.workspace.state_dir / "active_model.json").write_text(json.dumps(active))
    started = time.monotonic()
    name = facts["job"].model
    evaluation = start_evaluation(
        studio.jobs, studio.workspace, studio.models, studio.evaluations, name, "t"
    )
    facts["evaluation_job"] = await studio.jobs.wait(evaluation.id)
    facts["evaluation_seconds"] = time.monotonic() - started
    facts["models"] = studio.models.list(None)
    return facts


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    workspace = copy_project(tmp_path_factory.mktemp("workspace"))
    (workspace / "tests" / "stories" / "planted.yml").write_text(PLANTED_STORY)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STUDIO_WORKSPACE", str(workspace))
        patch.setenv("ERP_VAR_DIR", str(tmp_path_factory.mktemp("var")))
        studio = make_studio(load_settings())
        facts = asyncio.run(train_and_evaluate(studio))
    facts["studio"] = studio
    print(
        f"\ntraining {facts['training_seconds']:.1f} s, "
        f"evaluation {facts['evaluation_seconds']:.1f} s"
    )
    return facts


def test_training_succeeds_with_the_fingerprint_name(trained: dict[str, Any]) -> None:
    job, studio = trained["job"], trained["studio"]
    assert job.status == "succeeded", trained["described"]["log_tail"]
    expected = model_name(fingerprint(studio.workspace.root, REPO))
    assert job.model == expected
    assert (studio.workspace.models_dir / expected).stat().st_size > 100_000
    # the scratch archive was renamed, never left behind
    assert [p.name for p in studio.workspace.models_dir.iterdir()] == [expected]
    assert job.started_at and job.finished_at and job.error is None


def test_the_event_loop_kept_ticking_while_rasa_trained(trained: dict[str, Any]) -> None:
    ticks = trained["ticks"]
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert trained["training_seconds"] > 5
    # ~20 ticks a second all along: nothing blocked the loop for even a second
    assert len(ticks) > trained["training_seconds"] * 10
    assert max(gaps) < 1.0


def test_progress_rises_to_one_with_the_component_as_stage(trained: dict[str, Any]) -> None:
    progress = [p for p, _ in trained["samples"]]
    assert progress == sorted(progress)
    assert progress[-1] == 1.0 and trained["job"].progress == 1.0
    # seen part-way, not only at the start and the end
    assert any(0.1 < p < 0.97 for p in progress)
    stages = {s for _, s in trained["samples"]}
    assert any(s.startswith("training ") for s in stages)


def test_the_log_read_by_offset_is_the_whole_log(trained: dict[str, Any]) -> None:
    studio, job = trained["studio"], trained["job"]
    # bytes: read_text() would turn the progress bars' "\r" into newlines
    on_disk = studio.jobs.log_path(job.id).read_bytes().decode("utf-8", errors="replace")
    assert trained["log"] == on_disk
    assert "Finished training component 'RulePolicy'" in trained["log"]
    tail = trained["described"]["log_tail"]
    assert 0 < len(tail) <= 20 and not any("\x1b[" in line for line in tail)


def test_a_second_training_while_one_runs_is_refused(trained: dict[str, Any]) -> None:
    conflict = trained["conflict"]
    assert conflict.status == 409 and trained["job"].id in str(conflict)


def test_an_unchanged_workspace_is_already_trained(trained: dict[str, Any]) -> None:
    again = trained["again"]
    assert again.status == "succeeded" and again.model == trained["job"].model
    assert again.stage == "already trained"
    # finished at once: no Rasa process was started
    log = trained["studio"].jobs.log_path(again.id).read_text()
    assert "rasa train" not in log and "already exists" in log


def test_the_model_is_in_the_registry_with_its_evaluation(trained: dict[str, Any]) -> None:
    rows = trained["models"]["models"]
    assert [row["name"] for row in rows] == [trained["job"].model]
    row = rows[0]
    assert row["fingerprint"] == row["name"].removeprefix("erp-").removesuffix(".tar.gz")
    assert row["size_bytes"] > 100_000 and row["active"] is False
    report = trained["studio"].evaluations.get(row["name"])
    assert row["evaluation"] == {
        "intent_accuracy": report["nlu"]["accuracy"],
        "intent_macro_f1": report["nlu"]["macro_f1"],
        "stories_correct": report["stories"]["correct"],
        "stories_total": report["stories"]["total"],
    }


def heldout_examples() -> list[tuple[str, str]]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(REPO / "tests" / "nlu" / "heldout.yml"))
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]


def test_evaluation_figures_agree_with_the_heldout_examples(trained: dict[str, Any]) -> None:
    assert trained["evaluation_job"].status == "succeeded", trained["evaluation_job"].error
    report = trained["studio"].evaluations.get(trained["job"].model)
    nlu = report["nlu"]
    examples = heldout_examples()
    assert nlu["examples"] == len(examples)
    gold = {}
    for text, intent in examples:
        gold.setdefault(text, set()).add("out_of_scope" if intent == "nlu_fallback" else intent)
    per_intent = nlu["per_intent"]
    assert sum(f["support"] for f in per_intent.values()) == len(examples)
    assert 0.5 < nlu["accuracy"] <= 1.0 and 0.5 < nlu["macro_f1"] <= 1.0
    errors = sum(c["count"] for c in nlu["confusions"])
    assert errors == round(len(examples) * (1 - nlu["accuracy"]))
    for confusion in nlu["confusions"]:
        assert confusion["actual"] != confusion["predicted"]
        assert 0 < len(confusion["examples"]) <= min(confusion["count"], 10)
        for example in confusion["examples"]:
            assert confusion["actual"] in gold[example["text"]]
            assert 0.0 <= example["confidence"] <= 1.0
    # recall of each intent: what is not confused away
    for intent, figures in per_intent.items():
        lost = sum(c["count"] for c in nlu["confusions"] if c["actual"] == intent)
        assert figures["recall"] == pytest.approx(1 - lost / figures["support"], abs=1e-3)


def test_evaluation_lists_the_planted_failing_story(trained: dict[str, Any]) -> None:
    stories = trained["studio"].evaluations.get(trained["job"].model)["stories"]
    test_files = sorted((Path(trained["studio"].workspace.test_stories_dir)).glob("*.yml"))
    total = sum(len(yaml.safe_load(p.read_text())["stories"]) for p in test_files)
    assert stories["total"] == total
    names = [story["name"] for story in stories["failed"]]
    assert "planted failure" in names
    assert stories["correct"] == total - len(names)
    planted = next(s for s in stories["failed"] if s["name"] == "planted failure")
    assert "utter_thank" in planted["yaml"] and yaml.safe_load(planted["yaml"])


def test_the_evaluation_is_compared_with_the_active_models(trained: dict[str, Any]) -> None:
    report = trained["studio"].evaluations.get(trained["job"].model)
    nlu, compared = report["nlu"], report["compared_with"]
    assert compared["model"] == ACTIVE_REPORT["model"]
    assert compared["accuracy"] == pytest.approx(nlu["accuracy"] - 0.5, abs=1e-4)
    assert compared["macro_f1"] == pytest.approx(nlu["macro_f1"] - 0.25, abs=1e-4)
    greet = nlu["per_intent"]["greet"]["f1"]
    assert compared["per_intent_f1"]["greet"] == pytest.approx(greet - 0.125, abs=1e-4)
    # an intent the active model had no figure for counts from 0
    other = next(i for i, f in nlu["per_intent"].items() if i != "greet" and f["f1"] > 0)
    assert compared["per_intent_f1"][other] == nlu["per_intent"][other]["f1"]


async def fail_training(studio: Any) -> Any:
    job = start_training(studio.jobs, studio.workspace, studio.models, "t")
    return await studio.jobs.wait(job.id)


def test_a_broken_config_fails_with_rasas_error_and_no_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = copy_project(tmp_path / "workspace")
    config = workspace / "config.yml"
    config.write_text(
        config.read_text().replace(
            "- name: LogisticRegressionClassifier", "- name: NoSuchClassifierAtAll"
        )
    )
    monkeypatch.setenv("STUDIO_WORKSPACE", str(workspace))
    monkeypatch.setenv("ERP_VAR_DIR", str(tmp_path / "var"))
    studio = make_studio(load_settings())
    job = asyncio.run(fail_training(studio))
    assert job.status == "failed"
    assert "InvalidConfigException" in job.error and "NoSuchClassifierAtAll" in job.error
    assert list(studio.workspace.models_dir.glob("*")) == []
    assert studio.models.list(None)["models"] == []
