"""The assistant embedded in a host page with one script tag, and the stock
rasa-webchat widget against our Socket.IO channel."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, expect

from tests.browser.conftest import Chat, screenshot
from tests.e2e.chat_client import sign_in
from tests.e2e.harness import RunningStack

pytestmark = pytest.mark.e2e


def user_events(stack: RunningStack, conversation_id: str) -> list[dict[str, Any]]:
    """The user messages Rasa recorded for a conversation, with their metadata."""
    reply = httpx.get(
        f"{stack.settings.rasa_url}/conversations/{conversation_id}/tracker",
        params={"token": stack.settings.rasa_api_token()},
        timeout=10,
    )
    reply.raise_for_status()
    return [e for e in reply.json()["events"] if e["event"] == "user"]


def test_floating_button_opens_the_panel_and_sends_the_page_module(
    stack: RunningStack, context: BrowserContext
) -> None:
    host = Chat(stack, context.new_page()).open("/chat/static/demo-host.html#/finance")
    page = host.page
    launcher = page.locator(".erpchat-launcher")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    screenshot(page, "20-host-page")
    launcher.click()
    expect(page.locator("#erpchat-panel")).to_be_visible()
    expect(launcher).to_have_attribute("aria-expanded", "true")

    frame = page.frame_locator(".erpchat-frame")
    frame.locator("#username").fill("padma.finance")
    frame.locator("#password").fill(stack.tokens["padma.finance"]["password"])
    frame.locator("#password").press("Enter")
    expect(frame.locator("#module-chip")).to_have_text("Context: Finance")
    expect(frame.locator("#close-button")).to_be_visible()

    # the host moves to another module; the assistant follows
    page.click(".sidebar a[data-module='purchasing']")
    expect(frame.locator("#module-chip")).to_have_text("Context: Purchasing")
    frame.locator("#input").fill("how much do we owe suppliers?")
    frame.locator("#input").press("Enter")
    expect(frame.locator("#live .msg-bot .msg-text").first).to_be_visible(timeout=60_000)
    expect(frame.locator("#live .typing")).to_have_count(0, timeout=60_000)
    screenshot(page, "21-host-page-panel-open")

    inner = next(f for f in page.frames if "/chat?embedded=1" in f.url)
    session_id = inner.evaluate("localStorage.getItem('erp-chat:session:padma.finance')")
    token = inner.evaluate("JSON.parse(sessionStorage.getItem('erp-chat:auth')).token")
    # the panel resumed padma.finance's conversation: this question is its latest message
    event = user_events(stack, f"padma.finance:{session_id}")[-1]
    assert event["text"] == "how much do we owe suppliers?"
    assert event["metadata"]["context"] == {"module": "purchasing", "path": "/erp/purchasing"}

    # the unread-alerts count reaches the host's button
    unread = httpx.get(
        f"{stack.settings.rasa_url}/chat/alerts", headers={"Authorization": f"Bearer {token}"}
    ).json()["unread"]
    badge = page.locator(".erpchat-badge")
    if unread:
        expect(badge).to_have_text(str(min(unread, 99)))
        plural = "" if unread == 1 else "s"
        expect(launcher).to_have_attribute(
            "aria-label", f"Close the ERP assistant, {unread} unread alert{plural}"
        )
    else:
        expect(badge).to_be_hidden()

    # Escape closes the panel and gives the focus back to the button
    frame.locator("#input").press("Escape")
    expect(page.locator("#erpchat-panel")).to_be_hidden()
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    host.assert_no_errors()


def test_rasa_webchat_package_holds_a_conversation(
    stack: RunningStack, context: BrowserContext
) -> None:
    token = sign_in(stack, "padma.finance")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{stack.settings.rasa_url}/chat/static/rasa-webchat-test.html#token={token}")
    box = page.locator(".rw-new-message")
    expect(box).to_be_visible(timeout=20_000)
    box.fill("what's our cash balance?")
    box.press("Enter")
    expect(page.locator(".rw-client").first).to_contain_text("what's our cash balance?")
    reply = page.locator(".rw-response", has_text="Cash balance")
    expect(reply.first).to_contain_text("BDT", timeout=60_000)
    screenshot(page, "22-rasa-webchat")

    # customData from the widget reaches Rasa as the page context
    session_id = page.evaluate("JSON.parse(sessionStorage.getItem('chat_session')).session_id")
    events = user_events(stack, f"padma.finance:{session_id}")
    assert events and events[-1]["text"] == "what's our cash balance?"
    assert events[-1]["metadata"]["context"]["module"] == "finance"
    assert not errors, errors
