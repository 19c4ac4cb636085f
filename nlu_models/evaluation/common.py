"""Shared helpers for the NLU pipeline evaluation (Rasa environment).

Training goes through `rasa.model_training.train_nlu` (what `rasa train nlu`
does) with Rasa's training cache disabled, so every training time is a cold
one; parsing goes through `Agent.parse_message` (what `POST /model/parse`
does). Metrics are computed here, on the merged entity output of the whole
pipeline (Rasa's `rasa test nlu` reports entities per extractor, which says
nothing about the merged result the bot actually sees).
"""

import asyncio
import csv
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

# Cold trainings: no reuse of cached featurizer/classifier outputs.
os.environ.setdefault("RASA_MAX_CACHE_SIZE", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
EVAL_DIR = Path(__file__).resolve().parent
# not "results/": the repository .gitignore ignores every folder of that name
RESULTS_DIR = EVAL_DIR / "raw"
EXTERNAL = Path(os.environ.get("ERP_EXTERNAL_EVAL", "/work/shared/eval/external"))
FALLBACK_INTENTS = {"nlu_fallback", "out_of_scope"}

import yaml  # noqa: E402


def quiet_logging() -> None:
    import logging

    os.environ.setdefault("LOG_LEVEL", "WARNING")
    try:
        from rasa.utils.common import configure_logging_and_warnings
        from rasa.utils.log_utils import configure_structlog

        configure_logging_and_warnings(logging.WARNING)
        configure_structlog(logging.WARNING)
    except Exception:  # pragma: no cover - best effort
        pass
    logging.getLogger().setLevel(logging.WARNING)


# --- data ------------------------------------------------------------------------


def load_rasa_examples(path: Path) -> list[dict[str, Any]]:
    """Examples of a Rasa NLU YAML file or directory: text, intent, entities."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    out = []
    for message in data.intent_examples:
        out.append(
            {
                "text": message.get("text"),
                "intent": message.get("intent"),
                "entities": [
                    {
                        "entity": e["entity"],
                        "start": e["start"],
                        "end": e["end"],
                        "value": e.get("value"),
                    }
                    for e in message.get("entities", []) or []
                ],
            }
        )
    return out


def load_csv_examples(path: Path, label_column: str = "label") -> list[dict[str, Any]]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [
        {"text": " ".join(r["text"].split()), "intent": r[label_column], "entities": []}
        for r in rows
    ]


def write_nlu_yaml(examples: Sequence[dict[str, Any]], path: Path) -> None:
    """Examples (with entities) back to Rasa YAML, e.g. for cross-validation folds."""
    by_intent: dict[str, list[str]] = {}
    for ex in examples:
        text = ex["text"]
        for e in sorted(ex.get("entities", []), key=lambda e: -e["start"]):
            span = text[e["start"] : e["end"]]
            text = text[: e["start"]] + f"[{span}]({e['entity']})" + text[e["end"] :]
        by_intent.setdefault(ex["intent"], []).append(text)
    lines = ['version: "3.1"', "nlu:"]
    for intent, texts in by_intent.items():
        lines.append(f"- intent: {intent}")
        lines.append("  examples: |")
        lines.extend(f"    - {t}" for t in texts)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- pipelines ---------------------------------------------------------------------


# 1-minute load average before and after each training (the machine is shared).
TRAIN_LOAD: dict[str, tuple[float, float]] = {}


def write_config(pipeline: list[dict[str, Any]], path: Path) -> None:
    config = {"recipe": "default.v1", "language": "en", "pipeline": pipeline, "policies": []}
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def train(
    pipeline: list[dict[str, Any]], nlu_data: Path, workdir: Path, name: str
) -> tuple[str, float]:
    """Train an NLU model; returns (model path, seconds)."""
    from rasa.model_training import train_nlu

    quiet_logging()
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / f"{name}.config.yml"
    write_config(pipeline, config_path)
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    model = train_nlu(
        config=str(config_path), nlu_data=str(nlu_data), output=str(workdir), fixed_model_name=name
    )
    seconds = time.perf_counter() - start
    TRAIN_LOAD[name] = (load_before, os.getloadavg()[0])
    if not model:
        raise RuntimeError(f"training {name} failed")
    return model, seconds


class Parser:
    """A loaded model; `parse(text)` returns Rasa's parse dict."""

    def __init__(self, model_path: str):
        from rasa.core.agent import Agent

        quiet_logging()
        self._loop = asyncio.new_event_loop()
        start = time.perf_counter()
        self.agent = Agent.load(model_path)
        self.load_seconds = time.perf_counter() - start

    def parse(self, text: str) -> dict[str, Any]:
        return self._loop.run_until_complete(self.agent.parse_message(text))

    def parse_all(self, texts: Iterable[str]) -> tuple[list[dict[str, Any]], list[float]]:
        results, times = [], []
        for text in texts:
            start = time.perf_counter()
            results.append(self.parse(text))
            times.append(time.perf_counter() - start)
        return results, times


def simplify(parse: dict[str, Any]) -> dict[str, Any]:
    ranking = parse.get("intent_ranking") or []
    top = parse.get("intent") or {}
    # FallbackClassifier puts nlu_fallback first; keep the classifier's own top-2.
    own = [r for r in ranking if r.get("name") != "nlu_fallback"]
    return {
        "intent": top.get("name"),
        "confidence": float(top.get("confidence") or 0.0),
        "top1": own[0]["name"] if own else top.get("name"),
        "top1_conf": float(own[0]["confidence"]) if own else float(top.get("confidence") or 0.0),
        "top2_conf": float(own[1]["confidence"]) if len(own) > 1 else 0.0,
        "entities": [
            {
                "entity": e["entity"],
                "start": e["start"],
                "end": e["end"],
                "value": e.get("value"),
                "extractor": e.get("extractor"),
            }
            for e in parse.get("entities", [])
        ],
    }


# --- metrics -------------------------------------------------------------------------


def fallback_intent(p: dict[str, Any], threshold: float, ambiguity: float) -> str:
    """What FallbackClassifier(threshold, ambiguity_threshold) would predict."""
    if p["top1_conf"] < threshold or (p["top1_conf"] - p["top2_conf"]) < ambiguity:
        return "nlu_fallback"
    return p["top1"]


def intent_metrics(gold: Sequence[str], pred: Sequence[str]) -> dict[str, Any]:
    """Accuracy and macro F1; nlu_fallback counts as out_of_scope (CONTRACT.md)."""
    from sklearn.metrics import f1_score

    norm = ["out_of_scope" if p in FALLBACK_INTENTS else p for p in pred]
    gold_n = ["out_of_scope" if g in FALLBACK_INTENTS else g for g in gold]
    n = len(gold_n)
    correct = sum(g == p for g, p in zip(gold_n, norm, strict=True))
    labels = sorted(set(gold_n))
    oos = [i for i, g in enumerate(gold_n) if g == "out_of_scope"]
    ins = [i for i, g in enumerate(gold_n) if g != "out_of_scope"]
    return {
        "n": n,
        "accuracy": correct / n if n else 0.0,
        "macro_f1": float(f1_score(gold_n, norm, labels=labels, average="macro", zero_division=0)),
        "in_scope_accuracy": (sum(gold_n[i] == norm[i] for i in ins) / len(ins)) if ins else None,
        "in_scope_fallback_rate": (sum(norm[i] == "out_of_scope" for i in ins) / len(ins))
        if ins
        else None,
        "oos_n": len(oos),
        "oos_recall": (sum(norm[i] == "out_of_scope" for i in oos) / len(oos)) if oos else None,
    }


def entity_metrics(
    gold: Sequence[Sequence[dict[str, Any]]],
    pred: Sequence[Sequence[dict[str, Any]]],
    ignore: Iterable[str] = (),
) -> dict[str, Any]:
    """Exact span-and-type precision/recall/F1, micro over all and per type."""
    ignore = set(ignore)
    tp: dict[str, int] = {}
    fp: dict[str, int] = {}
    fn: dict[str, int] = {}
    for g_list, p_list in zip(gold, pred, strict=True):
        g = {(e["start"], e["end"], e["entity"]) for e in g_list if e["entity"] not in ignore}
        p = {(e["start"], e["end"], e["entity"]) for e in p_list if e["entity"] not in ignore}
        for s in g & p:
            tp[s[2]] = tp.get(s[2], 0) + 1
        for s in p - g:
            fp[s[2]] = fp.get(s[2], 0) + 1
        for s in g - p:
            fn[s[2]] = fn.get(s[2], 0) + 1

    def prf(t: int, f_p: int, f_n: int) -> dict[str, float]:
        precision = t / (t + f_p) if t + f_p else 0.0
        recall = t / (t + f_n) if t + f_n else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": precision, "recall": recall, "f1": f1, "support": t + f_n}

    types = sorted(set(tp) | set(fp) | set(fn))
    per_type = {t: prf(tp.get(t, 0), fp.get(t, 0), fn.get(t, 0)) for t in types}
    total = prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    return {**total, "per_type": per_type}


def latency_summary(times: Sequence[float]) -> dict[str, float]:
    ordered = sorted(times)
    if not ordered:
        return {}
    return {
        "mean_ms": statistics.mean(ordered) * 1000,
        "p50_ms": ordered[len(ordered) // 2] * 1000,
        "p95_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000,
    }


def tune_fallback(
    preds: Sequence[dict[str, Any]],
    gold: Sequence[str],
    thresholds: Sequence[float] = tuple(round(0.05 * i, 2) for i in range(0, 20)),
    ambiguities: Sequence[float] = (0.0, 0.05, 0.1, 0.15, 0.2),
    min_in_scope_accuracy_drop: float | None = None,
) -> list[dict[str, Any]]:
    """Every (threshold, ambiguity) with its metrics on a validation set."""
    grid = []
    for t in thresholds:
        for a in ambiguities:
            predicted = [fallback_intent(p, t, a) for p in preds]
            m = intent_metrics(gold, predicted)
            grid.append({"threshold": t, "ambiguity_threshold": a, **m})
    return grid


def environment() -> dict[str, Any]:
    import rasa
    import sklearn
    import spacy

    return {
        "python": platform.python_version(),
        "rasa": rasa.__version__,
        "spacy": spacy.__version__,
        "sklearn": sklearn.__version__,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def save_json(obj: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8")


def scratch_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"erp-nlu-{prefix}-"))
