"""The memory actions, called through rasa-sdk's executor as the Rasa server does."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from rasa_sdk.executor import ActionExecutor

from actions.erp.db import dispose_engine
from actions.erp.service import ERPService
from actions.handlers import common
from tests.conftest import AS_OF
from tests.test_actions import action_call, run

SALES = {"erp_user": "padma.sales", "erp_company": "padma"}


@pytest.fixture
def executor(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ActionExecutor]:
    copy = tmp_path / "erp.db"
    shutil.copyfile(sqlite_template, copy)
    url = f"sqlite:///{copy}"
    common.get_service.cache_clear()
    monkeypatch.setattr(common, "get_service", lambda: ERPService(url, today=lambda: AS_OF))
    executor = ActionExecutor()
    executor.register_package("actions.handlers")
    yield executor
    dispose_engine(url)


def texts(result: dict) -> list[str]:
    return [r["text"] for r in result["responses"] if r.get("text")]


async def test_remember_list_and_forget(executor: ActionExecutor) -> None:
    remembered = await run(
        executor,
        action_call(
            "action_remember",
            text="remember that I only care about the Dhaka warehouse",
            intent="remember",
            entities=[{"entity": "warehouse", "value": "Dhaka", "start": 36, "end": 41}],
            slots=SALES,
        ),
    )
    assert texts(remembered) == [
        "Got it: your default warehouse is Dhaka Central. A warehouse or period you name in a "
        "question still wins. Say 'forget my default warehouse' to undo it."
    ]
    stock = await run(
        executor, action_call("action_stock", text="stock?", intent="ask_stock", slots=SALES)
    )
    assert "in Dhaka Central (your default)" in texts(stock)[0]
    listed = await run(
        executor,
        action_call(
            "action_list_memory", text="what do you remember?", intent="ask_memory", slots=SALES
        ),
    )
    assert "default warehouse Dhaka Central" in texts(listed)[0]
    table = listed["responses"][1]["custom"]
    assert table["capability"] == "memory" and table["payloads"][0]["rows"][0]["kind"] == (
        "preference"
    )
    forgot = await run(
        executor,
        action_call("action_forget", text="forget everything", intent="forget", slots=SALES),
    )
    assert texts(forgot) == ["Done: I've forgotten everything you asked me to remember (1)."]


async def test_unknown_warehouse_gets_a_clear_refusal(executor: ActionExecutor) -> None:
    result = await run(
        executor,
        action_call(
            "action_remember",
            text="my default warehouse is Savar",
            intent="remember",
            entities=[{"entity": "warehouse", "value": "Savar", "start": 24, "end": 29}],
            slots=SALES,
        ),
    )
    (reply,) = texts(result)
    assert "savar" in reply.lower() and "haven't saved anything" in reply


async def test_memory_actions_without_identity_refuse(executor: ActionExecutor) -> None:
    for action in ("action_remember", "action_forget", "action_list_memory"):
        result = await run(executor, action_call(action, text="remember I like tea"))
        assert "sign in" in texts(result)[0], action
