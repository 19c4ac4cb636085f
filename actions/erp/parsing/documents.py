"""Document references in any common spelling ("po 2025-42" → PO-2025-0042)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from actions.erp.errors import InvalidInput
from actions.erp.parsing.text import clean_text

# --- document references ------------------------------------------------------


@dataclass(frozen=True)
class _DocumentType:
    kind: str
    digits: int
    noun: str
    example: str


DOCUMENT_TYPES: dict[str, _DocumentType] = {
    "PO": _DocumentType("purchase_order", 4, "purchase order", "PO-2025-0042"),
    "SO": _DocumentType("sales_order", 5, "sales order", "SO-2025-00123"),
    "INV": _DocumentType("invoice", 5, "invoice", "INV-2025-00456"),
    "BILL": _DocumentType("bill", 5, "supplier bill", "BILL-2025-00087"),
    "RCPT": _DocumentType("receipt", 5, "receipt", "RCPT-2025-00234"),
    "PAY": _DocumentType("payment", 5, "payment", "PAY-2025-00031"),
}


@dataclass(frozen=True)
class DocumentRef:
    """A document number in its one canonical spelling, e.g. PO-2025-0042."""

    prefix: str
    year: int
    sequence: int
    canonical: str

    @property
    def kind(self) -> str:
        """purchase_order, sales_order, invoice, bill, receipt or payment."""
        return DOCUMENT_TYPES[self.prefix].kind

    def __str__(self) -> str:
        return self.canonical


def make_document_ref(prefix: str, year: int, sequence: int) -> DocumentRef:
    """Build the canonical reference: PO numbers have 4 digits, the others 5."""
    prefix = prefix.upper()
    width = DOCUMENT_TYPES[prefix].digits
    return DocumentRef(prefix, year, sequence, f"{prefix}-{year}-{sequence:0{width}d}")


# Spoken and written names of each prefix, longest first in the pattern.
_PREFIX_WORDS: dict[str, str] = {
    "purchase order": "PO",
    "p.o.": "PO",
    "p.o": "PO",
    "po": "PO",
    "sales order": "SO",
    "sale order": "SO",
    "s.o.": "SO",
    "s.o": "SO",
    "so": "SO",
    "customer invoice": "INV",
    "sales invoice": "INV",
    "invoice": "INV",
    "inv.": "INV",
    "inv": "INV",
    "supplier bill": "BILL",
    "vendor bill": "BILL",
    "bill": "BILL",
    "money receipt": "RCPT",
    "customer receipt": "RCPT",
    "receipt": "RCPT",
    "rcpt": "RCPT",
    "rct": "RCPT",
    "supplier payment": "PAY",
    "vendor payment": "PAY",
    "payment": "PAY",
    "pmt": "PAY",
    "pay": "PAY",
}
# English words that are also prefixes: inside a sentence they only count when
# the year and number are joined by a dash, slash or dot ("so 2025-12").
_COMMON_WORD_PREFIXES = frozenset({"so", "pay", "bill", "payment", "receipt", "invoice"})
_PREFIX_ALTERNATIVES = "|".join(
    re.escape(word).replace(r"\ ", r"[\s-]*")
    for word in sorted(_PREFIX_WORDS, key=len, reverse=True)
)


def _prefix_code(word: str) -> str:
    """PO/SO/... for a matched prefix however it was spaced ("purchase-order")."""
    squashed = re.sub(r"[\s-]+", "", word)
    return next(code for name, code in _PREFIX_WORDS.items() if name.replace(" ", "") == squashed)


_REF_RE = re.compile(
    rf"(?<![a-z0-9])(?P<prefix>{_PREFIX_ALTERNATIVES})"
    r"(?:\s*(?:no\.?|number|num|nr\.?|ref\.?)(?![a-z]))?[\s#:\-/.]*"
    r"(?:(?P<joined>20[0-9]{2}[0-9]{3,6})"
    r"|(?P<year>[0-9]{4}|[0-9]{2})(?P<sep>\s*[-/._#]\s*|\s+)(?P<seq>[0-9]{1,7}))"
    r"(?![0-9])"
)
_REF_FORMAT_HELP = (
    "References look like PO-2025-0042 (purchase order), SO-2025-00123 (sales order), "
    "INV-2025-00456 (invoice), BILL-2025-00087 (supplier bill), RCPT-2025-00234 (receipt) "
    "or PAY-2025-00031 (payment)."
)


def _ref_from_match(match: re.Match[str]) -> DocumentRef | None:
    """None when the numbers cannot be a reference (year out of range, number 0)."""
    prefix = _prefix_code(match.group("prefix"))
    if match.group("joined"):
        year, sequence = int(match.group("joined")[:4]), int(match.group("joined")[4:])
    else:
        raw_year = match.group("year")
        year = int(raw_year) + (2000 if len(raw_year) == 2 else 0)
        sequence = int(match.group("seq"))
    if not 2000 <= year <= 2099 or sequence < 1:
        return None
    return make_document_ref(prefix, year, sequence)


def _scan_refs(text: str, strict: bool) -> list[DocumentRef]:
    found: list[DocumentRef] = []
    for match in _REF_RE.finditer(clean_text(text)):
        loose_separator = match.group("sep") is not None and not match.group("sep").strip()
        prefix_word = re.sub(r"[\s-]+", " ", match.group("prefix"))
        if strict and loose_separator and prefix_word in _COMMON_WORD_PREFIXES:
            continue
        if strict and loose_separator and len(match.group("year")) == 2:
            continue
        ref = _ref_from_match(match)
        if ref is not None and ref not in found:
            found.append(ref)
    return found


def find_document_refs(text: str) -> list[DocumentRef]:
    """Every document reference in a sentence, in order, without repeats.

    Stricter than `normalise_document_ref`: "so 2025 12" inside a sentence is
    more likely words than a sales order, so common words need a joined
    number ("so 2025-12") to count.
    """
    return _scan_refs(text, strict=True)


def _missing_parts_error(text: str) -> InvalidInput | None:
    """A message naming the document type when the prefix was recognised."""
    cleaned = clean_text(text)
    match = re.match(rf"^(?P<prefix>{_PREFIX_ALTERNATIVES})(?![a-z])", cleaned)
    if not match:
        return None
    doc_type = DOCUMENT_TYPES[_prefix_code(match.group("prefix"))]
    return InvalidInput(
        f"I couldn't read “{text.strip()}” as a {doc_type.noun} reference: it needs a year "
        f"and a number, like {doc_type.example}."
    )


def normalise_document_ref(text: str) -> DocumentRef:
    """Read one document reference however it was typed: "po 2025/42" → PO-2025-0042.

    Accepts codes or words for the prefix ("purchase order 2025-42"), any
    separator, 2-digit years (20YY) and missing leading zeros. Unknown prefixes
    or missing parts raise InvalidInput showing the expected format.
    """
    refs = _scan_refs(text, strict=False)
    if len(refs) > 1:
        listed = " and ".join(ref.canonical for ref in refs[:2])
        raise InvalidInput(
            f"I found more than one document reference in “{text.strip()}” ({listed}). "
            f"Please ask about one document at a time."
        )
    if refs:
        return refs[0]
    raise _missing_parts_error(text) or InvalidInput(
        f"I couldn't read “{text.strip()}” as a document reference. {_REF_FORMAT_HELP}"
    )
