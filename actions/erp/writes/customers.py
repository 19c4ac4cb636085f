"""Creating customers: a name nobody has yet, a way to reach them, terms and a credit limit."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, ClassVar

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from actions.erp.context import Context, Request
from actions.erp.errors import InvalidInput, PermissionDenied
from actions.erp.formatting import format_date
from actions.erp.models import ApprovalRule, Customer, DocumentSequence, Role, Warehouse
from actions.erp.parsing.text import clean_text, words_to_int
from actions.erp.resolve import normalise_name
from actions.erp.writes.base import Done, Draft, FillResult, Plan, WriteCommand
from actions.erp.writes.common import ZERO, company_amount, decimal_param, join_and, require

MAX_TERMS_DAYS = 180
# a new name this close to an existing one (token_sort_ratio of the normalised
# names) is the same customer typed differently: "Meghna Textile" = "Meghna Textiles Ltd"
DUPLICATE_SCORE = 90.0
# names this close are only pointed out in the summary: "Summit Hardware Supply"
SIMILAR_SCORE = 85.0
MAX_SIMILAR = 3
CODE_PREFIX = "CUST"

_FIELD_WORDS = {
    "name": "customer's name",
    "contact": "email address or phone number",
    "city": "city",
    "payment_terms": "payment terms",
    "credit_limit": "credit limit",
}
_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-']+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}")
_EMAIL_LIKE_RE = re.compile(r"\S+@\S*")
_PHONE_RE = re.compile(r"(?<![\w@.])\+?\(?\d[\d\s().\-]{5,22}\d(?![\w@])")
_CASH_TERMS_RE = re.compile(
    r"^(?:cash|immediate(?:ly)?|on receipt|due on receipt|upon receipt|cash on delivery|"
    r"cod|c\.o\.d\.?|advance|advance payment|prepaid|prepayment|payment in advance|"
    r"no credit|none|zero|0)$"
)
_TERMS_RE = re.compile(
    r"^(?:net\s*|within\s+|payment\s+within\s+|pay\s+within\s+)?(?P<n>[a-z0-9 -]+?)\s*"
    r"(?P<unit>days?|weeks?|months?)?(?:\s+(?:credit|net|terms?))?$"
)
_ZERO_CREDIT_RE = re.compile(
    r"^(?:zero|none|nil|nothing|no credit(?: limit)?(?: for now)?|cash only|cash|"
    r"cash customer)$"
)
_LIMIT_WORDS_RE = re.compile(
    r"^(?:(?:give them|set|make|the|a|an|credit|limit|of|is|should be|to|it)\s+)+"
)
_LIMIT_TAIL_RE = re.compile(r"\s+(?:credit(?: limit)?|limit)$")
# contact details in a message about something else: an email address, or a
# number that the user calls a phone number
_PASSING_CONTACT_RE = re.compile(
    r"\b(?:e-?mail|phone|mobile|tel|telephone|cell|whatsapp)\b|[A-Za-z0-9._%+\-']+@\S+",
    re.IGNORECASE,
)
_CITY_RE = re.compile(r"^[^\W\d_][\w .,'’()\-]*$")


class CreateCustomer(WriteCommand):
    name: ClassVar[str] = "create_customer"
    permission: ClassVar[str] = "customers.create"
    fields: ClassVar[tuple[str, ...]] = ("name", "contact", "city", "payment_terms", "credit_limit")
    entity_fields: ClassVar[dict[str, str]] = {
        "customer": "name",
        "city": "city",
        "amount": "credit_limit",
    }

    def fill(
        self, ctx: Context, draft: Draft, request: Request, requested: str | None = None
    ) -> FillResult:
        """Also take an email, or a phone number introduced as one, said in passing."""
        text = request.text
        passing = _PASSING_CONTACT_RE.search(text) if requested != "contact" else None
        if passing and requested is not None:
            # "Padma Fresh Foods, email ops@padmafresh.example": the answer ends there
            head = text[: passing.start()].strip(" ,;:-")
            request = Request(head, request.entities)
        result = super().fill(ctx, draft, request, requested)
        if passing:
            try:
                found = _contact(text[passing.start() :])
            except InvalidInput as problem:
                if "@" in text[passing.start() :]:
                    result.problems.append(problem)
            else:
                known = dict(result.draft.get("contact") or {})
                known.update({k: v for k, v in found.items() if v})
                result.draft["contact"] = {"email": "", "phone": "", **known}
        return result

    def read(self, ctx: Context, name: str, value: str, draft: Draft) -> Draft:
        if name == "name":
            customer_name = _clean_name(value)
            _check_not_duplicate(ctx, customer_name)
            return {"name": customer_name}
        if name == "contact":
            return {"contact": _contact(value)}
        if name == "city":
            return {"city": _city(ctx, value)}
        if name == "payment_terms":
            return {"payment_terms": _terms(value)}
        if name == "credit_limit":
            limit = _credit_limit(ctx, value)
            _check_ceiling(ctx, limit)
            return {"credit_limit": str(limit)}
        raise KeyError(name)

    def _evaluate(self, ctx: Context, draft: Draft) -> dict[str, Any]:
        require(draft, self.fields, _FIELD_WORDS)
        customer_name = _clean_name(str(draft["name"]), field="name")
        _check_not_duplicate(ctx, customer_name, field="name")
        contact = draft["contact"]
        if isinstance(contact, dict):
            text = " ".join(str(contact.get(k) or "") for k in ("email", "phone"))
        else:
            text = str(contact)
        try:
            checked_contact = _contact(text)
        except InvalidInput as error:
            raise InvalidInput(str(error), field="contact") from None
        try:
            city = _city(ctx, str(draft["city"]))
        except InvalidInput as error:
            raise InvalidInput(str(error), field="city") from None
        try:
            terms = _terms(str(draft["payment_terms"]))
        except InvalidInput as error:
            raise InvalidInput(str(error), field="payment_terms") from None
        limit = decimal_param(draft["credit_limit"], "credit limit", field="credit_limit")
        if limit < 0:
            raise InvalidInput("The credit limit can't be negative.", field="credit_limit")
        ceiling = _check_ceiling(ctx, limit, field="credit_limit")
        return {
            "name": customer_name,
            "contact": checked_contact,
            "city": city,
            "payment_terms": terms,
            "credit_limit": limit,
            "ceiling": ceiling,
            "similar": _similar(ctx, customer_name),
        }

    def plan(self, ctx: Context, draft: Draft) -> Plan:
        new = self._evaluate(ctx, draft)
        limit: Decimal = new["credit_limit"]
        contact = new["contact"]
        reach = join_and([v for v in (contact["email"], contact["phone"]) if v])
        terms = new["payment_terms"]
        similar = new["similar"]
        note = (
            f" Customers with similar names already exist: {join_and(similar)}; "
            "make sure this is a different business."
            if similar
            else ""
        )
        summary = (
            f"Please confirm: create the customer {new['name']} in {new['city']}, contact "
            f"{reach}, payment terms {_terms_words(terms)}, credit limit {ctx.money(limit)}"
            f"{' (cash only, no credit)' if limit == 0 else ''}, no trade discount. It gets the "
            f"next customer code and starts active today, {format_date(ctx.today)}.{note}"
        )
        ceiling = new["ceiling"]
        return Plan(
            params={
                "name": new["name"],
                "contact": contact,
                "city": new["city"],
                "payment_terms": terms,
                "credit_limit": str(limit),
            },
            summary=summary,
            state={
                "similar": similar,
                "ceiling": None if ceiling is None else str(ceiling),
            },
        )

    def execute(self, ctx: Context, params: Draft) -> Done:
        # the counter's lock comes first: two assistants creating the same name queue
        # here, and the second one's duplicate check below sees the first one's row
        code = _next_code(ctx)
        new = self._evaluate(ctx, params)
        contact = new["contact"]
        customer = Customer(
            company_id=ctx.company_id,
            code=code,
            name=new["name"],
            email=contact["email"],
            phone=contact["phone"],
            city=new["city"],
            address="",
            payment_terms_days=new["payment_terms"],
            credit_limit=new["credit_limit"],
            discount_pct=ZERO,
            is_active=True,
            created_at=ctx.today,
        )
        ctx.session.add(customer)
        ctx.session.flush()
        return Done(
            text=(
                f"Done: {new['name']} is now customer {code}, in {new['city']}, with payment "
                f"terms {_terms_words(new['payment_terms'])} and a credit limit of "
                f"{ctx.money(new['credit_limit'])}."
            ),
            entity_type="customer",
            entity_ref=code,
            before={},
            after={
                "code": code,
                "name": new["name"],
                "email": contact["email"],
                "phone": contact["phone"],
                "city": new["city"],
                "payment_terms_days": new["payment_terms"],
                "credit_limit": str(new["credit_limit"]),
                "discount_pct": "0.00",
                "is_active": True,
            },
        )


# --- the name ---------------------------------------------------------------------------


def _clean_name(text: str, *, field: str | None = None) -> str:
    name = " ".join(text.split()).strip(" .,;:")
    if len(name) < 3 or not re.search(r"[^\W\d_]", name):
        raise InvalidInput(
            "A customer's name needs at least 3 characters, with letters, such as "
            "“Meghna Textiles Ltd”.",
            field=field,
        )
    if len(name) > 200:
        raise InvalidInput("Please keep the customer's name under 200 characters.", field=field)
    return name


def _scores(ctx: Context, name: str) -> list[tuple[Customer, float, float]]:
    """Every customer of the company with (duplicate score, similarity score)."""
    wanted = normalise_name(name)
    compact = wanted.replace(" ", "")
    scored = []
    for customer in ctx.session.scalars(
        select(Customer).where(Customer.company_id == ctx.company_id).order_by(Customer.id)
    ):
        existing = normalise_name(customer.name)
        same = 100.0 if existing.replace(" ", "") == compact else 0.0
        duplicate = max(same, fuzz.token_sort_ratio(wanted, existing))
        similar = max(duplicate, fuzz.token_set_ratio(wanted, existing))
        scored.append((customer, duplicate, similar))
    return scored


def _check_not_duplicate(ctx: Context, name: str, *, field: str | None = None) -> None:
    duplicates = [
        (customer, score) for customer, score, _ in _scores(ctx, name) if score >= DUPLICATE_SCORE
    ]
    if not duplicates:
        return
    customer, _ = max(duplicates, key=lambda pair: pair[1])
    inactive = "" if customer.is_active else ", now inactive"
    raise InvalidInput(
        f"{ctx.actor.company_name} already has a customer called {customer.name} "
        f"({customer.code}, {customer.city}{inactive}), which looks like the same business as "
        f"“{name}”. Please use that customer, or give a name that tells them apart.",
        field=field,
    )


def _similar(ctx: Context, name: str) -> list[str]:
    close = sorted(
        ((customer, score) for customer, _, score in _scores(ctx, name) if score >= SIMILAR_SCORE),
        key=lambda pair: (-pair[1], pair[0].name),
    )
    return [f"{customer.name} ({customer.code})" for customer, _ in close[:MAX_SIMILAR]]


# --- contact, city, terms -----------------------------------------------------------------


def _contact(text: str) -> dict[str, str]:
    """An email address and/or a phone number from free text."""
    emails = _EMAIL_RE.findall(text)
    rest = _EMAIL_RE.sub(" ", text)
    if not emails and (bad := _EMAIL_LIKE_RE.search(rest)):
        raise InvalidInput(
            f"“{bad.group(0)}” is not a valid email address. Please give one like "
            "accounts@example.com, or a phone number."
        )
    phones = []
    for match in _PHONE_RE.finditer(rest):
        candidate = " ".join(match.group(0).split())
        digits = re.sub(r"\D", "", candidate)
        if not 7 <= len(digits) <= 15:
            raise InvalidInput(
                f"“{candidate}” doesn't look like a phone number: it has {len(digits)} digits, "
                "and phone numbers have 7 to 15. Please check it."
            )
        phones.append(candidate)
    if not emails and not phones:
        raise InvalidInput(
            "Please give an email address or a phone number for the customer, such as "
            "accounts@example.com or +880 1711-234567."
        )
    email = emails[0].lower() if emails else ""
    if len(email) > 200:
        raise InvalidInput("That email address is too long.")
    return {"email": email, "phone": phones[0][:50] if phones else ""}


def _city(ctx: Context, text: str) -> str:
    city = " ".join(text.split()).strip(" .,;:")
    city = re.sub(
        r"^(?:(?:they are|they're|it's|it is|located|based|city is|the city is|city:?|in|at)\s+)+",
        "",
        city,
        flags=re.IGNORECASE,
    )
    if not city or not _CITY_RE.match(city) or len(city) > 100:
        raise InvalidInput(
            "Please give the customer's city as a place name, such as Chattogram or Austin, TX."
        )
    # the spelling already used for this city in the company, else title case
    known = (
        ctx.session.scalars(
            select(Customer.city).where(Customer.company_id == ctx.company_id).distinct()
        ).all()
        + ctx.session.scalars(
            select(Warehouse.city).where(Warehouse.company_id == ctx.company_id)
        ).all()
    )
    for spelling in known:
        if spelling.lower() == city.lower():
            return spelling
    return _title(city)


def _title(city: str) -> str:
    """ "cox's bazar" → "Cox's Bazar", "austin, tx" → "Austin, TX"."""
    head, comma, state = city.partition(",")
    words = [w[:1].upper() + w[1:] if w.islower() else w for w in head.split(" ")]
    titled = " ".join("-".join(p[:1].upper() + p[1:] for p in w.split("-")) for w in words)
    if comma:
        state = state.strip()
        state = state.upper() if len(state) == 2 else _title(state)
        return f"{titled}, {state}"
    return titled


def _terms(text: str) -> int:
    s = clean_text(text).strip(" .")
    s = re.sub(r"^(?:payment terms?|terms?)(?: are| is)?:?\s*", "", s)
    if _CASH_TERMS_RE.match(s):
        return 0
    match = _TERMS_RE.match(s)
    count = None
    if match:
        number = match.group("n").strip()
        count = int(number) if number.isdigit() else words_to_int(number)
    if count is None or count < 0:
        raise InvalidInput(
            f"I couldn't read “{text.strip()}” as payment terms. Say something like 30 days, "
            "net 45, or cash."
        )
    unit = (match.group("unit") or "days").rstrip("s") if match else "day"
    days = count * {"day": 1, "week": 7, "month": 30}[unit]
    if days > MAX_TERMS_DAYS:
        raise InvalidInput(
            f"Payment terms can be at most {MAX_TERMS_DAYS} days; “{text.strip()}” is {days}."
        )
    return days


def _terms_words(days: int) -> str:
    return "cash (due immediately)" if days == 0 else f"{days} days"


# --- credit -------------------------------------------------------------------------------


def _credit_limit(ctx: Context, text: str) -> Decimal:
    cleaned = clean_text(text).strip(" .")
    if _ZERO_CREDIT_RE.match(cleaned):
        return ZERO
    cleaned = _LIMIT_WORDS_RE.sub("", cleaned).strip()
    cleaned = _LIMIT_TAIL_RE.sub("", cleaned).strip()
    if _ZERO_CREDIT_RE.match(cleaned):
        return ZERO
    if re.search(r"\d", cleaned) and not re.search(r"[1-9]", cleaned):
        # "0", "BDT 0", "$0.00": no credit; the currency is read from a stand-in amount
        company_amount(ctx, re.sub(r"0", "1", cleaned, count=1), "credit limit")
        return ZERO
    return company_amount(ctx, cleaned or text, "credit limit")


def _ceiling(ctx: Context) -> tuple[bool, Decimal | None]:
    """(any rule, largest ceiling) over the user's roles; None means no ceiling."""
    rules = ctx.session.scalars(
        select(ApprovalRule)
        .join(Role, Role.id == ApprovalRule.role_id)
        .where(
            ApprovalRule.company_id == ctx.company_id,
            ApprovalRule.document_type == "customer_credit_limit",
            Role.code.in_(sorted(ctx.actor.roles)),
        )
    ).all()
    if not rules:
        return False, ZERO
    if any(rule.max_amount is None for rule in rules):
        return True, None
    return True, max(rule.max_amount for rule in rules if rule.max_amount is not None)


def _check_ceiling(ctx: Context, limit: Decimal, *, field: str | None = None) -> Decimal | None:
    has_rule, ceiling = _ceiling(ctx)
    if not has_rule and limit > 0:
        raise PermissionDenied(
            "Your role may not give customers credit, so the credit limit has to be 0 (cash "
            "only). An administrator can raise it later.",
            field=field,
        )
    if ceiling is not None and limit > ceiling:
        raise InvalidInput(
            f"Your role may give a new customer a credit limit of up to {ctx.money(ceiling)}, "
            f"and {ctx.money(limit)} is more. Please give a limit within that; an "
            "administrator can raise it later.",
            field=field,
        )
    return ceiling


def _next_code(ctx: Context) -> str:
    """The next free CUST-NNNN: a locked counter, never below the highest code in use."""
    key = {"company_id": ctx.company_id, "prefix": CODE_PREFIX, "year": 0}
    sequence = ctx.session.scalar(
        select(DocumentSequence)
        .filter_by(**key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if sequence is None:
        try:
            with ctx.session.begin_nested():
                ctx.session.add(DocumentSequence(**key, last_value=0))
        except IntegrityError:
            pass  # another writer started the counter first; take its row
        sequence = ctx.session.scalar(
            select(DocumentSequence)
            .filter_by(**key)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert sequence is not None
    codes = ctx.session.scalars(
        select(Customer.code).where(
            Customer.company_id == ctx.company_id, Customer.code.like(f"{CODE_PREFIX}-%")
        )
    )
    used = [int(m.group(1)) for c in codes if (m := re.fullmatch(rf"{CODE_PREFIX}-(\d+)", c))]
    sequence.last_value = max([sequence.last_value, *used]) + 1
    ctx.session.flush()
    return f"{CODE_PREFIX}-{sequence.last_value:04d}"
