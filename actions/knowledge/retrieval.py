"""Hybrid retrieval: BM25 and embedding search, fused by reciprocal rank,
optionally reranked by a local cross-encoder (`KB_RERANKER_PATH`).

A Haystack pipeline with one filter for the asking company (its own folder
plus `global/`), applied by both retrievers inside the store: passages of
another company are never even scored. The index's backend supplies the two
retrievers (in memory: BM25 and cosine; PostgreSQL: full-text search and
pgvector). The fusion component keeps each retriever's own score next to the
fused one, because the cosine similarity of the best passage is what the
abstention decision is calibrated on. The reranker only reorders the fused
passages and adds its score: the same passages with the same similarities come
out, so abstention is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from haystack import Document, Pipeline, component
from haystack.core.errors import PipelineRuntimeError
from haystack.document_stores.errors import DocumentStoreError
from haystack_integrations.components.embedders.sentence_transformers import (
    SentenceTransformersTextEmbedder,
)
from haystack_integrations.components.rankers.sentence_transformers import (
    SentenceTransformersSimilarityRanker,
)

from actions.knowledge.index import GLOBAL, KnowledgeIndex, StoreUnavailable
from actions.knowledge.models import embedder_settings, reranker_settings
from actions.stage_timing import stage

RRF_K = 60


@dataclass(frozen=True)
class Passage:
    document: Document
    score: float  # fused (reciprocal rank)
    similarity: float  # cosine with the question; 0 when only BM25 found it
    keyword_score: float  # BM25; 0 when only the embedding search found it
    rerank_score: float | None = None  # the cross-encoder's; None when not reranked

    @property
    def path(self) -> str:
        return self.document.meta["path"]


def company_filter(company: str) -> dict:
    return {"field": "meta.company", "operator": "in", "value": [GLOBAL, company]}


@component
class ReciprocalRankFusion:
    """Fuses ranked lists; a passage's score is Σ 1 / (k + rank)."""

    def __init__(self, k: int = RRF_K, top_k: int = 8) -> None:
        self.k = k
        self.top_k = top_k

    @component.output_types(passages=list[Passage])
    def run(self, keyword: list[Document], semantic: list[Document]) -> dict[str, list[Passage]]:
        fused: dict[str, float] = {}
        by_id: dict[str, Document] = {}
        similarity = {d.id: float(d.score or 0.0) for d in semantic}
        keyword_score = {d.id: float(d.score or 0.0) for d in keyword}
        for ranked in (keyword, semantic):
            for rank, document in enumerate(ranked, start=1):
                fused[document.id] = fused.get(document.id, 0.0) + 1.0 / (self.k + rank)
                by_id.setdefault(document.id, document)
        order = sorted(fused, key=lambda i: (-fused[i], -similarity.get(i, 0.0)))
        return {
            "passages": [
                Passage(
                    document=by_id[i],
                    score=fused[i],
                    similarity=similarity.get(i, 0.0),
                    keyword_score=keyword_score.get(i, 0.0),
                )
                for i in order[: self.top_k]
            ]
        }


class RerankerUnavailable(Exception):
    pass


@lru_cache(maxsize=2)
def _cross_encoder(path: str) -> SentenceTransformersSimilarityRanker:
    """Loaded once per path: the pipeline is rebuilt whenever the index is
    reloaded, and the model need not be."""
    ranker = SentenceTransformersSimilarityRanker(**reranker_settings(path))
    ranker.warm_up()
    return ranker


@component
class PassageReranker:
    """Orders passages by a cross-encoder's score of (question, passage),
    keeping each one's fused score and cosine similarity."""

    def __init__(self, model_path: Path | str) -> None:
        path = Path(model_path)
        if not (path / "config.json").is_file():
            raise RerankerUnavailable(
                f"KB_RERANKER_PATH points to {path}, which is not a model directory "
                "(no config.json)"
            )
        self.model_path = path
        self._ranker: SentenceTransformersSimilarityRanker | None = None

    def warm_up(self) -> None:
        if self._ranker is None:
            self._ranker = _cross_encoder(str(self.model_path))

    @component.output_types(passages=list[Passage])
    def run(self, query: str, passages: list[Passage]) -> dict[str, list[Passage]]:
        if not passages:
            return {"passages": []}
        self.warm_up()
        assert self._ranker is not None
        by_id = {p.document.id: p for p in passages}
        ranked = self._ranker.run(
            query=query, documents=[p.document for p in passages], top_k=len(passages)
        )["documents"]
        return {
            "passages": [replace(by_id[d.id], rerank_score=float(d.score or 0.0)) for d in ranked]
        }


def build_retrieval_pipeline(
    index: KnowledgeIndex, candidates: int = 20, reranker_path: Path | str | None = None
) -> Pipeline:
    backend = index.backend
    pipeline = Pipeline()
    pipeline.add_component("embedder", SentenceTransformersTextEmbedder(**embedder_settings()))
    pipeline.add_component("keyword", backend.keyword_retriever(index.store, candidates))
    pipeline.add_component("semantic", backend.embedding_retriever(index.store, candidates))
    pipeline.add_component("fusion", ReciprocalRankFusion())
    pipeline.connect("embedder.embedding", "semantic.query_embedding")
    pipeline.connect("keyword.documents", "fusion.keyword")
    pipeline.connect("semantic.documents", "fusion.semantic")
    if reranker_path is not None:
        pipeline.add_component("rerank", PassageReranker(reranker_path))
        pipeline.connect("fusion.passages", "rerank.passages")
    return pipeline


class Retriever:
    """Runs the pipeline for one question and one company."""

    def __init__(self, index: KnowledgeIndex, reranker_path: Path | str | None = None) -> None:
        self.index = index
        # counted once: the service builds a new Retriever whenever the index changes
        self.passages = index.store.count_documents()
        self.reranks = reranker_path is not None
        self.pipeline = build_retrieval_pipeline(index, reranker_path=reranker_path)
        self.pipeline.warm_up()

    def retrieve(self, question: str, company: str, top_k: int = 8) -> list[Passage]:
        if not question.strip() or self.passages == 0:
            return []
        filters = company_filter(company)
        try:
            with stage("retrieval"), self.index.backend.query_lock:
                result = self.pipeline.run(
                    {
                        "embedder": {"text": question},
                        "keyword": {"query": question, "filters": filters},
                        "semantic": {"filters": filters},
                        "fusion": {},
                        **({"rerank": {"query": question}} if self.reranks else {}),
                    }
                )
        except PipelineRuntimeError as error:
            # a database store that went away is not a bug in the pipeline
            cause = error.__cause__
            if isinstance(cause, (StoreUnavailable, DocumentStoreError)):
                raise StoreUnavailable(str(cause)) from cause
            raise
        last = "rerank" if self.reranks else "fusion"
        passages: list[Passage] = result[last]["passages"][:top_k]
        # defence in depth: the filter already did this inside the store
        return [p for p in passages if p.document.meta.get("company") in (GLOBAL, company)]
