"""The studio's NLU and story routes over HTTP (the studio blueprint mounted as
`rasa run` mounts it), on a throw-away copy of the project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from studio_data_support import AsgiClient, copy_project, snapshot, studio_app

from bot.auth import Identity, issue_token

SECRET = b"k"
INBOX_A, INBOX_B = "a" * 40, "b" * 40
TRAINER = issue_token(SECRET, Identity("t", "padma", ("trainer",)))
SALES = issue_token(SECRET, Identity("s", "padma", ("sales_officer",)))
STORY = (
    'version: "3.1"\nstories:\n- story: {name}\n  steps:\n  - intent: greet\n  - action: {action}\n'
)
ROUTES = [
    ("GET", "/studio/api/nlu/intents"),
    ("POST", "/studio/api/nlu/preview"),
    ("POST", "/studio/api/nlu/examples"),
    ("POST", "/studio/api/stories/preview"),
    ("POST", "/studio/api/stories"),
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


@pytest.fixture
def api(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[AsgiClient, Any]:
    monkeypatch.setenv("STUDIO_WORKSPACE", str(project))
    monkeypatch.setenv("ERP_VAR_DIR", str(tmp_path / "var"))
    app, studio = studio_app(SECRET)
    return AsgiClient(app), studio


@pytest.fixture
def client(api: tuple[AsgiClient, Any]) -> AsgiClient:
    return api[0]


async def test_intents_and_entities_come_from_the_domain(client: AsgiClient) -> None:
    status, body = await client.request("GET", "/studio/api/nlu/intents", token=TRAINER)
    assert status == 200
    assert "ask_cash_balance" in body["intents"] and "customer" in body["entities"]
    assert body["intents"] == sorted(body["intents"])


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_route_wants_a_trainer(
    client: AsgiClient, project: Path, method: str, path: str
) -> None:
    before = snapshot(project)
    body = {"examples": [{"text": "brand new words", "intent": "greet", "entities": []}]}
    status, answer = await client.request(method, path, json_body=body)
    assert status == 401 and "token" in answer["error"]
    status, answer = await client.request(method, path, json_body=body, token=SALES)
    assert status == 403 and "trainers" in answer["error"]
    status, answer = await client.request(method, path, json_body=body, token="not.a-token")
    assert status == 401
    assert snapshot(project) == before


@pytest.mark.parametrize("path", [p for m, p in ROUTES if m == "POST"])
@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[1, 2]",
        b'{"examples": "hello"}',
        b'{"examples": []}',
        b'{"examples": [{"text": "x", "intent": "greet", "entities": [{"start": "0"}]}]}',
        b'{"kind": "story", "yaml": 5}',
        b'{"kind": "novel", "yaml": "x"}',
    ],
)
async def test_bad_bodies_are_400(client: AsgiClient, project: Path, path: str, raw: bytes) -> None:
    before = snapshot(project)
    status, answer = await client.request("POST", path, raw=raw, token=TRAINER)
    assert status == 400 and answer["error"]
    assert snapshot(project) == before


async def test_too_many_examples_or_too_much_yaml_is_400(client: AsgiClient) -> None:
    many = [{"text": f"example {n}", "intent": "greet"} for n in range(201)]
    status, answer = await client.request(
        "POST", "/studio/api/nlu/preview", json_body={"examples": many}, token=TRAINER
    )
    assert status == 400 and "200" in answer["error"]
    huge = STORY.format(name="big", action="utter_greet") + "#" * 100_001
    status, answer = await client.request(
        "POST",
        "/studio/api/stories/preview",
        json_body={"kind": "story", "yaml": huge},
        token=TRAINER,
    )
    assert status == 400 and "kB" in answer["error"]


async def test_preview_then_save_examples_and_accept_inbox_items(
    api: tuple[AsgiClient, Any], project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, studio = api
    accepted: list[tuple[Any, list[str]]] = []

    async def inbox_accepted(identity: Any, ids: list[str]) -> None:
        accepted.append((identity, list(ids)))

    monkeypatch.setattr(studio, "inbox_accepted", inbox_accepted)
    examples = [
        {
            "text": "cash at city bank",
            "intent": "ask_cash_balance",
            "entities": [{"start": 8, "end": 17, "entity": "bank"}],
        },
        {"text": "cash balance", "intent": "ask_cash_balance", "entities": []},
    ]
    before = snapshot(project)
    status, preview = await client.request(
        "POST", "/studio/api/nlu/preview", json_body={"examples": examples}, token=TRAINER
    )
    assert status == 200
    assert [c["path"] for c in preview["changes"]] == ["data/nlu/finance.yml", "domain.yml"]
    assert "+    - cash at [city bank](bank)\n" in preview["changes"][0]["diff"]
    assert preview["skipped"] == [
        {"text": "cash balance", "reason": "already in the training data (intent ask_cash_balance)"}
    ]
    assert snapshot(project) == before

    bases = {c["path"]: c["base"] for c in preview["changes"]}
    status, saved = await client.request(
        "POST",
        "/studio/api/nlu/examples",
        json_body={"examples": examples, "bases": bases, "inbox_ids": [INBOX_A, INBOX_B]},
        token=TRAINER,
    )
    assert status == 200
    assert [c["diff"] for c in saved["changes"]] == [c["diff"] for c in preview["changes"]]
    assert "    - cash at [city bank](bank)\n" in (project / "data/nlu/finance.yml").read_text()
    assert "  - bank\n" in (project / "domain.yml").read_text()
    assert [(who.user, ids) for who, ids in accepted] == [("t", [INBOX_A, INBOX_B])]


async def test_a_stale_save_is_409_with_fresh_changes_and_nothing_written(
    api: tuple[AsgiClient, Any], project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, studio = api
    accepted: list[list[str]] = []

    async def inbox_accepted(identity: Any, ids: list[str]) -> None:
        accepted.append(list(ids))

    monkeypatch.setattr(studio, "inbox_accepted", inbox_accepted)
    examples = [{"text": "what is in the tills", "intent": "ask_cash_balance"}]
    _, preview = await client.request(
        "POST", "/studio/api/nlu/preview", json_body={"examples": examples}, token=TRAINER
    )
    finance = project / "data/nlu/finance.yml"
    finance.write_text(finance.read_text() + "# someone else's edit\n")
    before = snapshot(project)
    bases = {c["path"]: c["base"] for c in preview["changes"]}
    status, answer = await client.request(
        "POST",
        "/studio/api/nlu/examples",
        json_body={"examples": examples, "bases": bases, "inbox_ids": [INBOX_A]},
        token=TRAINER,
    )
    assert status == 409 and "changed" in answer["error"]
    assert answer["changes"][0]["base"] != bases["data/nlu/finance.yml"]
    assert snapshot(project) == before and accepted == []


async def test_invalid_examples_are_422_and_nothing_is_written(
    client: AsgiClient, project: Path
) -> None:
    before = snapshot(project)
    for example in (
        {"text": "cash now", "intent": "Ask Cash"},
        {
            "text": "cash now",
            "intent": "ask_cash_balance",
            "entities": [{"start": 5, "end": 30, "entity": "time_period"}],
        },
    ):
        for path, extra in (
            ("/studio/api/nlu/preview", {}),
            ("/studio/api/nlu/examples", {"bases": {}}),
        ):
            status, answer = await client.request(
                "POST", path, json_body={"examples": [example], **extra}, token=TRAINER
            )
            assert status == 422 and answer["error"]
    assert snapshot(project) == before


async def test_story_preview_and_save(client: AsgiClient, project: Path) -> None:
    yaml = STORY.format(name="hello weather", action="utter_weather")
    status, answer = await client.request(
        "POST",
        "/studio/api/stories/preview",
        json_body={"kind": "story", "yaml": yaml},
        token=TRAINER,
    )
    assert status == 422 and "utter_weather" in answer["error"]

    body = {"kind": "story", "yaml": yaml, "responses": {"utter_weather": "Sunny."}}
    status, preview = await client.request(
        "POST", "/studio/api/stories/preview", json_body=body, token=TRAINER
    )
    assert status == 200 and preview["path"] == "data/stories/studio.yml"
    assert "+- story: hello weather\n" in preview["diff"]
    assert '+    - text: "Sunny."\n' in preview["diff"]
    assert not (project / "data/stories/studio.yml").exists()

    status, saved = await client.request(
        "POST", "/studio/api/stories", json_body={**body, "base": preview["base"]}, token=TRAINER
    )
    assert status == 200 and saved["stories"] == ["hello weather"]
    assert saved["diff"] == preview["diff"]
    assert "- story: hello weather\n" in (project / "data/stories/studio.yml").read_text()

    # the same name again, and the old base now stale
    status, answer = await client.request(
        "POST", "/studio/api/stories", json_body={**body, "base": preview["base"]}, token=TRAINER
    )
    assert status == 409 and "already exists" in answer["error"]
    other = {**body, "yaml": STORY.format(name="second", action="utter_greet")}
    before = snapshot(project)
    status, answer = await client.request(
        "POST", "/studio/api/stories", json_body={**other, "base": preview["base"]}, token=TRAINER
    )
    assert (
        status == 409 and answer["base"] != preview["base"] and "+- story: second" in answer["diff"]
    )
    assert snapshot(project) == before


async def test_invalid_story_yaml_is_422(client: AsgiClient, project: Path) -> None:
    before = snapshot(project)
    for yaml in ("stories: [", 'version: "3.1"\nstories:\n- story: s\n  steps:\n  - foo: 1\n'):
        for path, extra in (
            ("/studio/api/stories/preview", {}),
            ("/studio/api/stories", {"base": "x"}),
        ):
            status, answer = await client.request(
                "POST", path, json_body={"kind": "test", "yaml": yaml, **extra}, token=TRAINER
            )
            assert status == 422 and answer["error"]
    assert snapshot(project) == before


async def test_odd_inbox_ids_are_refused_before_anything_is_written(
    client: AsgiClient, project: Path
) -> None:
    examples = [{"text": "what is in the petty cash tin", "intent": "ask_cash_balance"}]
    _, preview = await client.request(
        "POST", "/studio/api/nlu/preview", json_body={"examples": examples}, token=TRAINER
    )
    bases = {c["path"]: c["base"] for c in preview["changes"]}
    before = snapshot(project)
    status, answer = await client.request(
        "POST",
        "/studio/api/nlu/examples",
        json_body={"examples": examples, "bases": bases, "inbox_ids": ["x" * 64]},
        token=TRAINER,
    )
    assert status == 400 and "inbox ids" in answer["error"]
    assert snapshot(project) == before
