"""Spoken forms to the written forms the NLU was trained on, and replies made speakable.

Speech engines write what they hear: pocketsphinx only words ("p o twenty
twenty five dash forty two", "twelve thousand five hundred"), Whisper mostly
digits but its own way ("P.O. 2025-42", "12500"). The NLU's entity patterns
and training examples use PO-2025-0042, 12,500, 2024, 500 units, two dozen;
`normalise` rewrites a transcript into those forms and leaves everything
else as it was heard. Single small numbers stay words ("the one for",
"three way matching", "Lucky Seven Garments") unless a unit follows them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# --- tokens --------------------------------------------------------------------

_TOKEN = re.compile(
    r"(?P<num>\d+(?:,\d{3})*(?:\.\d+)?)|(?P<word>[A-Za-z]+(?:'[A-Za-z]+)?)|(?P<p>\S)"
)


@dataclass(frozen=True)
class Token:
    text: str
    kind: str  # num, word or p (punctuation)
    start: int
    end: int

    @property
    def low(self) -> str:
        return self.text.lower()


def tokens(text: str) -> list[Token]:
    return [Token(m.group(), m.lastgroup or "p", m.start(), m.end()) for m in _TOKEN.finditer(text)]


# --- number words --------------------------------------------------------------

_ONES = "zero one two three four five six seven eight nine"
_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen"
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety"
DIGITS = {w: i for i, w in enumerate(_ONES.split(" "))}
TEENS = {w: i + 10 for i, w in enumerate(_TEENS.split(" "))}
TENS = {w: (i + 2) * 10 for i, w in enumerate(_TENS.split(" "))}
SCALES = {
    "thousand": 1_000,
    "lakh": 100_000,
    "lakhs": 100_000,
    "lac": 100_000,
    "million": 1_000_000,
    "crore": 10_000_000,
    "crores": 10_000_000,
    "billion": 1_000_000_000,
}
ZERO_WORDS = {"oh", "o", "zero"}  # "oh" and "o" count only inside a run of numbers
# What may follow a quantity: the NLU learned "500 units", "2000 units" (no grouping).
_UNIT_WORDS = (
    "unit units pcs pc piece pieces box boxes kg kgs kilo kilos gram grams bag bags carton "
    "cartons roll rolls bottle bottles metre metres meter meters ream reams pair pairs set "
    "sets litre litres liter liters pack packs packet packets pallet pallets sheet sheets "
    "ton tons tonne tonnes item items bundle bundles case cases can cans drum drums yard yards"
)
UNITS = set(_UNIT_WORDS.split(" "))
_CURRENCY_WORDS = "taka tk bdt dollar dollars usd euro euros eur pound pounds rupees inr"
CURRENCY_WORDS = set(_CURRENCY_WORDS.split(" "))
_SEPARATOR_WORDS = {"dash", "hyphen", "minus", "slash", "stroke"}
_SEPARATOR_MARKS = {"-", "/", "_"}


def _is_number_word(word: str) -> bool:
    return word in DIGITS or word in TEENS or word in TENS or word == "hundred" or word in SCALES


@dataclass
class _Number:
    """One spoken number being read: "two thousand five hundred" → 2500."""

    total: int = 0
    current: int = 0
    last: str = ""  # digit, teen, tens, hundred, scale, zero
    scale: int = 0  # the last scale used, so "two million three thousand" works
    words: int = 0
    digits: str | None = None  # a number spoken digit by digit keeps its zeros: "oh four"

    @property
    def value(self) -> int:
        return self.total + self.current

    def text(self) -> str:
        return self.digits if self.digits is not None else str(self.value)


def _extends(number: _Number, word: str, following: str | None) -> bool:
    last = number.last
    if word in DIGITS and word != "zero":
        return last in ("tens", "hundred", "scale", "and")
    if word in TEENS or word in TENS:
        return last in ("hundred", "scale", "and")
    if word == "hundred":
        return last in ("digit", "teen", "tens") and number.current < 100
    if word in SCALES:
        return last in ("digit", "teen", "tens", "hundred") and (
            not number.scale or SCALES[word] < number.scale
        )
    if word == "and":
        return (
            last in ("hundred", "scale")
            and following is not None
            and (following in DIGITS or following in TEENS or following in TENS)
        )
    return False


def _add(number: _Number, word: str) -> None:
    number.words += 1
    if word == "and":
        number.last = "and"
    elif word in DIGITS:
        number.current += DIGITS[word]
        number.last = "digit"
    elif word in TEENS:
        number.current += TEENS[word]
        number.last = "teen"
    elif word in TENS:
        number.current += TENS[word]
        number.last = "tens"
    elif word == "hundred":
        number.current = (number.current or 1) * 100
        number.last = "hundred"
    elif word in SCALES:
        number.scale = SCALES[word]
        number.total += (number.current or 1) * number.scale
        number.current = 0
        number.last = "scale"


def read_numbers(words: list[str]) -> list[_Number]:
    """Split a run of number words into the numbers spoken, in order.

    "twenty twenty five" → 20, 25 (a year is two numbers said together);
    "one hundred and twenty" → 120; "oh oh forty two" → 0, 0, 42.
    """
    numbers: list[_Number] = []
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else None
        if word in ZERO_WORDS:
            numbers.append(_Number(words=1, last="zero", digits="0"))
            continue
        if word == "a":  # "a hundred", "a thousand"
            numbers.append(_Number(current=1, words=1, last="digit"))
            continue
        if numbers and _extends(numbers[-1], word, following):
            _add(numbers[-1], word)
            continue
        number = _Number()
        _add(number, word)
        numbers.append(number)
    return numbers


def _year(numbers: list[_Number]) -> tuple[str, int] | None:
    """A year at the start of these numbers, and how many numbers it used.

    "twenty twenty five" (20, 25), "twenty oh five" (20, 0, 5),
    "two thousand twenty five" (2025).
    """
    first = numbers[0]
    if first.digits is None and 1900 <= first.value <= 2099 and first.last != "hundred":
        return str(first.value), 1
    if first.digits is not None or first.value not in (19, 20) or len(numbers) < 2:
        return None
    second = numbers[1]
    if second.digits is None and 10 <= second.value <= 99:
        return f"{first.value}{second.value}", 2
    if second.digits == "0" and len(numbers) > 2 and numbers[2].last == "digit":
        return f"{first.value}0{numbers[2].value}", 3
    return None


def _group(value: int) -> str:
    return f"{value:,}"


# --- document references -----------------------------------------------------

# How each prefix is said or written, as lower-case token sequences. Letters
# said one by one ("p o", "P.O.") are matched with the dots between them
# dropped; a prefix said as a word stays in the sentence ("invoice INV-…")
# because the intent classifier learned from those words too.
_PREFIXES: list[tuple[tuple[str, ...], str, bool]] = [
    (("purchase", "order"), "PO", True),
    (("sales", "order"), "SO", True),
    (("sale", "order"), "SO", True),
    (("supplier", "bill"), "BILL", True),
    (("vendor", "bill"), "BILL", True),
    (("supplier", "payment"), "PAY", True),
    (("vendor", "payment"), "PAY", True),
    (("r", "c", "p", "t"), "RCPT", False),
    (("i", "n", "v"), "INV", False),
    (("p", "o"), "PO", False),
    (("s", "o"), "SO", False),
    (("po",), "PO", False),
    (("inv",), "INV", False),
    (("rcpt",), "RCPT", False),
    (("invoice",), "INV", True),
    (("receipt",), "RCPT", True),
    (("bill",), "BILL", True),
    (("payment",), "PAY", True),
    (("so",), "SO", False),
]
# English words that are also prefixes count only before a full reference
# with a year ("so twenty twenty five dash twelve"), never "so five units".
_NEEDS_YEAR = {"so", "bill", "payment", "receipt", "invoice"}
NUMBER_WIDTHS = {"PO": 4, "SO": 5, "INV": 5, "BILL": 5, "RCPT": 5, "PAY": 5}
_NUMBER_WORDS_AFTER_PREFIX = {"number", "no", "num", "nr"}


def _match_prefix(toks: list[Token], i: int) -> tuple[str, bool, str, int] | None:
    """(code, said as a word, first word, index after the prefix) at toks[i]."""
    for words, code, as_word in _PREFIXES:
        j, matched = i, 0
        while matched < len(words) and j < len(toks):
            if toks[j].low == words[matched] and toks[j].kind == "word":
                matched += 1
                j += 1
                # letters said one by one may be written with dots or dashes: P.O., P-O
                spelled = len(words[0]) == 1 and j < len(toks) and toks[j].text in (".", "-")
                if spelled and (matched < len(words) or toks[j].text == "."):
                    j += 1
            else:
                break
        if matched == len(words):
            return code, as_word, words[0], j
    return None


def _reference_body(toks: list[Token], i: int) -> tuple[list[list[Token]], int]:
    """The parts of a reference's number (split at dashes and slashes) from toks[i]."""
    while i < len(toks) and (
        toks[i].low in _NUMBER_WORDS_AFTER_PREFIX or toks[i].text in ("#", ":", ".", "-")
    ):
        i += 1
    parts: list[list[Token]] = [[]]
    j = i
    while j < len(toks):
        tok = toks[j]
        plain_number = tok.kind == "num" and "." not in tok.text and "," not in tok.text
        number_word = tok.kind == "word" and (_is_number_word(tok.low) or tok.low in ZERO_WORDS)
        if plain_number or number_word:
            parts[-1].append(tok)
        elif (tok.low in _SEPARATOR_WORDS or tok.text in _SEPARATOR_MARKS) and parts[-1]:
            parts.append([])
        else:
            break
        j += 1
    if not parts[-1]:
        parts.pop()
        # the last separator was not part of the reference
        while j > i and (toks[j - 1].low in _SEPARATOR_WORDS or toks[j - 1].text in "-/_"):
            j -= 1
    return parts, j


def _part_digits(part: list[Token]) -> tuple[str, list[str]]:
    """The digits of one part, and each number's digits (a year is two numbers)."""
    pieces: list[str] = []
    words: list[str] = []
    for tok in [*part, None]:
        if tok is not None and tok.kind == "word":
            words.append(tok.low)
            continue
        if words:
            numbers = read_numbers(words)
            year = _year(numbers)
            if year and not pieces:
                pieces.append(year[0])
                numbers = numbers[year[1] :]
            pieces.extend(n.text() for n in numbers)
            words = []
        if tok is not None:
            pieces.append(tok.text)
    return "".join(pieces), pieces


def _reference(code: str, parts: list[list[Token]], needs_year: bool) -> str | None:
    if not parts:
        return None
    digits = [_part_digits(part) for part in parts]
    first, pieces = digits[0]
    if len(parts) > 1:
        year, sequence = first, "".join(d for d, _ in digits[1:])
    elif len(pieces[0]) == 4 and len(pieces) > 1:
        year, sequence = pieces[0], "".join(pieces[1:])
    elif len(first) > 4 and first.startswith("20"):
        year, sequence = first[:4], first[4:]
    else:
        year, sequence = "", first
    if len(year) == 2:
        year = "20" + year
    if year and not (len(year) == 4 and year.startswith("20")):
        return None
    if not sequence.strip("0") or (needs_year and not year):
        return None
    number = sequence.lstrip("0").zfill(NUMBER_WIDTHS[code])
    return f"{code}-{year}-{number}" if year else f"{code}-{number}"


# --- the normaliser ----------------------------------------------------------


def _number_run(toks: list[Token], i: int) -> int:
    """The end of a run of number words starting at toks[i] (i itself if none)."""
    j = i
    while j < len(toks) and toks[j].kind == "word":
        word = toks[j].low
        following = toks[j + 1].low if j + 1 < len(toks) else ""
        inside = j > i
        if (
            _is_number_word(word)
            or (word == "and" and inside)
            or (word == "point" and inside and following in DIGITS)
            or (word == "a" and (following == "hundred" or following in SCALES))
        ):
            j += 1
        elif word in ("oh", "o") and j > i and _is_number_word(following):
            j += 1  # "twenty oh five"
        else:
            break
    while j > i and toks[j - 1].low in ("and", "a", "oh", "o", "point"):
        j -= 1
    return j


# Magnitudes the NLU knows as words ("5 lakh", "1.2 million"): said last, they stay words.
_KEPT_SCALES = {"lakh", "lakhs", "lac", "crore", "crores", "million", "billion"}


def _spoken_numbers(words: list[str], following: str) -> str | None:
    """Digits for a run of number words, or None to leave the words as they are."""
    unit_follows = (
        following in UNITS or following in CURRENCY_WORDS or following in SCALES or following == "k"
    )
    if "point" in words:  # "two point five million" → "2.5 million"
        at = words.index("point")
        whole = read_numbers(words[:at]) if at else [_Number(digits="0")]
        fraction = words[at + 1 :]
        scale = fraction.pop() if fraction and fraction[-1] in SCALES else ""
        if len(whole) != 1 or not fraction or any(w not in DIGITS for w in fraction):
            return None
        digits = "".join(str(DIGITS[w]) for w in fraction)
        return f"{whole[0].text()}.{digits} {scale}".strip()
    if all(w in SCALES or w == "hundred" for w in words):
        return None  # "2 lakh", "12 thousand": the count was already written in digits
    if len(words) > 1 and words[-1] in _KEPT_SCALES:
        before = _spoken_numbers(words[:-1], words[-1])
        return f"{before} {words[-1]}" if before is not None else None
    numbers = read_numbers(words)
    if all(n.words == 1 and n.value < 10 for n in numbers) and not unit_follows:
        return None  # "the one for", "three way matching", "Lucky Seven", "one two three"
    out: list[str] = []
    index = 0
    while index < len(numbers):
        year = _year(numbers[index:]) if numbers[index].words <= 4 else None
        if year and not unit_follows:
            out.append(year[0])
            index += year[1]
            continue
        number = numbers[index]
        value = number.value
        last = index == len(numbers) - 1
        if number.digits is None and value >= 1000 and not (last and following in UNITS):
            out.append(_group(value))  # "12,500": the NLU's amount pattern wants the commas
        else:
            out.append(number.text())
        index += 1
    text = " ".join(out)
    return text + "k" if following == "k" else text


def normalise(transcript: str) -> str:
    """The transcript in the forms the NLU knows (see the module docstring)."""
    text = " ".join(transcript.split())
    # "twenty-five", "forty-two" → "twenty five": one word per number word
    text = re.sub(
        r"\b(twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)-(\w+)",
        r"\1 \2",
        text,
        flags=re.IGNORECASE,
    )
    # Whisper writes "one hundred and twenty" as "100 and 20"
    text = re.sub(r"\b(\d*[1-9]00) and (\d{1,2})\b", lambda m: str(int(m[1]) + int(m[2])), text)
    # ...and "lakh", a word it rarely saw, as "lack" ("2 lack taka")
    text = re.sub(r"\b(\d+(?:\.\d+)?) (?:lacks?|lacs|lakhs)\b", r"\1 lakh", text, flags=re.I)
    toks = tokens(text)
    replacements: list[tuple[int, int, str]] = []
    i = 0
    while i < len(toks):
        prefix = _match_prefix(toks, i) if toks[i].kind == "word" else None
        if prefix:
            code, as_word, first_word, body_start = prefix
            parts, end = _reference_body(toks, body_start)
            needs_year = first_word in _NEEDS_YEAR
            ref = _reference(code, parts, needs_year)
            if ref:
                words = text[toks[i].start : toks[body_start - 1].end] if as_word else ""
                replacements.append((toks[i].start, toks[end - 1].end, f"{words} {ref}".strip()))
                i = end
                continue
        if prefix and not prefix[1] and len(prefix[2]) == 1:
            # letters said one by one without a number: "every P O worth more than…"
            code, _, _, after = prefix
            replacements.append((toks[i].start, toks[after - 1].end, code))
            i = after
            continue
        if toks[i].kind == "word" and toks[i].low == "q" and i + 1 < len(toks):
            quarter = DIGITS.get(toks[i + 1].low) or (
                int(toks[i + 1].text) if toks[i + 1].text in "1234" else None
            )
            if quarter and 1 <= quarter <= 4:
                replacements.append((toks[i].start, toks[i + 1].end, f"Q{quarter}"))
                i += 2
                continue
        end = _number_run(toks, i)
        if end > i:
            following = toks[end].low if end < len(toks) else ""
            digits = _spoken_numbers([t.low for t in toks[i:end]], following)
            if digits is not None:
                stop = toks[end].end if following == "k" else toks[end - 1].end
                replacements.append((toks[i].start, stop, digits))
                i = end + (following == "k")
                continue
            i = end
            continue
        if toks[i].kind == "num" and re.fullmatch(r"\d{4,}", toks[i].text):
            value = int(toks[i].text)
            following = toks[i + 1].low if i + 1 < len(toks) else ""
            before = text[toks[i].start - 1] if toks[i].start else " "
            after = text[toks[i].end] if toks[i].end < len(text) else " "
            in_code = before.isalnum() or before in "-/" or after.isalnum() or after in "-/"
            if not (1900 <= value <= 2099) and following not in UNITS and not in_code:
                replacements.append((toks[i].start, toks[i].end, _group(value)))
        i += 1
    for start, end, new in reversed(replacements):
        text = text[:start] + new + text[end:]
    return text.strip()


# --- replies, made speakable ---------------------------------------------------

_REF_WRITTEN = re.compile(r"\b(PO|SO|INV|BILL|RCPT|PAY)-(20\d\d)-0*(\d+)\b")
_LETTERS = {"PO": "P O", "SO": "S O", "INV": "invoice", "BILL": "bill", "RCPT": "receipt"}
_LETTERS["PAY"] = "payment"


def speakable(text: str, max_chars: int = 600) -> str:
    """Reply text as it should be read aloud: no markup, references and amounts said plainly."""
    lines = []
    for raw in text.splitlines():
        line = re.sub(r"^\s*(?:[-*•]|\d+\.)\s+", "", raw).strip()
        line = re.sub(r"[*_`#>|]+", " ", line)
        if not line.strip():
            continue
        lines.append(line if line[-1] in ".!?:;," else line + ".")
    spoken = " ".join(" ".join(lines).split())
    spoken = _REF_WRITTEN.sub(lambda m: f"{_LETTERS[m[1]]} {m[2]} dash {m[3]}", spoken)
    spoken = re.sub(r"(?<=\d),(?=\d)", "", spoken)  # 12,34,567 (lakh grouping) → 1234567
    spoken = re.sub(r"(?<=\d)\.00\b", "", spoken)
    spoken = re.sub(r"\b(?:BDT|Tk\.?)\s?(?=\d)", "taka ", spoken)
    spoken = re.sub(r"\bUSD\s?(?=\d)", "US dollars ", spoken)
    spoken = re.sub(r"\s*›\s*", ", ", spoken).replace("→", " to ")
    if len(spoken) <= max_chars:
        return spoken
    cut = spoken[:max_chars]
    end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    return (cut[: end + 1] if end > 0 else cut) + " The full answer is in the text reply."
