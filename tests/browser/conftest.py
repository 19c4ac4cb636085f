"""Browser tests of the web chat: Debian's Chromium driven by Playwright, against the real stack.

Chromium comes from the distribution (`make setup` installs Debian's chromium), never
from a download of Playwright's own; the Socket.IO client and rasa-webchat come
from `npm ci`. Screenshots are kept under var/test/artifacts/browser/.
"""

from __future__ import annotations

import io
import os
import re
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from bot.cli import cmd_kb_index
from bot.config import ROOT
from tests.e2e.harness import RunningStack, running_stack
from tests.knowledge.tiny_llm import build_tiny_gguf
from tests.voice.speech import synthesise

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
# without the background-networking flags Chromium keeps calling home on a closed network
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",  # a microphone exists; permission still decides
]
# what the fake microphone says (once, then silence)
SPOKEN_QUESTION = "what is our cash balance"
ARTIFACTS = ROOT / "var" / "test" / "artifacts" / "browser"
VENDOR_FILES = (
    ROOT / "node_modules/socket.io-client/dist/socket.io.esm.min.js",
    ROOT / "node_modules/rasa-webchat/lib/index.js",
)
TURN_SECONDS = 60


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """Both servers on a private database (the tests confirm writes), with the knowledge index.

    Knowledge answers stream from the tiny random-weight LLM the knowledge tests build:
    its noise streams as a draft, fails the grounding check, and the extractive answer
    replaces it, which is what the page must handle.
    """
    missing = [str(path) for path in VENDOR_FILES if not path.exists()]
    if missing:
        raise RuntimeError(f"run `npm ci` at the repository root first; missing: {missing}")
    var_dir: Path = tmp_path_factory.mktemp("browser-stack")
    llm = build_tiny_gguf(tmp_path_factory.mktemp("llm") / "tiny.gguf")
    env = {"ERP_WRITES_PER_MINUTE": "50", "LLM_MODEL_PATH": str(llm)}
    with running_stack(var_dir, env, seed_scale=0.3) as running:
        cmd_kb_index(running.settings)
        yield running


def spoken_wav(path: Path, text: str) -> Path:
    """espeak-ng saying `text`, as a WAV with a complete header (Chromium reads its size)."""
    with wave.open(io.BytesIO(synthesise(text))) as reader:
        params = reader.getparams()
        frames = reader.readframes(reader.getnframes() or 10**9)
    with wave.open(str(path), "wb") as writer:
        writer.setparams(params)
        writer.writeframes(frames + b"\0" * params.framerate * params.sampwidth)  # 1 s pause
    return path


@pytest.fixture(scope="package")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        raise RuntimeError(f"no Chromium at {CHROMIUM}: run make setup")
    question = spoken_wav(tmp_path_factory.mktemp("speech") / "question.wav", SPOKEN_QUESTION)
    args = [*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={question}%noloop"]
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-GB")
    yield ctx
    ctx.close()


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), animations="disabled")
    return path


class Chat:
    """The chat page as a user sees it: sign in, type, click; errors in the page fail the test."""

    def __init__(self, stack: RunningStack, page: Page) -> None:
        self.stack = stack
        self.page = page
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        # a refused request (401 after sign-out) is logged by Chromium itself; that is expected
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.errors.append(f"console: {message.text}")

    @property
    def base(self) -> str:
        return self.stack.settings.rasa_url

    def open(self, path: str = "/chat") -> Chat:
        self.page.goto(self.base + path)
        return self

    def sign_in(self, username: str, password: str | None = None) -> Chat:
        password = password or self.stack.tokens[username]["password"]
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.page.click("#signin-button")
        expect(self.page.locator("#chat")).to_be_visible()
        expect(self.page.locator("#connection")).to_be_hidden(timeout=15_000)
        return self

    def bot_count(self) -> int:
        return self.page.locator("#live .msg-bot:not(.typing):not(.msg-draft)").count()

    def ask(self, text: str, *, enter: bool = True) -> Any:
        """Type a message, send it, wait for the end of the bot's turn; the new bot messages."""
        before = self.bot_count()
        self.page.fill("#input", text)
        if enter:
            self.page.press("#input", "Enter")
        else:
            self.page.click("#send-button")
        self.wait_for_turn(before)
        return self.page.locator("#live .msg-bot:not(.typing)").nth(before)

    def wait_for_turn(self, before: int) -> None:
        self.page.wait_for_function(
            """before => document.querySelectorAll('#live .msg-bot:not(.typing):not(.msg-draft)')
                          .length > before && !document.querySelector('#live .typing')""",
            arg=before,
            timeout=TURN_SECONDS * 1000,
        )

    def token(self) -> str:
        return self.page.evaluate("JSON.parse(sessionStorage.getItem('erp-chat:auth')).token")

    def session_id(self, user: str) -> str:
        return self.page.evaluate(f"localStorage.getItem('erp-chat:session:{user}')")

    def assert_no_errors(self) -> None:
        """No script errors, and nothing was fetched from anywhere but the assistant's server."""
        assert not self.errors, self.errors
        foreign = [
            url for url in self.requests if not url.startswith((self.base + "/", "data:", "blob:"))
        ]
        assert not foreign, foreign


@pytest.fixture
def chat(stack: RunningStack, context: BrowserContext) -> Iterator[Chat]:
    page = context.new_page()
    opened = Chat(stack, page)
    yield opened
    opened.assert_no_errors()


def numbers_in(texts: list[str]) -> list[float]:
    """'BDT 12,34,567.50' → 1234567.5 (sign kept)."""
    values = []
    for text in texts:
        cleaned = re.sub(r"[^0-9.\-]", "", text)
        values.append(float(cleaned) if cleaned not in ("", "-", ".") else 0.0)
    return values
