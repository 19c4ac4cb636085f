"""Build the ERP entity ruler's master-data patterns from the database.

`build_patterns(database_url, out_path)` reads the names of customers,
suppliers, products, warehouses (and SKUs, warehouse codes and cities) of ALL
companies and writes them as spaCy entity-ruler JSONL lines:

    {"id": "Hossain & Sons Ltd", "label": "customer", "pattern": "Hossain and Sons"}

`id` is the canonical name stored in the database (the value the NLU reports),
`pattern` one spelling of it (the name itself and variants: without legal
suffixes such as Ltd/Inc/Limited/Corp, "&" written as "and" or left out,
hyphens as spaces, warehouses without "Warehouse"/"WH"/"DC", products in the
plural). Matching is case-insensitive in the component, so patterns keep their
case. The NLU is shared by every company; the action layer scopes by company.

The output is deterministic (sorted, de-duplicated) and the file is rewritten
only when its content changes, so that Rasa's training fingerprint (which
includes a hash of this file) stays stable between runs.

Runs in the actions environment (SQLAlchemy 2); no Rasa import.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from sqlalchemy import select

DEFAULT_OUT_PATH = (
    Path(__file__).resolve().parent.parent / "nlu_models" / "resources" / "erp_patterns.jsonl"
)

# Legal-form suffixes, matched case-insensitively at the end of a name
# (repeatedly: "Acme Trading Co. Ltd" -> "Acme Trading").
_LEGAL_SUFFIX = re.compile(
    r"(?:[\s,]+(?:ltd\.?|limited|inc\.?|incorporated|corp\.?|corporation|llc|l\.l\.c\.|"
    r"plc|llp|gmbh|pvt\.?|private|pte\.?|co\.?|company|& co\.?|and co\.?|s\.a\.|ag|bv))+\s*$",
    re.IGNORECASE,
)
_WAREHOUSE_SUFFIX = re.compile(
    r"\s+(?:warehouse|wh|depot|godown|dc|distribution (?:center|centre)|store|hub|yard)\s*$",
    re.IGNORECASE,
)
# a trailing region: ", TX", " NJ" (two capitals) or ", India" (after a comma)
_REGION_TAIL = re.compile(r"^(.+?)(?:,\s*([A-Z]{2}|[A-Z][A-Za-z ]+)|\s+([A-Z]{2}))$")
_WAREHOUSE_PREFIX = re.compile(r"^(?:warehouse|wh)\s+", re.IGNORECASE)

# A variant of one word is only kept when it is distinctive; "Global Ltd"
# must not make every "global" a customer.
_COMMON_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "the",
        "of",
        "for",
        "in",
        "on",
        "at",
        "to",
        "by",
        "with",
        "from",
        "our",
        "my",
        "your",
        "we",
        "us",
        "it",
        "this",
        "that",
        "all",
        "any",
        "global",
        "general",
        "national",
        "international",
        "united",
        "central",
        "main",
        "new",
        "old",
        "best",
        "first",
        "prime",
        "royal",
        "star",
        "city",
        "metro",
        "modern",
        "standard",
        "super",
        "united",
        "universal",
        "eastern",
        "western",
        "northern",
        "southern",
        "east",
        "west",
        "north",
        "south",
        "total",
        "trade",
        "trading",
        "traders",
        "enterprise",
        "enterprises",
        "group",
        "holdings",
        "industries",
        "industry",
        "company",
        "store",
        "stores",
        "shop",
        "market",
        "mart",
        "supply",
        "supplies",
        "services",
        "service",
        "solutions",
        "systems",
        "products",
        "product",
        "home",
        "office",
        "warehouse",
        "depot",
        "hub",
        "port",
        "green",
        "blue",
        "red",
        "white",
        "black",
        "gold",
        "golden",
        "silver",
        "sun",
        "sunrise",
        "ocean",
        "river",
        "bank",
        "cash",
        "order",
        "orders",
        "invoice",
        "invoices",
        "bill",
        "bills",
        "payment",
        "payments",
        "stock",
        "sales",
        "customer",
        "customers",
        "supplier",
        "suppliers",
        "vendor",
        "vendors",
        "today",
        "month",
        "year",
        "week",
    ]
)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _strip_legal(name: str) -> str:
    stripped = _LEGAL_SUFFIX.sub("", name).strip(" ,.")
    return stripped or name


def _ampersand_variants(name: str) -> set[str]:
    out = {name}
    if "&" in name:
        out.add(_clean(name.replace("&", " and ")))
        out.add(_clean(name.replace("&", " ")))
    if re.search(r"\band\b", name, re.IGNORECASE):
        out.add(_clean(re.sub(r"\band\b", "&", name, flags=re.IGNORECASE)))
    return out


def _punctuation_variants(name: str) -> set[str]:
    out = {name}
    if "-" in name:
        out.add(_clean(name.replace("-", " ")))
        out.add(_clean(name.replace("-", "")))
    if "." in name:
        out.add(_clean(name.replace(".", "")))
    if "'" in name or "\u2019" in name:
        out.add(_clean(name.replace("'", "").replace("\u2019", "")))
    return out


def _distinctive(variant: str) -> bool:
    words = variant.split()
    if not words:
        return False
    if len(words) > 1:
        return True
    word = words[0].lower()
    return len(word) >= 3 and word not in _COMMON_WORDS and not word.isdigit()


_PARENTHETICAL = re.compile(r"\s*\([^)]*\)")
_PACKAGING_TAIL = re.compile(
    r",\s*(?:box|pack|case|roll|bundle|set|bag|carton|tin|can|drum)(?:\s+of\s+[\w.]+)?.*$",
    re.IGNORECASE,
)
_MEASURE_TAIL = re.compile(
    r"\s+(?:#?[\d./x-]*\d[\d./x-]*\s*(?:[a-z]{1,4}|%)?|[\d./-]+\s*[a-z]{1,3}\b)$", re.IGNORECASE
)
_DANGLING = re.compile(r"(?:\b(?:of|x|and|with|for|in|sch)|[&,/#-])$", re.IGNORECASE)
_NUMBER_UNIT = re.compile(r"(\d)\s+([a-z]{1,4})\b", re.IGNORECASE)


def _product_bases(name: str) -> set[str]:
    bases = {name}
    for base in list(bases):
        bases.add(_clean(_PARENTHETICAL.sub("", base)))
    for base in list(bases):
        bases.add(_clean(_PACKAGING_TAIL.sub("", base)))
        if "," in base:
            bases.add(_clean(base.split(",", 1)[0]))
    for base in [b for b in bases if "," not in b]:
        stripped = base
        while True:
            shorter = _MEASURE_TAIL.sub("", stripped).strip(" ,")
            if shorter == stripped or not shorter or _DANGLING.search(shorter):
                break
            stripped = shorter
            bases.add(stripped)
    for base in list(bases):
        bases.add(_NUMBER_UNIT.sub(r"\1\2", base))
    return {b for b in bases if b}


def name_variants(name: str, kind: str) -> list[str]:
    """Spellings of a master-data name (the name itself first)."""
    name = _clean(name)
    if not name:
        return []
    bases = {name, _strip_legal(name)}
    if kind in ("city", "warehouse"):
        # "Austin, TX" -> "Austin", "Austin TX"; "Dallas TX" -> "Dallas"
        for base in list(bases):
            region = _REGION_TAIL.match(base)
            if region:
                place, area = region.group(1), region.group(2) or region.group(3)
                bases.add(place)
                bases.add(f"{place} {area}")
    if kind == "warehouse":
        for base in list(bases):
            for pattern in (_WAREHOUSE_SUFFIX, _WAREHOUSE_PREFIX):
                stripped = pattern.sub("", base).strip()
                if stripped and stripped != base:
                    bases.add(stripped)
    if kind == "product":
        for base in list(bases):
            bases |= _product_bases(base)
    variants: set[str] = set()
    for base in bases:
        for amp in _ampersand_variants(base):
            variants |= _punctuation_variants(amp)
    if kind == "product":
        for variant in list(variants):
            words = variant.split()
            last = words[-1]
            if (
                len(words) > 1
                and not re.search(r"\d", variant)
                and last.isalpha()
                and len(last) > 2
                and not last.lower().endswith("s")
            ):
                suffix = "es" if re.search(r"(?:x|z|ch|sh)$", last, re.IGNORECASE) else "s"
                variants.add(variant + suffix)
    keep = {v for v in variants if v == name or _distinctive(v)}
    return [name, *sorted(keep - {name}, key=lambda v: (v.lower(), v))]


def _pattern_rows(rows: Iterable[tuple[str, str, str]]) -> Iterator[dict[str, str]]:
    """(label, canonical, kind) -> pattern dicts with every variant.

    kind is "name" (the canonical name and its variants) or "code:<CODE>" (the
    code as a pattern for the canonical name).
    """
    for label, canonical, kind in rows:
        canonical = _clean(canonical)
        if not canonical:
            continue
        if kind.startswith("code:"):
            # A code (SKU, warehouse code) stands for the record's name. Short
            # letter codes (DAL, EWR) match in their exact case only: lower-cased
            # they are ordinary words ("dal").
            code = _clean(kind[len("code:") :])
            if not code:
                continue
            exact_case = code.isalpha() and len(code) <= 4
            yield {"id": canonical, "label": label, "pattern": code, "exact_case": exact_case}
            continue
        for variant in name_variants(canonical, label):
            yield {"id": canonical, "label": label, "pattern": variant}


def collect_rows(session) -> list[tuple[str, str, str]]:
    """(label, canonical value, kind) for every master-data name in the database."""
    from actions.erp.models import Customer, Product, Supplier, Warehouse

    rows: list[tuple[str, str, str]] = []
    for (name,) in session.execute(select(Customer.name).distinct()):
        rows.append(("customer", name, "name"))
    for (name,) in session.execute(select(Supplier.name).distinct()):
        rows.append(("supplier", name, "name"))
    for name, sku in session.execute(select(Product.name, Product.sku).distinct()):
        rows.append(("product", name, "name"))
        if sku:
            rows.append(("product", name, f"code:{sku}"))
    for name, code in session.execute(select(Warehouse.name, Warehouse.code).distinct()):
        rows.append(("warehouse", name, "name"))
        if code:
            rows.append(("warehouse", name, f"code:{code}"))
    cities: set[str] = set()
    for model in (Customer, Supplier, Warehouse):
        for (city,) in session.execute(select(model.city).distinct()):
            if city and _clean(city):
                cities.add(_clean(city))
    rows.extend(("city", city, "name") for city in cities)
    return rows


def render_patterns(rows: Iterable[tuple[str, str, str]]) -> str:
    """Deterministic JSONL text: de-duplicated and sorted."""
    by_key: dict[tuple[str, str], set[tuple[str, str]]] = {}
    exact_case: set[tuple[str, str]] = set()
    for p in _pattern_rows(rows):
        by_key.setdefault((p["label"], p["pattern"].lower()), set()).add((p["pattern"], p["id"]))
        if p.get("exact_case"):
            exact_case.add((p["label"], p["pattern"]))
    unique: set[tuple[str, str, str]] = set()
    for (label, key), spellings in by_key.items():
        ids = {i for _pattern, i in spellings}
        exact = {i for i in ids if i.lower() == key}
        if exact:
            ids = exact
        for pattern, _id in spellings:
            if len(ids) == 1:
                unique.add((label, pattern, next(iter(ids))))
            else:
                # A spelling shared by several records ("LED Bulb" for the 12 W
                # and 18 W bulbs): report the words, the action layer asks.
                unique.add((label, pattern, pattern))
    ordered = sorted(unique, key=lambda t: (t[0], t[1].lower(), t[1], t[2].lower(), t[2]))
    lines = [
        json.dumps(
            {
                "id": i,
                "label": label,
                # a token pattern matches the exact text (case included)
                "pattern": [{"TEXT": pattern}] if (label, pattern) in exact_case else pattern,
            },
            ensure_ascii=False,
            sort_keys=True,
        )
        for label, pattern, i in ordered
    ]
    return "\n".join(lines) + ("\n" if lines else "")


def write_if_changed(out_path: Path, content: str) -> bool:
    """Atomically replace `out_path` unless it already holds `content`."""
    out_path = Path(out_path)
    if out_path.exists() and out_path.read_text(encoding="utf-8") == content:
        return False
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=out_path.name, dir=out_path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(content)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def build_patterns(database_url: str, out_path: Path = DEFAULT_OUT_PATH) -> int:
    """Write the patterns file from the database; returns the number of patterns.

    The file is left untouched (same mtime) when nothing changed.
    """
    from actions.erp.db import read_session

    with read_session(database_url) as session:
        rows = collect_rows(session)
    content = render_patterns(rows)
    write_if_changed(Path(out_path), content)
    return content.count("\n")
