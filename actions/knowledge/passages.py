"""Sections → passages: the unit that is embedded, retrieved and cited.

A passage is at most about `max_words` words of one section, split at
paragraph or sentence boundaries, and always knows its document title and
heading path. Its content starts with that path on one line, so that keyword
search matches headings too; `body()` gives the text without it.
"""

from __future__ import annotations

import hashlib
import re

from haystack import Document, component

from actions.knowledge.sources import Section, SourceDocument

LIST_NUMBER = re.compile(r"^\s*\d{1,2}[.)]\s+")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'])")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "top"


def heading_path(title: str, section: Section) -> str:
    return " › ".join([title, *section.parents, section.heading] if section.heading else [title])


def body(passage: Document) -> str:
    return (passage.content or "").partition("\n")[2]


def split_sentences(text: str) -> list[str]:
    """Sentences, with list items and table rows counted as sentences."""
    out: list[str] = []
    for line in text.splitlines():
        number = LIST_NUMBER.match(line)
        prefix, rest = (number.group(0), line[number.end() :]) if number else ("", line)
        parts = [s.strip() for s in SENTENCE_END.split(rest) if s.strip()]
        if parts:
            parts[0] = prefix + parts[0]
        out.extend(parts)
    return out


@component
class SectionSplitter:
    """Turns one parsed document into passages with their metadata."""

    def __init__(self, max_words: int = 160) -> None:
        self.max_words = max_words

    @component.output_types(documents=list[Document])
    def run(self, source: SourceDocument, meta: dict) -> dict[str, list[Document]]:
        documents: list[Document] = []
        for number, section in enumerate(source.sections):
            for chunk_number, chunk in enumerate(self._chunks(section.text)):
                passage_meta = {
                    **meta,
                    "title": source.title,
                    "section": section.heading,
                    "heading_path": heading_path(source.title, section),
                    "anchor": slug(section.heading) if section.heading else "top",
                    "section_number": number,
                    "chunk": chunk_number,
                }
                key = f"{meta['path']}#{number}.{chunk_number}:{meta.get('sha256', '')}"
                documents.append(
                    Document(
                        id=hashlib.sha256(key.encode()).hexdigest(),
                        content=f"{passage_meta['heading_path']}\n{chunk}",
                        meta=passage_meta,
                    )
                )
        return {"documents": documents}

    def _chunks(self, text: str) -> list[str]:
        units: list[str] = []
        for paragraph in text.splitlines():
            if len(paragraph.split()) <= self.max_words:
                units.append(paragraph)
            else:
                units.extend(split_sentences(paragraph))
        chunks: list[list[str]] = [[]]
        words = 0
        for unit in units:
            size = len(unit.split())
            if chunks[-1] and words + size > self.max_words:
                chunks.append([])
                words = 0
            chunks[-1].append(unit)
            words += size
        # a short tail reads better with its predecessor than alone
        if len(chunks) > 1 and sum(len(u.split()) for u in chunks[-1]) < self.max_words // 4:
            chunks[-2].extend(chunks.pop())
        return ["\n".join(chunk) for chunk in chunks if chunk]
