# ruff: noqa: UP006, UP035 - Rasa validates graph component signatures with typing.List/Dict
"""`ERPEntityRuler`: a Rasa 3 entity extractor on a blank spaCy pipeline.

Place it after the learned entity extractor (CRFEntityExtractor or
DIETClassifier) and before EntitySynonymMapper:

    - name: nlu_models.erp_entities.ERPEntityRuler

It finds

* master data (customer, supplier, product, warehouse, city) with spaCy's
  `entity_ruler`, case-insensitively, from the JSONL file written from the
  database by `python -m bot nlu build-patterns`
  (`nlu_models/resources/erp_patterns.jsonl`); the entity `value` is the
  canonical name stored in the database;
* `document_ref`, `amount` and `time_period` with regular expressions
  (`nlu_models/erp_rules.py`); a document reference's `value` is normalised
  ("po 2025-42" -> "PO-2025-0042"), the others keep the text.

and MERGES its entities with those already on the message (the learned
extractor's): where spans overlap, one entity is kept:

* the ruler's span and value win, except
  - the learned `quantity` beats a ruler `amount`/`time_period` ("2,500 units",
    "2025 pcs"): `diet_wins`;
  - a learned entity that strictly contains a ruler master-data span wins
    ("mustard oil 1L" - not in the database - contains the known "mustard
    oil"; "Dinajpur Rice Traders" contains a city): `longer_span_wins`;
* for master data the label comes from the learned extractor when it labelled
  the same words with one of the labels the name has in the database ("Houston"
  is a city and a warehouse; a company can be a customer and a supplier),
  otherwise from the intent (`intent_label_preferences`), otherwise exact names
  before variants, then `label_priority`;
* learned entities that overlap nothing the ruler found are kept (new names
  for create_customer, products not in the database).

Every rule was kept on measurements: nlu_models/evaluation/README.md.

Training only compiles and persists the spaCy pipeline (patterns included) in
the model, so a trained model no longer needs the patterns file; the file's
SHA-256 is part of the component's fingerprint, so a changed file retrains
this component (and only it).
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

import spacy
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    INTENT_NAME_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_models import erp_rules

logger = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_PATTERNS_PATH = PACKAGE_DIR / "resources" / "erp_patterns.jsonl"
SPACY_DIR = "spacy_pipeline"
# Bump when the persisted format or the matching code changes meaning.
COMPONENT_VERSION = "1"


def resolve_patterns_path(path: str | None) -> Path:
    """The patterns file: absolute, relative to the cwd, or to the repository."""
    if not path:
        return DEFAULT_PATTERNS_PATH
    candidate = Path(path)
    if candidate.is_absolute() or candidate.exists():
        return candidate
    repo_relative = PACKAGE_DIR.parent / candidate
    return repo_relative if repo_relative.exists() else candidate


def patterns_file_hash(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return "missing"


def _overlaps(a: Dict[str, Any], b: Dict[str, Any]) -> bool:
    return (
        a[ENTITY_ATTRIBUTE_START] < b[ENTITY_ATTRIBUTE_END]
        and b[ENTITY_ATTRIBUTE_START] < a[ENTITY_ATTRIBUTE_END]
    )


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class ERPEntityRuler(GraphComponent, EntityExtractorMixin):
    """Rule-based ERP entities (spaCy entity_ruler + regexes) merged with learned ones."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            # JSONL written by `python -m bot nlu build-patterns`; relative paths
            # are tried against the working directory, then the repository.
            "patterns_path": None,
            # Zero padding of document numbers, used to normalise values.
            "number_widths": dict(erp_rules.DEFAULT_NUMBER_WIDTHS),
            # Entity types this component may report.
            "labels": list(erp_rules.REGEX_LABELS + erp_rules.MASTER_LABELS),
            # How to merge with entities already on the message:
            #   "ruler": on overlap the ruler wins, except `diet_wins`;
            #   "diet":  on overlap the earlier extractor wins (ruler fills gaps);
            #   "replace": drop earlier entities of the ruler's labels first.
            "merge": "ruler",
            # Learned (DIET/CRF) label -> ruler labels it beats on overlap.
            "diet_wins": {"quantity": ["amount", "time_period"]},
            # Ruler labels that lose to an earlier entity strictly containing them.
            "longer_span_wins": list(erp_rules.MASTER_LABELS),
            # Earlier entities of these labels are dropped unless the ruler
            # found an entity there too (the ruler is authoritative for them).
            "ruler_only_labels": [],
            # Label choice for an ambiguous name when the learned extractor gives no hint.
            "label_priority": ["customer", "supplier", "product", "warehouse", "city"],
            "intent_label_preferences": {
                "ask_stock": ["warehouse", "product"],
                "ask_low_stock": ["warehouse", "product"],
                "ask_payables": ["supplier"],
                "ask_purchase_orders": ["supplier"],
                "approve_purchase_order": ["supplier"],
                "reject_purchase_order": ["supplier"],
                "ask_receivables": ["customer"],
                "ask_customer": ["customer"],
                "ask_sales": ["customer", "product"],
                "create_sales_order": ["customer", "product", "warehouse"],
                "create_purchase_order": ["supplier", "product", "warehouse"],
                "post_invoice": ["customer"],
            },
            # Expand a span whose edge falls inside a Rasa token to the token.
            "snap_to_tokens": True,
        }

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        nlp: spacy.language.Language | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **(config or {})}
        self._model_storage = model_storage
        self._resource = resource
        self._labels = set(self._config["labels"])
        self._diet_wins = {
            label: set(beats) for label, beats in (self._config["diet_wins"] or {}).items()
        }
        self._priority = {label: i for i, label in enumerate(self._config["label_priority"])}
        self._set_nlp(nlp)

    # --- construction ------------------------------------------------------------

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ERPEntityRuler:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ERPEntityRuler:
        try:
            with model_storage.read_from(resource) as directory:
                nlp = spacy.load(directory / SPACY_DIR)
        except (ValueError, OSError) as error:
            # Not trained yet (e.g. `rasa shell` on a model from an older
            # config): fall back to the patterns file on disk.
            logger.warning(
                "ERPEntityRuler: no persisted pipeline (%s); using the patterns file.",
                error,
            )
            nlp = None
        return cls(config, model_storage, resource, nlp)

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> str | None:
        """A changed patterns file (or component version) retrains this component."""
        merged = {**cls.get_default_config(), **(config or {})}
        path = resolve_patterns_path(merged.get("patterns_path"))
        return f"v{COMPONENT_VERSION}:{patterns_file_hash(path)}"

    def _build_from_file(self) -> spacy.language.Language:
        path = resolve_patterns_path(self._config.get("patterns_path"))
        if path.exists():
            patterns = erp_rules.read_patterns(path)
        else:
            logger.warning(
                "ERPEntityRuler: patterns file %s not found; only document refs, "
                "amounts and periods will be recognised. Run "
                "`python -m bot nlu build-patterns`.",
                path,
            )
            patterns = []
        return erp_rules.build_nlp(patterns, self._config["number_widths"])

    def _set_nlp(self, nlp: spacy.language.Language | None) -> None:
        self._nlp = nlp if nlp is not None else self._build_from_file()
        self._candidates = erp_rules.candidate_index(self._nlp)

    @property
    def nlp(self) -> spacy.language.Language:
        return self._nlp

    @property
    def pattern_count(self) -> int:
        return len(self._nlp.get_pipe("entity_ruler").patterns)

    def train(self, training_data: TrainingData) -> Resource:
        """Compile the patterns file into the model (the data is not needed)."""
        self._set_nlp(self._build_from_file())
        with self._model_storage.write_to(self._resource) as directory:
            self._nlp.to_disk(directory / SPACY_DIR)
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    # --- inference -----------------------------------------------------------------

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            found = self.extract(text, message)
            existing = list(message.get(ENTITIES, []) or [])
            message.set(ENTITIES, self.merge(existing, found), add_to_output=True)
        return messages

    def extract(self, text: str, message: Message | None = None) -> List[Dict[str, Any]]:
        """The ruler's own entities for `text` (no merging)."""
        doc = self._nlp(text)
        tokens = message.get(TOKENS_NAMES[TEXT]) if message is not None else None
        intent = None
        existing: List[Dict[str, Any]] = []
        if message is not None:
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            existing = message.get(ENTITIES, []) or []
        entities = []
        for label, start, end, span_text, value in erp_rules.iter_entities(doc):
            if label in erp_rules.MASTER_LABELS:
                key = " ".join(t.lower_ for t in doc.char_span(start, end, alignment_mode="expand"))
                label, value = self._choose_label(
                    key, label, span_text, start, end, intent, existing
                )
            if label not in self._labels:
                continue
            if tokens and self._config["snap_to_tokens"]:
                start, end = self._snap(start, end, tokens)
            entities.append(
                {
                    ENTITY_ATTRIBUTE_TYPE: label,
                    ENTITY_ATTRIBUTE_START: start,
                    ENTITY_ATTRIBUTE_END: end,
                    ENTITY_ATTRIBUTE_VALUE: value if value is not None else span_text,
                    ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
                    # the key DIET and the CRF use, for tools that read it
                    "confidence_entity": 1.0,
                    EXTRACTOR: self.name,
                }
            )
        return entities

    def _choose_label(
        self,
        key: str,
        label: str,
        span_text: str,
        start: int,
        end: int,
        intent: str | None,
        existing: List[Dict[str, Any]],
    ) -> Tuple[str, str]:
        candidates = self._candidates.get(key) or [(label, span_text, False)]
        if len(candidates) > 1:
            span = {ENTITY_ATTRIBUTE_START: start, ENTITY_ATTRIBUTE_END: end}
            hinted = [e[ENTITY_ATTRIBUTE_TYPE] for e in existing if _overlaps(e, span)]
            preferred = (self._config["intent_label_preferences"] or {}).get(intent or "", [])

            def rank(candidate: Tuple[str, str, bool]) -> Tuple[int, int, int, int]:
                cand_label, _canonical, exact = candidate
                return (
                    0 if cand_label in hinted else 1,
                    preferred.index(cand_label) if cand_label in preferred else len(preferred),
                    0 if exact else 1,
                    self._priority.get(cand_label, len(self._priority)),
                )

            candidates = sorted(candidates, key=rank)
        chosen_label, canonical, _exact = candidates[0]
        return chosen_label, canonical

    @staticmethod
    def _snap(start: int, end: int, tokens: List[Any]) -> Tuple[int, int]:
        for token in tokens:
            if token.start < start < token.end:
                start = token.start
            if token.start < end < token.end:
                end = token.end
        return start, end

    def merge(
        self, existing: List[Dict[str, Any]], found: List[Dict[str, Any]]
    ) -> List[Dict[str, Any]]:
        """Combine earlier extractors' entities with the ruler's (see module doc)."""
        mode = self._config["merge"]
        if mode == "replace":
            existing = [e for e in existing if e.get(ENTITY_ATTRIBUTE_TYPE) not in self._labels]
        ruler_only = set(self._config.get("ruler_only_labels") or [])
        if ruler_only:
            existing = [
                e
                for e in existing
                if e.get(ENTITY_ATTRIBUTE_TYPE) not in ruler_only
                or any(_overlaps(e, f) for f in found)
            ]
        longer_wins = set(self._config.get("longer_span_wins") or [])

        def earlier_wins(entity: Dict[str, Any], ruler_entity: Dict[str, Any]) -> bool:
            ruler_label = ruler_entity[ENTITY_ATTRIBUTE_TYPE]
            if ruler_label in self._diet_wins.get(entity.get(ENTITY_ATTRIBUTE_TYPE), set()):
                return True
            # "mustard oil 1L" (a product not in the database) contains the
            # known "mustard oil"; "Dinajpur Rice Traders" contains a city.
            return (
                ruler_label in longer_wins
                and entity[ENTITY_ATTRIBUTE_START] <= ruler_entity[ENTITY_ATTRIBUTE_START]
                and ruler_entity[ENTITY_ATTRIBUTE_END] <= entity[ENTITY_ATTRIBUTE_END]
                and entity[ENTITY_ATTRIBUTE_END] - entity[ENTITY_ATTRIBUTE_START]
                > ruler_entity[ENTITY_ATTRIBUTE_END] - ruler_entity[ENTITY_ATTRIBUTE_START]
            )

        kept_existing: List[Dict[str, Any]] = []
        dropped_found: set = set()
        for entity in existing:
            clashes = [i for i, f in enumerate(found) if _overlaps(entity, f)]
            if not clashes:
                kept_existing.append(entity)
                continue
            if mode == "diet":
                kept_existing.append(entity)
                dropped_found.update(clashes)
                continue
            if all(earlier_wins(entity, found[i]) for i in clashes):
                kept_existing.append(entity)
                dropped_found.update(clashes)
        merged = kept_existing + [f for i, f in enumerate(found) if i not in dropped_found]
        merged.sort(
            key=lambda e: (e.get(ENTITY_ATTRIBUTE_START, 0), e.get(ENTITY_ATTRIBUTE_END, 0))
        )
        return merged

    # --- diagnostics -------------------------------------------------------------------

    def time_per_message(self, texts: List[str]) -> float:
        """Mean seconds per message of `extract` (for benchmarks)."""
        start = time.perf_counter()
        for text in texts:
            self.extract(text)
        return (time.perf_counter() - start) / max(len(texts), 1)
