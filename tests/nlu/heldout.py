"""NLU report on the held-out split, as the bot sees it (Rasa environment).

Usage: python -m tests.nlu.heldout <model.tar.gz> <out dir>

Parses every example of tests/nlu/heldout.yml (never trained on) with the
trained model, so entities are scored after the ERP entity ruler merged them
with the CRF's (`rasa test nlu` scores each extractor apart). Writes
summary.json and fails below the bar.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from nlu_models.evaluation.common import (
    Parser,
    entity_metrics,
    intent_metrics,
    load_rasa_examples,
    simplify,
)

HELDOUT = Path(__file__).with_name("heldout.yml")
# The bar a change must not fall below (measured figures: README, "NLU").
MIN_INTENT_ACCURACY = 0.80
MIN_OUT_OF_SCOPE_CAUGHT = 0.75
MIN_ENTITY_F1 = 0.75


def main() -> None:
    model, out_dir = sys.argv[1], Path(sys.argv[2])
    examples = load_rasa_examples(HELDOUT)
    parser = Parser(model)
    parses, _ = parser.parse_all(e["text"] for e in examples)
    predicted = [simplify(p) for p in parses]
    intents = intent_metrics([e["intent"] for e in examples], [p["intent"] for p in predicted])
    entities = entity_metrics([e["entities"] for e in examples], [p["entities"] for p in predicted])
    summary = {"examples": len(examples), "intents": intents, "entities": entities}
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")

    print(f"  held-out examples        {len(examples)}")
    print(f"  intent accuracy          {intents['accuracy']:.3f}")
    print(f"  intent macro F1          {intents['macro_f1']:.3f}")
    print(f"  out-of-scope caught      {intents['oos_recall']:.3f}")
    print(f"  in-scope lost to fallback {intents['in_scope_fallback_rate']:.3f}")
    print(f"  entity F1 (exact span)   {entities['f1']:.3f}")
    failures = []
    if intents["accuracy"] < MIN_INTENT_ACCURACY:
        failures.append(f"intent accuracy below {MIN_INTENT_ACCURACY}")
    if intents["oos_recall"] < MIN_OUT_OF_SCOPE_CAUGHT:
        failures.append(f"out-of-scope caught below {MIN_OUT_OF_SCOPE_CAUGHT}")
    if entities["f1"] < MIN_ENTITY_F1:
        failures.append(f"entity F1 below {MIN_ENTITY_F1}")
    if failures:
        sys.exit("NLU held-out check failed: " + "; ".join(failures))


if __name__ == "__main__":
    main()
