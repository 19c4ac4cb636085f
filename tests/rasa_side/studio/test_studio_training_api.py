"""The training, models and evaluation routes over HTTP (a live Sanic app, a fake Rasa).

Models here are small placeholder files: activation only hands their path to
Rasa's `PUT /model`, which the fake Rasa records; the real server is
exercised by the end-to-end tests.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest
from studio_training_support import (
    API_TOKEN,
    REPO,
    bearer,
    copy_project,
    fake_rasa,
    live_studio,
    studio_env,
)

from bot.studio.channel import StudioInput
from bot.training import fingerprint, model_name
from connectors.identity import Authenticator

OLD, NEW = "erp-00000000000000aa.tar.gz", "erp-00000000000000bb.tar.gz"
PLANTED = """version: "3.1"
stories:
- story: planted broken story
  steps:
  - intent: no_such_intent_here
  - action: action_that_does_not_exist
"""


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    root = copy_project(tmp_path / "workspace")
    (root / "models").mkdir()
    for age, name in enumerate((OLD, NEW)):
        (root / "models" / name).write_bytes(b"model" * (age + 1))
        os.utime(root / "models" / name, (1_700_000_000 + age, 1_700_000_000 + age))
    return root


async def call(client: Any, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    kwargs.setdefault("headers", bearer())
    async with client.request(method, path, **kwargs) as reply:
        body = await reply.json(content_type=None) if reply.status != 204 else None
        return reply.status, body


def state(var_dir: Path) -> dict[str, Any]:
    return json.loads((var_dir / "studio" / "active_model.json").read_text())


async def test_activation_puts_the_model_and_remembers_active_and_previous(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    var_dir = tmp_path / "var"
    async with fake_rasa() as rasa:
        studio_env(monkeypatch, workspace, var_dir, rasa.port)
        async with live_studio(StudioInput(authenticator=Authenticator(secret=b"k"))) as client:
            rasa.loaded = str(workspace / "models" / NEW)  # what `make run` started
            status, listing = await call(client, "GET", "/studio/api/models")
            assert status == 200 and listing["active"] == NEW
            assert [m["name"] for m in listing["models"]] == [NEW, OLD]  # newest first
            assert {m["name"]: m["active"] for m in listing["models"]} == {NEW: True, OLD: False}

            status, body = await call(client, "POST", f"/studio/api/models/{OLD}/activate")
            assert (status, body) == (200, {"active": OLD})
            put = rasa.requests[-1]
            assert put["json"] == {"model_file": str((workspace / "models" / OLD).resolve())}
            assert put["query"]["token"] == API_TOKEN
            record = state(var_dir)
            # the model `make run` started (Rasa's /status) is the one a rollback returns to
            assert record["model"] == OLD and record["previous"] == NEW and record["by"] == "t"
            assert record["data_fingerprint"] == fingerprint(workspace, REPO)

            await call(client, "POST", f"/studio/api/models/{NEW}/activate")
            assert (state(var_dir)["model"], state(var_dir)["previous"]) == (NEW, OLD)

            status, body = await call(client, "POST", "/studio/api/models/rollback")
            assert (status, body) == (200, {"active": OLD})
            assert rasa.loaded == str((workspace / "models" / OLD).resolve())
            assert (state(var_dir)["model"], state(var_dir)["previous"]) == (OLD, NEW)
            status, listing = await call(client, "GET", "/studio/api/models")
            assert listing["active"] == OLD


async def test_nothing_is_remembered_when_rasa_refuses_the_model(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with fake_rasa() as rasa:
        studio_env(monkeypatch, workspace, tmp_path / "var", rasa.port)
        rasa.fail_with = 400
        async with live_studio(StudioInput(authenticator=Authenticator(secret=b"k"))) as client:
            status, body = await call(client, "POST", f"/studio/api/models/{OLD}/activate")
            assert status == 400 and body["error"] == "cannot load"
            assert not (tmp_path / "var" / "studio" / "active_model.json").exists()
            status, body = await call(client, "POST", "/studio/api/models/rollback")
            assert status == 409 and "before" in body["error"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/studio/api/models/erp-00000000000000cc.tar.gz/activate", 404),
        ("/studio/api/models/..%2F..%2Fsecret.tar.gz/activate", 400),
        ("/studio/api/models/erp-x.zip/activate", 400),
    ],
)
async def test_unknown_and_odd_model_names_are_refused(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str, status: int
) -> None:
    async with fake_rasa() as rasa:
        studio_env(monkeypatch, workspace, tmp_path / "var", rasa.port)
        async with live_studio(StudioInput(authenticator=Authenticator(secret=b"k"))) as client:
            got, body = await call(client, "POST", path)
            assert got == status and body["error"]
            assert rasa.requests == []  # Rasa never asked


async def test_who_may_call_and_bad_input(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    studio_env(monkeypatch, workspace, tmp_path / "var")
    async with live_studio(StudioInput(authenticator=Authenticator(secret=b"k"))) as client:
        for method, path in [
            ("POST", "/studio/api/training"),
            ("GET", "/studio/api/models"),
            ("POST", "/studio/api/validate"),
            ("POST", "/studio/api/evaluations"),
        ]:
            assert (await call(client, method, path, headers={}))[0] == 401
            sales = bearer(("sales_officer",))
            assert (await call(client, method, path, headers=sales))[0] == 403
        checks = [
            ("POST", "/studio/api/evaluations", {"data": "not json"}, 400),
            ("POST", "/studio/api/evaluations", {"json": {"model": 3}}, 400),
            ("POST", "/studio/api/evaluations", {"json": {"model": "../x.tar.gz"}}, 400),
            ("POST", "/studio/api/evaluations", {"json": {"model": "erp-ff.tar.gz"}}, 404),
            ("GET", "/studio/api/evaluations/" + OLD, {}, 404),  # not evaluated yet
            ("GET", "/studio/api/jobs?kind=nonsense", {}, 400),
            ("GET", "/studio/api/jobs/20260101T000000000000-abcdef", {}, 404),
            ("GET", "/studio/api/jobs/20260101T000000000000-abcdef/log", {}, 404),
            ("POST", "/studio/api/training", {"data": "[1"}, 400),
        ]
        for method, path, extra, expected in checks:
            status, body = await call(client, method, path, **extra)
            assert status == expected, (path, extra, body)
            assert body["error"]
        # nothing was written on any of those refusals
        assert not (tmp_path / "var" / "studio" / "evaluations").exists()
        assert list((tmp_path / "var" / "studio" / "jobs").glob("*")) == []


async def test_training_route_and_the_job_endpoints(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = studio_env(monkeypatch, workspace, tmp_path / "var")
    studio_input = StudioInput(authenticator=Authenticator(secret=b"k"))
    # the model of this data exists already: the job succeeds without running Rasa
    current = model_name(fingerprint(workspace, REPO))
    (workspace / "models" / current).write_bytes(b"trained")
    async with live_studio(studio_input) as client:
        status, body = await call(client, "POST", "/studio/api/training")
        assert status == 202
        job = body["job"]
        assert job["kind"] == "training" and job["status"] in ("queued", "running", "succeeded")
        assert set(job) >= {
            "id",
            "progress",
            "stage",
            "started_at",
            "finished_at",
            "model",
            "error",
            "log_tail",
        }
        await studio_input.studio.jobs.wait(job["id"])
        status, done = await call(client, "GET", f"/studio/api/jobs/{job['id']}")
        assert status == 200 and done["status"] == "succeeded" and done["progress"] == 1.0
        assert done["model"] == current and done["stage"] == "already trained"
        assert any("already exists" in line for line in done["log_tail"])
        status, log = await call(client, "GET", f"/studio/api/jobs/{job['id']}/log?offset=0")
        assert status == 200 and log["done"] is True and "already exists" in log["text"]
        assert log["next_offset"] == len(log["text"].encode())
        status, log = await call(client, "GET", f"/studio/api/jobs/{job['id']}/log?offset=-1")
        assert status == 400

        # while a training job runs, another is refused with 409
        release = asyncio.Event()

        async def slow(run: Any) -> None:
            await release.wait()

        running = studio_input.studio.jobs.start("training", slow)
        status, body = await call(client, "POST", "/studio/api/training")
        assert status == 409 and running.id in body["error"]
        release.set()
        await studio_input.studio.jobs.wait(running.id)
        status, listing = await call(client, "GET", "/studio/api/jobs?kind=training")
        assert [j["id"] for j in listing["jobs"]] == [running.id, job["id"]]
        status, listing = await call(client, "GET", "/studio/api/jobs?kind=evaluation")
        assert listing["jobs"] == []
    assert settings.var_dir == tmp_path / "var"


async def test_validate_finds_the_planted_error(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workspace / "data" / "stories" / "planted.yml").write_text(PLANTED)
    studio_env(monkeypatch, workspace, tmp_path / "var")
    async with live_studio(StudioInput(authenticator=Authenticator(secret=b"k"))) as client:
        status, body = await call(client, "POST", "/studio/api/validate")
    assert status == 200 and body["ok"] is False
    assert any("no_such_intent_here" in e for e in body["errors"])
    assert any("action_that_does_not_exist" in e for e in body["errors"])
    # the project's own files only warn (unused responses), never fail
    assert not any("utter_default" in e for e in body["errors"])
