"""Documents on disk → titled sections, whatever the format.

Markdown, plain text, HTML and PDF are read into the same shape: a title and
sections, each with its heading and clean text. Site chrome (menus, scripts,
footers) and repeated PDF page headers are dropped here, so that neither the
index nor the answers ever quote them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

FORMATS = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".html": "html"}
FORMATS |= {".htm": "html", ".pdf": "pdf"}


@dataclass(frozen=True)
class Section:
    heading: str  # "" for the text before the first heading
    text: str
    parents: tuple[str, ...] = ()  # enclosing headings, outermost first


@dataclass(frozen=True)
class SourceDocument:
    title: str
    sections: list[Section] = field(default_factory=list)


class UnreadableDocument(Exception):
    """A file the knowledge base cannot read; indexing reports it and goes on."""


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in FORMATS and not path.name.startswith(".")


def read_document(path: Path) -> SourceDocument:
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise UnreadableDocument(f"{path.name}: unsupported format")
    try:
        if kind == "pdf":
            return _read_pdf(path)
        raw = path.read_bytes().decode("utf-8", errors="replace")
    except OSError as error:
        raise UnreadableDocument(f"{path.name}: {error}") from error
    document = {"markdown": _read_markdown, "text": _read_text, "html": _read_html}[kind](raw)
    title = document.title or _title_from_name(path)
    sections = [s for s in document.sections if s.text.strip()]
    if not sections:
        raise UnreadableDocument(f"{path.name}: no text found")
    return SourceDocument(title=title, sections=sections)


def _title_from_name(path: Path) -> str:
    return path.stem.replace("-", " ").replace("_", " ").strip().capitalize()


class _Outline:
    """Collects headings and paragraphs into sections, tracking heading levels."""

    def __init__(self) -> None:
        self.title = ""
        self.sections: list[Section] = []
        self._stack: list[tuple[int, str]] = []
        self._heading = ""
        self._lines: list[str] = []

    def heading(self, level: int, text: str) -> None:
        text = _clean_inline(text)
        if not text:
            return
        if level == 1 and not self.title:
            self.title = text
            return
        self._flush()
        self._stack = [(lvl, h) for lvl, h in self._stack if lvl < level]
        self._heading = text
        self._stack.append((level, text))

    def line(self, text: str) -> None:
        self._lines.append(text)

    def finish(self) -> SourceDocument:
        self._flush()
        return SourceDocument(title=self.title, sections=self.sections)

    def _flush(self) -> None:
        text = _join_lines(self._lines)
        self._lines = []
        if not text:
            return
        parents = tuple(h for _, h in self._stack[:-1]) if self._heading else ()
        self.sections.append(Section(heading=self._heading, text=text, parents=parents))


def _join_lines(lines: list[str]) -> str:
    """Paragraphs separated by blank lines; list items and table rows kept apart."""
    paragraphs: list[str] = []
    current: list[str] = []
    for raw in lines:
        line = raw.strip()
        if not line:
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        if _starts_item(line) and current:
            paragraphs.append(" ".join(current))
            current = []
        current.append(line)
        if _starts_item(line) and line.startswith("|"):
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n".join(p for p in (_clean_inline(p) for p in paragraphs) if p)


_ITEM = re.compile(r"^([-*•+]\s|\d+[.)]\s|\|)")


def _starts_item(line: str) -> bool:
    return bool(_ITEM.match(line))


_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|`)(?=\S)(.+?)(?<=\S)\1")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")


def _clean_inline(text: str) -> str:
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_EMPHASIS.sub(r"\2", text)
    if text.startswith("|"):
        cells = [c.strip() for c in text.strip("|").split("|")]
        text = " | ".join(c for c in cells if c)
    text = re.sub(r"^[-*+•]\s+", "- ", text)
    return re.sub(r"\s+", " ", text).strip()


# ---------------------------------------------------------------- Markdown

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def _read_markdown(raw: str) -> SourceDocument:
    outline = _Outline()
    in_code = False
    for line in raw.splitlines():
        if line.strip().startswith("```"):
            in_code = not in_code
            continue
        match = None if in_code else _MD_HEADING.match(line)
        if match:
            outline.heading(len(match.group(1)), match.group(2))
        elif not _TABLE_RULE.match(line.strip()) or not line.strip():
            outline.line(line)
    return outline.finish()


# ---------------------------------------------------------------- plain text and PDF text

_NUMBERED = re.compile(r"^(\d{1,2})\.\s+(\S.{1,80})$")
_UNDERLINE = re.compile(r"^(=+|-+)\s*$")


def _read_text(raw: str, title: str = "") -> SourceDocument:
    """Title: the first line. Headings: underlined lines, or numbered headings
    ("3. ANNUAL LEAVE") whose numbers run in sequence, so that numbered list
    items in the body are not mistaken for headings."""
    lines = raw.splitlines()
    outline = _Outline()
    start = 0
    if not title:
        while start < len(lines) and not lines[start].strip():
            start += 1
        if start < len(lines):
            title = lines[start].strip()
            start += 1
            if start < len(lines) and _UNDERLINE.match(lines[start].strip()):
                start += 1
    outline.title = _clean_inline(title)
    next_number = 1
    index = start
    while index < len(lines):
        line = lines[index].strip()
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        numbered = _NUMBERED.match(line)
        if line and _UNDERLINE.match(following) and len(following) >= max(3, len(line) // 2):
            outline.heading(2 if following.startswith("=") else 3, line)
            index += 2
            continue
        if numbered and _looks_like_heading(numbered.group(2)):
            number = int(numbered.group(1))
            if number == next_number:
                outline.heading(2, line)
                next_number += 1
                index += 1
                continue
        outline.line(lines[index])
        index += 1
    return outline.finish()


def _looks_like_heading(text: str) -> bool:
    return (
        len(text) <= 70 and not text.rstrip().endswith((".", ",", ";", ":")) and text[0].isupper()
    )


def _read_pdf(path: Path) -> SourceDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        pages = [(page.extract_text() or "").splitlines() for page in reader.pages]
        title = str((reader.metadata or {}).get("/Title") or "").strip()
    except (PdfReadError, OSError, ValueError) as error:
        raise UnreadableDocument(f"{path.name}: {error}") from error
    repeated = _page_furniture(pages)
    body: list[str] = []
    for number, lines in enumerate(pages):
        kept = [line for line in lines if line.strip() not in repeated]
        if number > 0 and title and kept and kept[0].strip() == title:
            kept = kept[1:]
        body.extend(kept)
        body.append("")
    if title and body and body[0].strip() == title:
        body = body[1:]
    return _read_text(_unwrap(body), title=title or (body[0] if body else ""))


def _page_furniture(pages: list[list[str]]) -> set[str]:
    """Header and footer lines repeated on most pages ("Page 2 of 3" counts as one)."""
    if len(pages) < 2:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        edge = [line.strip() for line in lines[:2] + lines[-2:] if line.strip()]
        counts.update({re.sub(r"\d+", "#", line) for line in edge})
    common = {shape for shape, n in counts.items() if n >= max(2, len(pages) // 2 + 1)}
    return {
        line.strip()
        for lines in pages
        for line in lines[:2] + lines[-2:]
        if re.sub(r"\d+", "#", line.strip()) in common
    }


def _unwrap(lines: list[str]) -> str:
    """PDF text comes as wrapped lines: rejoin them into paragraphs, keeping
    headings, list items and short lines (table rows) on their own."""
    out: list[str] = []
    for raw in lines:
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped:
            out.append("")
            continue
        starts_block = _NUMBERED.match(stripped) or _starts_item(stripped) or not out or not out[-1]
        previous = out[-1] if out else ""
        continues = stripped[0].islower() or stripped[0].isdigit() or len(previous) > 60
        if not starts_block and previous and not previous.endswith((".", ":", ";")) and continues:
            out[-1] = previous + " " + stripped
            continue
        if _NUMBERED.match(stripped) and _looks_like_heading(_NUMBERED.match(stripped).group(2)):
            out.extend(["", stripped, ""])
            continue
        out.append(stripped)
    return "\n".join(out)


# ---------------------------------------------------------------- HTML

_SKIP = {"script", "style", "nav", "header", "footer", "aside", "form", "noscript", "template"}
_SKIP |= {"button", "svg", "iframe"}
_BLOCK = {"p", "li", "tr", "div", "section", "article", "br", "dd", "dt", "blockquote", "pre"}
_VOID = {"br", "img", "hr", "meta", "link", "input", "area", "base", "col", "embed", "source"}
_CHROME = re.compile(r"breadcrumb|cookie|banner|sidebar|skip-link|print-only|toolbar", re.I)


class _HTMLOutline(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.outline = _Outline()
        self.page_title = ""
        self._skip_depth = 0
        self._open: list[tuple[str, bool]] = []  # tag, skipped
        self._heading: tuple[int, list[str]] | None = None
        self._text: list[str] = []
        self._in_title = False
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            if tag == "br":
                self._break()
            return
        classes = " ".join(v or "" for k, v in attrs if k in ("class", "id", "role"))
        skipped = self._skip_depth > 0 or tag in _SKIP or bool(_CHROME.search(classes))
        self._open.append((tag, skipped))
        if skipped:
            self._skip_depth += 1
            return
        if tag == "title":
            self._in_title = True
        elif re.fullmatch(r"h[1-6]", tag):
            self._break()
            self._heading = (int(tag[1]), [])
        elif tag == "tr":
            self._break()
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "li":
            self._break()
            self._text.append("- ")
        elif tag in _BLOCK:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        while self._open:
            open_tag, skipped = self._open.pop()
            if skipped:
                self._skip_depth -= 1
            if open_tag == tag:
                break
        else:
            return
        if self._skip_depth:
            return
        if tag == "title":
            self._in_title = False
        elif self._heading and re.fullmatch(r"h[1-6]", tag):
            level, parts = self._heading
            self._heading = None
            self.outline.heading(level, "".join(parts))
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(re.sub(r"\s+", " ", "".join(self._cell)).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.outline.line("| " + " | ".join(c for c in self._row if c) + " |")
            self.outline.line("")
            self._row = None
        elif tag in _BLOCK:
            self._break()

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._in_title:
            self.page_title += data
        elif self._heading is not None:
            self._heading[1].append(data)
        elif self._cell is not None:
            self._cell.append(data)
        else:
            self._text.append(data)

    def _break(self) -> None:
        text = re.sub(r"\s+", " ", "".join(self._text)).strip()
        self._text = []
        if text and text != "-":
            self.outline.line(text)
            self.outline.line("")


def _read_html(raw: str) -> SourceDocument:
    main = re.search(r"<main\b.*?</main>", raw, re.S | re.I) or re.search(
        r"<article\b.*?</article>", raw, re.S | re.I
    )
    parser = _HTMLOutline()
    head = re.search(r"<title\b.*?</title>", raw, re.S | re.I)
    parser.feed((head.group(0) if head else "") + (main.group(0) if main else raw))
    parser.close()
    parser._break()
    document = parser.outline.finish()
    title = document.title or parser.page_title.split("|")[0].strip()
    return SourceDocument(title=title, sections=document.sections)
