"""Grounded answers from retrieved passages, and the check that keeps them so.

`ExtractiveAnswerer` quotes the sentences of the best passage that are
closest in meaning to the question. `GroundingCheck` holds a generated
answer against the passages sentence by sentence: a sentence counts as
supported when it is close in meaning to a passage sentence and every number
in it appears in the passages; one unsupported sentence rejects the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from haystack import Document, component
from haystack_integrations.components.embedders.sentence_transformers import (
    SentenceTransformersDocumentEmbedder,
)

from actions.knowledge.models import embedder_settings
from actions.knowledge.passages import body, split_sentences
from actions.knowledge.retrieval import Passage

MAX_QUOTE_WORDS = 90
NUMBER = re.compile(r"\d[\d,.]*\d|\d")
CITATION = re.compile(r"\[(\d{1,2})\]")


@dataclass(frozen=True)
class Source:
    title: str
    section: str
    path: str
    anchor: str
    similarity: float

    @classmethod
    def of(cls, passage: Passage) -> Source:
        meta = passage.document.meta
        return cls(
            title=meta["title"],
            section=meta.get("section") or "",
            path=meta["path"],
            anchor=meta.get("anchor") or "top",
            similarity=round(passage.similarity, 3),
        )

    def label(self) -> str:
        return f"{self.title} › {self.section}" if self.section else self.title


@dataclass
class Draft:
    text: str
    sources: list[Source] = field(default_factory=list)


class SentenceEmbedder:
    """Embeds short texts with the already loaded MiniLM (Haystack shares it)."""

    def __init__(self) -> None:
        self._embedder = SentenceTransformersDocumentEmbedder(**embedder_settings())
        self._embedder.warm_up()

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        documents = self._embedder.run(documents=[Document(content=t) for t in texts])["documents"]
        return np.array([d.embedding for d in documents], dtype=np.float32)


@component
class ExtractiveAnswerer:
    """Quotes the most relevant sentences of the best passage (and names it).

    Table rows are quoted with their column headings; a question about a
    whole document ("what's the travel policy?") gets what the document
    covers, section by section, rather than its front matter.
    """

    def __init__(self, embedder: SentenceEmbedder) -> None:
        self.embedder = embedder

    @component.output_types(draft=Draft)
    def run(
        self, question: str, passages: list[Passage], outline: dict[str, list[str]]
    ) -> dict[str, Draft]:
        best = passages[0]
        source = Source.of(best)
        if not source.section and outline.get(source.path):
            sections = "; ".join(outline[source.path])
            intro = " ".join(split_sentences(body(best.document))[:1])
            text = f"**{source.title}** ({intro}) covers: {sections}. Ask me about any of these."
            return {"draft": Draft(text=text, sources=[source])}
        units = quotable_units(body(best.document))
        vectors = self.embedder.embed([question] + [u.scored for u in units])
        asked = content_words(question)
        scores = vectors[1:] @ vectors[0] + np.array(
            [0.2 * len(asked & content_words(u.scored)) / max(1, len(asked)) for u in units]
        )
        top = float(scores.max())
        chosen: list[int] = []
        words = 0
        for i in np.argsort(-scores):
            size = len(units[i].quoted.split())
            if chosen and (scores[i] < top - 0.12 or words + size > MAX_QUOTE_WORDS):
                continue
            chosen.append(int(i))
            words += size
            if len(chosen) == 3:
                break
        chosen += [i for i in table_rows_asked(units, asked, chosen) if i not in chosen]
        quote = "\n".join(_as_quote_line(units[i].quoted) for i in sorted(chosen))
        sources = [source]
        other = _second_document(passages)
        if other is not None:
            sources.append(Source.of(other))
        return {"draft": Draft(text=f"From **{source.label()}**:\n{quote}", sources=sources)}


STOPWORDS = frozenset(
    re.findall(
        r"\S+",
        """a an the and or of to in on for is are am be do does did i we our my me you your
        it its at by with what whats how who which when where why can could should would
        will there this that these those any from as about than then if get have has much
        many per up out""",
    )
)


def content_words(text: str) -> set[str]:
    return {
        w.rstrip("s")
        for w in re.findall(r"[a-z0-9]+", text.lower())
        if w not in STOPWORDS and len(w) > 1
    }


@dataclass(frozen=True)
class Unit:
    scored: str  # what is compared with the question
    quoted: str  # what the answer shows
    row_label: str = ""  # first cell, for table rows
    table: int = -1  # which table of the passage, for table rows


def quotable_units(text: str) -> list[Unit]:
    """Each sentence, list item and table row; a table's first row is its
    heading and is quoted with every row ("Chattogram: M1 BDT 12,000, …")."""
    units: list[Unit] = []
    header: list[str] | None = None
    tables = 0
    for line in text.splitlines():
        if " | " not in line:
            header = None
            units.extend(Unit(s, s) for s in split_sentences(line))
            continue
        cells = [c.strip() for c in line.split(" | ")]
        if header is None:
            header, tables = cells, tables + 1
            continue
        if len(cells) == len(header):
            pairs = ", ".join(f"{h} {c}" for h, c in zip(header[1:], cells[1:], strict=True))
            quoted = f"{cells[0]}: {pairs}"
        else:
            quoted = "; ".join(cells)
        units.append(Unit(f"{' '.join(header)} {line}", quoted, cells[0], tables))
    return units or [Unit(text, text)]


def table_rows_asked(units: list[Unit], asked: set[str], chosen: list[int]) -> list[int]:
    """Rows the question names by their first cell ("… in Chattogram"); else,
    when the quote introduces a small table, the whole table."""
    named = [i for i, u in enumerate(units) if u.row_label and asked & content_words(u.row_label)]
    if named:
        return named[:3]
    for i in chosen:
        following = i + 1
        if following < len(units) and units[following].row_label and not units[i].row_label:
            table = [j for j, u in enumerate(units) if u.table == units[following].table]
            return table if len(table) <= 6 else []
    return []


def _as_quote_line(sentence: str) -> str:
    return sentence if sentence.startswith("- ") else f"> {sentence}"


def _second_document(passages: list[Passage]) -> Passage | None:
    """A different document that is nearly as relevant, worth naming too."""
    first = passages[0]
    for passage in passages[1:3]:
        if passage.path != first.path and passage.similarity >= first.similarity - 0.05:
            return passage
    return None


@dataclass(frozen=True)
class GroundingVerdict:
    grounded: bool
    unsupported: list[str]


class GroundingCheck:
    def __init__(self, embedder: SentenceEmbedder, min_similarity: float = 0.6) -> None:
        self.embedder = embedder
        self.min_similarity = min_similarity

    def check(self, answer: str, passages: list[Passage]) -> GroundingVerdict:
        claims = [
            s
            for s in split_sentences(CITATION.sub("", answer))
            if len(re.findall(r"[A-Za-z]{3,}", s)) >= 3
        ]
        if not claims:
            return GroundingVerdict(grounded=False, unsupported=[answer.strip() or "(empty)"])
        evidence = [s for p in passages for s in split_sentences(body(p.document))]
        evidence_text = " ".join(body(p.document) for p in passages)
        known_numbers = {_number(n) for n in NUMBER.findall(evidence_text)}
        vectors = self.embedder.embed(claims + evidence)
        claim_vectors, evidence_vectors = vectors[: len(claims)], vectors[len(claims) :]
        best = (claim_vectors @ evidence_vectors.T).max(axis=1)
        unsupported = [
            claim
            for claim, score in zip(claims, best, strict=True)
            if score < self.min_similarity
            or any(_number(n) not in known_numbers for n in NUMBER.findall(claim))
        ]
        return GroundingVerdict(grounded=not unsupported, unsupported=unsupported)


def _number(text: str) -> str:
    return text.replace(",", "").rstrip(".")


def cited_passages(answer: str, passages: list[Passage]) -> list[Passage]:
    """The passages an answer cites as [n], in order, ignoring numbers out of range."""
    seen: list[Passage] = []
    for match in CITATION.finditer(answer):
        index = int(match.group(1)) - 1
        if 0 <= index < len(passages) and passages[index] not in seen:
            seen.append(passages[index])
    return seen
