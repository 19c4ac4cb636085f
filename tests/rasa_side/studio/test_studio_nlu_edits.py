"""New NLU examples: where they land, what stays byte for byte, what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from studio_data_support import REPO, copy_project, data_files, snapshot, without_lines

from bot.studio.datafiles import DataFiles, EntitySpan, Example, Invalid
from bot.studio.datafiles.nlu import read_nlu


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


@pytest.fixture
def data(project: Path, tmp_path: Path) -> DataFiles:
    return data_files(project, tmp_path / "state")


def save(data: DataFiles, examples: list[Example]):
    preview = data.preview_examples(examples)
    return data.save_examples(examples, {c.path: c.base for c in preview.changes})


def test_an_example_goes_to_the_end_of_its_intents_block_and_nothing_else_changes(
    data: DataFiles, project: Path
) -> None:
    original = (project / "data/nlu/finance.yml").read_text()
    saved = save(data, [Example("how much cash sits in the bank today", "ask_cash_balance")])

    assert [c.path for c in saved.changes] == ["data/nlu/finance.yml"]
    text = (project / "data/nlu/finance.yml").read_text()
    line = "    - how much cash sits in the bank today\n"
    assert without_lines(text, [line]) == original
    lines = text.splitlines(keepends=True)
    # right after the last ask_cash_balance example, before the blank line and ask_receivables
    at = lines.index(line)
    assert lines[at - 1] == "    - cash position [this morning](time_period)\n"
    assert lines[at + 1 : at + 3] == ["\n", "- intent: ask_receivables\n"]
    assert (project / "domain.yml").read_bytes() == (REPO / "domain.yml").read_bytes()


def test_comments_and_every_other_file_are_kept(data: DataFiles, project: Path) -> None:
    before = snapshot(project)
    save(data, [Example("make the quantity eighty", "inform")])

    after = snapshot(project)
    assert set(after) == set(before)
    changed = [path for path in before if before[path] != after[path]]
    assert changed == ["data/nlu/forms.yml"]
    text = after["data/nlu/forms.yml"].decode()
    assert text.startswith(before["data/nlu/forms.yml"].decode()[:200])  # the comment header
    assert "# Answers to the assistant's questions" in text
    assert (
        without_lines(text, ["    - make the quantity eighty\n"])
        == before["data/nlu/forms.yml"].decode()
    )


def test_texts_already_in_the_data_or_twice_in_the_request_are_skipped(
    data: DataFiles, project: Path
) -> None:
    before = snapshot(project)
    preview = data.preview_examples(
        [
            Example("Cash  BALANCE", "ask_cash_balance"),  # "cash balance" is in finance.yml
            Example("cash at bank as of Yesterday", "ask_sales"),  # markup stripped, any intent
            Example("is the ledger closed", "ask_dashboard"),
            Example("Is the  ledger closed", "ask_dashboard"),
        ]
    )
    assert [s.text for s in preview.skipped] == [
        "Cash  BALANCE",
        "cash at bank as of Yesterday",
        "Is the  ledger closed",
    ]
    assert "ask_cash_balance" in preview.skipped[1].reason
    assert "request" in preview.skipped[2].reason
    assert [c.path for c in preview.changes] == ["data/nlu/general.yml"]
    assert preview.changes[0].diff.count("\n+    - ") == 1
    assert snapshot(project) == before  # a preview writes nothing


def test_a_new_intent_gets_a_block_in_studio_yml_and_a_line_in_the_domain(
    data: DataFiles, project: Path
) -> None:
    domain_before = (project / "domain.yml").read_text()
    saved = save(
        data,
        [
            Example("what's the weather in dhaka", "ask_weather", (EntitySpan(22, 27, "city"),)),
            Example("will it rain tomorrow", "ask_weather"),
        ],
    )
    assert [c.path for c in saved.changes] == ["data/nlu/studio.yml", "domain.yml"]
    studio = (project / "data/nlu/studio.yml").read_text()
    assert studio == (
        'version: "3.1"\n\nnlu:\n- intent: ask_weather\n  examples: |\n'
        "    - what's the weather in [dhaka](city)\n    - will it rain tomorrow\n"
    )
    domain = (project / "domain.yml").read_text()
    assert without_lines(domain, ["  - ask_weather\n"]) == domain_before
    assert domain.index("  - ask_weather\n") < domain.index("entities:")
    # and the next one for that intent joins the same block
    save(data, [Example("is it sunny", "ask_weather")])
    assert (project / "data/nlu/studio.yml").read_text() == studio + "    - is it sunny\n"
    assert (project / "domain.yml").read_text() == domain


def test_a_new_entity_is_added_to_the_domains_entities(data: DataFiles, project: Path) -> None:
    domain_before = (project / "domain.yml").read_text()
    save(data, [Example("cash at sonali bank", "ask_cash_balance", (EntitySpan(8, 19, "bank"),))])

    domain = (project / "domain.yml").read_text()
    assert without_lines(domain, ["  - bank\n"]) == domain_before
    lines = domain.splitlines()
    # after the last entity, below the comment that belongs to confirmation_token
    assert lines[lines.index("  - bank") - 1] == "  - confirmation_token"
    assert "bank" in data.intents_and_entities()["entities"]


def test_entity_markup_is_read_back_by_rasa_as_the_spans_given(
    data: DataFiles, project: Path
) -> None:
    text = 'sales to "Rahman" (Traders) {last} month: 5 lakh'
    spans = (
        EntitySpan(9, 27, "customer", "Rahman Traders Ltd"),
        EntitySpan(29, 33, "time_period", "last month"),
        EntitySpan(42, 48, "amount"),
    )
    save(data, [Example(text, "ask_sales", spans)])

    messages = read_nlu("sales.yml", (project / "data/nlu/sales.yml").read_text())
    found = [m for m in messages.training_examples if m.get("text") == text]
    assert len(found) == 1
    entities = sorted(
        (e["start"], e["end"], e["entity"], e["value"]) for e in found[0].get("entities")
    )
    assert entities == [
        (9, 27, "customer", "Rahman Traders Ltd"),
        (29, 33, "time_period", "last month"),
        (42, 48, "amount", "5 lakh"),
    ]


@pytest.mark.parametrize(
    "example",
    [
        Example("hello there friend", "Greet"),
        Example("hello there friend", "greet-me"),
        Example("cash in the bank", "ask_cash_balance", (EntitySpan(5, 40, "bank"),)),
        Example("cash in the bank", "ask_cash_balance", (EntitySpan(3, 3, "bank"),)),
        Example(
            "cash in the bank",
            "ask_cash_balance",
            (EntitySpan(0, 7, "amount"), EntitySpan(5, 11, "bank")),
        ),
        Example("cash in the bank", "ask_cash_balance", (EntitySpan(12, 16, "Bank Name"),)),
        Example("cash in\nthe bank", "ask_cash_balance"),
        Example("cash in\u2028the bank", "ask_cash_balance"),
        Example("cash in [the] bank", "ask_cash_balance"),
        Example("x" * 501, "ask_cash_balance"),
    ],
)
def test_invalid_examples_are_refused_and_nothing_is_written(
    data: DataFiles, project: Path, example: Example
) -> None:
    before = snapshot(project)
    good = Example("a perfectly fine new example", "ask_cash_balance")
    with pytest.raises(Invalid):
        data.preview_examples([good, example])
    with pytest.raises(Invalid):
        data.save_examples([good, example], {})
    assert snapshot(project) == before


def test_surrounding_spaces_are_trimmed_and_spans_follow(data: DataFiles, project: Path) -> None:
    save(
        data, [Example("  cash at brac bank  ", "ask_cash_balance", (EntitySpan(10, 19, "bank"),))]
    )
    assert "    - cash at [brac bank](bank)\n" in (project / "data/nlu/finance.yml").read_text()
