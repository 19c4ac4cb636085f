"""Generative answers from a local LLM: llama.cpp (a GGUF file) or
transformers (a model directory), always given only the retrieved passages.

The model is loaded once and used by one thread at a time (neither backend
is safe to call concurrently). Tokens can be streamed to a callback as they
are produced.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path

from haystack.dataclasses import ChatMessage, StreamingChunk

from actions.knowledge.models import bundled_llm_path, cpu
from actions.knowledge.passages import body
from actions.knowledge.retrieval import Passage

TokenSink = Callable[[str], None]

SYSTEM_PROMPT = (
    "You answer employees' questions about company policies and procedures. "
    "Use only the numbered passages you are given. Answer in at most three short "
    "sentences, cite the passages you used as [1], [2], and never add facts, "
    "figures or names that are not in the passages. If the passages do not answer "
    "the question, reply exactly: I don't know."
)
MAX_NEW_TOKENS = 160


class LLMUnavailable(Exception):
    pass


def resolve_model_path(setting: str) -> Path:
    """`LLM_MODEL_PATH`: a GGUF file, a transformers model directory, or
    `bundled` for the SmolLM2-135M-Instruct that ships with the project."""
    path = Path(bundled_llm_path() if setting.strip().lower() == "bundled" else setting)
    if not path.exists():
        raise LLMUnavailable(f"LLM_MODEL_PATH points to {path}, which does not exist")
    if path.is_file() and path.suffix.lower() != ".gguf":
        raise LLMUnavailable(f"LLM_MODEL_PATH must be a .gguf file or a model directory: {path}")
    if path.is_dir() and not (path / "config.json").exists():
        raise LLMUnavailable(f"{path} is not a transformers model directory (no config.json)")
    return path


def build_messages(question: str, passages: list[Passage]) -> list[ChatMessage]:
    numbered = "\n\n".join(
        f"[{i}] {p.document.meta['heading_path']}\n{body(p.document)}"
        for i, p in enumerate(passages, start=1)
    )
    return [
        ChatMessage.from_system(SYSTEM_PROMPT),
        ChatMessage.from_user(f"Passages:\n{numbered}\n\nQuestion: {question}"),
    ]


class LocalLLM:
    def __init__(self, path: Path, threads: int = 2, max_new_tokens: int = MAX_NEW_TOKENS) -> None:
        self.path = path
        self._lock = threading.Lock()
        if path.is_file():
            from haystack_integrations.components.generators.llama_cpp import (
                LlamaCppChatGenerator,
            )

            self.backend = "llama.cpp"
            self._generator = LlamaCppChatGenerator(
                model=str(path),
                n_ctx=0,  # the model's own context length
                model_kwargs={"n_threads": threads, "verbose": False},
                generation_kwargs={"max_tokens": max_new_tokens, "temperature": 0.0},
            )
        else:
            from haystack_integrations.components.generators.transformers import (
                TransformersChatGenerator,
            )

            self.backend = "transformers"
            self._generator = TransformersChatGenerator(
                model=str(path),
                task="text-generation",
                device=cpu(),
                token=None,
                generation_kwargs={"max_new_tokens": max_new_tokens, "do_sample": False},
            )
        self._generator.warm_up()
        self._unspoken = self._special_tokens() if self.backend == "transformers" else None

    def _special_tokens(self) -> re.Pattern[str] | None:
        """Haystack streams transformers output through a `TextStreamer` that
        keeps special tokens (`</s>`, `<|im_end|>`), while the reply is decoded
        without them; the stream drops them too, so that it says what the
        reply says."""
        tokenizer = self._generator.pipeline.tokenizer
        special = {t.content for t in tokenizer.added_tokens_decoder.values() if t.special}
        if not special:
            return None
        return re.compile("|".join(re.escape(t) for t in sorted(special, key=len, reverse=True)))

    def generate(self, messages: list[ChatMessage], on_token: TokenSink | None = None) -> str:
        def forward(chunk: StreamingChunk) -> None:
            text = chunk.content
            if text and self._unspoken is not None:
                text = self._unspoken.sub("", text)
            if on_token is not None and text:
                on_token(text)

        with self._lock:
            result = self._generator.run(messages=messages, streaming_callback=forward)
        replies = result.get("replies") or []
        return (replies[0].text or "").strip() if replies else ""
