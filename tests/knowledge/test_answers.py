"""Retrieval quality, company isolation, abstention, follow-ups and grounding."""

from __future__ import annotations

import pytest

from actions.knowledge.answers import GroundingCheck, cited_passages
from actions.knowledge.evaluation import evaluate, load_eval_set
from actions.knowledge.service import KnowledgeService, resolve_follow_up
from tests.knowledge.conftest import ROOT

EVAL_SET = load_eval_set(ROOT / "tests" / "knowledge" / "eval")


def test_the_evaluation_set_is_big_enough() -> None:
    assert sum(1 for q in EVAL_SET if q.source) >= 60
    assert sum(1 for q in EVAL_SET if not q.source) >= 20


def test_evaluation_meets_the_targets(knowledge: KnowledgeService) -> None:
    report = evaluate(knowledge, EVAL_SET)
    assert report["recall_at_3"] >= 0.9, report
    assert report["abstention_rate"] >= 0.85, report
    assert report["cited_source_correct"] >= 0.8, report
    assert report["answered_rate"] >= 0.75, report


def test_no_passage_of_another_company_is_ever_retrieved(knowledge: KnowledgeService) -> None:
    for q in EVAL_SET:
        for passage in knowledge.retrieve(q.question, q.company, top_k=20):
            assert passage.document.meta["company"] in ("global", q.company), q.question


@pytest.mark.parametrize(
    ("company", "question", "source"),
    [
        ("padma", "how much is the Eid festival bonus?", "padma/eid-bonus-and-salary-advance.md"),
        (
            "northwind",
            "what is the employer 401(k) match?",
            "northwind/401k-and-benefits-enrollment.md",
        ),
    ],
)
def test_company_only_documents(
    knowledge: KnowledgeService, company: str, question: str, source: str
) -> None:
    own = knowledge.answer(question, company)
    assert own.outcome == "answered" and own.sources[0].path == source
    other = "northwind" if company == "padma" else "padma"
    theirs = knowledge.answer(question, other)
    assert all(s.path.split("/")[0] in ("global", other) for s in theirs.sources)
    assert source not in theirs.text and own.sources[0].title not in theirs.text


def test_answers_quote_the_document_and_name_the_section(knowledge: KnowledgeService) -> None:
    answer = knowledge.answer("what's the hotel limit in Chattogram?", "padma")
    assert answer.mode == "extractive"
    assert answer.sources[0].label() == "Travel and Expenses Policy › Accommodation"
    assert "Chattogram and Cox's Bazar: M1 BDT 12,000" in answer.text


def test_a_question_about_a_whole_policy_lists_what_it_covers(
    knowledge: KnowledgeService,
) -> None:
    answer = knowledge.answer("what's the travel policy?", "padma")
    assert answer.sources[0].path == "padma/travel-and-expenses.md"
    assert "Accommodation" in answer.text and "Travel advances" in answer.text


def test_follow_up_questions_use_the_previous_question(knowledge: KnowledgeService) -> None:
    assert resolve_follow_up("and for managers?", "hotel limit in Dhaka?") == (
        "hotel limit in Dhaka? and for managers?"
    )
    assert resolve_follow_up("who approves capex?", "hotel limit?") == "who approves capex?"
    # no follow-up opener, and short only once its stopwords are not counted
    assert resolve_follow_up("what is it for managers?", "hotel limit in Dhaka?") == (
        "hotel limit in Dhaka? what is it for managers?"
    )
    alone = knowledge.answer("and abroad?", "padma")
    follow = knowledge.answer("and abroad?", "padma", previous_question="hotel limit in Dhaka?")
    assert follow.outcome == "answered"
    assert follow.sources[0].label() == "Travel and Expenses Policy › Accommodation"
    assert "Abroad: M1 BDT 28,000" in follow.text
    assert alone.outcome == "abstained" or alone.sources[0].section != "Accommodation"


def test_grounding_check_rejects_invented_figures(knowledge: KnowledgeService) -> None:
    retrieved = knowledge.retrieve("hotel limit in Chattogram", "padma")
    passages = [p for p in retrieved if p.document.meta["section"] == "Accommodation"]
    check = GroundingCheck(knowledge._embedder)
    faithful = "Hotel limits are per night for a standard single room, including VAT [1]."
    assert check.check(faithful, passages).grounded
    invented = "Hotel limits are per night for a standard single room, up to BDT 99,999 [1]."
    verdict = check.check(invented, passages)
    assert not verdict.grounded and "99,999" in verdict.unsupported[0]
    assert not check.check("The canteen serves biryani on Thursdays.", passages).grounded
    cited = cited_passages("See [2] and [1], also [9].", retrieved)
    assert cited == [retrieved[1], retrieved[0]]
