"""The retrieval and answer evaluation on `tests/knowledge/eval/*.yml`.

Each answerable question names the document (and section) that answers it;
the unanswerable ones must be declined. Used by the tests (as a gate), by
`bot kb eval` and by `make bench`.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from actions.knowledge.service import KnowledgeService


@dataclass(frozen=True)
class EvalQuestion:
    question: str
    company: str
    source: str | None  # None: the documents do not answer it
    section: str | None = None


def load_eval_set(directory: Path) -> list[EvalQuestion]:
    questions: list[EvalQuestion] = []
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text())
        for item in data.get("answerable", []):
            questions.append(
                EvalQuestion(item["question"], item["company"], item["source"], item.get("section"))
            )
        for item in data.get("unanswerable", []):
            questions.append(EvalQuestion(item["question"], item["company"], None))
    return questions


def same_section(a: str | None, b: str | None) -> bool:
    def norm(text: str | None) -> str:
        return re.sub(r"^\d+\.\s*", "", text or "").strip().lower()

    return norm(a) == norm(b)


def evaluate(
    service: KnowledgeService,
    questions: list[EvalQuestion],
    *,
    generative: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict:
    answerable = [q for q in questions if q.source]
    unanswerable = [q for q in questions if not q.source]
    hits1 = hits3 = answered = cited_right = section_right = grounded = 0
    abstained = 0
    seconds: list[float] = []
    for number, q in enumerate(questions, start=1):
        started = time.perf_counter()
        answer = service.answer(q.question, q.company, generative=generative)
        seconds.append(time.perf_counter() - started)
        if q.source:
            ranked = list(dict.fromkeys(p.path for p in answer.passages))
            hits1 += ranked[:1] == [q.source]
            hits3 += q.source in ranked[:3]
            if answer.outcome == "answered":
                answered += 1
                cited_right += bool(answer.sources) and answer.sources[0].path == q.source
                section_right += bool(answer.sources) and same_section(
                    answer.sources[0].section, q.section
                )
                grounded += answer.mode != "extractive-fallback"
        else:
            abstained += answer.outcome == "abstained"
        if progress:
            progress("evaluating", number, len(questions))
    ordered = sorted(seconds)
    return {
        "mode": "generative" if generative else "extractive",
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "recall_at_1": round(hits1 / len(answerable), 3),
        "recall_at_3": round(hits3 / len(answerable), 3),
        "answered_rate": round(answered / len(answerable), 3),
        "abstention_rate": round(abstained / max(1, len(unanswerable)), 3),
        "cited_source_correct": round(cited_right / max(1, answered), 3),
        "cited_section_correct": round(section_right / max(1, answered), 3),
        "grounded_rate": round(grounded / max(1, answered), 3),
        "latency_p50_ms": round(1000 * statistics.median(ordered), 1),
        "latency_p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 1),
    }
