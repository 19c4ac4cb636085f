"""Evaluate a model in a background job: held-out NLU and the test stories.

Both halves are Rasa's own CLI, run at once (two processes, ~22 s each here
against ~45 s in a row): `rasa test nlu --successes` writes every held-out
prediction, from which the figures are computed here, the way
tests/nlu/heldout.py counts them (`nlu_fallback` is `out_of_scope`, as the bot
treats it); `rasa test core` writes the stories that failed. Its own Parser
(nlu_models/evaluation/common.py) in a subprocess took as long (22.3 s against
22.3 s for `rasa test nlu` on 381 examples) and would need a script of ours.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from bot.studio.http import Refused
from bot.studio.jobs import Job, JobFailed, JobRun, Jobs, now_iso
from bot.studio.models import ModelRegistry, checked_name
from bot.studio.workspace import Workspace

FALLBACK_INTENTS = {"nlu_fallback", "out_of_scope"}
EXAMPLES_PER_CONFUSION = 10
CONVERSATION_CORRECT = re.compile(r"Correct:\s+(\d+)\s*/\s*(\d+)")
EVALUATING = re.compile(r"Evaluating (\d+) stories")
STORY_START = re.compile(r"^\s*- story:")
STORY_FILE = re.compile(r" \([^()]+\.ya?ml\)$")


def normalised(intent: str | None) -> str:
    return "out_of_scope" if intent in FALLBACK_INTENTS else str(intent)


def nlu_figures(predictions: list[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy, macro F1, per-intent figures and confusions of `rasa test nlu` predictions.

    Each prediction is Rasa's `{"text", "intent", "intent_prediction": {"name", "confidence"}}`.
    """
    gold = [normalised(p["intent"]) for p in predictions]
    guess = [normalised((p.get("intent_prediction") or {}).get("name")) for p in predictions]
    pairs = list(zip(gold, guess, strict=True))
    true_positive = Counter(g for g, p in pairs if g == p)
    predicted = Counter(guess)
    support = Counter(gold)
    per_intent = {}
    for intent in sorted(support):
        tp = true_positive[intent]
        precision = tp / predicted[intent] if predicted[intent] else 0.0
        recall = tp / support[intent]
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_intent[intent] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": support[intent],
        }
    confused: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for prediction, (actual, said) in zip(predictions, pairs, strict=True):
        if actual != said:
            confidence = (prediction.get("intent_prediction") or {}).get("confidence")
            confused[(actual, said)].append(
                {"text": prediction["text"], "confidence": round(float(confidence or 0.0), 4)}
            )
    confusions = [
        {
            "actual": actual,
            "predicted": said,
            "count": len(examples),
            # the surest mistakes first: those are the ones the data must fix
            "examples": sorted(examples, key=lambda e: -e["confidence"])[:EXAMPLES_PER_CONFUSION],
        }
        for (actual, said), examples in confused.items()
    ]
    confusions.sort(key=lambda c: (-c["count"], c["actual"], c["predicted"]))
    total = len(pairs)
    f1s = [figures["f1"] for figures in per_intent.values()]
    return {
        "accuracy": round(sum(true_positive.values()) / total, 4) if total else 0.0,
        "macro_f1": round(sum(f1s) / len(f1s), 4) if f1s else 0.0,
        "examples": total,
        "per_intent": per_intent,
        "confusions": confusions,
    }


def failed_stories(text: str) -> list[dict[str, str]]:
    """The stories of Rasa's failed_test_stories.yml, each with its own YAML (and comments)."""
    blocks: list[list[str]] = []
    for line in text.splitlines():
        if STORY_START.match(line):
            blocks.append([line])
        elif blocks:
            blocks[-1].append(line)
    return [{"name": story_name(b[0]), "yaml": "\n".join(b).rstrip() + "\n"} for b in blocks]


def story_name(line: str) -> str:
    # Rasa appends the file the story came from: "- story: name (/path/tests/stories/x.yml)"
    name = line.split(":", 1)[1].split("  #")[0].strip()
    return STORY_FILE.sub("", name)


def story_figures(lines: list[str], failed: list[dict[str, str]]) -> dict[str, Any]:
    """Stories correct/total from `rasa test core`'s conversation-level summary."""
    total = next((int(m.group(1)) for line in lines if (m := EVALUATING.search(line))), None)
    correct = next(
        (int(m.group(1)) for line in lines if (m := CONVERSATION_CORRECT.search(line))), None
    )
    if total is None:
        total = len(failed) if correct is None else correct + len(failed)
    if correct is None:
        correct = total - len(failed)
    return {"correct": correct, "total": total, "failed": failed}


def comparison(report: dict[str, Any], base: dict[str, Any] | None) -> dict[str, Any] | None:
    """This evaluation minus the active model's: positive means better."""
    if not base or base.get("model") == report.get("model"):
        return None
    new, old = report.get("nlu") or {}, base.get("nlu") or {}
    if not new or not old:
        return {"model": base.get("model"), "accuracy": None, "macro_f1": None, "per_intent_f1": {}}
    new_intents, old_intents = new.get("per_intent", {}), old.get("per_intent", {})
    deltas = {}
    for intent in sorted(set(new_intents) | set(old_intents)):
        after = new_intents.get(intent, {}).get("f1", 0.0)
        before = old_intents.get(intent, {}).get("f1", 0.0)
        if round(after - before, 4):
            deltas[intent] = round(after - before, 4)
    return {
        "model": base.get("model"),
        "accuracy": round(new["accuracy"] - old["accuracy"], 4),
        "macro_f1": round(new["macro_f1"] - old["macro_f1"], 4),
        "per_intent_f1": deltas,
    }


class Evaluations:
    """`<state_dir>/evaluations/<model>.json`, one report per model."""

    def __init__(self, workspace: Workspace) -> None:
        self.dir = workspace.state_dir / "evaluations"

    def find(self, name: str) -> dict[str, Any] | None:
        try:
            return json.loads((self.dir / f"{checked_name(name)}.json").read_text())
        except (FileNotFoundError, ValueError):
            return None

    def get(self, name: str) -> dict[str, Any]:
        report = self.find(name)
        if report is None:
            raise Refused(404, f"The model '{name}' has not been evaluated.")
        return report

    def save(self, report: dict[str, Any]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        target = self.dir / f"{checked_name(report['model'])}.json"
        scratch = target.with_suffix(".tmp")
        scratch.write_text(json.dumps(report, indent=1))
        os.replace(scratch, target)


def start_evaluation(
    jobs: Jobs,
    workspace: Workspace,
    models: ModelRegistry,
    evaluations: Evaluations,
    name: str,
    by: str,
) -> Job:
    model = models.path(name)  # 400/404 before any job exists

    async def work(run: JobRun) -> None:
        await evaluate(run, workspace, models, evaluations, model)

    return jobs.start("evaluation", work, model=name, by=by)


async def evaluate(
    run: JobRun,
    workspace: Workspace,
    models: ModelRegistry,
    evaluations: Evaluations,
    model: Path,
) -> None:
    out = workspace.state_dir / "evaluations" / f"{run.job.id}.work"
    shutil.rmtree(out, ignore_errors=True)
    core_lines: list[str] = []
    halves = []
    if workspace.heldout_nlu_path.is_file():
        nlu_args = ["--nlu", str(workspace.heldout_nlu_path), "--out", str(out / "nlu")]
        halves.append(
            run.rasa(
                ["test", "nlu", *nlu_args, "--model", str(model), "--successes", "--no-plot"],
                prefix="[nlu] ",
            )
        )
    if workspace.test_stories_dir.exists():
        core_args = ["--stories", str(workspace.test_stories_dir), "--out", str(out / "core")]
        halves.append(
            run.rasa(
                ["test", "core", *core_args, "--model", str(model), "--no-plot"],
                on_line=core_lines.append,
                prefix="[core] ",
            )
        )
    if not halves:
        raise JobFailed("The workspace has neither tests/nlu/heldout.yml nor tests/stories/.")
    run.update(progress=0.1, stage="testing NLU and stories")
    codes = await asyncio.gather(*halves)
    if any(codes):
        raise JobFailed(f"rasa test exited with code {max(codes)}; see the log")
    run.update(progress=0.9, stage="computing the figures")
    report: dict[str, Any] = {"model": model.name, "evaluated_at": now_iso()}
    report["nlu"] = read_nlu(out / "nlu") if workspace.heldout_nlu_path.is_file() else None
    report["stories"] = (
        read_stories(out / "core", core_lines) if workspace.test_stories_dir.exists() else None
    )
    active = (models.active() or {}).get("model")
    report["compared_with"] = comparison(report, evaluations.find(active) if active else None)
    evaluations.save(report)
    shutil.rmtree(out, ignore_errors=True)
    run.update(result=f"{model.name}: intent accuracy {(report['nlu'] or {}).get('accuracy')}")


def read_nlu(out: Path) -> dict[str, Any]:
    predictions: list[dict[str, Any]] = []
    for name in ("intent_successes.json", "intent_errors.json"):
        path = out / name
        if path.is_file():
            predictions.extend(json.loads(path.read_text()))
    if not predictions:
        raise JobFailed("rasa test nlu wrote no predictions")
    return nlu_figures(predictions)


def read_stories(out: Path, lines: list[str]) -> dict[str, Any]:
    path = out / "failed_test_stories.yml"
    failed = failed_stories(path.read_text()) if path.is_file() else []
    return story_figures(lines, failed)
