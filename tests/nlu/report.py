"""Summarise `rasa test nlu` on the held-out split and fail below the bar.

Usage: python -m tests.nlu.report <results dir>
Writes <results dir>/summary.json and prints a table.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# The bar a change must not fall below; measured figures are in the README.
MIN_INTENT_ACCURACY = 0.85
MIN_OUT_OF_SCOPE_CAUGHT = 0.80
NON_INTENT_KEYS = {"accuracy", "macro avg", "weighted avg", "micro avg"}


def summarise(results: Path) -> dict:
    intents = json.loads((results / "intent_report.json").read_text())
    oos = intents.get("out_of_scope", {})
    support = oos.get("support", 0)
    caught = round(oos.get("recall", 0) * support)
    caught += dict(oos.get("confused_with", {})).get("nlu_fallback", 0)
    summary = {
        "intent_accuracy": intents["accuracy"],
        "intent_macro_f1": intents["macro avg"]["f1-score"],
        "intent_weighted_f1": intents["weighted avg"]["f1-score"],
        "out_of_scope_messages": support,
        "out_of_scope_caught": caught / support if support else None,
        "entities": {},
    }
    for report in sorted(results.glob("*_report.json")):
        if report.name in ("intent_report.json", "response_selection_report.json"):
            continue
        data = json.loads(report.read_text())
        extractor = report.name.removesuffix("_report.json")
        summary["entities"][extractor] = {
            "micro_f1": data.get("micro avg", {}).get("f1-score"),
            "macro_f1": data.get("macro avg", {}).get("f1-score"),
            "per_entity_f1": {
                k: round(v["f1-score"], 3)
                for k, v in data.items()
                if k not in NON_INTENT_KEYS and k != "no_entity" and isinstance(v, dict)
            },
        }
    return summary


def main() -> None:
    results = Path(sys.argv[1])
    summary = summarise(results)
    (results / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"{'intent accuracy':<28}{summary['intent_accuracy']:.3f}")
    print(f"{'intent macro F1':<28}{summary['intent_macro_f1']:.3f}")
    print(f"{'out-of-scope caught':<28}{summary['out_of_scope_caught']:.3f}")
    for extractor, figures in summary["entities"].items():
        print(f"{'entity micro F1 ' + extractor:<28}{figures['micro_f1']:.3f}")
    failures = []
    if summary["intent_accuracy"] < MIN_INTENT_ACCURACY:
        failures.append(f"intent accuracy below {MIN_INTENT_ACCURACY}")
    if (summary["out_of_scope_caught"] or 0) < MIN_OUT_OF_SCOPE_CAUGHT:
        failures.append(f"out-of-scope caught below {MIN_OUT_OF_SCOPE_CAUGHT}")
    if failures:
        sys.exit("NLU held-out check failed: " + "; ".join(failures))


if __name__ == "__main__":
    main()
