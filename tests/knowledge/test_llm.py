"""The LLM path for real: a tiny random-weight GGUF loaded through llama.cpp.

The model says nothing useful, so these tests prove the plumbing: loading,
prompting with the passages, streaming tokens, and that an ungrounded answer
is replaced by the extractive one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.knowledge.generation import (
    LLMUnavailable,
    LocalLLM,
    build_messages,
    resolve_model_path,
)
from actions.knowledge.service import KnowledgeService
from tests.knowledge.tiny_llm import build_tiny_gguf


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_gguf(tmp_path_factory.mktemp("llm") / "tiny.gguf")


def test_loads_and_streams_tokens(tiny_model: Path, knowledge: KnowledgeService) -> None:
    llm = LocalLLM(tiny_model, max_new_tokens=12)
    assert llm.backend == "llama.cpp"
    passages = knowledge.retrieve("hotel limit in Chattogram", "padma")[:2]
    messages = build_messages("hotel limit in Chattogram?", passages)
    assert "[1] Travel and Expenses Policy › Accommodation" in messages[1].text
    streamed: list[str] = []
    reply = llm.generate(messages, streamed.append)
    assert streamed and "".join(streamed).strip() == reply


def test_ungrounded_generation_falls_back_to_the_extractive_answer(
    tiny_model: Path, shipped_index_path: Path
) -> None:
    service = KnowledgeService(shipped_index_path, str(tiny_model), max_new_tokens=12)
    streamed: list[str] = []
    answer = service.answer(
        "what's the hotel limit in Chattogram?", "padma", on_token=streamed.append
    )
    assert streamed  # the tokens went out as they were produced
    assert answer.outcome == "answered" and answer.mode == "extractive-fallback"
    assert "Chattogram and Cox's Bazar: M1 BDT 12,000" in answer.text


def test_bad_model_paths_are_refused(tmp_path: Path) -> None:
    with pytest.raises(LLMUnavailable, match="does not exist"):
        resolve_model_path(str(tmp_path / "missing.gguf"))
    (tmp_path / "weights.bin").write_bytes(b"x")
    with pytest.raises(LLMUnavailable, match=r"\.gguf"):
        resolve_model_path(str(tmp_path / "weights.bin"))
    with pytest.raises(LLMUnavailable, match=r"config\.json"):
        resolve_model_path(str(tmp_path))
    assert resolve_model_path("bundled").suffix == ".gguf"
