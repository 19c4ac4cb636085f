"""`GET /knowledge/<path>`: the documents that knowledge answers cite.

A browser tab opening a source link sends no bearer token, so the link
itself carries the permission: path, company and expiry signed by the action
server (`bot.auth.sign_link`). A company's documents open only with a link
signed for that company; `global/` documents with any valid link. The page is
rendered from the outline the indexer wrote (`actions/knowledge/pages.py`);
`&original=1` returns the file as it is in `KB_DIR`.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.auth import verify_link
from bot.config import Settings, load_settings

SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,120}$")
COMPANY = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
GLOBAL = "global"
PAGE_HEADERS = {
    # the page is our own markup around escaped text: nothing in it may run
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "private, max-age=300",
}
ORIGINAL_TYPES = {
    ".pdf": ("application/pdf", "inline"),
    ".md": ("text/plain; charset=utf-8", "inline"),
    ".markdown": ("text/plain; charset=utf-8", "inline"),
    ".txt": ("text/plain; charset=utf-8", "inline"),
    # an intranet page is not ours to render inside our origin
    ".html": ("text/html; charset=utf-8", "attachment"),
    ".htm": ("text/html; charset=utf-8", "attachment"),
}


class LinkRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def checked_path(path: str) -> str:
    """A relative path of plain segments: no `..`, no absolute paths, no oddities."""
    parts = path.split("/")
    if len(parts) < 2 or not all(SEGMENT.match(p) and p not in (".", "..") for p in parts):
        raise LinkRefused(404, "There is no such document.")
    return "/".join(parts)


def authorise(secret: bytes, path: str, args: dict[str, str], now: float | None = None) -> str:
    """The checked path, if the link's signature allows opening it now."""
    company = args.get("company", "")
    if not COMPANY.match(company):
        raise LinkRefused(400, "This link is incomplete: it names no company.")
    try:
        expires = int(args.get("expires", ""))
    except ValueError:
        raise LinkRefused(400, "This link is incomplete: it has no expiry.") from None
    path = checked_path(path)
    owner = path.split("/")[0]
    signature = args.get("signature", "")
    if owner not in (GLOBAL, company) or not verify_link(
        secret, path, company, expires, signature, now=now
    ):
        raise LinkRefused(
            403, "This link has expired or is not valid. Ask the assistant again for a fresh one."
        )
    return path


def inside(base: Path, relative: str) -> Path:
    target = (base / relative).resolve()
    if not target.is_relative_to(base.resolve()):
        raise LinkRefused(404, "There is no such document.")
    return target


def render_page(page: dict[str, Any], original_url: str) -> str:
    title = html.escape(page["title"])
    body = [f"<h1>{title}</h1>"]
    for section in page["sections"]:
        if section["heading"]:
            level = min(2 + len(section.get("parents") or []), 4)
            anchor = html.escape(section["anchor"], quote=True)
            body.append(f'<h{level} id="{anchor}">{html.escape(section["heading"])}</h{level}>')
        body.append(render_text(section["text"]))
    body.append(f'<p class="original"><a href="{html.escape(original_url)}">Original file</a></p>')
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{STYLE}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>"
    )


def render_text(text: str) -> str:
    """Paragraphs, `- ` list items and `a | b` table rows, as the parser left them."""
    out: list[str] = []
    rows: list[list[str]] = []
    items: list[str] = []

    def flush() -> None:
        if rows:
            head, *rest = rows
            cells = "".join(f"<th>{html.escape(c)}</th>" for c in head)
            lines = "".join(
                "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                for row in rest
            )
            out.append(f"<table><thead><tr>{cells}</tr></thead><tbody>{lines}</tbody></table>")
            rows.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")
            items.clear()

    for line in text.splitlines():
        if " | " in line:
            if items:
                flush()
            rows.append([cell.strip() for cell in line.split(" | ")])
        elif line.startswith("- "):
            if rows:
                flush()
            items.append(line[2:])
        else:
            flush()
            out.append(f"<p>{html.escape(line)}</p>")
    flush()
    return "".join(out)


def error_page(status: int, message: str) -> HTTPResponse:
    text = html.escape(message)
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Document unavailable</title><style>{STYLE}</style></head>"
        f"<body><main><h1>Document unavailable</h1><p>{text}</p></main></body></html>"
    )
    return response.html(page, status=status, headers=PAGE_HEADERS)


STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}"
    "main{max-width:46rem;margin:0 auto;padding:1.5rem;background:#fff;min-height:100vh}"
    "table{border-collapse:collapse;margin:.5rem 0 1rem;width:100%}"
    "th,td{border:1px solid #d5d9e0;padding:.35rem .5rem;text-align:left;vertical-align:top}"
    "th{background:#eef1f5}h2,h3,h4{margin-top:1.6rem}:target{background:#fff6d6}"
    ".original{margin-top:2rem;font-size:.9rem}"
)


class KnowledgePagesInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "knowledge_pages"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls()

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings
        self._secret: bytes | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    @property
    def secret(self) -> bytes:
        if self._secret is None:
            self._secret = self.settings.secret_key()
        return self._secret

    def url_prefix(self) -> str:
        return "/"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        pages = Blueprint("knowledge_pages", __name__)

        @pages.get("/knowledge/<path:path>")
        async def document(request: Request, path: str) -> HTTPResponse:
            args = {key: request.args.get(key, "") for key in ("company", "expires", "signature")}
            try:
                relative = authorise(self.secret, path, args)
                if request.args.get("original") == "1":
                    return await self.original(relative)
                page_file = inside(self.settings.kb_pages_dir, f"{relative}.json")
                if not page_file.is_file():
                    raise LinkRefused(404, "This document is no longer in the knowledge base.")
                page = json.loads(page_file.read_text())
            except LinkRefused as refused:
                return error_page(refused.status, str(refused))
            original = f"{request.path}?{request.query_string}&original=1"
            return response.html(render_page(page, original), headers=PAGE_HEADERS)

        return pages

    async def original(self, relative: str) -> HTTPResponse:
        source = inside(self.settings.kb_dir, relative)
        kind = ORIGINAL_TYPES.get(source.suffix.lower())
        if kind is None or not source.is_file():
            raise LinkRefused(404, "This document is no longer in the knowledge base.")
        content_type, disposition = kind
        return await response.file(
            source,
            mime_type=content_type,
            headers={
                **PAGE_HEADERS,
                "Content-Disposition": f'{disposition}; filename="{source.name}"',
            },
        )
