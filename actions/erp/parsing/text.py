"""Text clean-up and small number words shared by the parsers."""

from __future__ import annotations

import re
import unicodedata

# --- shared text clean-up -----------------------------------------------------

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"), "-")
_QUOTES = dict.fromkeys(map(ord, "\u2018\u2019\u02bc\u2032"), "'")


def ascii_digits(text: str) -> str:
    """Bengali or Devanagari digits (৫০,০০০) become ASCII so one set of patterns serves all."""
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


def clean_text(text: str) -> str:
    """Lower-case, NFKC (full-width forms, no-break spaces), ASCII digits, plain dashes."""
    text = unicodedata.normalize("NFKC", text or "")
    text = ascii_digits(text).translate(_DASHES).translate(_QUOTES)
    return " ".join(text.lower().split())


# --- small number words ("two hundred", "a dozen") ------------------------------

_SMALL_NUMBERS = {
    word: value
    for value, word in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_LARGE_SCALES = {
    "thousand": 1_000,
    "lakh": 100_000,
    "lakhs": 100_000,
    "lac": 100_000,
    "million": 1_000_000,
    "crore": 10_000_000,
    "billion": 1_000_000_000,
}


def words_to_int(text: str) -> int | None:
    """Read a number written in words or digits and words ("twenty-five", "3 dozen").

    Returns None when any word is not part of a number, so callers can fall
    back to other forms or report the text as unreadable.
    """
    text = text.replace("half a dozen", "six")
    tokens = [t for t in re.split(r"[\s-]+", text.strip()) if t and t != "and"]
    total, current, seen = 0, 0, False
    for index, token in enumerate(tokens):
        if token in ("a", "an") and index + 1 < len(tokens):
            current, seen = max(current, 1), True
        elif token.isdigit():
            current, seen = current + int(token), True
        elif token in _SMALL_NUMBERS or token in _TENS:
            current, seen = current + _SMALL_NUMBERS.get(token, _TENS.get(token, 0)), True
        elif token in ("dozen", "dozens"):
            current, seen = (current or 1) * 12, True
        elif token == "hundred":
            current, seen = (current or 1) * 100, True
        elif token in _LARGE_SCALES:
            total, current, seen = total + (current or 1) * _LARGE_SCALES[token], 0, True
        else:
            return None
    return total + current if seen else None
