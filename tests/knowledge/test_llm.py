"""The LLM path for real: tiny random-weight models, a GGUF loaded through
llama.cpp and a model directory loaded through transformers.

The models say nothing useful, so these tests prove the plumbing: loading,
prompting with the passages, streaming tokens, and that an ungrounded answer
is replaced by the extractive one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from haystack_integrations.components.generators.transformers import TransformersChatGenerator

from actions.knowledge.generation import (
    LLMUnavailable,
    LocalLLM,
    build_messages,
    resolve_model_path,
)
from actions.knowledge.service import KnowledgeService
from tests.knowledge.tiny_llm import (
    SPECIAL_TOKENS,
    build_tiny_gguf,
    build_tiny_transformers_llm,
)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_gguf(tmp_path_factory.mktemp("llm") / "tiny.gguf")


@pytest.fixture(scope="module")
def tiny_transformers_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_transformers_llm(tmp_path_factory.mktemp("hf-llm"))


def test_loads_and_streams_tokens(tiny_model: Path, knowledge: KnowledgeService) -> None:
    llm = LocalLLM(tiny_model, max_new_tokens=12)
    assert llm.backend == "llama.cpp"
    passages = knowledge.retrieve("hotel limit in Chattogram", "padma")[:2]
    messages = build_messages("hotel limit in Chattogram?", passages)
    assert "[1] Travel and Expenses Policy › Accommodation" in messages[1].text
    streamed: list[str] = []
    reply = llm.generate(messages, streamed.append)
    assert streamed and "".join(streamed).strip() == reply


def test_transformers_backend_loads_offline_and_streams_the_reply(
    tiny_transformers_model: Path, knowledge: KnowledgeService, no_network: list[object]
) -> None:
    llm = LocalLLM(resolve_model_path(str(tiny_transformers_model)), max_new_tokens=12)
    assert llm.backend == "transformers"
    passages = knowledge.retrieve("hotel limit in Chattogram", "padma")[:2]
    messages = build_messages("hotel limit in Chattogram?", passages)
    streamed: list[str] = []
    reply = llm.generate(messages, streamed.append)
    assert len(streamed) > 1 and reply
    assert "".join(streamed).strip() == reply
    # Haystack's own stream carries the special tokens the model emitted (the
    # reply is decoded without them): LocalLLM must have dropped them.
    raw: list[str] = []
    generator = TransformersChatGenerator(
        model=str(tiny_transformers_model),
        task="text-generation",
        token=None,
        generation_kwargs={"max_new_tokens": 12, "do_sample": False},
    )
    generator.warm_up()
    result = generator.run(
        messages=messages, streaming_callback=lambda c: raw.append(c.content or "")
    )
    assert result["replies"][0].text.strip() == reply
    assert any(token in "".join(raw) for token in SPECIAL_TOKENS)
    assert not any(token in "".join(streamed) for token in SPECIAL_TOKENS)
    assert no_network == []


@pytest.mark.parametrize("backend", ["llama.cpp", "transformers"])
def test_ungrounded_generation_falls_back_to_the_extractive_answer(
    backend: str, request: pytest.FixtureRequest, shipped_index_path: Path
) -> None:
    model = request.getfixturevalue(
        "tiny_model" if backend == "llama.cpp" else "tiny_transformers_model"
    )
    service = KnowledgeService(shipped_index_path, str(model), max_new_tokens=12)
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
