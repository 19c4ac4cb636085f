"""Find the master-data row a user means by a typed name, within one company.

Users type "rahmn traders", "Karim and Sons" or a SKU; queries need one row.
The policy, in order:

1. An exact match after normalisation wins: case, punctuation, accents and
   company suffixes (Ltd, Limited, Inc, Corp, Co, LLC, Pvt, "&"/"and") are
   ignored, and codes/SKUs match regardless of dashes and spaces. Active rows
   win over inactive ones, but an inactive exact match is still returned so
   the caller can say "that customer is inactive" instead of "not found".
2. Otherwise every active row is scored with rapidfuzz
   (max(WRatio, token_set_ratio), which copes with partial names). The best is
   taken only when it scores at least ACCEPT_SCORE and beats the runner-up by
   MARGIN, so "rahman" never silently picks one of two Rahman companies.
3. Rows scoring at least PLAUSIBLE_SCORE are offered back as `Ambiguous`;
   with none, `NotFound` suggests the closest few.

Every query is filtered on `company_id`, so a name that exists only in another
company is reported as not found and never suggested.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.erp.errors import Ambiguous, InvalidInput, NotFound
from actions.erp.models import Company, Customer, Product, Supplier, Warehouse

ACCEPT_SCORE = 88.0
MARGIN = 6.0
PLAUSIBLE_SCORE = 60.0
SUGGEST_SCORE = 40.0
MAX_CANDIDATES = 5
MAX_SUGGESTIONS = 3
MAX_QUERY_LENGTH = 200

# Words that say what kind of organisation something is, not which one.
_COMPANY_NOISE = frozenset(
    {
        "ltd",
        "limited",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "llc",
        "plc",
        "pvt",
        "private",
        "and",
        "the",
    }
)
# "warehouse" in "Dhaka Warehouse" carries no information when resolving warehouses.
_WAREHOUSE_NOISE = _COMPANY_NOISE | {"warehouse", "warehouses", "wh", "godown", "depot"}
# What users call the default warehouse when it has no such name; see resolve_warehouse.
MAIN_WAREHOUSE_ALIASES = frozenset({"main", "default", "primary", "main store"})


@dataclass(frozen=True)
class _Kind:
    """How to search one kind of master data."""

    model: Any
    singular: str
    plural: str
    names: Callable[[Any], Sequence[str]]  # matched exactly and fuzzily
    codes: Callable[[Any], Sequence[str]]  # matched exactly only
    noise: frozenset[str]


_KINDS: dict[str, _Kind] = {
    "customer": _Kind(
        Customer, "customer", "customers", lambda r: [r.name], lambda r: [r.code], _COMPANY_NOISE
    ),
    "supplier": _Kind(
        Supplier, "supplier", "suppliers", lambda r: [r.name], lambda r: [r.code], _COMPANY_NOISE
    ),
    "product": _Kind(
        Product, "product", "products", lambda r: [r.name], lambda r: [r.sku], _COMPANY_NOISE
    ),
    "warehouse": _Kind(
        Warehouse,
        "warehouse",
        "warehouses",
        lambda r: [r.name, r.city],
        lambda r: [r.code],
        _WAREHOUSE_NOISE,
    ),
}


def normalise_name(text: str, noise: frozenset[str] = _COMPANY_NOISE) -> str:
    """Lower-case words without accents, punctuation or company suffixes.

    "M/S Karim & Sons Ltd." and "karim and sons" both become "karim sons".
    When every word is noise ("The Company Ltd") the words are kept, so no
    name normalises to nothing.
    """
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"^m/s\.?\s+", "", text.strip())
    text = re.sub(r"['’`]", "", text.replace("&", " and "))
    words = re.sub(r"[^0-9a-z\u0980-\u09ff]+", " ", text).split()
    meaningful = [w for w in words if w not in noise]
    return " ".join(meaningful or words)


def _compact(text: str, noise: frozenset[str]) -> str:
    return normalise_name(text, noise).replace(" ", "")


def _fuzzy(query: str, key: str) -> float:
    """Score 0..100; token_set_ratio lets "rahman" fully match "rahman traders"."""
    if not query or not key:
        return 0.0
    return max(fuzz.WRatio(query, key), fuzz.token_set_ratio(query, key))


@dataclass(frozen=True)
class _Scored:
    row: Any
    label: str
    score: float
    exact: bool
    active: bool


def _is_active(row: Any) -> bool:
    return bool(getattr(row, "is_active", True))


def _score_row(row: Any, kind: _Kind, query: str, compact_query: str) -> _Scored:
    names = [n for n in kind.names(row) if n]
    codes = [c for c in kind.codes(row) if c]
    exact_keys = {_compact(k, kind.noise) for k in names + codes}
    exact_keys |= {_compact(f"{names[0]} {c}", kind.noise) for c in codes if names}
    exact = compact_query in exact_keys
    score = 100.0 if exact else max(_fuzzy(query, normalise_name(n, kind.noise)) for n in names)
    return _Scored(row, names[0] if names else codes[0], round(score, 1), exact, _is_active(row))


def _kind(kind: str) -> _Kind:
    try:
        return _KINDS[kind.lower().rstrip("s")]
    except KeyError:
        raise ValueError(
            f"unknown master-data kind {kind!r}; use one of {sorted(_KINDS)}"
        ) from None


def _clean_query(kind: _Kind, text: str | None) -> tuple[str, str]:
    if len(text or "") > MAX_QUERY_LENGTH:
        raise InvalidInput(
            f"That is too long for a {kind.singular} name. Please type just the name."
        )
    query = normalise_name(text or "", kind.noise)
    if not query or not any(c.isalnum() for c in text or ""):
        raise InvalidInput(f"Please tell me which {kind.singular} you mean.")
    return query, query.replace(" ", "")


def _score_all(session: Session, company_id: int, kind: _Kind, text: str) -> list[_Scored]:
    """Every row of the company, best first; ties go to active rows, then by name."""
    query, compact_query = _clean_query(kind, text)
    statement = select(kind.model).where(kind.model.company_id == company_id)
    rows = session.scalars(statement.order_by(kind.model.id)).all()
    scored = [_score_row(row, kind, query, compact_query) for row in rows]
    return sorted(scored, key=lambda s: (-s.score, not s.active, s.label.lower()))


def _labels(scored: Sequence[_Scored], kind: _Kind) -> list[str]:
    """Names to show; rows sharing a name get their code so the user can tell them apart."""
    names = [s.label for s in scored]
    return [
        f"{s.label} ({kind.codes(s.row)[0]})" if names.count(s.label) > 1 else s.label
        for s in scored
    ]


def _join_or(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} or {items[-1]}"


def _company_name(session: Session, company_id: int) -> str:
    company = session.get(Company, company_id)
    return company.name.rstrip(".") if company else "your company"


def _pick_exact(exact: list[_Scored], kind: _Kind, text: str) -> Any:
    active = [s for s in exact if s.active]
    pool = active or exact
    if len(pool) == 1:
        return pool[0].row
    labels = _labels(pool[:MAX_CANDIDATES], kind)
    raise Ambiguous(
        f"I found several {kind.plural} called “{text.strip()}”: {_join_or(labels)}. "
        f"Which one do you mean?",
        candidates=labels,
    )


def _pick_fuzzy(scored: list[_Scored]) -> Any | None:
    active = [s for s in scored if s.active]
    if not active:
        return None
    best = active[0]
    runner_up = active[1].score if len(active) > 1 else 0.0
    if best.score >= ACCEPT_SCORE and best.score - runner_up >= MARGIN:
        return best.row
    return None


def _not_resolved(
    session: Session, company_id: int, kind: _Kind, text: str, scored: list[_Scored]
) -> Exception:
    """Ambiguous when some rows are plausible, NotFound (with suggestions) otherwise."""
    active = [s for s in scored if s.active]
    plausible = [s for s in active if s.score >= PLAUSIBLE_SCORE][:MAX_CANDIDATES]
    shown = text.strip()
    if len(plausible) > 1:
        labels = _labels(plausible, kind)
        return Ambiguous(
            f"I found several {kind.plural} matching “{shown}”: {_join_or(labels)}. "
            f"Which one do you mean?",
            candidates=labels,
        )
    if plausible:
        labels = _labels(plausible, kind)
        return Ambiguous(
            f"I couldn't find a {kind.singular} called exactly “{shown}”. "
            f"Did you mean {labels[0]}?",
            candidates=labels,
        )
    close = [s for s in active if s.score >= SUGGEST_SCORE][:MAX_SUGGESTIONS]
    message = (
        f"I couldn't find a {kind.singular} called “{shown}” in "
        f"{_company_name(session, company_id)}."
    )
    if close:
        message += f" Did you mean {_join_or(_labels(close, kind))}?"
    else:
        message += " Please check the spelling and try again."
    return NotFound(message)


def _main_warehouse(session: Session, company_id: int, text: str) -> Warehouse | None:
    if normalise_name(text, _WAREHOUSE_NOISE) not in MAIN_WAREHOUSE_ALIASES:
        return None
    statement = select(Warehouse).where(Warehouse.company_id == company_id)
    return session.scalars(statement.order_by(Warehouse.id).limit(1)).first()


def _resolve(session: Session, company_id: int, kind_name: str, text: str) -> Any:
    kind = _kind(kind_name)
    scored = _score_all(session, company_id, kind, text)
    exact = [s for s in scored if s.exact]
    if exact:
        return _pick_exact(exact, kind, text)
    row = _pick_fuzzy(scored)
    if row is not None:
        return row
    if kind.model is Warehouse:
        main = _main_warehouse(session, company_id, text)
        if main is not None:
            return main
    raise _not_resolved(session, company_id, kind, text, scored)


def resolve_customer(session: Session, company_id: int, text: str) -> Customer:
    """The company's customer the user means; raises Ambiguous, NotFound or InvalidInput."""
    return _resolve(session, company_id, "customer", text)


def resolve_supplier(session: Session, company_id: int, text: str) -> Supplier:
    """The company's supplier the user means; raises Ambiguous, NotFound or InvalidInput."""
    return _resolve(session, company_id, "supplier", text)


def resolve_product(session: Session, company_id: int, text: str) -> Product:
    """The company's product by name or SKU ("TSH-001" = "tsh001")."""
    return _resolve(session, company_id, "product", text)


def resolve_warehouse(session: Session, company_id: int, text: str) -> Warehouse:
    """The company's warehouse by name, code or city.

    "main warehouse" (also "main", "default", "primary") means the company's
    first warehouse by id, but only when no warehouse matches the text by
    name, code or city: the demo data and most small companies create their
    main warehouse first, and a warehouse really named "Main" still wins.
    """
    return _resolve(session, company_id, "warehouse", text)


def candidates_for(
    session: Session, company_id: int, kind: str, text: str, limit: int = 5
) -> list[tuple[str, float]]:
    """The closest names for `text`, best first, as (name, score 0..100).

    For suggestions and buttons: active rows scoring at least SUGGEST_SCORE,
    plus inactive rows that match exactly. `kind` is customer, supplier,
    product or warehouse.
    """
    spec = _kind(kind)
    scored = _score_all(session, company_id, spec, text)
    kept = [s for s in scored if (s.active and s.score >= SUGGEST_SCORE) or s.exact]
    kept = kept[: max(limit, 0)]
    return list(zip(_labels(kept, spec), (s.score for s in kept), strict=True))
