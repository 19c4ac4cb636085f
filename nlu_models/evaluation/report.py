"""Print markdown tables from nlu_models/evaluation/raw/*.json.

    .venvs/rasa/bin/python -m nlu_models.evaluation.report [--fallback 0.3,0.0]

The ERP tables apply the FallbackClassifier thresholds given (default: the
ones chosen by recommend_fallback, as in config.yml) to the stored intent
rankings, so every pipeline is compared at the same setting.
"""

import argparse
import json
import statistics as st
from typing import Any

from nlu_models.evaluation import common

RESULTS = common.RESULTS_DIR
ENTITY_TYPES = [
    "document_ref", "amount", "time_period", "customer", "supplier", "product",
    "warehouse", "city", "quantity", "status",
]  # fmt: skip


def _load(pattern: str) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(RESULTS.glob(pattern))]


def _f(x: Any, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _row(*cells: Any) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _header(*names: str) -> list[str]:
    return [_row(*names), "|" + "---|" * len(names)]


def _sd(values: list[float]) -> float:
    return st.pstdev(values) if len(values) > 1 else 0.0


def erp_tables(threshold: float, ambiguity: float) -> str:
    from nlu_models.evaluation.run_erp import HELDOUT

    heldout = common.load_rasa_examples(HELDOUT)
    gold = [e["intent"] for e in heldout]
    n_oos = sum(g == "out_of_scope" for g in gold)
    out = [
        f"ERP held-out ({len(heldout)} examples, {n_oos} out_of_scope); FallbackClassifier"
        f" simulated at threshold {threshold}, ambiguity_threshold {ambiguity}.",
        "",
        *_header(
            "pipeline",
            "train s",
            "intent acc",
            "macro F1",
            "in-scope → fallback",
            "OOS caught",
            "entity F1 (P / R)",
            "DB-name probe entity F1",
            "parse p50 / p95 ms",
        ),
    ]
    results = [r for r in _load("erp_*.json") if "preds" in r]
    for r in results:
        predicted = [common.fallback_intent(p, threshold, ambiguity) for p in r["preds"]]
        m = common.intent_metrics(gold, predicted)
        e = r["metrics"]["entities"]
        probe = r.get("db_name_probe", {}).get("entities", {})
        lat = r["latency"]
        out.append(
            _row(
                f"{r['pipeline']}: {r['description']}",
                f"{r['train_seconds']:.0f}",
                _f(m["accuracy"]),
                _f(m["macro_f1"]),
                _f(m["in_scope_fallback_rate"]),
                _f(m["oos_recall"]),
                f"{_f(e['f1'])} ({_f(e['precision'], 2)} / {_f(e['recall'], 2)})",
                _f(probe.get("f1")),
                f"{lat['p50_ms']:.1f} / {lat['p95_ms']:.1f}",
            )
        )
    out += ["", "Entity F1 per type (exact span and type; support in brackets), held-out:", ""]
    out += _header("pipeline", *ENTITY_TYPES)
    for r in results:
        per = r["metrics"]["entities"]["per_type"]
        out.append(
            _row(
                r["pipeline"],
                *(
                    f"{_f(per[t]['f1'], 2)} ({per[t]['support']})" if t in per else "–"
                    for t in ENTITY_TYPES
                ),
            )
        )
    merges = [r for r in results if r.get("offline_ruler")]
    if merges:
        variants = list(merges[0]["offline_ruler"])
        out += [
            "",
            "Merge rules: the ruler applied offline to the same learned-extractor output"
            " (entity F1, held-out / DB-name probe):",
            "",
            *_header("learned extractor", "alone", *(f"+ ruler `{v}`" for v in variants)),
        ]
        for r in merges:
            o = r["offline_ruler"]
            cells = [
                f"{_f(o[k]['entities']['f1'])} / {_f(o[k]['db_name_probe_entities']['f1'])}"
                for k in variants
                if k in o
            ]
            base = (
                f"{_f(r['metrics']['entities']['f1'])} / {_f(r['db_name_probe']['entities']['f1'])}"
            )
            out.append(_row(r["pipeline"], base, *cells))
    cv = _load("erp_cv*_*.json")
    if cv:
        out += ["", "Cross-validation on data/nlu/ (mean ± sd over folds, no fallback):", ""]
        out += _header("pipeline", "k", "intent acc", "macro F1", "entity F1", "train s / fold")
        for r in cv:
            folds = r["folds"]
            accs = [f["metrics"]["intent_no_fallback"]["accuracy"] for f in folds]
            f1s = [f["metrics"]["intent_no_fallback"]["macro_f1"] for f in folds]
            ents = [f["metrics"]["entities"]["f1"] for f in folds]
            secs = [f["train_seconds"] for f in folds]
            out.append(
                _row(
                    r["pipeline"],
                    r["k"],
                    f"{st.mean(accs):.3f} ± {_sd(accs):.3f}",
                    f"{st.mean(f1s):.3f} ± {_sd(f1s):.3f}",
                    f"{st.mean(ents):.3f} ± {_sd(ents):.3f}",
                    f"{st.mean(secs):.0f}",
                )
            )
    return "\n".join(out)


def public_tables() -> str:
    out: list[str] = []
    b77 = _load("banking77_*.json")
    if b77:
        out += [
            "Banking77 test (3,080), trained on the full training set (9,999):",
            "",
            *_header("pipeline", "train s", "accuracy", "macro F1", "acc. with fallback 0.3",
                     "parse p50 ms"),
        ]  # fmt: skip
        for r in b77:
            m, fb = r["no_fallback"], r["fallback_0.3"]
            out.append(
                _row(
                    f"{r['pipeline']}: {r['description']}",
                    f"{r['train_seconds']:.0f}",
                    _f(m["accuracy"]),
                    _f(m["macro_f1"]),
                    _f(fb["accuracy"]),
                    f"{r['latency']['p50_ms']:.1f}",
                )
            )
        out.append(_row("FACTS.md: DIET, default pipeline, 20 epochs", "≈2,300", "0.906",
                        "0.906", "(measured with 0.3)", "–"))  # fmt: skip
        out.append(_row("Casanueva et al. 2020 (fine-tuned BERT; USE+ConveRT)", "GPU", "≈0.93",
                        "–", "–", "–"))  # fmt: skip
        out.append("")
    clinc = _load("clinc_*.json")
    if clinc:
        out += [
            "CLINC150 subset (banking, credit_cards, work: 45 intents; no out-of-scope training"
            " examples). Thresholds chosen on val (900 in-scope + 100 oos) for the best val"
            " accuracy, then test (1,350 in-scope + 1,000 oos) scored once:",
            "",
            *_header("pipeline", "train s", "threshold / ambiguity", "in-scope acc",
                     "oos recall", "no fallback: in-scope acc", "old 0.5 / 0.1: in-scope, oos"),
        ]  # fmt: skip
        for r in clinc:
            c = r["chosen_on_val_max_accuracy"]
            t = r["test_tuned_max_accuracy"]
            prev = r["test_previous_config_0.5_0.1"]
            out.append(
                _row(
                    f"{r['pipeline']}: {r['description']}",
                    f"{r['train_seconds']:.0f}",
                    f"{c['threshold']} / {c['ambiguity_threshold']}",
                    _f(t["in_scope_accuracy"]),
                    _f(t["oos_recall"]),
                    _f(r["test_no_fallback"]["in_scope_accuracy"]),
                    f"{_f(prev['in_scope_accuracy'])}, {_f(prev['oos_recall'])}",
                )
            )
    rec = RESULTS / "fallback_recommendation.json"
    if rec.exists():
        r = json.loads(rec.read_text())
        c, e, k = r["chosen"], r["erp_heldout_at_chosen"], r["clinc_test_at_chosen"]
        out += [
            "",
            f"Recommended for config.yml: threshold {c['threshold']}, ambiguity_threshold"
            f" {c['ambiguity_threshold']} ({r['rule']}).",
            "",
            *_header("at the recommended setting", "value"),
            _row("ERP CV (out-of-fold) accuracy", _f(c["erp_cv_accuracy"])),
            _row("CLINC val accuracy / oos recall",
                 f"{_f(c['clinc_val_accuracy'])} / {_f(c['clinc_val_oos_recall'])}"),
            _row("ERP held-out accuracy / macro F1",
                 f"{_f(e['accuracy'])} / {_f(e['macro_f1'])}"),
            _row("ERP held-out in-scope → fallback / OOS caught",
                 f"{_f(e['in_scope_fallback_rate'])} / {_f(e['oos_recall'])}"),
            _row("CLINC test in-scope acc / oos recall",
                 f"{_f(k['in_scope_accuracy'])} / {_f(k['oos_recall'])}"),
        ]  # fmt: skip
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fallback", default="0.3,0.0")
    args = ap.parse_args()
    threshold, ambiguity = (float(x) for x in args.fallback.split(","))
    print(erp_tables(threshold, ambiguity))
    print()
    print(public_tables())


if __name__ == "__main__":
    main()
