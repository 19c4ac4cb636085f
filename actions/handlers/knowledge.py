"""Policy and how-to questions, answered from the knowledge base.

Also the second chance for messages NLU could not place (`nlu_fallback`,
`out_of_scope`): if the documents answer them, good; if not, the usual
helpful fallback. Never runs an ERP query or write.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handlers.common import identity, send_reply, timed_call
from actions.handlers.streaming import StreamTarget, TokenForwarder, stream_target
from actions.knowledge.answers import Source
from actions.knowledge.index import open_backend
from actions.knowledge.service import KnowledgeAnswer, KnowledgeService
from bot.auth import sign_link
from bot.config import load_settings

FALLBACK_RESPONSES = {"nlu_fallback": "utter_default", "out_of_scope": "utter_out_of_scope"}
LINK_TTL_SECONDS = 7 * 24 * 3600


@lru_cache(maxsize=1)
def get_knowledge() -> KnowledgeService:
    settings = load_settings()
    backend = open_backend(settings.kb_store_url, settings.kb_index_path)
    return KnowledgeService(
        backend, settings.llm_model_path, reranker_path=settings.kb_reranker_path
    )


@lru_cache(maxsize=1)
def shared_secret() -> bytes:
    """Read once: links and streamed chunks are signed on every answer."""
    return load_settings().secret_key()


def document_link(source: Source, company: str) -> str:
    """A link the web chat can open: signed, because a browser tab sends no token."""
    expires = int(time.time()) + LINK_TTL_SECONDS
    signature = sign_link(shared_secret(), source.path, company, expires)
    return (
        f"/knowledge/{source.path}?company={company}&expires={expires}"
        f"&signature={signature}#{source.anchor}"
    )


def answer_question(
    question: str, company: str, previous: str | None, stream: StreamTarget | None
) -> KnowledgeAnswer:
    """Blocking: runs in a worker thread, where the LLM's tokens are forwarded."""
    knowledge = get_knowledge()
    if stream is None or not knowledge.llm_model_path:
        return knowledge.answer(question, company, previous_question=previous)
    with TokenForwarder(stream, shared_secret()) as forward:
        return knowledge.answer(question, company, previous_question=previous, on_token=forward)


def with_sources(answer: KnowledgeAnswer) -> str:
    if answer.outcome != "answered" or not answer.sources:
        return answer.text
    return answer.text + "\n\nSources: " + "; ".join(s.label() for s in answer.sources)


class ActionAnswerFromKnowledge(Action):
    def name(self) -> str:
        return "action_answer_from_knowledge"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        user, company = identity(tracker)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if not user or not company:
            dispatcher.utter_message(
                text="Please sign in first: I answer from your own company's documents."
            )
            return []
        question = tracker.latest_message.get("text") or ""
        answer: KnowledgeAnswer = await timed_call(
            self.name(),
            answer_question,
            question,
            company,
            tracker.get_slot("kb_last_question"),
            stream_target(tracker),
        )

        if answer.outcome != "answered" and intent in FALLBACK_RESPONSES:
            dispatcher.utter_message(response=FALLBACK_RESPONSES[intent])
            return []
        payload = answer.payload(lambda source: document_link(source, company))
        send_reply(dispatcher, with_sources(answer), [], "knowledge", answer.outcome, [payload])
        if answer.outcome == "answered":
            return [SlotSet("kb_last_question", answer.query)]
        return []
