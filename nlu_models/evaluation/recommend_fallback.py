"""Choose FallbackClassifier `threshold` / `ambiguity_threshold` for config.yml.

    .venvs/rasa/bin/python -m nlu_models.evaluation.recommend_fallback \
        --erp-cv erp_cv3_C.json --clinc clinc_C0.json --heldout erp_F.json

Uses only validation data to choose, then scores the held-out sets once:

1. ERP out-of-fold predictions (k-fold CV on data/nlu/, where out_of_scope is
   a trained intent): the best accuracy over the grid, and every setting within
   `--tolerance` (1 point) of it is admissible;
2. among those, the setting with the best CLINC150-subset validation accuracy
   (val in-scope + oos_val; no out-of-scope training examples there, so this
   is what catches the unknown);
3. report ERP held-out (tests/nlu/heldout.yml) and CLINC test at that setting.

Both models must use the same classifier as the final pipeline (confidences
of different classifiers are not comparable).
"""

import argparse
import json
from typing import Any

from nlu_models.evaluation import common
from nlu_models.evaluation.run_erp import HELDOUT

THRESHOLDS = [round(0.05 * i, 2) for i in range(13)]
AMBIGUITIES = [0.0, 0.05, 0.1]


def _load(name: str) -> dict[str, Any]:
    return json.loads((common.RESULTS_DIR / name).read_text())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--erp-cv", default="erp_cv3_C.json")
    ap.add_argument("--clinc", default="clinc_C0.json")
    ap.add_argument("--heldout", default="erp_F.json")
    ap.add_argument("--tolerance", type=float, default=0.01)
    args = ap.parse_args()

    cv = _load(args.erp_cv)
    cv_gold = [g for f in cv["folds"] for g in f["gold"]]
    cv_preds = [p for f in cv["folds"] for p in f["preds"]]
    clinc = _load(args.clinc)
    clinc_val = {(g["threshold"], g["ambiguity_threshold"]): g for g in clinc["val_grid"]}

    grid = []
    for t in THRESHOLDS:
        for a in AMBIGUITIES:
            erp = common.intent_metrics(
                cv_gold, [common.fallback_intent(p, t, a) for p in cv_preds]
            )
            val = clinc_val.get((t, a))
            if val is None:
                continue
            grid.append(
                {
                    "threshold": t,
                    "ambiguity_threshold": a,
                    "erp_cv_accuracy": erp["accuracy"],
                    "erp_cv_in_scope_fallback_rate": erp["in_scope_fallback_rate"],
                    "erp_cv_oos_recall": erp["oos_recall"],
                    "clinc_val_accuracy": val["accuracy"],
                    "clinc_val_in_scope_accuracy": val["in_scope_accuracy"],
                    "clinc_val_oos_recall": val["oos_recall"],
                }
            )
    best_erp = max(g["erp_cv_accuracy"] for g in grid)
    admissible = [g for g in grid if g["erp_cv_accuracy"] >= best_erp - args.tolerance]
    chosen = max(
        admissible,
        key=lambda g: (
            round(g["clinc_val_accuracy"], 6),
            -g["threshold"],
            -g["ambiguity_threshold"],
        ),
    )
    t, a = chosen["threshold"], chosen["ambiguity_threshold"]

    heldout = common.load_rasa_examples(HELDOUT)
    final = _load(args.heldout)
    erp_test = common.intent_metrics(
        [e["intent"] for e in heldout], [common.fallback_intent(p, t, a) for p in final["preds"]]
    )
    d = common.EXTERNAL / "clinc150"
    clinc_gold = [
        e["intent"]
        for e in common.load_csv_examples(d / "subset_test.csv")
        + common.load_csv_examples(d / "oos_test.csv")
    ]
    clinc_preds = [
        {"top1": p["intent"], "top1_conf": p["c1"], "top2_conf": p["c2"]}
        for p in clinc["test_preds"]
    ]
    clinc_test = common.intent_metrics(
        clinc_gold, [common.fallback_intent(p, t, a) for p in clinc_preds]
    )
    result = {
        "rule": (
            f"admissible: ERP out-of-fold accuracy within {args.tolerance} of its best;"
            " chosen: best CLINC val accuracy among those (ties: lower threshold)"
        ),
        "inputs": {"erp_cv": args.erp_cv, "clinc": args.clinc, "heldout": args.heldout},
        "chosen": {"threshold": t, "ambiguity_threshold": a, **chosen},
        "erp_heldout_at_chosen": erp_test,
        "clinc_test_at_chosen": clinc_test,
        "grid": grid,
    }
    common.save_json(result, common.RESULTS_DIR / "fallback_recommendation.json")
    print(f"threshold {t}, ambiguity_threshold {a}")
    print(
        f"ERP held-out: accuracy {erp_test['accuracy']:.3f}, macro F1 {erp_test['macro_f1']:.3f},"
        f" in-scope fallback {erp_test['in_scope_fallback_rate']:.3f},"
        f" OOS caught {erp_test['oos_recall']:.3f}"
    )
    print(
        f"CLINC test: in-scope accuracy {clinc_test['in_scope_accuracy']:.3f},"
        f" oos recall {clinc_test['oos_recall']:.3f}"
    )


if __name__ == "__main__":
    main()
