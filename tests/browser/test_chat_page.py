"""The chat page in a real browser against the real servers: sign-in, answers with
tables and charts, a confirmed write, history, feedback, sign-out, keyboard use,
the phone layout, source links and the microphone."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import socketio
from playwright.sync_api import BrowserContext, expect

from tests.browser.conftest import Chat, numbers_in, screenshot
from tests.e2e.harness import RunningStack, query
from tests.e2e.test_writes import order_status, pending_orders

pytestmark = pytest.mark.e2e


def test_sign_in_refuses_a_wrong_password_then_signs_in(chat: Chat) -> None:
    chat.open()
    expect(chat.page.locator("#signin")).to_be_visible()
    screenshot(chat.page, "01-sign-in")
    chat.page.fill("#username", "padma.finance")
    chat.page.fill("#password", "not-the-password")
    chat.page.click("#signin-button")
    error = chat.page.locator("#signin-error")
    expect(error).to_be_visible()
    expect(error).to_have_attribute("role", "alert")
    expect(chat.page.locator("#chat")).to_be_hidden()

    chat.sign_in("padma.finance")
    expect(chat.page.locator("#who")).to_contain_text("padma")
    expect(chat.page.locator("#welcome")).to_be_visible()
    expect(chat.page.locator(".suggestion").first).to_be_visible()
    screenshot(chat.page, "02-welcome")


def test_a_read_question_shows_a_sortable_table_and_an_aging_chart(chat: Chat) -> None:
    chat.open().sign_in("padma.finance")
    chat.ask("which customers owe us money?")
    live = chat.page.locator("#live")
    expect(live.locator(".msg-user .msg-text").last).to_have_text("which customers owe us money?")
    expect(live.locator(".msg-bot .msg-text").first).to_contain_text("customers owe us BDT")

    table = live.locator(".bubble > .payload-table table").first
    expect(table.locator("caption")).to_have_text("Top debtors")
    open_cells = table.locator("tbody td:nth-child(2)")
    assert open_cells.count() >= 2
    assert all(text.startswith("BDT ") for text in open_cells.all_inner_texts())

    header = table.locator("th", has_text="Open").first
    header.locator("button").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    values = numbers_in(open_cells.all_inner_texts())
    assert values == sorted(values, reverse=True)
    header.locator("button").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    values = numbers_in(open_cells.all_inner_texts())
    assert values == sorted(values)
    expect(table.locator("th", has_text="Customer").first).to_have_attribute("aria-sort", "none")

    chart = live.locator(".payload-chart[data-chart='bar']").first
    expect(chart.locator("figcaption")).to_contain_text("aging")
    assert chart.locator("rect.bar").count() == 4
    expect(chart.locator("svg")).to_have_attribute("role", "img")
    expect(chart.locator("svg desc")).to_contain_text("Bar chart")
    chat.page.locator(".payload-chart").first.scroll_into_view_if_needed()
    screenshot(chat.page, "03-receivables-table-and-chart")


def test_a_sales_question_draws_a_trend_line(chat: Chat) -> None:
    chat.open().sign_in("padma.sales")
    chat.ask("sales last month")
    chart = chat.page.locator("#live .payload-chart[data-chart='line']").first
    expect(chart).to_be_visible()
    path = chart.locator("path.line").first.get_attribute("d") or ""
    assert path.startswith("M") and path.count("L") >= 10  # one point a day
    assert chart.locator(".axis-x text").count() >= 3
    assert chart.locator(".axis-y text").count() >= 3
    chart.locator("summary").click()  # the numbers behind the line
    assert chart.locator("details tbody tr").count() == path.count("L") + 1
    first_day = chart.locator("details tbody tr td").first.inner_text()
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}", first_day), first_day
    chart.scroll_into_view_if_needed()
    screenshot(chat.page, "04-sales-trend")


def test_confirm_button_runs_the_write_and_history_comes_back(
    chat: Chat, stack: RunningStack
) -> None:
    number = pending_orders(stack, "purchasing_approver")[0]
    chat.open().sign_in("padma.approver")
    summary = chat.ask(f"approve {number}")
    expect(summary).to_contain_text(f"Please confirm: approve {number}")
    confirm = summary.locator(".reply-button", has_text="Confirm")
    cancel = summary.locator(".reply-button", has_text="Cancel")
    expect(confirm).to_be_enabled()
    assert order_status(stack, number) == "pending_approval"
    screenshot(chat.page, "05-confirm-buttons")

    before = chat.bot_count()
    confirm.click()
    expect(confirm).to_be_disabled()
    expect(cancel).to_be_disabled()
    expect(chat.page.locator("#live .msg-user .msg-text").last).to_have_text("Confirm")
    chat.wait_for_turn(before)
    expect(chat.page.locator("#live .msg-bot").last).to_contain_text(f"Done: {number}")
    assert order_status(stack, number) == "approved"
    screenshot(chat.page, "06-write-done")

    chat.page.reload()
    history = chat.page.locator("#history")
    expect(history.locator(".msg-user .msg-text").first).to_have_text(f"approve {number}")
    # the button's title, not its payload
    expect(history.locator(".msg-user .msg-text", has_text="Confirm")).to_have_count(1)
    expect(history.locator(".msg-bot", has_text=f"Done: {number}")).to_have_count(1)
    expect(history.locator(".reply-button", has_text="Confirm")).to_be_disabled()
    expect(history.locator(".reply-button.chosen")).to_have_text("Confirm")
    expect(chat.page.locator("#welcome")).to_be_hidden()
    screenshot(chat.page, "07-history-after-reload")


def test_thumbs_down_is_recorded(chat: Chat, stack: RunningStack) -> None:
    chat.open().sign_in("padma.finance")
    answer = chat.ask("what's our cash balance?")
    down = answer.locator("button.feedback-down")
    expect(down).to_have_attribute("aria-label", "Not helpful")
    with chat.page.expect_response("**/chat/feedback") as response:
        down.click()
    assert response.value.status == 200
    expect(down).to_have_attribute("aria-pressed", "true")
    expect(answer.locator("button.feedback-up")).to_have_attribute("aria-pressed", "false")
    rows = query(
        stack,
        """SELECT f.rating, f.message_text, f.conversation_id FROM message_feedback f
           JOIN users u ON u.id = f.user_id WHERE u.username = 'padma.finance'""",
    )
    session_id = chat.session_id("padma.finance")
    assert any(
        rating == "down"
        and "cash" in text.lower()
        and conversation == f"padma.finance:{session_id}"
        for rating, text, conversation in rows
    ), rows


def test_sign_out_ends_the_token(chat: Chat, stack: RunningStack) -> None:
    chat.open().sign_in("padma.warehouse")
    token = chat.token()
    me = httpx.get(f"{chat.base}/chat/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    with chat.page.expect_response(lambda r: r.request.method == "DELETE") as response:
        chat.page.click("#signout-button")
    assert response.value.status == 204
    expect(chat.page.locator("#signin")).to_be_visible()
    expect(chat.page.locator("#signin-error")).to_contain_text("You have signed out")
    assert chat.page.evaluate("sessionStorage.getItem('erp-chat:auth')") is None
    screenshot(chat.page, "08-signed-out")

    refused = httpx.get(f"{chat.base}/chat/me", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401

    async def socket_refused() -> bool:
        client = socketio.AsyncClient(reconnection=False)
        try:
            await client.connect(chat.base, auth={"token": token}, transports=["websocket"])
        except socketio.exceptions.ConnectionError:
            return True
        await client.disconnect()
        return False

    # Playwright's sync API holds this thread's event loop: the client runs in another thread
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, socket_refused()).result(timeout=30)

    # the page itself, handed the dead token again, asks for a new sign-in
    chat.page.evaluate(
        "t => sessionStorage.setItem('erp-chat:auth', JSON.stringify({token: t, user: 'x'}))",
        token,
    )
    chat.page.reload()
    expect(chat.page.locator("#signin-error")).to_contain_text("session has ended")


def test_keyboard_only(chat: Chat, stack: RunningStack) -> None:
    number = pending_orders(stack, "purchasing_approver")[-1]
    page = chat.open().page
    expect(page.locator("#username")).to_be_focused()
    page.keyboard.type("padma.approver")
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(stack.tokens["padma.approver"]["password"])
    page.keyboard.press("Enter")
    expect(page.locator("#input")).to_be_focused()
    expect(page.locator("#connection")).to_be_hidden(timeout=15_000)

    before = chat.bot_count()
    page.keyboard.type(f"approve {number}")
    page.keyboard.press("Enter")  # Enter sends
    chat.wait_for_turn(before)
    expect(page.locator("#input")).to_have_value("")

    # from the message box, Shift+Tab walks back through the last message's controls
    reached = []
    for _ in range(15):
        page.keyboard.press("Shift+Tab")
        reached.append(page.evaluate("document.activeElement.textContent.trim()"))
        if reached[-1] == "Cancel":
            break
    assert "Cancel" in reached, reached
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # a visible focus ring
    screenshot(page, "09-keyboard-focus-on-cancel")

    before = chat.bot_count()
    page.keyboard.press("Enter")
    chat.wait_for_turn(before)
    expect(page.locator("#live .msg-bot").last).to_contain_text("Cancelled")
    assert order_status(stack, number) == "pending_approval"

    # Tab goes forward from the message box to the microphone and the send button
    page.focus("#input")
    page.keyboard.press("Tab")
    expect(page.locator("#mic-button")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#send-button")).to_be_focused()
    for selector in ("#mic-button", "#send-button", "#alerts-button", "#signout-button"):
        assert page.get_attribute(selector, "aria-label"), selector
    expect(page.locator("#log")).to_have_attribute("role", "log")


def test_phone_layout(stack: RunningStack, context: BrowserContext) -> None:
    phone = context.browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    try:
        chat = Chat(stack, phone.new_page())
        chat.open()
        screenshot(chat.page, "10-phone-sign-in")
        chat.sign_in("padma.finance")
        chat.ask("which customers owe us money?")
        page = chat.page
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        for selector in ("#send-button", "#mic-button", "#input", "#signout-button"):
            box = page.locator(selector).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, selector
            assert box["y"] + box["height"] <= 844, selector
        # a wide table scrolls inside its own box, not the page
        scroller = page.locator(".bubble > .payload-table .table-scroll").first
        assert scroller.evaluate("e => e.getBoundingClientRect().right") <= 390
        expect(page.locator(".avatar").first).to_be_hidden()
        screenshot(page, "11-phone-answer")
        chat.assert_no_errors()
    finally:
        phone.close()


def test_knowledge_answer_links_its_sources(chat: Chat) -> None:
    chat.open().sign_in("padma.sales")
    answer = chat.ask("what's the travel policy?")
    expect(answer.locator("strong").first).to_have_text("Travel and Expenses Policy")
    assert "**" not in answer.inner_text()  # the server's bold, shown as bold
    links = chat.page.locator("#live .payload-sources a")
    expect(links.first).to_be_visible()
    first = links.first
    expect(first).to_have_attribute("target", "_blank")
    assert "noopener" in (first.get_attribute("rel") or "")
    expect(first.locator(".source-title")).to_contain_text("Travel and Expenses Policy")
    href = first.get_attribute("href") or ""
    assert href.startswith(f"{chat.base}/knowledge/padma/travel-and-expenses.md?"), href
    assert httpx.get(href, timeout=10).status_code == 200
    links.first.scroll_into_view_if_needed()
    screenshot(chat.page, "12-knowledge-sources")


def test_alerts_badge_matches_the_server(chat: Chat) -> None:
    chat.open().sign_in("padma.finance")
    token = chat.token()
    unread = httpx.get(
        f"{chat.base}/chat/alerts", headers={"Authorization": f"Bearer {token}"}
    ).json()["unread"]
    button = chat.page.locator("#alerts-button")
    expect(button).to_have_attribute("data-unread", str(unread))
    count = unread or "none"
    expect(button).to_have_attribute("aria-label", f"Alerts: {count} unread. Show my alerts")
    if unread:
        expect(chat.page.locator("#alerts-badge")).to_have_text(str(min(unread, 99)))
    before = chat.bot_count()
    button.click()
    chat.wait_for_turn(before)
    expect(chat.page.locator("#live .msg-user .msg-text").last).to_have_text("Any alerts?")


def test_a_second_tab_of_the_same_user_follows_the_conversation(
    chat: Chat, context: BrowserContext
) -> None:
    chat.open().sign_in("northwind.finance")
    other = Chat(chat.stack, context.new_page()).open().sign_in("northwind.finance")
    assert other.session_id("northwind.finance") == chat.session_id("northwind.finance")
    chat.ask("what's our cash balance?")
    expect(other.page.locator("#live .msg-user .msg-text")).to_have_text(
        ["what's our cash balance?"]
    )
    expect(other.page.locator("#live .msg-bot .msg-text").first).to_contain_text("$")
    other.assert_no_errors()


def test_microphone_denied_or_missing_is_explained(
    stack: RunningStack, context: BrowserContext
) -> None:
    # no permission granted: the browser refuses the microphone
    chat = Chat(stack, context.new_page()).open().sign_in("padma.sales")
    chat.page.click("#mic-button")
    expect(chat.page.locator("#notice")).to_contain_text("Microphone access was denied")
    expect(chat.page.locator("#mic-button")).to_have_attribute("aria-pressed", "false")
    screenshot(chat.page, "13-microphone-denied")

    # a browser without MediaRecorder
    old = context.browser.new_context()
    try:
        old.add_init_script("delete window.MediaRecorder")
        page = Chat(stack, old.new_page()).open().sign_in("padma.sales").page
        page.click("#mic-button")
        expect(page.locator("#notice")).to_contain_text("needs a browser that can record audio")
    finally:
        old.close()


RECORD_VOICE = """
window.voicePosts = [];
window.played = [];
const send = window.fetch;
window.fetch = (input, init) => {
  if (String(input).includes("/webhooks/voice/") && init && init.body instanceof FormData) {
    const audio = init.body.get("audio");
    window.voicePosts.push({sender: init.body.get("sender"), type: audio.type, size: audio.size});
  }
  return send(input, init);  // on to the real server
};
const play = HTMLMediaElement.prototype.play;
HTMLMediaElement.prototype.play = function () {
  window.played.push(this.src);
  return play.call(this);
};
"""


def test_a_spoken_question_is_transcribed_answered_and_read_aloud(
    stack: RunningStack, context: BrowserContext
) -> None:
    """Chromium's fake microphone plays espeak-ng saying SPOKEN_QUESTION (see conftest)."""
    context.grant_permissions(["microphone"], origin=stack.settings.rasa_url)
    context.add_init_script(RECORD_VOICE)
    chat = Chat(stack, context.new_page()).open().sign_in("padma.finance")
    mic = chat.page.locator("#mic-button")
    mic.click()
    expect(mic).to_have_attribute("aria-pressed", "true")
    expect(mic).to_have_attribute("aria-label", "Stop recording and send")
    chat.page.wait_for_timeout(3500)
    with chat.page.expect_response("**/webhooks/voice/webhook", timeout=60_000) as posted:
        mic.click()
    assert posted.value.status == 200
    headers = posted.value.request.all_headers()
    assert headers["authorization"] == f"Bearer {chat.token()}"
    assert headers["content-type"].startswith("multipart/form-data; boundary=")
    [sent] = chat.page.evaluate("window.voicePosts")
    assert sent["sender"] == chat.session_id("padma.finance")
    assert sent["type"].startswith("audio/webm") and sent["size"] > 1000  # WebM/Opus

    heard = chat.page.locator("#live .msg-user.msg-voice .msg-text")
    expect(heard).to_contain_text(re.compile("cash balance", re.IGNORECASE))
    expect(chat.page.locator("#live .msg-bot .msg-text").first).to_contain_text("Cash balance")
    expect(mic).to_have_attribute("aria-pressed", "false")
    played = chat.page.evaluate("window.played")
    assert len(played) == 1 and played[0].startswith("blob:"), played
    screenshot(chat.page, "14-spoken-question")

    # the spoken turn is part of the conversation: it comes back with the history, as
    # its latest message (the conversation is the one padma.finance was last in)
    chat.page.reload()
    history = chat.page.locator("#history .msg-user .msg-text")
    expect(history.last).to_contain_text(re.compile("cash balance", re.IGNORECASE))


WATCH_DRAFTS = """
() => {
  window.draftSeen = {longest: 0, replaced: false};
  new MutationObserver((changes) => {
    for (const change of changes) {
      for (const node of change.addedNodes) {
        if (node.classList?.contains("msg-bot") && !node.classList.contains("msg-draft")
            && window.draftSeen.longest) window.draftSeen.replaced = true;
      }
    }
    const draft = document.querySelector("#live .msg-draft");
    if (draft) {
      window.draftSeen.longest = Math.max(window.draftSeen.longest, draft.textContent.length);
    }
  }).observe(document.getElementById("live"), {childList: true, subtree: true});
}
"""


def test_a_streamed_answer_grows_as_a_draft_then_the_answer_replaces_it(chat: Chat) -> None:
    chat.open().sign_in("padma.finance")
    chat.page.evaluate(WATCH_DRAFTS)
    answer = chat.ask("what's the hotel limit in Chattogram?")
    seen = chat.page.evaluate("window.draftSeen")
    assert seen["longest"] > 0 and seen["replaced"], seen
    expect(chat.page.locator("#live .msg-draft")).to_have_count(0)
    expect(answer).to_contain_text("Chattogram and Cox's Bazar: M1 BDT 12,000")
    sources = chat.page.locator("#live .payload-sources a")
    expect(sources.first).to_be_visible()


FORMATTING = """
async () => {
  const f = await import("/chat/static/format.js");
  return [
    f.formatMoney("12345678.505", "BDT"),
    f.formatMoney("-1234.5", "USD"),
    f.formatMoney("999.995", "EUR"),
    f.formatNumber("1234567", "USD"),
    f.formatPercent("12.45"),
    f.formatDate("2026-11-02"),
    f.formatAxis([0, 5e6, 1e7], "BDT").join(" "),
    f.formatAxis([-50000, 0, 50000], "USD").join(" "),
    // a user's remembered style wins over the currency's
    f.formatMoney("12345678.5", "BDT", "international"),
    f.formatCell("1234567", "money", "USD", "lakh"),
    f.formatAxis([0, 5e6, 1e7], "BDT", "international").join(" "),
  ];
}
"""


def test_amounts_are_formatted_like_the_server_writes_them(chat: Chat) -> None:
    chat.open()
    assert chat.page.evaluate(FORMATTING) == [
        "BDT 1,23,45,678.51",  # lakh/crore grouping, rounded half up from the exact decimal
        "-$1,234.50",
        "€1,000.00",
        "1,234,567",
        "12.5%",
        "2 Nov 2026",
        "0 0.5Cr 1Cr",
        "-$50K $0 $50K",
        "BDT 12,345,678.50",
        "$12,34,567.00",
        "0 5M 10M",
    ]


def test_a_message_typed_offline_goes_out_once_when_the_link_is_back(
    chat: Chat, context: BrowserContext
) -> None:
    chat.open().sign_in("northwind.sales")
    context.set_offline(True)
    banner = chat.page.locator("#connection")
    expect(banner).to_contain_text("Reconnecting", timeout=20_000)
    chat.page.fill("#input", "sales last month")
    chat.page.press("#input", "Enter")
    expect(chat.page.locator("#live .msg-user .pending-mark")).to_have_text("Sending…")
    context.set_offline(False)
    expect(banner).to_be_hidden(timeout=30_000)
    chat.wait_for_turn(0)
    expect(chat.page.locator("#live .msg-user .msg-text")).to_have_text(["sales last month"])
    expect(chat.page.locator("#live .msg-user .pending-mark")).to_have_count(0)
    expect(chat.page.locator("#live .payload-chart[data-chart='line']")).to_have_count(1)
    # Chromium reports the failed reconnection attempts while offline; nothing else
    chat.errors = [e for e in chat.errors if "WebSocket connection" not in e]


UNKNOWN_PAYLOADS = """
async () => {
  const { renderPayloads } = await import("/chat/static/render.js");
  const nodes = renderPayloads({
    kind: "erp.answer",
    payloads: [
      {type: "map", points: [1, 2]},
      null,
      {type: "table", title: "T", columns: [{key: "a", label: "A", type: "money"}],
       rows: [{a: "5"}], currency: "USD"},
      {type: "sources", items: [{title: "Bad", url: "javascript:alert(1)"}]},
    ],
  });
  return nodes.map((n) => n.textContent);
}
"""


def test_unknown_payloads_and_unsafe_links_are_left_out(chat: Chat) -> None:
    chat.open()
    # only the table is drawn: an unknown type, a null and a javascript: link are dropped
    assert chat.page.evaluate(UNKNOWN_PAYLOADS) == ["TA$5.00"]
