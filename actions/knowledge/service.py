"""The knowledge service: one question in, a grounded and cited answer out.

Loads the index, the retrieval pipeline (with the cross-encoder when
`KB_RERANKER_PATH` is set) and (when `LLM_MODEL_PATH` is set) the local LLM
once, and reloads the index when `bot kb index` changes it: it asks the
backend for its version before each question (the JSON file's mtime; a
database store's version counter). It never runs an ERP action, and
retrieves only the asking company's documents and the global ones.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path

from actions.knowledge.answers import (
    Draft,
    ExtractiveAnswerer,
    GroundingCheck,
    SentenceEmbedder,
    Source,
    cited_passages,
    content_words,
)
from actions.knowledge.generation import LocalLLM, TokenSink, build_messages, resolve_model_path
from actions.knowledge.index import MemoryBackend, StoreBackend, StoreUnavailable
from actions.knowledge.retrieval import Passage, Retriever
from actions.stage_timing import stage

log = logging.getLogger(__name__)

# Below this cosine similarity between the question and the best passage the
# documents are taken not to answer it; measured on tests/knowledge/eval
# (README, "Knowledge answers").
MIN_SIMILARITY = 0.455
# Below this the nearest documents are not even worth suggesting.
SUGGEST_SIMILARITY = 0.35
FOLLOW_UP = re.compile(r"^(and|what about|how about|or|also|same for|what if|for)\b", re.I)
# A question with at most this many content words (stopwords aside) is too
# short to stand alone; "who approves capex?" has two and does.
FOLLOW_UP_MAX_WORDS = 1

LinkFn = Callable[[Source], str]


@dataclass
class KnowledgeAnswer:
    text: str
    outcome: str  # answered | abstained | no_index | unavailable
    mode: str  # extractive | generative | extractive-fallback | none
    sources: list[Source] = field(default_factory=list)
    query: str = ""
    confidence: float = 0.0
    passages: list[Passage] = field(default_factory=list)
    seconds: float = 0.0

    def payload(self, link: LinkFn) -> dict:
        return {
            "type": "sources",
            "mode": self.mode,
            "outcome": self.outcome,
            "confidence": round(self.confidence, 3),
            "items": [
                {
                    "title": s.title,
                    "section": s.section,
                    "path": s.path,
                    "url": link(s),
                    "similarity": s.similarity,
                }
                for s in self.sources
            ],
        }


def resolve_follow_up(question: str, previous: str | None) -> str:
    """ "and for managers?" after "what's the hotel limit?" asks about both."""
    if not previous:
        return question
    if FOLLOW_UP.match(question.strip()) or len(content_words(question)) <= FOLLOW_UP_MAX_WORDS:
        return f"{previous} {question}"
    return question


class KnowledgeService:
    def __init__(
        self,
        index: Path | StoreBackend,
        llm_model_path: str | None = None,
        min_similarity: float = MIN_SIMILARITY,
        max_new_tokens: int | None = None,
        reranker_path: Path | str | None = None,
    ) -> None:
        """`index`: the in-memory index's JSON file, or any backend (`open_backend`)."""
        self.max_new_tokens = max_new_tokens
        self.backend: StoreBackend = MemoryBackend(index) if isinstance(index, Path) else index
        self.llm_model_path = llm_model_path
        self.reranker_path = reranker_path or None
        self.min_similarity = min_similarity
        self._lock = threading.Lock()
        self._loaded_version: Hashable | None = None
        self._retriever: Retriever | None = None
        self._embedder: SentenceEmbedder | None = None
        self._llm: LocalLLM | None = None
        self._outline: dict[str, list[str]] = {}

    # ------------------------------------------------------------ loading

    def warm_up(self) -> None:
        """Load models and the index now rather than on the first question."""
        self._current_retriever()
        if self.llm_model_path:
            self._current_llm()

    def _current_retriever(self) -> Retriever | None:
        with self._lock:
            version = self.backend.version()
            if version is None:
                return None
            if self._retriever is None or version != self._loaded_version:
                index = self.backend.load()
                self._retriever = Retriever(index, reranker_path=self.reranker_path)
                self._outline = {path: entry["sections"] for path, entry in index.manifest.items()}
                # the version read with the index: a run committed in between reloads again
                self._loaded_version = index.version
                log.info(
                    "knowledge index loaded from the %s: %d passages",
                    self.backend.name,
                    self._retriever.passages,
                )
            if self._embedder is None:
                self._embedder = SentenceEmbedder()
            return self._retriever

    def _current_llm(self) -> LocalLLM | None:
        if not self.llm_model_path:
            return None
        with self._lock:
            if self._llm is None:
                path = resolve_model_path(self.llm_model_path)
                extra = {"max_new_tokens": self.max_new_tokens} if self.max_new_tokens else {}
                self._llm = LocalLLM(path, **extra)
            return self._llm

    # ------------------------------------------------------------ answering

    def retrieve(self, question: str, company: str, top_k: int = 8) -> list[Passage]:
        retriever = self._current_retriever()
        return [] if retriever is None else retriever.retrieve(question, company, top_k=top_k)

    def answer(
        self,
        question: str,
        company: str,
        *,
        previous_question: str | None = None,
        on_token: TokenSink | None = None,
        generative: bool | None = None,
    ) -> KnowledgeAnswer:
        started = time.perf_counter()
        query = resolve_follow_up(question.strip(), previous_question)
        try:
            retriever = self._current_retriever()
            passages = [] if retriever is None else retriever.retrieve(query, company)
        except StoreUnavailable as error:
            log.error("knowledge store unavailable: %s", error)
            return KnowledgeAnswer(
                text="I can't reach the knowledge base right now, so I can't answer policy "
                "questions. Please try again in a moment.",
                outcome="unavailable",
                mode="none",
                query=query,
                seconds=time.perf_counter() - started,
            )
        if retriever is None:
            return KnowledgeAnswer(
                text="The knowledge base has not been indexed yet, so I can't answer policy "
                "questions right now. An administrator can run `bot kb index`.",
                outcome="no_index",
                mode="none",
                query=query,
            )
        confidence = max((p.similarity for p in passages), default=0.0)
        if confidence < self.min_similarity:
            result = self._abstain(query, passages, confidence)
        else:
            # the cross-encoder's order when there is one: that is what it is for
            ranked = (
                passages if self.reranker_path else sorted(passages, key=lambda p: -p.similarity)
            )
            passages = ranked[:4]
            use_llm = bool(self.llm_model_path) if generative is None else generative
            draft, mode = (
                self._generate(query, passages, on_token) if use_llm else (None, "extractive")
            )
            if draft is None:
                assert self._embedder is not None
                answerer = ExtractiveAnswerer(self._embedder)
                draft = answerer.run(query, passages, self._outline)["draft"]
            result = KnowledgeAnswer(
                text=draft.text,
                outcome="answered",
                mode=mode,
                sources=draft.sources,
                query=query,
                confidence=confidence,
                passages=passages,
            )
        result.seconds = time.perf_counter() - started
        return result

    def _generate(
        self, question: str, passages: list[Passage], on_token: TokenSink | None
    ) -> tuple[Draft | None, str]:
        llm = self._current_llm()
        assert llm is not None and self._embedder is not None
        try:
            with stage("generation"):
                reply = llm.generate(build_messages(question, passages), on_token)
        except (ValueError, RuntimeError) as error:  # e.g. a prompt beyond the context
            log.warning("LLM generation failed, answering extractively: %s", error)
            return None, "extractive-fallback"
        verdict = GroundingCheck(self._embedder).check(reply, passages)
        if not verdict.grounded or reply.lower().startswith("i don't know"):
            log.info("LLM answer rejected by the grounding check: %s", verdict.unsupported)
            return None, "extractive-fallback"
        cited = cited_passages(reply, passages) or passages[:1]
        return Draft(text=reply, sources=[Source.of(p) for p in cited]), "generative"

    def _abstain(self, query: str, passages: list[Passage], confidence: float) -> KnowledgeAnswer:
        first_of_each_document: dict[str, Passage] = {}
        for passage in passages:
            if passage.similarity >= SUGGEST_SIMILARITY:
                first_of_each_document.setdefault(passage.path, passage)
        near = [Source.of(p) for p in first_of_each_document.values()]
        text = "I don't know: our documents don't answer that, and I won't guess a policy."
        if near:
            titles = ", ".join(f"**{s.title}**" for s in near[:2])
            text += f" The closest documents I have are {titles}; they may help."
        text += (
            " I can answer questions about the policies and how-to guides in the knowledge "
            "base (travel, expenses, leave, procurement, credit, returns, capital "
            "expenditure, and how to use the ERP), and about live ERP figures such as cash, "
            "receivables, stock and sales."
        )
        return KnowledgeAnswer(
            text=text,
            outcome="abstained",
            mode="none",
            sources=near[:2],
            query=query,
            confidence=confidence,
            passages=passages,
        )
