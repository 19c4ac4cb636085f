"""The training studio's review side end to end: the conversations inbox, a
conversation's turns, marks, feedback, story export, the NLU inbox and
interactive learning, against the real Rasa server and action server.

The studio edits a copy of the project (STUDIO_WORKSPACE), never data/.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from bot.config import ROOT
from tests.e2e.harness import RunningStack, running_stack

pytestmark = pytest.mark.e2e

GIBBERISH = "ummm well so anyway"


def copy_workspace(target: Path) -> Path:
    """The project files the studio reads and edits."""
    for name in ("config.yml", "domain.yml"):
        shutil.copy(ROOT / name, target / name)
    shutil.copytree(ROOT / "data", target / "data")
    (target / "tests").mkdir()
    shutil.copytree(ROOT / "tests" / "stories", target / "tests" / "stories")
    shutil.copytree(ROOT / "tests" / "nlu", target / "tests" / "nlu")
    return target


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    var_dir = tmp_path_factory.mktemp("studio-stack")
    workspace = copy_workspace(tmp_path_factory.mktemp("studio-workspace"))
    with running_stack(var_dir, {"STUDIO_WORKSPACE": str(workspace)}, seed_scale=0.3) as running:
        yield running


class Studio:
    """The studio's API as one user calls it."""

    def __init__(self, stack: RunningStack, username: str | None) -> None:
        self.base = f"{stack.settings.rasa_url}/studio/api"
        token = stack.token(username) if username else None
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params: object) -> httpx.Response:
        return httpx.get(self.base + path, params=params, headers=self.headers, timeout=30)

    def send(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        return httpx.request(method, self.base + path, headers=self.headers, timeout=60, **kwargs)


@pytest.fixture(scope="module")
def talked(stack: RunningStack) -> dict[str, str]:
    """Real conversations of two companies, one with a message the bot did not get."""
    stack.say("padma.finance", "what's our cash balance?", sender="review-cash")
    stack.say("padma.finance", GIBBERISH, sender="review-cash")
    stack.say("padma.sales", "hello", sender="review-hello")
    stack.say("northwind.finance", "what's our cash balance?", sender="review-other")
    return {
        "cash": "padma.finance:review-cash",
        "hello": "padma.sales:review-hello",
        "other": "northwind.finance:review-other",
    }


def conversation_path(conversation_id: str) -> str:
    return "/conversations/" + quote(conversation_id, safe="")


def test_the_page_is_served_and_the_api_is_for_trainers_only(stack: RunningStack) -> None:
    page = httpx.get(f"{stack.settings.rasa_url}/studio")
    assert page.status_code == 200 and "<html" in page.text.lower()
    assert Studio(stack, None).get("/conversations").status_code == 401
    refused = Studio(stack, "padma.sales").get("/conversations")
    assert refused.status_code == 403 and "trainers" in refused.json()["error"]
    assert Studio(stack, "padma.trainer").get("/conversations").status_code == 200
    assert Studio(stack, "padma.admin").get("/conversations").status_code == 200


def test_the_inbox_lists_the_companys_conversations_newest_first(
    stack: RunningStack, talked: dict[str, str]
) -> None:
    body = Studio(stack, "padma.trainer").get("/conversations", per_page=100).json()
    ids = [c["id"] for c in body["conversations"]]
    assert talked["cash"] in ids and talked["hello"] in ids
    assert talked["other"] not in ids  # another company's conversation
    assert ids.index(talked["hello"]) < ids.index(talked["cash"])  # newest first
    cash = next(c for c in body["conversations"] if c["id"] == talked["cash"])
    assert cash["user"] == "padma.finance" and cash["company"] == "padma"
    assert cash["channel"] == "erp" and cash["turns"] == 2
    assert cash["first_message"] == "what's our cash balance?"
    assert cash["reviewed"] is False
    assert "ask_cash_balance" in body["facets"]["intents"]
    assert "padma.finance" in body["facets"]["users"]
    assert Studio(stack, "padma.trainer").get("/conversations", company="padma").status_code == 200
    other = Studio(stack, "padma.trainer").get("/conversations", company="northwind")
    assert other.status_code == 403 and "own company" in other.json()["error"]
    northwind = Studio(stack, "northwind.trainer").get("/conversations", per_page=100).json()
    assert [c["id"] for c in northwind["conversations"]] == [talked["other"]]


@pytest.mark.parametrize(
    ("params", "cash_shown", "hello_shown"),
    [
        ({"user": "padma.finance"}, True, False),
        ({"intent": "greet"}, False, True),
        ({"action": "action_cash_balance"}, True, False),
        ({"max_confidence": "between"}, True, False),
        ({"min_confidence": "between"}, False, True),
        ({"channel": "erp"}, True, True),
        ({"channel": "webchat"}, False, False),
        ({"since": "2000-01-01", "until": "2999-12-31"}, True, True),
        ({"until": "2000-01-01"}, False, False),
    ],
)
def test_inbox_filters(
    stack: RunningStack, talked: dict[str, str], params: dict, cash_shown: bool, hello_shown: bool
) -> None:
    studio = Studio(stack, "padma.trainer")
    every = {c["id"]: c for c in studio.get("/conversations", per_page=100).json()["conversations"]}
    low, high = every[talked["cash"]]["min_confidence"], every[talked["hello"]]["min_confidence"]
    assert low < high  # the cash conversation holds a message the bot barely understood
    between = f"{(low + high) / 2:.4f}"
    params = {k: between if v == "between" else v for k, v in params.items()}
    body = studio.get("/conversations", per_page=100, **params).json()
    ids = {c["id"] for c in body["conversations"]}
    assert (talked["cash"] in ids) is cash_shown
    assert (talked["hello"] in ids) is hello_shown
    assert body["total"] == len(ids)


@pytest.mark.parametrize(
    "params",
    [
        {"min_confidence": "2"},
        {"max_confidence": "low"},
        {"since": "last tuesday"},
        {"fallback": "maybe"},
        {"page": "0"},
        {"per_page": "1000"},
    ],
)
def test_bad_filters_are_refused_clearly(stack: RunningStack, params: dict) -> None:
    reply = Studio(stack, "padma.trainer").get("/conversations", **params)
    assert reply.status_code == 400 and reply.json()["error"]


def test_pages_of_the_inbox(stack: RunningStack, talked: dict[str, str]) -> None:
    studio = Studio(stack, "padma.trainer")
    first = studio.get("/conversations", per_page=1, page=1).json()
    second = studio.get("/conversations", per_page=1, page=2).json()
    assert first["total"] >= 2 and len(first["conversations"]) == 1
    assert first["conversations"][0]["id"] != second["conversations"][0]["id"]


def test_a_conversation_shows_each_turn(stack: RunningStack, talked: dict[str, str]) -> None:
    studio = Studio(stack, "padma.trainer")
    body = studio.get(conversation_path(talked["cash"])).json()
    user_turns = [t for t in body["turns"] if t["user"]]
    assert [t["user"]["text"] for t in user_turns] == ["what's our cash balance?", GIBBERISH]
    first = user_turns[0]
    assert first["user"]["intent"] == "ask_cash_balance" and first["user"]["confidence"] > 0.5
    assert first["user"]["intent_ranking"][0]["name"] == "ask_cash_balance"
    assert [a["name"] for a in first["actions"]] == ["action_cash_balance"]
    assert first["actions"][0]["policy"]
    assert first["bot"] and "cash" in first["bot"][0]["text"].lower()
    assert body["min_confidence"] == min(t["user"]["confidence"] for t in user_turns)
    page = studio.get(conversation_path(talked["cash"]), offset=1, limit=1).json()
    assert page["total_turns"] == body["total_turns"] and len(page["turns"]) == 1
    assert page["turns"][0]["index"] == body["turns"][1]["index"]


def test_another_companys_conversation_is_not_there(
    stack: RunningStack, talked: dict[str, str]
) -> None:
    studio = Studio(stack, "northwind.trainer")
    assert studio.get(conversation_path(talked["cash"])).status_code == 404
    assert (
        studio.send("PATCH", conversation_path(talked["cash"]), json={"reviewed": True}).status_code
        == 404
    )
    assert studio.get(conversation_path(talked["cash"]) + "/story").status_code == 404


def test_marks_are_stored_and_filtered_on(stack: RunningStack, talked: dict[str, str]) -> None:
    studio = Studio(stack, "padma.trainer")
    path = conversation_path(talked["hello"])
    marked = studio.send("PATCH", path, json={"reviewed": True, "tags": ["greeting", "ok"]})
    assert marked.status_code == 200
    assert marked.json()["reviewed_by"] == "padma.trainer"
    assert marked.json()["tags"] == ["greeting", "ok"]
    reviewed = studio.get("/conversations", reviewed="true", per_page=100).json()
    assert talked["hello"] in {c["id"] for c in reviewed["conversations"]}
    tagged = studio.get("/conversations", tag="greeting", per_page=100).json()
    assert {c["id"] for c in tagged["conversations"]} == {talked["hello"]}
    flagged = studio.send("PATCH", path, json={"flagged": True, "note": "fine"}).json()
    assert flagged["flagged"] and flagged["reviewed"] and flagged["tags"] == ["greeting", "ok"]

    for bad in ({"tags": ["no spaces allowed"]}, {"reviewed": "yes"}, {"colour": 1}, {}):
        refused = studio.send("PATCH", path, json=bad)
        assert refused.status_code == 400, bad
    assert studio.send("PATCH", path, content=b"not json").status_code == 400
    after = studio.get(path).json()
    assert after["tags"] == ["greeting", "ok"] and after["note"] == "fine"  # unchanged


def test_thumbs_down_flags_the_conversation_and_queues_it(
    stack: RunningStack, talked: dict[str, str]
) -> None:
    studio = Studio(stack, "padma.trainer")
    turns = studio.get(conversation_path(talked["cash"])).json()["turns"]
    reply_id = next(t for t in turns if t["bot"])["bot"][0]["message_id"]
    rated = httpx.post(
        f"{stack.settings.rasa_url}/chat/feedback",
        json={"session_id": "review-cash", "message_id": reply_id, "rating": "down"},
        headers={"Authorization": f"Bearer {stack.token('padma.finance')}"},
    )
    assert rated.status_code == 200, rated.text
    queue = studio.get("/feedback", rating="down").json()
    assert "items" in queue, queue
    assert queue["items"][0]["conversation_id"] == talked["cash"]
    assert queue["items"][0]["message_id"] == reply_id
    negative = studio.get("/conversations", negative_feedback="true", per_page=100).json()
    assert {c["id"] for c in negative["conversations"]} == {talked["cash"]}
    detail = studio.get(conversation_path(talked["cash"])).json()
    assert any(b["feedback"] == "down" for t in detail["turns"] for b in t["bot"])
    assert studio.get("/feedback", rating="sideways").status_code == 400
    assert Studio(stack, "northwind.trainer").get("/feedback").json()["total"] == 0


def test_a_conversation_exports_as_a_story_and_a_test_story(
    stack: RunningStack, talked: dict[str, str]
) -> None:
    studio = Studio(stack, "padma.trainer")
    path = conversation_path(talked["cash"]) + "/story"
    test = studio.get(path, kind="test", until_turn=1, name="cash check").json()
    assert "story: cash check" in test["yaml"]
    assert "what's our cash balance?" in test["yaml"] and "intent: ask_cash_balance" in test["yaml"]
    assert "action: action_cash_balance" in test["yaml"]
    assert GIBBERISH not in test["yaml"]  # only up to turn 1
    assert "padma.finance" not in test["yaml"]  # who spoke never goes into training data
    story = studio.get(path, kind="story").json()
    assert "intent: ask_cash_balance" in story["yaml"] and "user:" not in story["yaml"]
    assert studio.get(path, kind="novel").status_code == 400
    assert studio.get(path, until_turn="x").status_code == 400


def test_the_nlu_inbox_holds_what_the_data_lacks_lowest_confidence_first(
    stack: RunningStack, talked: dict[str, str]
) -> None:
    studio = Studio(stack, "padma.trainer")
    items = studio.get("/nlu/inbox", per_page=100).json()["items"]
    texts = [i["text"] for i in items]
    assert GIBBERISH in texts
    assert "hello" not in texts  # already a training example
    confidences = [i["confidence"] for i in items]
    assert confidences == sorted(confidences)
    entry = next(i for i in items if i["text"] == GIBBERISH)
    assert entry["conversation_id"] == talked["cash"] and entry["count"] == 1
    other = Studio(stack, "northwind.trainer").get("/nlu/inbox", per_page=100).json()
    assert GIBBERISH not in [i["text"] for i in other["items"]]

    assert studio.send("DELETE", "/nlu/inbox/not-an-id").status_code == 400
    assert studio.send("DELETE", "/nlu/inbox/" + "0" * 40).status_code == 404
    assert studio.send("DELETE", f"/nlu/inbox/{entry['id']}").status_code == 204
    after = [i["text"] for i in studio.get("/nlu/inbox", per_page=100).json()["items"]]
    assert GIBBERISH not in after


def test_interactive_learning_confirms_each_step_and_exports(stack: RunningStack) -> None:
    studio = Studio(stack, "padma.admin")
    session = studio.send("POST", "/interactive").json()["session_id"]
    base = f"/interactive/{session}"
    parse = studio.send("POST", base + "/parse", json={"text": "what's our cash balance?"}).json()
    assert parse["intent"]["name"] == "ask_cash_balance"

    step = studio.send(
        "POST",
        base + "/message",
        json={"text": "what's our cash balance?", "intent": "ask_cash_balance", "entities": []},
    ).json()
    assert step["prediction"]["action"] == "action_cash_balance"
    assert step["prediction"]["ranking"][0]["action"] == "action_cash_balance"

    acted = studio.send("POST", base + "/act", json={"action": "action_cash_balance"}).json()
    assert "cash" in " ".join(m.get("text", "") for m in acted["messages"]).lower()
    assert acted["prediction"]["action"] == "action_listen"
    done = studio.send("POST", base + "/act", json={"action": "action_listen"}).json()
    assert done["prediction"] is None

    exported = studio.get(base + "/export", name="admin checks cash").json()
    assert "story: admin checks cash" in exported["story"]
    assert "intent: ask_cash_balance" in exported["story"]
    assert "action: action_cash_balance" in exported["story"]
    assert exported["nlu"] == [
        {"text": "what's our cash balance?", "intent": "ask_cash_balance", "entities": []}
    ]

    # refusals change nothing
    assert studio.send("POST", base + "/act", json={"action": "action_no_such"}).status_code == 400
    bad_span = {
        "text": "hi",
        "intent": "greet",
        "entities": [{"start": 0, "end": 9, "entity": "x"}],
    }
    assert studio.send("POST", base + "/message", json=bad_span).status_code == 400
    assert studio.send("POST", base + "/message", json={"text": "hi"}).status_code == 400
    other = Studio(stack, "padma.trainer")
    assert other.send("POST", base + "/parse", json={"text": "hi"}).status_code == 404
    assert studio.send("DELETE", base).status_code == 204
    assert studio.get(base + "/export").status_code == 404


def test_operations_figures_come_from_the_conversations(
    stack: RunningStack, talked: dict[str, str]
) -> None:
    body = Studio(stack, "padma.trainer").get("/operations", days=7).json()
    assert len(body["days"]) == 7 and body["days"][-1]["messages"] >= 3
    assert body["totals"]["messages"] == sum(d["messages"] for d in body["days"])
    fallbacks = sum(d["fallbacks"] for d in body["days"])
    assert body["totals"]["fallback_rate"] == round(fallbacks / body["totals"]["messages"], 3)
    cash = next(c for c in body["capabilities"] if c["capability"] == "action_cash_balance")
    assert cash["turns"] >= 1 and cash["p95_ms"] >= cash["p50_ms"] > 0
    # the turn records: latency by stage, errors and actions, from both servers
    assert body["totals"]["recorded_turns"] >= 3
    assert body["stages"]["nlu"]["p50_ms"] > 0 and body["stages"]["database"]["p95_ms"] > 0
    assert len(body["stage_days"]) == 7 and body["stage_days"][-1]["turns"] >= 3
    assert 0 <= body["totals"]["error_rate"] <= 1
    recorded = next(a for a in body["actions"] if a["action"] == "action_cash_balance")
    assert recorded["mean_ms"]["database"] > 0 and recorded["p95_ms"] > 0
    assert len(body["alerts"]["raised"]) == 7 and body["totals"]["open_alerts"] >= 0
    other = Studio(stack, "northwind.trainer").get("/operations", days=7).json()
    assert other["totals"]["messages"] < body["totals"]["messages"]  # per company
    assert Studio(stack, "padma.trainer").get("/operations", days=0).status_code == 400
    assert Studio(stack, "padma.sales").get("/operations").status_code == 403


def test_an_administrator_exports_and_deletes_a_users_data(
    stack: RunningStack, talked: dict[str, str]
) -> None:
    """Last in this module: it deletes conversations."""
    stack.say("padma.warehouse", "what's our stock of A4 paper?", sender="privacy-one")
    stack.say(
        "padma.warehouse", "remember that I only care about the Dhaka warehouse", "privacy-two"
    )
    admin = Studio(stack, "padma.admin")
    assert Studio(stack, "padma.trainer").get("/privacy/padma.warehouse").status_code == 403
    assert admin.get("/privacy/bad name!").status_code == 400

    exported = admin.get("/privacy/padma.warehouse").json()
    assert [c["id"] for c in exported["conversations"]] == [
        "padma.warehouse:privacy-one",
        "padma.warehouse:privacy-two",
    ]
    texts = [e.get("text") for c in exported["conversations"] for e in c["events"]]
    assert "what's our stock of A4 paper?" in texts
    # another company's administrator can neither read nor delete it
    assert Studio(stack, "northwind.admin").get("/privacy/padma.warehouse").status_code == 403
    refused = Studio(stack, "northwind.admin").send("DELETE", "/privacy/padma.warehouse")
    assert refused.status_code == 403
    assert len(admin.get("/privacy/padma.warehouse").json()["conversations"]) == 2

    assert [m["key"] for m in exported["memories"]] == ["default_warehouse"]
    assert exported["ratings"] == []
    deleted = admin.send("DELETE", "/privacy/padma.warehouse").json()
    assert deleted == {"user": "padma.warehouse", "conversations": 2, "memories": 1, "ratings": 0}
    assert admin.get("/privacy/padma.warehouse").json()["memories"] == []
    assert admin.get("/privacy/padma.warehouse").json()["conversations"] == []
    listed = Studio(stack, "padma.trainer").get("/conversations", per_page=100).json()
    assert not [c for c in listed["conversations"] if c["user"] == "padma.warehouse"]
    assert (
        Studio(stack, "padma.trainer")
        .get(conversation_path("padma.warehouse:privacy-one"))
        .status_code
        == 404
    )
    inbox = Studio(stack, "padma.trainer").get("/nlu/inbox", per_page=100).json()
    assert "what's our stock of A4 paper?" not in [i["text"] for i in inbox["items"]]
    # other users' conversations are untouched
    assert [c for c in listed["conversations"] if c["user"] == "padma.finance"]


def test_the_privacy_command_exports_and_deletes(stack: RunningStack, tmp_path: Path) -> None:
    from bot.cli import cmd_privacy

    stack.say("padma.approver", "anything waiting for my approval?", sender="privacy-cli")
    out = tmp_path / "approver.json"
    cmd_privacy(stack.settings, "export", "padma.approver", out, yes=False)
    assert "padma.approver:privacy-cli" in out.read_text()
    with pytest.raises(SystemExit, match="--yes"):
        cmd_privacy(stack.settings, "delete", "padma.approver", None, yes=False)
    cmd_privacy(stack.settings, "delete", "padma.approver", None, yes=True)
    cmd_privacy(stack.settings, "export", "padma.approver", out, yes=False)
    assert "privacy-cli" not in out.read_text()
    with pytest.raises(SystemExit, match="no user"):
        cmd_privacy(stack.settings, "export", "nobody.here", out, yes=False)
