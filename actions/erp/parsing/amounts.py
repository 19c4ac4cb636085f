"""Money amounts ("10k", "2 lakh", "$3,400.50") and quantities ("120 units", "a dozen")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from actions.erp.errors import InvalidInput
from actions.erp.parsing.text import clean_text, words_to_int

# --- amounts ------------------------------------------------------------------


@dataclass(frozen=True)
class MoneyAmount:
    """An exact amount; `currency` is None when neither the user nor a default gave one."""

    amount: Decimal
    currency: str | None


_CURRENCY_WORDS: dict[str, str] = {
    "৳": "BDT",
    "tk.": "BDT",
    "tk": "BDT",
    "taka": "BDT",
    "টাকা": "BDT",
    "bdt": "BDT",
    "us$": "USD",
    "$": "USD",
    "usd": "USD",
    "dollars": "USD",
    "dollar": "USD",
    "€": "EUR",
    "eur": "EUR",
    "euros": "EUR",
    "euro": "EUR",
    "£": "GBP",
    "gbp": "GBP",
    "pounds": "GBP",
    "pound": "GBP",
    "₹": "INR",
    "inr": "INR",
    "rupees": "INR",
    "jpy": "JPY",
    "cny": "CNY",
    "aud": "AUD",
    "cad": "CAD",
    "sgd": "SGD",
    "aed": "AED",
    "sar": "SAR",
    "chf": "CHF",
    "myr": "MYR",
}
_CURRENCY_RE = re.compile(
    "|".join(
        re.escape(word) if not word[0].isalpha() else rf"(?<![a-z]){re.escape(word)}(?![a-z])"
        for word in sorted(_CURRENCY_WORDS, key=len, reverse=True)
    )
)
_MULTIPLIERS: dict[str, int] = {
    "k": 1_000,
    "thousand": 1_000,
    "thousands": 1_000,
    "grand": 1_000,
    "m": 1_000_000,
    "mn": 1_000_000,
    "mio": 1_000_000,
    "million": 1_000_000,
    "millions": 1_000_000,
    "b": 1_000_000_000,
    "bn": 1_000_000_000,
    "billion": 1_000_000_000,
    "lakh": 100_000,
    "lakhs": 100_000,
    "lac": 100_000,
    "lacs": 100_000,
    "crore": 10_000_000,
    "crores": 10_000_000,
    "cr": 10_000_000,
}
# Words around an amount that do not change it: the caller reads the comparison
# ("over", "less than") from the intent, and "/-" and "only" are how amounts are
# written on Bangladeshi cheques and invoices.
_AMOUNT_PREFIX_RE = re.compile(
    r"^(?:(?:(?:more|greater|higher|less|fewer|lower) than|over|above|under|below|at least|"
    r"at most|up to|upto|around|about|approx|approximately|roughly|nearly|almost|"
    r"exactly|only|minimum|maximum|min|max)(?![a-z])\.?|[<>]=?|~|≥|≤)\s*"
)
_AMOUNT_SUFFIX_RE = re.compile(r"\s*(?:/-|only|or (?:more|less|so|above|below)|\+)$")
_NUMBER_RE = re.compile(r"^(?P<num>[0-9][0-9,]*(?:\.[0-9]+)?|\.[0-9]+)\s*(?P<mult>[a-z]+)?$")
_WESTERN_GROUPS_RE = re.compile(r"^[0-9]{1,3}(?:,[0-9]{3})+$")
_SOUTH_ASIAN_GROUPS_RE = re.compile(r"^[0-9]{1,2}(?:,[0-9]{2})+,[0-9]{3}$")
_MAX_AMOUNT = Decimal(10) ** 13
_CENT = Decimal("0.01")
_AMOUNT_EXAMPLES = "12,500, 10k, 1.5 million, 2 lakh, $3,400.50, 5000 USD or BDT 50,000"


def _amount_error(text: str) -> InvalidInput:
    return InvalidInput(
        f"I couldn't read “{text.strip()}” as an amount. Try a form such as {_AMOUNT_EXAMPLES}."
    )


def _strip_amount_words(text: str) -> str:
    previous = None
    while previous != text:
        previous = text
        text = _AMOUNT_PREFIX_RE.sub("", text).strip()
        text = _AMOUNT_SUFFIX_RE.sub("", text).strip()
    return text


def _take_currency(text: str, original: str) -> tuple[str | None, str]:
    """Remove currency symbols and words; two different currencies cannot be one amount."""
    found = {_CURRENCY_WORDS[m.group(0)] for m in _CURRENCY_RE.finditer(text)}
    if len(found) > 1:
        raise InvalidInput(
            f"“{original.strip()}” mentions more than one currency "
            f"({', '.join(sorted(found))}). Please give the amount in one currency."
        )
    rest = " ".join(_CURRENCY_RE.sub(" ", text).split())
    return (found.pop() if found else None), rest


def _check_grouping(number: str, original: str) -> str:
    """Accept 12,500 and 2,00,000 but not 1,2 (a decimal comma would be misread)."""
    if "," not in number:
        return number
    whole = number.split(".")[0]
    if _WESTERN_GROUPS_RE.match(whole) or _SOUTH_ASIAN_GROUPS_RE.match(whole):
        return number.replace(",", "")
    raise InvalidInput(
        f"I couldn't read the number in “{original.strip()}”. Use a dot for decimals and "
        f"commas only between digit groups, for example 12,500.50 or 2,00,000."
    )


def _read_number(rest: str, original: str) -> Decimal:
    match = _NUMBER_RE.match(rest)
    if match:
        multiplier = 1
        if match.group("mult"):
            if match.group("mult") not in _MULTIPLIERS:
                raise _amount_error(original)
            multiplier = _MULTIPLIERS[match.group("mult")]
        return Decimal(_check_grouping(match.group("num"), original)) * multiplier
    value = words_to_int(rest) if rest else None
    if value is None:
        raise _amount_error(original)
    return Decimal(value)


def _reject_negative(cleaned: str, text: str) -> None:
    if re.match(r"^(?:-|minus\b|negative\b|\(\s*[0-9$€£৳])", cleaned):
        raise InvalidInput(
            f"The amount must be more than zero, but “{text.strip()}” is negative. "
            f"Please give a positive amount such as {_AMOUNT_EXAMPLES}."
        )


def parse_amount(text: str, default_currency: str | None = None) -> MoneyAmount:
    """Read an amount the way people type it: "10k", "Tk 2,00,000", "1.5 crore", "$3,400.50".

    Comparison words ("over 10k") are dropped: the intent decides what to
    compare. The result is rounded to cents half up, as the ledger stores it.
    Zero, negative, unreadable or absurdly large amounts raise InvalidInput.
    """
    cleaned = _strip_amount_words(clean_text(text))
    _reject_negative(cleaned, text)
    currency, rest = _take_currency(cleaned, text)
    rest = _strip_amount_words(rest)
    _reject_negative(rest, text)
    if not rest:
        raise _amount_error(text)
    try:
        value = _read_number(rest, text).quantize(_CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as error:
        raise _amount_error(text) from error
    if value <= 0:
        raise InvalidInput(
            f"The amount must be more than zero, and “{text.strip()}” is not. "
            f"Please give an amount such as {_AMOUNT_EXAMPLES}."
        )
    if value >= _MAX_AMOUNT:
        raise InvalidInput(f"“{text.strip()}” is far larger than any amount I can work with.")
    chosen = currency or (default_currency.upper() if default_currency else None)
    return MoneyAmount(amount=value, currency=chosen)


# --- quantities ---------------------------------------------------------------

_MAX_QUANTITY = 1_000_000_000
_QUANTITY_RE = re.compile(
    r"^(?P<num>[0-9][0-9,]*(?:\.[0-9]+)?|\.[0-9]+)\s*"
    r"(?P<mult>k|thousands?|dozens?|lakhs?|lacs?|crores?|millions?|billions?|mn|bn)?(?![a-z])"
    r"(?:\s+(?:of\s+)?[a-z][a-z.\-]*(?:\s+of)?)?$"
)
_QUANTITY_UNIT_RE = re.compile(
    r"\s+(?:units?|pcs\.?|pieces?|pc\.?|items?|nos\.?|numbers?|boxes|box|cartons?|packs?|"
    r"packets?|bags?|sets?|pairs?|rolls?|bottles?|cases?)(?:\s+of)?$"
)
_QUANTITY_EXAMPLES = "50, 120 units, 1,200 pcs, a dozen or two hundred"


def _quantity_error(text: str) -> InvalidInput:
    return InvalidInput(
        f"I couldn't read “{text.strip()}” as a quantity. "
        f"Try a whole number such as {_QUANTITY_EXAMPLES}."
    )


def _quantity_value(cleaned: str, text: str) -> Decimal:
    match = _QUANTITY_RE.match(cleaned)
    if match:
        number = Decimal(_check_grouping(match.group("num"), text))
        mult = match.group("mult") or ""
        factor = 12 if mult.startswith("dozen") else _MULTIPLIERS.get(mult, 1)
        return number * factor
    words = _QUANTITY_UNIT_RE.sub("", " " + cleaned).strip()
    value = words_to_int(words)
    if value is None:
        raise _quantity_error(text)
    return Decimal(value)


def parse_quantity(text: str) -> int:
    """Read a whole-unit quantity: "120 units", "1,200 pcs", "a dozen", "two hundred".

    Stock and order lines hold whole units, so "2.5" or "0" is refused with a
    message rather than silently rounded.
    """
    cleaned = clean_text(text)
    if re.match(r"^(?:-|minus\b|negative\b)", cleaned):
        raise InvalidInput(f"The quantity must be at least 1, but “{text.strip()}” is negative.")
    if not cleaned:
        raise _quantity_error(text)
    try:
        value = _quantity_value(cleaned, text)
    except InvalidOperation as error:
        raise _quantity_error(text) from error
    if value != value.to_integral_value():
        raise InvalidInput(
            f"Quantities are whole units, so I can't use “{text.strip()}”. "
            f"Please give a whole number such as {_QUANTITY_EXAMPLES}."
        )
    if value <= 0:
        raise InvalidInput(f"The quantity must be at least 1, but “{text.strip()}” is not.")
    if value > _MAX_QUANTITY:
        raise InvalidInput(f"“{text.strip()}” is far larger than any quantity I can work with.")
    return int(value)
