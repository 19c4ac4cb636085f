"""Knowledge answers: indexing throughput, answer latency (service and over
HTTP) and, with --generative, the evaluation of the local-LLM mode."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from actions.knowledge.evaluation import evaluate, load_eval_set
from actions.knowledge.index import Indexer, KnowledgeIndex
from actions.knowledge.service import KnowledgeService
from bot.cli import cmd_kb_index
from bot.config import ROOT
from tests.bench.common import RUN, percentile
from tests.e2e.harness import RunningStack

QUESTIONS = [
    "what's the travel policy?",
    "who can approve capital expenditure?",
    "how do I create a sales order?",
    "what's the hotel limit in Chattogram?",
    "how many days of casual leave do we get?",
]


def indexing_throughput() -> dict[str, Any]:
    indexer = Indexer()
    indexer.embedder()  # the model load is not indexing
    index = KnowledgeIndex.empty()
    started = time.perf_counter()
    report = indexer.update(index, ROOT / "knowledge")
    seconds = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as directory:
        saved = time.perf_counter()
        index.save(Path(directory) / "index.json")
        save_ms = (time.perf_counter() - saved) * 1000
    return {
        "documents": len(report.added),
        "passages": report.passages_embedded,
        "seconds": round(seconds, 2),
        "passages_per_second": round(report.passages_embedded / seconds, 1),
        "save_ms": round(save_ms, 1),
    }


def evaluation(index_path: Path, generative: bool) -> list[dict[str, Any]]:
    questions = load_eval_set(ROOT / "tests" / "knowledge" / "eval")
    service = KnowledgeService(index_path, "bundled" if generative else None)
    service.warm_up()
    modes = [False, True] if generative else [False]
    return [evaluate(service, questions, generative=mode) for mode in modes]


def over_http(stack: RunningStack, repeats: int) -> dict[str, Any]:
    samples: list[float] = []
    token = stack.token("padma.finance")
    with httpx.Client(timeout=60) as client:
        for i in range(repeats):
            question = QUESTIONS[i % len(QUESTIONS)]
            started = time.perf_counter()
            reply = client.post(
                stack.webhook,
                json={"sender": f"bench-kb-{RUN}-{i // 10}", "message": question},
                headers={"Authorization": f"Bearer {token}"},
            )
            reply.raise_for_status()
            samples.append((time.perf_counter() - started) * 1000)
    return {
        "n": len(samples),
        "p50_ms": round(percentile(samples, 50), 1),
        "p95_ms": round(percentile(samples, 95), 1),
    }


def knowledge_bench(stack: RunningStack, repeats: int, generative: bool) -> dict[str, Any]:
    cmd_kb_index(stack.settings)
    return {
        "indexing": indexing_throughput(),
        "evaluation": evaluation(stack.settings.kb_index_path, generative),
        "http": over_http(stack, repeats),
    }
