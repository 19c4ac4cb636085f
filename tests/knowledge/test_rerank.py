"""The optional reranker (`KB_RERANKER_PATH`) for real, with a tiny
random-weight cross-encoder: it loads offline, its scores decide the order,
and neither company isolation nor abstention changes."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest

from actions.knowledge import retrieval
from actions.knowledge.retrieval import RerankerUnavailable
from actions.knowledge.service import KnowledgeService
from bot.config import load_settings
from tests.knowledge.tiny_reranker import build_tiny_cross_encoder, score_independently

QUESTION = "what's the hotel limit in Chattogram?"


@pytest.fixture(scope="module")
def tiny_reranker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_cross_encoder(tmp_path_factory.mktemp("reranker"))


@pytest.fixture(scope="module")
def reranked(shipped_index_path: Path, tiny_reranker: Path) -> KnowledgeService:
    service = KnowledgeService(shipped_index_path, reranker_path=tiny_reranker)
    service.warm_up()
    return service


def test_passages_come_in_the_cross_encoders_order(
    shipped_index_path: Path,
    tiny_reranker: Path,
    knowledge: KnowledgeService,
    no_network: list[object],
) -> None:
    # loaded here, not by another test, so that the load is the one proved offline
    retrieval._cross_encoder.cache_clear()
    service = KnowledgeService(shipped_index_path, reranker_path=tiny_reranker)
    passages = service.retrieve(QUESTION, "padma")
    assert no_network == []

    fused = knowledge.retrieve(QUESTION, "padma")
    assert len(passages) == len(fused) > 2
    # the same candidates, with the scores they had before reranking
    before = {p.document.id: p for p in fused}
    assert {p.document.id for p in passages} == set(before)
    for passage in passages:
        assert passage.similarity == before[passage.document.id].similarity
        assert passage.score == before[passage.document.id].score
    assert all(p.rerank_score is None for p in fused)

    scores = score_independently(tiny_reranker, QUESTION, [p.document.content for p in fused])
    expected = [fused[i].document.id for i in sorted(range(len(fused)), key=lambda i: -scores[i])]
    assert [p.document.id for p in passages] == expected
    by_id = dict(zip([p.document.id for p in fused], scores, strict=True))
    assert [p.rerank_score for p in passages] == pytest.approx(
        [by_id[p.document.id] for p in passages], abs=1e-4
    )
    # meaningful only if rounding cannot swap neighbours, and if the
    # reranker changed something
    ordered = sorted(scores, reverse=True)
    assert min(a - b for a, b in pairwise(ordered)) > 1e-3
    assert expected != [p.document.id for p in fused]


def test_company_filtering_holds_when_reranking(reranked: KnowledgeService) -> None:
    question = "how do I enroll in the 401k plan?"
    padma = reranked.retrieve(question, "padma")
    northwind = reranked.retrieve(question, "northwind")
    assert padma and all(p.rerank_score is not None for p in padma)
    assert {p.document.meta["company"] for p in padma} <= {"global", "padma"}
    assert {p.document.meta["company"] for p in northwind} <= {"global", "northwind"}
    assert "northwind/401k-and-benefits-enrollment.md" in {p.path for p in northwind}


def test_answers_follow_the_reranker_and_abstention_stays_on_similarity(
    reranked: KnowledgeService, knowledge: KnowledgeService
) -> None:
    answer = reranked.answer(QUESTION, "padma")
    plain = knowledge.answer(QUESTION, "padma")
    assert answer.outcome == plain.outcome == "answered"
    assert answer.confidence == plain.confidence
    order = [p.document.id for p in reranked.retrieve(QUESTION, "padma")]
    assert [p.document.id for p in answer.passages] == order[:4]
    assert answer.sources[0].path == answer.passages[0].path

    unanswerable = "is there a company car policy?"
    declined = reranked.answer(unanswerable, "padma")
    assert declined.outcome == knowledge.answer(unanswerable, "padma").outcome == "abstained"


def test_the_reranker_setting_is_off_by_default_and_checked(
    tmp_path: Path, tiny_reranker: Path, shipped_index_path: Path
) -> None:
    assert load_settings({}).kb_reranker_path is None
    assert load_settings({"KB_RERANKER_PATH": str(tiny_reranker)}).kb_reranker_path == (
        tiny_reranker
    )

    def refused(path: Path) -> str:
        with pytest.raises(SystemExit) as error:
            load_settings({"KB_RERANKER_PATH": str(path)})
        return str(error.value)

    assert "does not exist" in refused(tmp_path / "missing")
    (tmp_path / "weights.bin").write_bytes(b"x")
    assert "not a file" in refused(tmp_path / "weights.bin")
    assert "config.json" in refused(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert"}))
    assert "safetensors" in refused(tmp_path)

    service = KnowledgeService(shipped_index_path, reranker_path=tmp_path / "missing")
    with pytest.raises(RerankerUnavailable, match="not a model directory"):
        service.retrieve(QUESTION, "padma")
