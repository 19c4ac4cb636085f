"""Tests of the custom NLU components (Rasa environment, no model training).

cd /work/main && .venvs/rasa/bin/python -m pytest tests/rasa_side -q
"""

import json
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from rasa.engine.graph import ExecutionContext, GraphSchema  # noqa: E402
from rasa.engine.storage.local_model_storage import LocalModelStorage  # noqa: E402
from rasa.engine.storage.resource import Resource  # noqa: E402
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402
from rasa.shared.nlu.training_data.training_data import TrainingData  # noqa: E402

from nlu_models import erp_rules  # noqa: E402
from nlu_models.erp_entities import ERPEntityRuler  # noqa: E402

# What `bot.nlu_patterns.build_patterns` writes for a few database rows
# (customer "Hossain & Sons Ltd", supplier "Karnaphuli Textile Mills Ltd", ...).
PATTERNS = [
    {"id": "Chattogram", "label": "city", "pattern": "Chattogram"},
    {"id": "Dhaka", "label": "city", "pattern": "Dhaka"},
    {"id": "Gazipur", "label": "city", "pattern": "Gazipur"},
    {"id": "Houston", "label": "city", "pattern": "Houston"},
    {"id": "Hossain & Sons Ltd", "label": "customer", "pattern": "Hossain & Sons"},
    {"id": "Hossain & Sons Ltd", "label": "customer", "pattern": "Hossain & Sons Ltd"},
    {"id": "Hossain & Sons Ltd", "label": "customer", "pattern": "Hossain and Sons"},
    {"id": "Hossain & Sons Ltd", "label": "customer", "pattern": "Hossain Sons"},
    {"id": "Meghna Textiles Ltd", "label": "customer", "pattern": "Meghna Textiles"},
    {"id": "Meghna Textiles Ltd", "label": "customer", "pattern": "Meghna Textiles Ltd"},
    {"id": "Rahman Traders", "label": "customer", "pattern": "Rahman Traders"},
    {"id": "Rahman Traders", "label": "supplier", "pattern": "Rahman Traders"},
    {"id": "LED Bulb", "label": "product", "pattern": "LED Bulb"},
    {"id": "LED Bulb 12 W", "label": "product", "pattern": "LED Bulb 12 W"},
    {"id": "LED Bulb 12 W", "label": "product", "pattern": "LED Bulb 12W"},
    {"id": "PAD-0012", "label": "product", "pattern": "PAD-0012"},
    {
        "id": "Karnaphuli Textile Mills Ltd",
        "label": "supplier",
        "pattern": "Karnaphuli Textile Mills",
    },
    {
        "id": "Karnaphuli Textile Mills Ltd",
        "label": "supplier",
        "pattern": "Karnaphuli Textile Mills Ltd",
    },
    {"id": "Dhaka Central", "label": "warehouse", "pattern": "Dhaka Central"},
    {"id": "Gazipur", "label": "warehouse", "pattern": "Gazipur"},
    {"id": "Dallas TX", "label": "warehouse", "pattern": [{"TEXT": "DAL"}]},
    {"id": "Houston Warehouse", "label": "warehouse", "pattern": "Houston"},
    {"id": "Houston Warehouse", "label": "warehouse", "pattern": "Houston Warehouse"},
]


@pytest.fixture()
def patterns_file(tmp_path: Path) -> Path:
    path = tmp_path / "erp_patterns.jsonl"
    path.write_text("".join(json.dumps(p, sort_keys=True) + "\n" for p in PATTERNS))
    return path


@pytest.fixture()
def storage(tmp_path: Path) -> LocalModelStorage:
    (tmp_path / "model_storage").mkdir()
    return LocalModelStorage(tmp_path / "model_storage")


def _context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test")


@pytest.fixture()
def ruler(patterns_file: Path, storage: LocalModelStorage) -> ERPEntityRuler:
    return ERPEntityRuler.create(
        {"patterns_path": str(patterns_file)}, storage, Resource("erp_ruler"), _context()
    )


_TOKENIZER = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())


def _message(text: str, entities=None, intent=None) -> Message:
    message = Message.build(text=text)
    _TOKENIZER.process([message])
    if intent:
        message.set("intent", {"name": intent, "confidence": 0.9})
    if entities is not None:
        message.set("entities", entities)
    return message


def _run(ruler: ERPEntityRuler, text: str, entities=None, intent=None):
    message = _message(text, entities, intent)
    ruler.process([message])
    return [
        (e["entity"], text[e["start"] : e["end"]], e["value"], e.get("extractor"))
        for e in message.get("entities")
    ]


def _spans(ruler, text, **kwargs):
    return [(label, span) for label, span, _value, _extractor in _run(ruler, text, **kwargs)]


# --- document references --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, span, value",
    [
        ("status of PO-2025-0042", "PO-2025-0042", "PO-2025-0042"),
        ("where is po 2025-42?", "po 2025-42", "PO-2025-0042"),
        ("approve PO2025-0042 now", "PO2025-0042", "PO-2025-0042"),
        ("show inv 2025 456", "inv 2025 456", "INV-2025-00456"),
        ("is INV-2025-00456 paid", "INV-2025-00456", "INV-2025-00456"),
        ("track so#2025-00123", "so#2025-00123", "SO-2025-00123"),
        ("receipt RCPT-2025-00234 please", "RCPT-2025-00234", "RCPT-2025-00234"),
        ("bill 2025-95 status", "bill 2025-95", "BILL-2025-00095"),
        ("payment PAY-2025-00031.", "PAY-2025-00031", "PAY-2025-00031"),
        ("po#2025-0066", "po#2025-0066", "PO-2025-0066"),
    ],
)
def test_document_refs_in_sloppy_spellings(ruler, text, span, value):
    found = _run(ruler, text)
    assert ("document_ref", span, value, "ERPEntityRuler") in found


def test_words_that_look_like_prefixes_are_not_refs(ruler):
    assert _spans(ruler, "so what do we owe") == []
    assert _spans(ruler, "pay the supplier") == []


# --- amounts --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, span",
    [
        ("pos over 10k", "10k"),
        ("invoice of 12,500 from them", "12,500"),
        ("pay 5000 USD to them", "5000 USD"),
        ("received $3,400 yesterday", "$3,400"),
        ("more than Tk 50,000", "Tk 50,000"),
        ("anything above 2 lakh", "2 lakh"),
        ("deals over 1.2m", "1.2m"),
        ("over Tk 5 lakh in the bank", "Tk 5 lakh"),
        ("Tk 2,75,000 from them", "Tk 2,75,000"),
        ("got $7.5k", "$7.5k"),
    ],
)
def test_amounts(ruler, text, span):
    assert ("amount", span) in _spans(ruler, text)


@pytest.mark.parametrize(
    "text",
    ["order 2,500 units", "sell 10k units", "copper wire 2.5mm", "600 m of cable", "2000 pcs"],
)
def test_quantities_and_sizes_are_not_amounts(ruler, text):
    assert all(label != "amount" for label, _ in _spans(ruler, text))


# --- periods --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, span",
    [
        ("sales last month", "last month"),
        ("revenue in Q3", "Q3"),
        ("cash flow this year", "this year"),
        ("what came in yesterday", "yesterday"),
        ("sales in 2025", "2025"),
        ("ytd revenue", "ytd"),
        ("trend over the last 90 days", "last 90 days"),
        ("paid since january", "since january"),
        ("sales in march", "march"),
        ("bills due in the next two weeks", "next two weeks"),
        ("sales q3 2025", "q3 2025"),
        ("what happened in may", "may"),
        ("balance at 30 june", "30 june"),
    ],
)
def test_time_periods(ruler, text, span):
    assert ("time_period", span) in _spans(ruler, text)


def test_may_as_a_verb_is_not_a_period(ruler):
    assert _spans(ruler, "may i see the cash balance") == []


# --- master data ----------------------------------------------------------------------------------


def test_master_data_case_insensitive_with_canonical_value(ruler):
    found = _run(ruler, "how much does MEGHNA TEXTILES owe")
    assert ("customer", "MEGHNA TEXTILES", "Meghna Textiles Ltd", "ERPEntityRuler") in found


def test_master_data_name_variants(ruler):
    assert ("customer", "hossain and sons", "Hossain & Sons Ltd", "ERPEntityRuler") in _run(
        ruler, "invoices of hossain and sons"
    )
    assert (
        "supplier",
        "karnaphuli textile mills",
        "Karnaphuli Textile Mills Ltd",
        "ERPEntityRuler",
    ) in _run(ruler, "po for karnaphuli textile mills")
    assert ("product", "led bulb 12w", "LED Bulb 12 W", "ERPEntityRuler") in _run(
        ruler, "stock of led bulb 12w"
    )


def test_short_codes_match_in_exact_case_only(ruler):
    assert _run(ruler, "stock at DAL") == [("warehouse", "DAL", "Dallas TX", "ERPEntityRuler")]
    assert _spans(ruler, "price of dal") == []


def test_longest_master_data_match_wins(ruler):
    assert _spans(ruler, "stock of LED Bulb 12W") == [("product", "LED Bulb 12W")]


def test_ambiguous_name_label_from_diet(ruler):
    text = "what do we owe rahman traders"
    start = text.index("rahman")
    diet = [
        {
            "entity": "supplier",
            "start": start,
            "end": len(text),
            "value": "rahman traders",
            "extractor": "DIETClassifier",
            "confidence_entity": 0.6,
        }
    ]
    assert _run(ruler, text, entities=diet) == [
        ("supplier", "rahman traders", "Rahman Traders", "ERPEntityRuler")
    ]


def test_ambiguous_name_label_from_intent_then_priority(ruler):
    assert _spans(ruler, "stock in houston", intent="ask_stock") == [("warehouse", "houston")]
    # no hint: exact names before variants ("Houston" is exactly a city)
    assert _spans(ruler, "customers in houston") == [("city", "houston")]
    # both exact: label_priority (warehouse before city)
    assert _spans(ruler, "anything in gazipur") == [("warehouse", "gazipur")]


# --- merging with DIET ----------------------------------------------------------------------------


def _diet(text, span, label, value=None):
    start = text.index(span)
    return {
        "entity": label,
        "start": start,
        "end": start + len(span),
        "value": value or span,
        "extractor": "DIETClassifier",
        "confidence_entity": 0.55,
    }


def test_ruler_wins_over_overlapping_diet_entity_for_document_refs(ruler):
    text = "status of po 2025-42 please"
    diet = [_diet(text, "2025-42", "document_ref")]
    assert _run(ruler, text, entities=diet) == [
        ("document_ref", "po 2025-42", "PO-2025-0042", "ERPEntityRuler")
    ]


def test_diet_keeps_quantity_over_ruler_amount_and_period(ruler):
    text = "sell 12,500 of hex bolts and 2025 pcs"
    diet = [_diet(text, "12,500", "quantity")]
    found = _run(ruler, text, entities=diet)
    assert ("quantity", "12,500", "12,500", "DIETClassifier") in found
    assert all(label != "amount" for label, *_ in found)


def test_diet_entities_without_overlap_are_kept(ruler):
    text = "create customer Nobody Known Ltd with limit $5,000"
    diet = [_diet(text, "Nobody Known Ltd", "customer")]
    found = _run(ruler, text, entities=diet)
    assert ("customer", "Nobody Known Ltd", "Nobody Known Ltd", "DIETClassifier") in found
    assert ("amount", "$5,000", "$5,000", "ERPEntityRuler") in found


def test_ruler_span_replaces_partial_diet_span(ruler):
    text = "how much does meghna textiles owe"
    diet = [_diet(text, "textiles", "customer")]
    assert _run(ruler, text, entities=diet) == [
        ("customer", "meghna textiles", "Meghna Textiles Ltd", "ERPEntityRuler")
    ]


def test_longer_learned_span_containing_a_known_name_wins(ruler):
    # a product that is not in the database, containing the known "LED Bulb"
    text = "stock of led bulb 9w please"
    diet = [_diet(text, "led bulb 9w", "product")]
    assert _run(ruler, text, entities=diet) == [
        ("product", "led bulb 9w", "led bulb 9w", "DIETClassifier")
    ]
    # a new customer whose name starts with a city
    text = "create customer Gazipur Paper House"
    diet = [_diet(text, "Gazipur Paper House", "customer")]
    assert _spans(ruler, text, entities=diet) == [("customer", "Gazipur Paper House")]


def test_ruler_only_labels_drop_unconfirmed_learned_entities(patterns_file, storage):
    ruler = ERPEntityRuler.create(
        {"patterns_path": str(patterns_file), "ruler_only_labels": ["document_ref"]},
        storage,
        Resource("r4"),
        _context(),
    )
    text = "got any hex nuts M10"
    diet = [_diet(text, "M10", "document_ref")]
    assert _run(ruler, text, entities=diet) == []


def test_merge_mode_diet_keeps_earlier_entities(patterns_file, storage):
    ruler = ERPEntityRuler.create(
        {"patterns_path": str(patterns_file), "merge": "diet"}, storage, Resource("r2"), _context()
    )
    text = "status of po 2025-42 please"
    diet = [_diet(text, "2025-42", "document_ref")]
    assert _run(ruler, text, entities=diet) == [
        ("document_ref", "2025-42", "2025-42", "DIETClassifier")
    ]


def test_entities_are_sorted_and_carry_confidence(ruler):
    message = _message("pay Tk 50,000 to Karnaphuli Textile Mills for BILL-2025-00087 today")
    ruler.process([message])
    entities = message.get("entities")
    assert [e["start"] for e in entities] == sorted(e["start"] for e in entities)
    assert {e["entity"] for e in entities} == {"amount", "supplier", "document_ref", "time_period"}
    assert all(e["confidence"] == 1.0 and e["extractor"] == "ERPEntityRuler" for e in entities)
    assert all(e["confidence_entity"] == 1.0 for e in entities)


def test_spans_are_snapped_to_rasa_tokens(ruler):
    # "tk50k," is one whitespace token: the entity covers the token, not a part of it
    text = "paid tk50k, fine"
    assert ("amount", "tk50k") in _spans(ruler, text)


# --- persistence and fingerprint ------------------------------------------------------------------


def test_persist_and_load_round_trip_without_the_patterns_file(patterns_file, storage):
    resource = Resource("erp_ruler")
    config = {"patterns_path": str(patterns_file)}
    trained = ERPEntityRuler.create(config, storage, resource, _context())
    trained.train(TrainingData())
    patterns_file.unlink()  # a trained model must not need the file any more
    loaded = ERPEntityRuler.load(config, storage, resource, _context())
    assert loaded.pattern_count == len(PATTERNS)
    text = "what does hossain and sons owe on INV-2025-00456 since january"
    assert _run(loaded, text) == _run(trained, text)
    assert ("customer", "hossain and sons") in _spans(loaded, text)


def test_fingerprint_follows_the_patterns_file(patterns_file):
    config = {"patterns_path": str(patterns_file)}
    before = ERPEntityRuler.fingerprint_addon(config)
    assert before == ERPEntityRuler.fingerprint_addon(config)
    with patterns_file.open("a") as handle:
        handle.write(json.dumps({"id": "New Co", "label": "customer", "pattern": "New Co"}) + "\n")
    assert ERPEntityRuler.fingerprint_addon(config) != before


def test_missing_patterns_file_still_finds_rule_entities(tmp_path, storage):
    ruler = ERPEntityRuler.create(
        {"patterns_path": str(tmp_path / "absent.jsonl")}, storage, Resource("r3"), _context()
    )
    assert _spans(ruler, "po 2025-42 for $5k last month") == [
        ("document_ref", "po 2025-42"),
        ("amount", "$5k"),
        ("time_period", "last month"),
    ]


def test_registered_as_an_entity_extractor():
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe

    registered = DefaultV1Recipe._from_registry("nlu_models.erp_entities.ERPEntityRuler")
    assert DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR in registered.types
    assert registered.is_trainable


def test_spacy_pipeline_uses_entity_ruler_and_saves(tmp_path):
    nlp = erp_rules.build_nlp(PATTERNS)
    assert nlp.pipe_names == ["entity_ruler", "erp_regex_entities"]
    nlp.to_disk(tmp_path / "nlp")
    import spacy

    again = spacy.load(tmp_path / "nlp")
    doc = again("Dhaka Central stock since january")
    assert [(e.label_, e.text) for e in doc.ents] == [
        ("warehouse", "Dhaka Central"),
        ("time_period", "since january"),
    ]


def test_fast_enough(ruler):
    texts = [
        "how much does hossain and sons owe since january",
        "approve po 2025-42 from karnaphuli textile mills for Tk 5 lakh",
        "stock of led bulb 12w in dhaka central last week",
        "hello",
    ] * 50
    messages = [_message(t) for t in texts]
    ruler.process(messages[:4])  # warm up
    start = time.perf_counter()
    ruler.process(messages)
    per_message = (time.perf_counter() - start) / len(messages)
    assert per_message < 0.002


# --- the patterns file builder (bot/nlu_patterns.py; its pure parts run here too) ---------------


def test_name_variants():
    from bot.nlu_patterns import name_variants

    assert name_variants("Hossain & Sons Ltd", "customer")[0] == "Hossain & Sons Ltd"
    assert {"Hossain & Sons", "Hossain and Sons", "Hossain Sons"} <= set(
        name_variants("Hossain & Sons Ltd", "customer")
    )
    assert "Global Fasteners" in name_variants("Global Fasteners Inc", "supplier")
    assert name_variants("Global Ltd", "customer") == ["Global Ltd"]  # "Global" alone is too common
    assert "Dallas" in name_variants("Dallas TX", "warehouse")
    assert "Austin" in name_variants("Austin, TX", "city")
    assert {"LED Bulb", "LED Bulb 12W"} <= set(name_variants("LED Bulb 12 W", "product"))


def test_rendered_patterns_are_sorted_deduplicated_and_load_in_the_ruler(tmp_path, storage):
    from bot.nlu_patterns import render_patterns, write_if_changed

    rows = [
        ("customer", "Hossain & Sons Ltd", "name"),
        ("supplier", "Karnaphuli Textile Mills Ltd", "name"),
        ("product", "LED Bulb 12 W", "name"),
        ("product", "LED Bulb 18 W", "name"),
        ("product", "LED Bulb 12 W", "code:ELE-1001"),
        ("warehouse", "Dallas TX", "name"),
        ("warehouse", "Dallas TX", "code:DAL"),
        ("city", "Dallas", "name"),
        ("customer", "Hossain & Sons Ltd", "name"),  # a second company's copy
    ]
    content = render_patterns(rows)
    assert content == render_patterns(list(reversed(rows)))  # deterministic
    lines = [json.loads(line) for line in content.splitlines()]
    assert len(lines) == len({json.dumps(line, sort_keys=True) for line in lines})
    # "LED Bulb" stands for two products: the words are reported, not one of them
    assert {"id": "LED Bulb", "label": "product", "pattern": "LED Bulb"} in lines
    assert {"id": "Dallas TX", "label": "warehouse", "pattern": [{"TEXT": "DAL"}]} in lines

    path = tmp_path / "patterns.jsonl"
    assert write_if_changed(path, content) is True
    mtime = path.stat().st_mtime_ns
    assert write_if_changed(path, content) is False  # unchanged: not rewritten
    assert path.stat().st_mtime_ns == mtime

    ruler = ERPEntityRuler.create(
        {"patterns_path": str(path)}, storage, Resource("built"), _context()
    )
    assert _run(ruler, "stock of ELE-1001 at DAL for hossain and sons") == [
        ("product", "ELE-1001", "LED Bulb 12 W", "ERPEntityRuler"),
        ("warehouse", "DAL", "Dallas TX", "ERPEntityRuler"),
        ("customer", "hossain and sons", "Hossain & Sons Ltd", "ERPEntityRuler"),
    ]
