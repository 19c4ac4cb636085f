"""Turn the text of extracted entities into exact values.

The NLU hands over whatever the user typed ("10k", "last quarter",
"po 2025/42"). These functions turn it into values the queries can use, or
raise `InvalidInput` whose message tells the user which forms are understood.
They are pure: "today" is always passed in, so answers never depend on the
server clock and every rule can be tested with a fixed date.
"""

from actions.erp.parsing.amounts import MoneyAmount, parse_amount, parse_quantity
from actions.erp.parsing.documents import (
    DOCUMENT_TYPES,
    DocumentRef,
    find_document_refs,
    make_document_ref,
    normalise_document_ref,
)
from actions.erp.parsing.periods import (
    DEFAULT_HORIZON_WEEKS,
    MAX_HORIZON_WEEKS,
    Period,
    parse_horizon,
    parse_period,
)
from actions.erp.parsing.text import words_to_int

__all__ = [
    "DEFAULT_HORIZON_WEEKS",
    "DOCUMENT_TYPES",
    "MAX_HORIZON_WEEKS",
    "DocumentRef",
    "MoneyAmount",
    "Period",
    "find_document_refs",
    "make_document_ref",
    "normalise_document_ref",
    "parse_amount",
    "parse_horizon",
    "parse_period",
    "parse_quantity",
    "words_to_int",
]
