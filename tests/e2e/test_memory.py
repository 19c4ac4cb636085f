"""Per-user memory end to end: both servers, the authenticated channel, a private database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import RunningStack, payloads_of, query, running_stack, text_of

pytestmark = pytest.mark.e2e

USER = "padma.sales"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    var_dir: Path = tmp_path_factory.mktemp("memory-stack")
    with running_stack(var_dir, seed_scale=0.3) as running:
        yield running


def stock_warehouses(messages: list[dict]) -> set[str]:
    return {row["warehouse"] for p in payloads_of(messages) for row in p.get("rows", [])}


def test_remember_the_dhaka_warehouse_then_forget_it(stack: RunningStack) -> None:
    before = stack.say(USER, "stock report", sender="memory")
    assert len(stock_warehouses(before)) == 3, text_of(before)

    remembered = text_of(
        stack.say(USER, "remember that I only care about the Dhaka warehouse", sender="memory")
    )
    assert "default warehouse is Dhaka Central" in remembered, remembered
    stored = query(
        stack,
        "SELECT m.key, m.value FROM user_memories m JOIN users u ON u.id = m.user_id "
        "WHERE u.username = :user",
        user=USER,
    )
    assert [tuple(row) for row in stored] == [("default_warehouse", "DHK")]

    stock = stack.say(USER, "stock report", sender="memory")
    assert "in Dhaka Central (your default)" in text_of(stock), text_of(stock)
    assert stock_warehouses(stock) == {"Dhaka Central"}

    named = stack.say(USER, "stock levels in Gazipur", sender="memory")
    assert stock_warehouses(named) == {"Gazipur"}, text_of(named)

    listed = text_of(stack.say(USER, "what do you remember about me?", sender="memory"))
    assert "default warehouse Dhaka Central" in listed, listed
    # another user of the same company sees nothing of it
    other = text_of(stack.say("padma.warehouse", "what do you remember about me?"))
    assert "don't remember anything" in other, other

    forgot = text_of(stack.say(USER, "forget my default warehouse", sender="memory"))
    assert "forgotten" in forgot and "Dhaka Central" in forgot, forgot
    again = text_of(stack.say(USER, "what do you remember about me?", sender="memory"))
    assert "don't remember anything" in again, again
    after = stack.say(USER, "stock report", sender="memory")
    assert len(stock_warehouses(after)) == 3 and "your default" not in text_of(after)
    assert query(stack, "SELECT COUNT(*) FROM user_memories")[0][0] == 0
