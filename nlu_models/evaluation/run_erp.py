"""Train candidate pipelines on data/nlu/ and evaluate on tests/nlu/heldout.yml.

    cd /work/main
    nice -n 10 .venvs/rasa/bin/python -m nlu_models.evaluation.run_erp --pipelines A,C,D40

Writes nlu_models/evaluation/raw/erp_<pipeline>.json (metrics, timings and
every prediction). The held-out file is never trained on. For a pipeline
without the ERP ruler (A), the ruler is also applied offline to its DIET output
with each merge policy, so merge rules are compared on identical DIET output.

`--cv 3` additionally runs stratified 3-fold cross-validation on the training
data (intent accuracy / macro F1 / entity F1 per fold).
"""

import argparse
import random
from pathlib import Path
from typing import Any

from nlu_models.evaluation import common
from nlu_models.evaluation.pipelines import describe, pipeline

TRAIN = common.REPO / "data" / "nlu"
HELDOUT = common.REPO / "tests" / "nlu" / "heldout.yml"
CONFIG_FALLBACK = (0.5, 0.1)  # config.yml before tuning


def evaluate(
    preds: list[dict[str, Any]], examples: list[dict[str, Any]], fallback=CONFIG_FALLBACK
) -> dict[str, Any]:
    gold_intents = [e["intent"] for e in examples]
    raw = common.intent_metrics(gold_intents, [p["top1"] for p in preds])
    with_fb = common.intent_metrics(
        gold_intents, [common.fallback_intent(p, *fallback) for p in preds]
    )
    ents = common.entity_metrics([e["entities"] for e in examples], [p["entities"] for p in preds])
    return {
        # what the served pipeline predicted (its own FallbackClassifier, if any)
        "intent_as_served": common.intent_metrics(gold_intents, [p["intent"] for p in preds]),
        "intent_no_fallback": raw,
        "intent_with_fallback": with_fb,
        "fallback": fallback,
        "entities": ents,
    }


MERGE_VARIANTS = {
    "ruler": {"merge": "ruler"},
    "ruler_no_containment": {"merge": "ruler", "longer_span_wins": []},
    "ruler_docref_only_ruler": {"merge": "ruler", "ruler_only_labels": ["document_ref"]},
    "ruler_no_quantity_rule": {"merge": "ruler", "diet_wins": {}},
    "diet": {"merge": "diet"},
    "replace": {"merge": "replace"},
}


def offline_ruler(
    preds: list[dict[str, Any]], examples: list[dict[str, Any]], merge: str = "ruler", **config: Any
) -> list[dict[str, Any]]:
    """Apply ERPEntityRuler to stored DIET output (same code path as in Rasa)."""
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.training_data.message import Message

    from nlu_models.erp_entities import ERPEntityRuler

    storage = LocalModelStorage(common.scratch_dir("ruler"))
    ruler = ERPEntityRuler.create(
        {"merge": merge, **config},
        storage,
        Resource("ruler"),
        ExecutionContext(GraphSchema({}), "x"),
    )
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    out = []
    for p, ex in zip(preds, examples, strict=True):
        message = Message.build(text=ex["text"])
        tokenizer.process([message])
        message.set("intent", {"name": p["top1"], "confidence": p["top1_conf"]})
        message.set("entities", [dict(e) for e in p["entities"]])
        ruler.process([message])
        out.append(
            {
                **p,
                "entities": [
                    {k: e.get(k) for k in ("entity", "start", "end", "value", "extractor")}
                    for e in message.get("entities")
                ],
            }
        )
    return out


MASTER = ("customer", "supplier", "product", "warehouse", "city")


def db_name_probe(
    examples: list[dict[str, Any]], train_examples: list[dict[str, Any]], seed: int = 7
) -> list[dict[str, Any]]:
    """Held-out examples with master-data names swapped for names from the database.

    The held-out set deliberately uses names that are in neither the training
    data nor the database; in production users name records that exist. Each
    customer/supplier/product/warehouse/city span of a held-out example that has
    one is replaced by a random pattern (name or variant) of the same label from
    the patterns file that does not occur in the training data, lower-cased half
    of the time. Synthetic: it measures the ruler's value on known names only.
    """
    from nlu_models.erp_entities import DEFAULT_PATTERNS_PATH
    from nlu_models.erp_rules import read_patterns

    train_text = " ".join(e["text"].lower() for e in train_examples)
    by_label: dict[str, list[str]] = {}
    for p in read_patterns(DEFAULT_PATTERNS_PATH):
        words = p["pattern"]
        if not isinstance(words, str) or p["label"] not in MASTER:
            continue  # codes (token patterns) are not names people type
        if words.lower() not in train_text and "-" not in words[:4] and len(words) > 4:
            by_label.setdefault(p["label"], []).append(words)
    rng = random.Random(seed)
    probe = []
    for ex in examples:
        ents = sorted(ex["entities"], key=lambda e: e["start"])
        if not any(e["entity"] in MASTER and by_label.get(e["entity"]) for e in ents):
            continue
        text, shift, new_ents = ex["text"], 0, []
        for e in ents:
            start, end = e["start"] + shift, e["end"] + shift
            if e["entity"] in MASTER and by_label.get(e["entity"]):
                name = rng.choice(sorted(by_label[e["entity"]]))
                if rng.random() < 0.5:
                    name = name.lower()
                text = text[:start] + name + text[end:]
                shift += len(name) - (end - start)
                end = start + len(name)
            new_ents.append({**e, "start": start, "end": end, "value": text[start:end]})
        probe.append({"text": text, "intent": ex["intent"], "entities": new_ents})
    return probe


def run_pipeline(
    name: str,
    train_path: Path,
    examples: list[dict[str, Any]],
    workdir: Path,
    extra: list[dict[str, Any]] = (),
) -> dict[str, Any]:
    model, train_seconds = common.train(pipeline(name), train_path, workdir, name)
    parser = common.Parser(model)
    parser.parse("warm up")
    parses, times = parser.parse_all(e["text"] for e in examples)
    preds = [common.simplify(p) for p in parses]
    extra_preds = [common.simplify(parser.parse(e["text"])) for e in extra]
    return {
        "extra_preds": extra_preds,
        "pipeline": name,
        "description": describe(name),
        "config": pipeline(name),
        "train_seconds": train_seconds,
        "train_loadavg_before_after": common.TRAIN_LOAD.get(name),
        "load_seconds": parser.load_seconds,
        "latency": common.latency_summary(times),
        "preds": preds,
    }


def add_offline_merges(result: dict[str, Any], heldout: list[dict[str, Any]]) -> None:
    """For a pipeline without the ruler: the ruler applied with each merge variant."""
    if any("ERPEntityRuler" in c["name"] for c in result["config"]):
        return
    probe = result["db_name_probe"]["examples"]
    probe_preds = result["db_name_probe"]["preds"]
    result["offline_ruler"] = {}
    for variant, config in MERGE_VARIANTS.items():
        merged = offline_ruler(result["preds"], heldout, **config)
        merged_probe = offline_ruler(probe_preds, probe, **config)
        result["offline_ruler"][variant] = {
            "config": config,
            "entities": common.entity_metrics(
                [e["entities"] for e in heldout], [p["entities"] for p in merged]
            ),
            "db_name_probe_entities": common.entity_metrics(
                [e["entities"] for e in probe], [p["entities"] for p in merged_probe]
            ),
        }


def stratified_folds(examples: list[dict[str, Any]], k: int, seed: int = 13) -> list[list[int]]:
    rng = random.Random(seed)
    by_intent: dict[str, list[int]] = {}
    for i, ex in enumerate(examples):
        by_intent.setdefault(ex["intent"], []).append(i)
    folds: list[list[int]] = [[] for _ in range(k)]
    offset = 0
    for intent in sorted(by_intent):
        idx = by_intent[intent][:]
        rng.shuffle(idx)
        for j, i in enumerate(idx):
            folds[(j + offset) % k].append(i)
        offset += len(idx)
    return folds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pipelines", default="A,C,D40")
    ap.add_argument("--cv", type=int, default=0, help="k for k-fold CV on the training data")
    ap.add_argument("--cv-pipelines", default=None)
    ap.add_argument("--tag", default="")
    ap.add_argument(
        "--reanalyse",
        action="store_true",
        help="only recompute the offline merges of stored results",
    )
    args = ap.parse_args()
    if args.reanalyse:
        heldout = common.load_rasa_examples(HELDOUT)
        import json

        for path in sorted(common.RESULTS_DIR.glob("erp_*.json")):
            result = json.loads(path.read_text())
            if "preds" in result and "db_name_probe" in result:
                add_offline_merges(result, heldout)
                common.save_json(result, path)
                print("reanalysed", path.name)
        return

    train_examples = common.load_rasa_examples(TRAIN)
    heldout = common.load_rasa_examples(HELDOUT)
    train_texts = {e["text"].lower() for e in train_examples}
    overlap = sum(e["text"].lower() in train_texts for e in heldout)
    print(
        f"train {len(train_examples)} examples, held-out {len(heldout)} (exact overlap {overlap})"
    )
    probe = db_name_probe(heldout, train_examples)
    print(f"db-name probe: {len(probe)} examples")

    for name in args.pipelines.split(","):
        if not name:
            continue
        workdir = common.scratch_dir(name)
        print(f"== {name}: {describe(name)}", flush=True)
        result = run_pipeline(name, TRAIN, heldout, workdir, probe)
        probe_preds = result.pop("extra_preds")
        result["db_name_probe"] = {
            "n": len(probe),
            "examples": probe,
            "preds": probe_preds,
            "entities": common.entity_metrics(
                [e["entities"] for e in probe], [p["entities"] for p in probe_preds]
            ),
        }
        result.update(
            {
                "dataset": "erp",
                "n_train": len(train_examples),
                "n_test": len(heldout),
                "heldout_train_overlap": overlap,
                "environment": common.environment(),
                "metrics": evaluate(result["preds"], heldout),
            }
        )
        add_offline_merges(result, heldout)
        m = result["metrics"]
        print(
            f"   train {result['train_seconds']:.0f}s"
            f"  acc {m['intent_no_fallback']['accuracy']:.3f}"
            f"  macroF1 {m['intent_no_fallback']['macro_f1']:.3f}  entF1 {m['entities']['f1']:.3f}"
            f"  parse p50 {result['latency']['p50_ms']:.1f}ms",
            flush=True,
        )
        common.save_json(result, common.RESULTS_DIR / f"erp_{name}{args.tag}.json")

    if args.cv:
        names = (args.cv_pipelines or args.pipelines).split(",")
        folds = stratified_folds(train_examples, args.cv)
        for name in names:
            fold_results = []
            for f, test_idx in enumerate(folds):
                test_set = set(test_idx)
                fold_train = [e for i, e in enumerate(train_examples) if i not in test_set]
                fold_test = [train_examples[i] for i in test_idx]
                workdir = common.scratch_dir(f"cv{f}-{name}")
                train_file = workdir / "train.yml"
                common.write_nlu_yaml(fold_train, train_file)
                print(f"== CV {name} fold {f + 1}/{args.cv}", flush=True)
                r = run_pipeline(name, train_file, fold_test, workdir)
                r.pop("extra_preds", None)
                met = evaluate(r["preds"], fold_test)
                fold_results.append(
                    {
                        "fold": f,
                        "train_seconds": r["train_seconds"],
                        "metrics": met,
                        "gold": [e["intent"] for e in fold_test],
                        "preds": [
                            {
                                "top1": p["top1"],
                                "top1_conf": p["top1_conf"],
                                "top2_conf": p["top2_conf"],
                            }
                            for p in r["preds"]
                        ],
                    }
                )
                print(
                    f"   acc {met['intent_no_fallback']['accuracy']:.3f}"
                    f" entF1 {met['entities']['f1']:.3f}",
                    flush=True,
                )
            common.save_json(
                {
                    "pipeline": name,
                    "k": args.cv,
                    "folds": fold_results,
                    "environment": common.environment(),
                },
                common.RESULTS_DIR / f"erp_cv{args.cv}_{name}{args.tag}.json",
            )


if __name__ == "__main__":
    main()
