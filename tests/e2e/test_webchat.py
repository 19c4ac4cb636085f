"""The web chat channel end to end: sign-in, Socket.IO conversations, history,
feedback, sign-out, reconnection and the rasa-webchat protocol.

Its own stack and database, because the tests confirm writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import socketio

from tests.e2e.chat_client import ChatClient, sign_in
from tests.e2e.harness import RunningStack, query, running_stack
from tests.e2e.test_writes import order_status, pending_orders

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    var_dir: Path = tmp_path_factory.mktemp("webchat-stack")
    with running_stack(var_dir, seed_scale=0.3) as running:
        yield running


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def payload_types(messages: list[dict]) -> set[str]:
    return {
        p["type"]
        for m in messages
        for p in (m.get("custom") or {}).get("payloads", [])
        if isinstance(p, dict)
    }


def test_sign_in_refuses_wrong_and_malformed_requests(stack: RunningStack) -> None:
    url = f"{stack.settings.rasa_url}/chat/session"
    assert (
        httpx.post(url, json={"username": "padma.finance", "password": "nope"}).status_code == 401
    )
    unknown = httpx.post(url, json={"username": "no.such.user", "password": "x"})
    wrong = httpx.post(url, json={"username": "padma.finance", "password": "y"})
    assert unknown.json()["error"] == wrong.json()["error"]  # never says which was wrong
    assert httpx.post(url, json={"username": "padma.finance"}).status_code == 400
    assert httpx.post(url, content=b"not json").status_code == 400
    for _ in range(5):
        httpx.post(url, json={"username": "guess.me", "password": "x"})
    throttled = httpx.post(url, json={"username": "guess.me", "password": "x"})
    assert throttled.status_code == 429 and "Too many" in throttled.json()["error"]


def test_me_and_the_http_channel_accept_a_live_session(stack: RunningStack) -> None:
    token = sign_in(stack, "padma.sales")
    me = httpx.get(f"{stack.settings.rasa_url}/chat/me", headers=auth(token)).json()
    assert me["user"] == "padma.sales" and me["company"] == "padma" and me["full_name"]
    reply = httpx.post(
        f"{stack.settings.rasa_url}/webhooks/erp/webhook",
        json={"sender": "http-with-session", "message": "hello"},
        headers=auth(token),
        timeout=30,
    )
    assert reply.status_code == 200 and reply.json()


async def test_a_socket_needs_a_valid_token(stack: RunningStack) -> None:
    for token in (None, "forged.token"):
        client = socketio.AsyncClient(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(
                stack.settings.rasa_url,
                auth={"token": token} if token else None,
                transports=["websocket"],
            )


async def test_a_read_question_gets_its_table_or_chart_in_order(stack: RunningStack) -> None:
    client = ChatClient(stack, sign_in(stack, "padma.finance"))
    await client.connect()
    try:
        replies = await client.ask("which customers owe us money?")
        assert "customers owe us" in replies[0]["text"]
        assert payload_types(replies) & {"table", "chart"}
        kinds = [event for event, _ in client.events]
        assert kinds.index("user_echo") < kinds.index("bot_uttered")
        seqs = [d["seq"] for e, d in client.events if e in ("user_echo", "bot_uttered")]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        await client.wait_for(lambda: client.of("alerts"), timeout=10)  # sent after the turn
        assert isinstance(client.of("alerts")[-1]["unread"], int)
    finally:
        await client.close()


async def test_messages_sent_together_are_answered_in_order(stack: RunningStack) -> None:
    client = ChatClient(stack, sign_in(stack, "padma.finance"))
    await client.connect()
    try:
        questions = ["what is our cash balance?", "hello", "show me the dashboard"]
        for question in questions:
            await client.say(question)
        await client.wait_for(
            lambda: len([d for d in client.of("bot_typing") if not d["typing"]]) == 3
        )
        echoes = [d["text"] for d in client.of("user_echo")]
        assert echoes == questions
        # every reply comes after its own question and before the next one
        turns: list[str] = []
        for event, data in client.events:
            if event == "user_echo":
                turns.append(data["text"])
            elif event == "bot_uttered" and data.get("text"):
                turns.append("bot")
        positions = [turns.index(q) for q in questions]
        assert positions == sorted(positions)
        assert all(turns[p + 1] == "bot" for p in positions)
    finally:
        await client.close()


async def test_a_resent_message_is_handled_once(stack: RunningStack) -> None:
    client = ChatClient(stack, sign_in(stack, "padma.finance"))
    await client.connect()
    try:
        await client.say("what is our cash balance?", client_id="resend-1")
        await client.say("what is our cash balance?", client_id="resend-1")
        await client.wait_for(lambda: [d for d in client.of("bot_typing") if not d["typing"]])
        await asyncio.sleep(1.0)
        assert len(client.of("user_echo")) == 1
    finally:
        await client.close()


async def test_reconnecting_replays_what_was_missed(stack: RunningStack) -> None:
    token = sign_in(stack, "padma.finance")
    first = ChatClient(stack, token)
    await first.connect()
    await first.ask("hello")
    seen = first.last_seq
    await first.close()

    other_tab = ChatClient(stack, token, session_id=first.session_id)
    await other_tab.connect()
    await other_tab.ask("what is our cash balance?")  # while the first tab is away
    await other_tab.close()

    again = ChatClient(stack, token, session_id=first.session_id)
    await again.connect(last_seq=seen)
    try:
        await again.wait_for(lambda: again.of("bot_uttered"))
        replayed = [d["seq"] for _, d in again.events if isinstance(d, dict) and "seq" in d]
        assert replayed and min(replayed) == seen + 1
        assert [d["text"] for d in again.of("user_echo")] == ["what is our cash balance?"]
        assert any("cash" in (d.get("text") or "").lower() for d in again.of("bot_uttered"))
    finally:
        await again.close()


async def test_confirm_a_write_by_button_and_see_it_in_history(stack: RunningStack) -> None:
    number = pending_orders(stack, "purchasing_approver")[0]
    token = sign_in(stack, "padma.approver")
    client = ChatClient(stack, token)
    await client.connect()
    try:
        summary = await client.ask(f"approve {number}")
        buttons = {b["title"]: b["payload"] for m in summary for b in m.get("quick_replies", [])}
        assert set(buttons) == {"Confirm", "Cancel"}
        assert order_status(stack, number) == "pending_approval"
        done = await client.ask(buttons["Confirm"])
        assert any(f"Done: {number}" in (m.get("text") or "") for m in done)
        assert order_status(stack, number) == "approved"
    finally:
        await client.close()

    history = httpx.get(
        f"{stack.settings.rasa_url}/chat/history",
        params={"session_id": client.session_id},
        headers=auth(token),
    ).json()["messages"]
    user_texts = [m["text"] for m in history if m["sender"] == "user"]
    assert user_texts == [f"approve {number}", "Confirm"]  # the button shown by its title
    assert any(m.get("buttons") for m in history if m["sender"] == "bot")
    other = httpx.get(
        f"{stack.settings.rasa_url}/chat/history",
        params={"session_id": client.session_id},
        headers=auth(sign_in(stack, "padma.finance")),
    ).json()["messages"]
    assert other == []  # another user's history under the same session id is their own, empty


async def test_feedback_is_recorded_once_per_message(stack: RunningStack) -> None:
    token = sign_in(stack, "padma.finance")
    client = ChatClient(stack, token)
    await client.connect()
    replies = await client.ask("what is our cash balance?")
    await client.close()
    url = f"{stack.settings.rasa_url}/chat/feedback"
    body = {"session_id": client.session_id, "message_id": replies[0]["id"], "rating": "down"}
    assert httpx.post(url, json=body, headers=auth(token)).status_code == 200
    assert httpx.post(url, json={**body, "rating": "up"}, headers=auth(token)).status_code == 200
    rows = query(
        stack,
        "SELECT rating, message_text FROM message_feedback WHERE conversation_id = :c",
        c=f"padma.finance:{client.session_id}",
    )
    assert len(rows) == 1 and rows[0][0] == "up" and "cash" in rows[0][1].lower()

    assert httpx.post(url, json={**body, "rating": "meh"}, headers=auth(token)).status_code == 400
    missing = httpx.post(url, json={**body, "message_id": "123.456"}, headers=auth(token))
    assert missing.status_code == 404
    assert httpx.post(url, json=body).status_code == 401


async def test_signing_out_ends_the_session_everywhere(stack: RunningStack) -> None:
    token = sign_in(stack, "padma.warehouse")
    client = ChatClient(stack, token)
    await client.connect()
    base = stack.settings.rasa_url
    assert httpx.delete(f"{base}/chat/session", headers=auth(token)).status_code == 204
    await client.wait_for(lambda: not client.sio.connected, timeout=5)
    assert httpx.get(f"{base}/chat/me", headers=auth(token)).status_code == 401
    webhook = httpx.post(
        f"{base}/webhooks/erp/webhook", json={"message": "hi"}, headers=auth(token), timeout=10
    )
    assert webhook.status_code == 401 and "ended" in webhook.json()["error"]
    with pytest.raises(socketio.exceptions.ConnectionError):
        await ChatClient(stack, token).connect()


async def test_the_rasa_webchat_protocol(stack: RunningStack) -> None:
    """What the rasa-webchat package sends and can show: token in the URL, plain
    events, customData; replies in Rasa's own shape, while our page in the same
    conversation gets its numbered events."""
    token = sign_in(stack, "padma.finance")
    widget = ChatClient(stack, token)
    await widget.connect(as_rasa_webchat=True)
    page = ChatClient(stack, token, session_id=widget.session_id)
    await page.connect()
    try:
        [confirm] = widget.of("session_confirm")
        assert confirm["session_id"] == widget.session_id
        await widget.sio.emit(
            "user_uttered",
            {"message": "hello", "customData": {"language": "en"}, "session_id": widget.session_id},
        )
        await widget.wait_for(lambda: widget.of("bot_uttered"))
        await page.wait_for(lambda: page.of("bot_uttered"))
        plain = widget.of("bot_uttered")[0]
        assert plain["text"] and set(plain) <= {"text", "quick_replies", "attachment"}
        numbered = page.of("bot_uttered")[0]
        assert numbered["text"] == plain["text"] and {"id", "seq"} <= set(numbered)
    finally:
        await widget.close()
        await page.close()


async def test_fifty_clients_at_once_lose_nothing(stack: RunningStack) -> None:
    users = [u for u in stack.tokens if u.startswith(("padma.", "northwind."))]
    tokens = {user: sign_in(stack, user) for user in users}
    clients = [ChatClient(stack, tokens[users[i % len(users)]]) for i in range(50)]
    await asyncio.gather(*(c.connect() for c in clients))
    messages = ["hello", "what can you do?", "thanks"]

    async def converse(client: ChatClient) -> None:
        for text in messages:
            await client.say(text)
        await client.wait_for(
            lambda: len([d for d in client.of("bot_typing") if not d["typing"]]) == 3, timeout=120
        )

    try:
        await asyncio.gather(*(converse(c) for c in clients))
        for client in clients:
            assert [d["text"] for d in client.of("user_echo")] == messages
            seqs = [d["seq"] for e, d in client.events if e in ("user_echo", "bot_uttered")]
            assert seqs == list(range(1, len(seqs) + 1))  # none lost, none out of order
            assert len(client.of("bot_uttered")) >= 3
    finally:
        await asyncio.gather(*(c.close() for c in clients))


def test_the_action_servers_internal_routes_need_the_internal_key(stack: RunningStack) -> None:
    base = f"{stack.settings.actions_url}/internal"
    password = stack.tokens["padma.finance"]["password"]
    body = {"username": "padma.finance", "password": password}
    assert httpx.post(f"{base}/sign-in", json=body).status_code == 401
    forged = {"X-Internal-Key": "guess"}
    assert httpx.post(f"{base}/sign-in", json=body, headers=forged).status_code == 401
    assert httpx.get(f"{base}/alerts/unread", params={"user": "padma.finance"}).status_code == 401


async def test_another_device_resumes_the_conversation_with_its_history(
    stack: RunningStack,
) -> None:
    laptop = ChatClient(stack, sign_in(stack, "padma.approver"), new_device=True)
    await laptop.connect()
    await laptop.ask("what is waiting for my approval?")
    await laptop.close()
    # a phone: a new sign-in and a browser that knows no conversation
    phone = ChatClient(stack, sign_in(stack, "padma.approver"), new_device=True)
    await phone.connect()
    assert phone.session_id == laptop.session_id
    history = httpx.get(
        f"{stack.settings.rasa_url}/chat/history",
        params={"session_id": phone.session_id},
        headers=auth(phone.token),
    ).json()["messages"]
    assert "what is waiting for my approval?" in [
        m["text"] for m in history if m["sender"] == "user"
    ]
    # a conversation started on the phone becomes the one a third device resumes
    fresh = ChatClient(stack, phone.token)
    await fresh.connect()
    await fresh.close()
    await phone.close()
    tablet = ChatClient(stack, sign_in(stack, "padma.approver"), new_device=True)
    await tablet.connect()
    assert tablet.session_id == fresh.session_id != laptop.session_id
    await tablet.close()
    # another user starts their own
    other = ChatClient(stack, sign_in(stack, "padma.sales"), new_device=True)
    await other.connect()
    assert other.session_id not in (laptop.session_id, fresh.session_id)
    await other.close()
