"""Rule-based ERP entities on a blank spaCy pipeline (no Rasa import).

The pipeline (`build_nlp`) is `spacy.blank("en")` with two components:

* `entity_ruler` (spaCy's own, `phrase_matcher_attr="LOWER"`): master data
  (customers, suppliers, products, warehouses, cities) from the JSONL patterns
  file that `python -m bot nlu build-patterns` writes from the database. Each
  pattern's `id` is the canonical name in the database.
* `erp_regex_entities` (registered here): regular expressions for
  `document_ref`, `amount` and `time_period`, run over the raw text and turned
  into spans with `Doc.char_span(alignment_mode="expand")`. Regexes over the text
  are used instead of token patterns because spaCy's English tokenizer splits
  sloppy references inconsistently ("PO-2025-0042" -> "PO-2025", "-", "0042").

Overlaps between the two are resolved by "longest span wins" (then the
regex families, then master data). The pipeline saves and loads with
`nlp.to_disk` / `spacy.load` once this module is imported.
"""

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

MASTER_LABELS = ("customer", "supplier", "product", "warehouse", "city")
REGEX_LABELS = ("document_ref", "amount", "time_period")

# Zero-padding of document numbers in this ERP (CONTRACT.md examples:
# PO-2025-0042, SO-2025-00123, INV-2025-00456, RCPT-2025-00234).
DEFAULT_NUMBER_WIDTHS = {"PO": 4, "SO": 5, "INV": 5, "RCPT": 5, "BILL": 5, "PAY": 5}
DOCUMENT_PREFIXES = ("po", "so", "inv", "rcpt", "bill", "pay", "je")

# --- regular expressions -------------------------------------------------------

_NUM = r"(?:\d{1,3}(?:,\d{2,3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_NUM_END = r"(?!\d|[.,]\d)"
_CUR_PRE = r"(?:us\$|\$|usd|tk\.?|bdt|taka|\u09f3|\u20ac|eur|\u00a3|gbp|rs\.?|inr)"
_CUR_POST = r"(?:usd|bdt|tk|taka|dollars?|bucks|eur|euros?|gbp|inr|rupees?)"
_MAG_ATTACHED = r"(?:k|m|mn|bn|cr)"
_MAG_WORD = r"(?:thousand|million|billion|lakhs?|lacs?|crores?|mn|bn)"
_UNIT = (
    r"(?:units?|pcs|pc|pieces?|boxes|box|kgs?|kilos?|grams?|g|bags?|cartons?|rolls?|bottles?|"
    r"metres?|meters?|mtrs?|m|reams?|dozens?|pairs?|sets?|litres?|liters?|ltrs?|l|packs?|"
    r"packets?|pallets?|sheets?|tons?|tonnes?|items?|nos|ea|each|bundles?|cases?|cans?|"
    r"drums?|yards?|feet|ft|inch(?:es)?|lbs?|pounds|spools?|cones?|sacks?|tins?|jars?)"
)
_NOT_UNIT = rf"(?!\s*{_UNIT}\b)"
_L = r"(?<![\w$\u09f3\u20ac\u00a3])"  # left word boundary that also keeps currency signs whole
_R = r"(?![\w])"

_MONTH_FULL = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december)"
)
_MONTH_ABBR = r"(?:jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
_MONTH = rf"(?:{_MONTH_FULL}|{_MONTH_ABBR})"
_MONTH_SAFE = (  # months that are not also common words ("may") or names ("jan")
    r"(?:january|february|march|april|june|july|august|september|october|november|december)"
)
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_NUMWORD = (
    r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty"
    r"|thirty|sixty|ninety|few|couple\s+of)"
)
_ORD = r"(?:st|nd|rd|th)?"
_YEAR = r"(?:20[1-3]\d)"

_DATE = (
    rf"(?:\d{{1,2}}{_ORD}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?"
    rf"|{_MONTH}\s+\d{{1,2}}{_ORD}(?:,?\s+{_YEAR})?(?![\d])"
    rf"|{_MONTH}\s*,?\s*{_YEAR}"
    r"|\d{4}-\d{1,2}-\d{1,2}"
    r"|\d{1,2}/\d{1,2}/\d{2,4})"
)
_RELATIVE = (
    r"(?:(?:this|last|next|previous|past|current|prior|coming)\s+"
    r"(?:fiscal\s+year|financial\s+year|fy|week|month|quarter|year|fortnight|weekend"
    r"|half[- ]year|half)"
    rf"|(?:last|past|next|previous|coming)\s+{_NUMWORD}\s+(?:days?|weeks?|months?|quarters?|years?)"
    r"|today|yesterday|tomorrow|tonight|overnight|day\s+before\s+yesterday"
    rf"|(?:(?:last|next|this|coming|past|previous)\s+)?{_WEEKDAY}"
    r"|this\s+(?:morning|afternoon|evening)|last\s+night"
    r"|(?:month|quarter|year|week)[- ]end|end\s+of\s+(?:the\s+)?(?:month|quarter|year)"
    r"|ytd|mtd|qtd|(?:year|month|quarter)[- ]to[- ]date"
    rf"|(?:q[1-4]|h[12])(?:\s*(?:fy\s*)?'?(?:{_YEAR}|\d{{2}}))?"
    rf"|(?:first|second|third|fourth|1st|2nd|3rd|4th)\s+(?:quarter|half)(?:\s+of\s+(?:{_YEAR}|this\s+year|last\s+year))?"
    rf"|fy\s?'?(?:20)?\d{{2}}(?:\s?[-/]\s?(?:20)?\d{{2}})?"
    r")"
)
_PREP = r"(?:in|since|for|during|of|until|till|by|from|before|after|through|thru)"


@dataclass(frozen=True)
class Rule:
    label: str
    regex: re.Pattern[str]
    group: str | int = 0  # the part of the match that is the entity


def _rule(label: str, pattern: str, group: str | int = 0) -> Rule:
    return Rule(label, re.compile(pattern, re.IGNORECASE), group)


_DOC_PREFIX = "(?P<prefix>" + "|".join(DOCUMENT_PREFIXES) + ")"
RULES: tuple[Rule, ...] = (
    # document references: PO-2025-0042, po 2025-42, inv 2025 456, PO2025-0042, po#2025-0066
    _rule(
        "document_ref",
        rf"(?<![\w-]){_DOC_PREFIX}(?:\s*(?:no\.?|number|#)\s*|\s*[-#:/.]?\s*)"
        rf"(?P<year>20\d{{2}})\s*[-/#.]?\s*(?P<num>\d{{1,7}})(?![\w-])",
    ),
    # without the year: PO-0042, PO#42, inv no. 456
    _rule(
        "document_ref",
        rf"(?<![\w-]){_DOC_PREFIX}\s*(?:[-#]|no\.?|number)\s*(?P<num>\d{{2,7}})(?![\w-])",
    ),
    # amounts: $3,400  Tk 50,000  Tk 5 lakh  tk50k  US$ 1.2m
    _rule(
        "amount",
        rf"{_L}{_CUR_PRE}\s?{_NUM}{_NUM_END}(?:\s?{_MAG_WORD}\b|{_MAG_ATTACHED}{_R})?(?:\s?{_CUR_POST}\b)?",
    ),
    # 10k, 1.2m, 2 lakh, 1 crore (optionally + currency), but not "10k units"
    _rule(
        "amount",
        rf"{_L}{_NUM}{_NUM_END}(?:{_MAG_ATTACHED}{_R}|\s?{_MAG_WORD}\b)(?:\s?{_CUR_POST}\b)?{_NOT_UNIT}",
    ),
    # 5000 USD, 50,000 taka
    _rule("amount", rf"{_L}{_NUM}{_NUM_END}\s?{_CUR_POST}\b"),
    # 12,500 (grouped digits without a currency), but not "2,500 units"
    _rule("amount", rf"{_L}\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?{_NUM_END}{_NOT_UNIT}(?![\w])"),
    # time periods
    _rule("time_period", rf"(?<![\w-])since\s+(?:{_DATE}|{_RELATIVE}|{_MONTH}|{_YEAR})(?![\w-])"),
    _rule("time_period", rf"(?<![\w-]){_RELATIVE}(?![\w-])"),
    _rule("time_period", rf"(?<![\w-]){_DATE}(?![\w-])"),
    _rule("time_period", rf"(?<![\w-]){_MONTH_SAFE}(?:\s+{_YEAR})?(?![\w-])"),
    # "may", "jan", "sep" only after a preposition: "in may", "for jan"
    _rule("time_period", rf"(?<![\w-]){_PREP}\s+(?P<core>{_MONTH})(?![\w-])", "core"),
    _rule("time_period", rf"(?<![\w/#-]){_YEAR}(?![\w/-]){_NOT_UNIT}"),
)

# Priority when two candidate spans have the same length (lower wins).
_LABEL_PRIORITY = {"document_ref": 0, "amount": 1, "time_period": 2}


@dataclass(frozen=True)
class RegexMatch:
    label: str
    start: int
    end: int
    text: str
    value: str


def normalise_document_ref(
    prefix: str, year: str | None, number: str, widths: dict[str, int] | None = None
) -> str:
    """`po`, `2025`, `42` -> `PO-2025-0042` (zero-padded to the ERP's width)."""
    prefix = prefix.upper()
    width = (widths or DEFAULT_NUMBER_WIDTHS).get(prefix, 0)
    number = number.zfill(width) if width else number
    return f"{prefix}-{year}-{number}" if year else f"{prefix}-{number}"


def find_regex_entities(text: str, widths: dict[str, int] | None = None) -> list[RegexMatch]:
    """Non-overlapping regex entities in `text` (longest match wins)."""
    candidates: list[tuple[int, int, int, str, str, str]] = []
    for rule in RULES:
        for m in rule.regex.finditer(text):
            start, end = m.span(rule.group)
            if end <= start:
                continue
            span_text = text[start:end]
            value = span_text
            if rule.label == "document_ref":
                groups = m.groupdict()
                value = normalise_document_ref(
                    groups["prefix"], groups.get("year"), groups["num"], widths
                )
            candidates.append(
                (start, end, _LABEL_PRIORITY[rule.label], rule.label, span_text, value)
            )
    candidates.sort(key=lambda c: (-(c[1] - c[0]), c[2], c[0]))
    chosen: list[RegexMatch] = []
    taken: list[tuple[int, int]] = []
    for start, end, _prio, label, span_text, value in candidates:
        if any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        chosen.append(RegexMatch(label, start, end, span_text, value))
    chosen.sort(key=lambda m: m.start)
    return chosen


# --- spaCy pipeline ------------------------------------------------------------


@Language.factory(
    "erp_regex_entities",
    default_config={"number_widths": DEFAULT_NUMBER_WIDTHS},
)
def make_erp_regex_entities(nlp: Language, name: str, number_widths: dict[str, int]):
    return ERPRegexEntities(number_widths)


class ERPRegexEntities:
    """spaCy component: regex document refs, amounts and periods -> `doc.ents`.

    Existing entities (the entity ruler's master data) are kept unless a regex
    span is longer; the normalised value of each span is kept in
    `doc.user_data["erp_values"]` keyed by (start_char, end_char).
    """

    def __init__(self, number_widths: dict[str, int]):
        self.number_widths = dict(number_widths)

    def __call__(self, doc: Doc) -> Doc:
        matches = find_regex_entities(doc.text, self.number_widths)
        if not matches:
            return doc
        spans: list[Span] = []
        values = doc.user_data.setdefault("erp_values", {})
        for m in matches:
            span = doc.char_span(m.start, m.end, label=m.label, alignment_mode="expand")
            if span is None:
                continue
            spans.append(span)
            values[(span.start_char, span.end_char)] = (m.value, m.start, m.end)
        # Longest wins; on a tie the earlier list (regex) is kept by filter_spans.
        doc.ents = filter_spans(spans + list(doc.ents))
        return doc


def read_patterns(path: Path | str) -> list[dict[str, str]]:
    """The JSONL patterns file as entity-ruler patterns (label, pattern, id)."""
    patterns = []
    with open(path, encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, 1):
            line = line.strip()
            if not line:
                continue
            row = json.loads(line)
            if not isinstance(row, dict) or "label" not in row or "pattern" not in row:
                raise ValueError(f"{path}:{line_no}: not an entity-ruler pattern")
            pattern = {"label": str(row["label"]), "pattern": row["pattern"]}
            if row.get("id"):
                pattern["id"] = str(row["id"])
            patterns.append(pattern)
    return patterns


def build_nlp(
    patterns: Iterable[dict[str, Any]],
    number_widths: dict[str, int] | None = None,
) -> Language:
    """A blank English pipeline: entity_ruler (master data) + regex entities."""
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe(
        "entity_ruler",
        config={"phrase_matcher_attr": "LOWER", "validate": False, "overwrite_ents": False},
    )
    patterns = list(patterns)
    if patterns:
        ruler.add_patterns(patterns)
    nlp.add_pipe(
        "erp_regex_entities",
        config={"number_widths": dict(number_widths or DEFAULT_NUMBER_WIDTHS)},
    )
    return nlp


def phrase_key(nlp: Language, text: str) -> str:
    """How the entity ruler sees a phrase: lower-cased tokens joined by spaces."""
    return " ".join(t.lower_ for t in nlp.make_doc(text))


def pattern_text(pattern: Any) -> str | None:
    """The words of a phrase pattern or of a token pattern of exact tokens."""
    if isinstance(pattern, str):
        return pattern
    if isinstance(pattern, list) and pattern:
        words = []
        for token in pattern:
            if not isinstance(token, dict) or len(token) != 1:
                return None
            ((attr, value),) = token.items()
            if attr not in ("TEXT", "ORTH", "LOWER") or not isinstance(value, str):
                return None
            words.append(value)
        return " ".join(words)
    return None


def candidate_index(nlp: Language) -> dict[str, list[tuple[str, str, bool]]]:
    """phrase key -> [(label, canonical id, exact)] for every master-data pattern."""
    index: dict[str, list[tuple[str, str, bool]]] = {}
    ruler = nlp.get_pipe("entity_ruler")
    for pattern in ruler.patterns:
        text = pattern_text(pattern.get("pattern"))
        if text is None:
            continue
        canonical = pattern.get("id") or text
        key = phrase_key(nlp, text)
        entry = (pattern["label"], canonical, key == phrase_key(nlp, canonical))
        bucket = index.setdefault(key, [])
        if entry not in bucket:
            bucket.append(entry)
    return index


def iter_entities(doc: Doc) -> Iterator[tuple[str, int, int, str, str | None]]:
    """(label, start_char, end_char, text, regex value or None) of a processed doc."""
    values = doc.user_data.get("erp_values", {})
    for ent in doc.ents:
        found = values.get((ent.start_char, ent.end_char))
        if found is not None and ent.label_ in REGEX_LABELS:
            value, start, end = found
            yield ent.label_, start, end, doc.text[start:end], value
        else:
            yield ent.label_, ent.start_char, ent.end_char, ent.text, None
