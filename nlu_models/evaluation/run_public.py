"""Public benchmarks: Banking77 (intents) and a CLINC150 subset with out-of-scope.

    cd /work/main
    nice -n 10 .venvs/rasa/bin/python -m nlu_models.evaluation.run_public banking77 \
        --pipelines C0,N5
    nice -n 10 .venvs/rasa/bin/python -m nlu_models.evaluation.run_public clinc --pipelines C0,L100

Banking77: train on banking77/nlu_train.yml (9,999), test on banking77/test.csv
(3,080); accuracy and macro F1 without a fallback and with FallbackClassifier
at 0.3 (the setting of the FACTS.md measurement).

CLINC150 subset (banking + credit_cards + work, 45 intents): train on
clinc150/subset_train.yml; the FallbackClassifier threshold and ambiguity
threshold are chosen on subset_val.csv + oos_val.csv (grid search, objective:
the mean of in-scope accuracy and out-of-scope recall); the test split
(subset_test.csv + oos_test.csv) is then scored once with the chosen values.
Out-of-scope recall = share of oos test messages predicted nlu_fallback.
"""

import argparse
from typing import Any

from nlu_models.evaluation import common
from nlu_models.evaluation.pipelines import describe, pipeline

EXT = common.EXTERNAL


def _predict(name: str, train_file, texts: list[str], tag: str) -> dict[str, Any]:
    workdir = common.scratch_dir(f"{tag}-{name}")
    model, seconds = common.train(pipeline(name), train_file, workdir, f"{tag}-{name}")
    parser = common.Parser(model)
    parser.parse("warm up")
    parses, times = parser.parse_all(texts)
    return {
        "train_loadavg_before_after": common.TRAIN_LOAD.get(f"{tag}-{name}"),
        "train_seconds": seconds,
        "load_seconds": parser.load_seconds,
        "latency": common.latency_summary(times),
        "preds": [common.simplify(p) for p in parses],
    }


def banking77(names: list[str]) -> None:
    train_file = EXT / "banking77" / "nlu_train.yml"
    test = common.load_csv_examples(EXT / "banking77" / "test.csv")
    gold = [e["intent"] for e in test]
    for name in names:
        print(f"== banking77 {name}: {describe(name)}", flush=True)
        r = _predict(name, train_file, [e["text"] for e in test], "b77")
        preds = r["preds"]
        result = {
            "dataset": "banking77",
            "pipeline": name,
            "description": describe(name),
            "config": pipeline(name),
            "n_train": 9999,
            "n_test": len(test),
            "train_seconds": r["train_seconds"],
            "train_loadavg_before_after": r["train_loadavg_before_after"],
            "load_seconds": r["load_seconds"],
            "latency": r["latency"],
            "no_fallback": common.intent_metrics(gold, [p["top1"] for p in preds]),
            "fallback_0.3": common.intent_metrics(
                gold, [common.fallback_intent(p, 0.3, 0.0) for p in preds]
            ),
            "environment": common.environment(),
            "preds": [{"intent": p["top1"], "conf": round(p["top1_conf"], 4)} for p in preds],
        }
        m = result["no_fallback"]
        print(
            f"   train {r['train_seconds']:.0f}s"
            f" acc {m['accuracy']:.4f} macroF1 {m['macro_f1']:.4f}",
            flush=True,
        )
        common.save_json(result, common.RESULTS_DIR / f"banking77_{name}.json")


def clinc(names: list[str]) -> None:
    d = EXT / "clinc150"
    train_file = d / "subset_train.yml"
    val = common.load_csv_examples(d / "subset_val.csv") + common.load_csv_examples(
        d / "oos_val.csv"
    )
    test = common.load_csv_examples(d / "subset_test.csv") + common.load_csv_examples(
        d / "oos_test.csv"
    )
    for name in names:
        print(f"== clinc {name}: {describe(name)}", flush=True)
        texts = [e["text"] for e in val] + [e["text"] for e in test]
        r = _predict(name, train_file, texts, "clinc")
        val_preds, test_preds = r["preds"][: len(val)], r["preds"][len(val) :]
        val_gold = [e["intent"] for e in val]
        test_gold = [e["intent"] for e in test]
        grid = common.tune_fallback(val_preds, val_gold)
        for g in grid:
            g["balanced"] = (g["in_scope_accuracy"] + g["oos_recall"]) / 2
        best = max(
            grid,
            key=lambda g: (round(g["balanced"], 6), -g["threshold"], -g["ambiguity_threshold"]),
        )
        chosen = (best["threshold"], best["ambiguity_threshold"])
        best_acc = max(grid, key=lambda g: (round(g["accuracy"], 6), -g["threshold"]))

        def test_at(
            t: float, a: float, test_preds=test_preds, test_gold=test_gold
        ) -> dict[str, Any]:
            return common.intent_metrics(
                test_gold, [common.fallback_intent(p, t, a) for p in test_preds]
            )

        result = {
            "dataset": "clinc150_subset",
            "pipeline": name,
            "description": describe(name),
            "config": pipeline(name),
            "train_seconds": r["train_seconds"],
            "train_loadavg_before_after": r["train_loadavg_before_after"],
            "load_seconds": r["load_seconds"],
            "latency": r["latency"],
            "n_val": len(val),
            "n_test": len(test),
            "val_grid": grid,
            "chosen_on_val": {
                "threshold": chosen[0],
                "ambiguity_threshold": chosen[1],
                "objective": "mean(in-scope acc, oos recall)",
                "val": best,
            },
            "chosen_on_val_max_accuracy": {
                "threshold": best_acc["threshold"],
                "ambiguity_threshold": best_acc["ambiguity_threshold"],
                "val": best_acc,
            },
            "test_tuned": test_at(*chosen),
            "test_tuned_max_accuracy": test_at(
                best_acc["threshold"], best_acc["ambiguity_threshold"]
            ),
            "test_no_fallback": test_at(0.0, 0.0),
            "test_previous_config_0.5_0.1": test_at(0.5, 0.1),
            "environment": common.environment(),
            "test_preds": [
                {
                    "intent": p["top1"],
                    "c1": round(p["top1_conf"], 4),
                    "c2": round(p["top2_conf"], 4),
                }
                for p in test_preds
            ],
        }
        t = result["test_tuned"]
        print(
            f"   train {r['train_seconds']:.0f}s chosen {chosen}:"
            f" in-scope acc {t['in_scope_accuracy']:.4f}"
            f" oos recall {t['oos_recall']:.4f}",
            flush=True,
        )
        common.save_json(result, common.RESULTS_DIR / f"clinc_{name}.json")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset", choices=["banking77", "clinc"])
    ap.add_argument("--pipelines", default="C0")
    args = ap.parse_args()
    names = [n for n in args.pipelines.split(",") if n]
    {"banking77": banking77, "clinc": clinc}[args.dataset](names)


if __name__ == "__main__":
    main()
