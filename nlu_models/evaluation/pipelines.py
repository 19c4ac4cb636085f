"""The candidate NLU pipelines (Rasa 3.6 component configs)."""

from typing import Any

TOKENIZER = {"name": "WhitespaceTokenizer"}
FEATURIZERS = [
    {"name": "RegexFeaturizer"},
    {"name": "LexicalSyntacticFeaturizer"},
    {"name": "CountVectorsFeaturizer"},
    {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
]
ERP_RULER = {"name": "nlu_models.erp_entities.ERPEntityRuler"}
SYNONYMS = {"name": "EntitySynonymMapper"}


def diet(epochs: int, **extra: Any) -> dict[str, Any]:
    return {"name": "DIETClassifier", "epochs": epochs, "constrain_similarities": True, **extra}


def pipeline(name: str) -> list[dict[str, Any]]:
    """Pipelines by name. The FallbackClassifier is simulated offline from the
    intent ranking (so that one training serves every threshold), except in
    `final`, which is config.yml's pipeline as shipped."""
    if name == "F":  # config.yml's pipeline as shipped (FallbackClassifier included)
        import yaml

        from nlu_models.evaluation.common import REPO

        return yaml.safe_load((REPO / "config.yml").read_text())["pipeline"]
    if name == "A":  # config.yml before this work: DIET 100 epochs on count vectors
        return [TOKENIZER, *FEATURIZERS, diet(100), SYNONYMS]
    if name == "B":  # A + the ERP entity ruler
        return [TOKENIZER, *FEATURIZERS, diet(100), ERP_RULER, SYNONYMS]
    if name == "C":  # fast classical: logistic regression + CRF entities + ruler
        return [
            TOKENIZER,
            *FEATURIZERS,
            {"name": "LogisticRegressionClassifier", "max_iter": 200},
            {"name": "CRFEntityExtractor"},
            ERP_RULER,
            SYNONYMS,
        ]
    if name == "Cn":  # C without the ruler (to compare merge rules offline)
        return [
            TOKENIZER,
            *FEATURIZERS,
            {"name": "LogisticRegressionClassifier", "max_iter": 200},
            {"name": "CRFEntityExtractor"},
            SYNONYMS,
        ]
    if name == "C0":  # logistic regression intents only (public benchmarks)
        return [TOKENIZER, *FEATURIZERS, {"name": "LogisticRegressionClassifier", "max_iter": 200}]
    if name.startswith("D"):  # DIET with fewer epochs + ruler, e.g. "D40"
        epochs = int(name[1:] or 40)
        return [TOKENIZER, *FEATURIZERS, diet(epochs), ERP_RULER, SYNONYMS]
    if name.startswith("N"):  # DIET alone with N epochs (public benchmarks), e.g. "N5"
        epochs = int(name[1:])
        return [TOKENIZER, *FEATURIZERS, diet(epochs)]
    if name.startswith("L"):  # DIET without transformer layers (faster), e.g. "L60"
        epochs = int(name[1:] or 60)
        return [
            TOKENIZER,
            *FEATURIZERS,
            diet(epochs, number_of_transformer_layers=0),
            ERP_RULER,
            SYNONYMS,
        ]
    raise ValueError(f"unknown pipeline {name}")


DESCRIPTIONS = {
    "F": "config.yml pipeline (final)",
    "A": "DIET 100 epochs, word + char_wb(1-4) count vectors (previous config.yml)",
    "B": "A + ERPEntityRuler (merged after DIET)",
    "C": "LogisticRegression + CRFEntityExtractor + ERPEntityRuler",
    "Cn": "LogisticRegression + CRFEntityExtractor (no ruler)",
    "C0": "LogisticRegression on word + char_wb count vectors",
}


def describe(name: str) -> str:
    if name in DESCRIPTIONS:
        return DESCRIPTIONS[name]
    if name.startswith("D"):
        return f"DIET {name[1:]} epochs + ERPEntityRuler"
    if name.startswith("N"):
        return f"DIET {name[1:]} epochs, word + char_wb count vectors"
    if name.startswith("L"):
        return f"DIET {name[1:]} epochs without transformer layers + ERPEntityRuler"
    return name
