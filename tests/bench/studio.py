"""The training studio against the real servers (docs/STUDIO.md).

Its own stack: a fresh tracker store in var/bench/studio/ and the studio
pointed at a copy of the project there (STUDIO_WORKSPACE), so nothing edits
data/. Measured:

1. The conversations inbox at scale. A few conversations are held over the
   HTTP channel (timed, to say what filling the store that way would take);
   their events are the templates of N more, written straight into the
   tracker store's database by Rasa's own SQLTrackerStore (Rasa environment,
   a subprocess): the same events with new conversation ids, times, message
   ids and, for half the messages, a distinct text, plus one conversation of
   100 turns. Then the inbox's first call (it indexes everything), warm calls,
   a filter, a deep page, the long conversation's first page, the NLU inbox.
2. Data edits: an NLU preview, then the save, of 1 and of 50 new examples.
3. Training from the studio to success, activating the new model (with chat
   messages sent while it loads) and chat latency before and after.
4. Evaluating the new model from the studio.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from bot.config import ROOT
from bot.supervisor import RASA_PYTHON
from tests.bench.common import RUN, percentile
from tests.e2e.harness import RunningStack, running_stack
from tests.e2e.test_studio_review import copy_workspace

CONVERSATIONS = 300
OTHER_COMPANY_SHARE = 0.1  # conversations of another company, which the trainer never sees
LONG_TURNS = 100
TRAINER = "padma.trainer"
CHATTER = "padma.finance"
WARM_REPEATS = 20
EDIT_REPEATS = 3
POLL_S = 0.2
# held over HTTP, 4 turns each; a cloned conversation copies one of these
SAMPLE_USERS = [
    "padma.finance",
    "padma.sales",
    "padma.admin",
    "padma.warehouse",
    "padma.approver",
    "padma.finance",
    "padma.sales",
    "padma.admin",
    "padma.warehouse",
    "padma.approver",
    "northwind.finance",
    "northwind.sales",
]
SAMPLE_TEXTS = [
    "hello",
    "what's our cash balance?",
    "which customers owe us money?",
    "how much do we owe suppliers?",
    "cash flow outlook for the coming weeks",
    "show purchase orders pending approval",
    "ummm well so anyway",
    "what's waiting for my approval?",
    "what's our stock valuation?",
    "which products are below reorder level?",
    "how were sales last month?",
    "can you do the thing from before",
    "show me the dashboard",
    "how many customers do we have?",
    "status of PO-2025-0042",
    "any alerts for me?",
    "thanks",
    "what about the other one",
]
# new NLU examples: an intent and a phrase; "{n}" makes each text one the data lacks
EDIT_PHRASES = [
    ("ask_cash_balance", "how much cash is in the accounts of branch {n}"),
    ("ask_sales", "what did branch {n} sell this week"),
    ("ask_stock", "stock on hand at depot {n}"),
    ("ask_dashboard", "open the summary page for region {n}"),
    ("ask_purchase_orders", "list the purchase orders of project {n}"),
]

# Runs in the Rasa environment: argv[1] the tracker database, argv[2] the domain,
# stdin [{"sender_id", "events"}]. Prints the seconds spent saving.
WRITER = """
import asyncio, json, sys, time
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

conversations = json.load(sys.stdin)
domain = Domain.load(sys.argv[2])
store = SQLTrackerStore(domain, dialect="sqlite", db=sys.argv[1])

async def main():
    for conversation in conversations:
        tracker = DialogueStateTracker.from_dict(
            conversation["sender_id"], conversation["events"], domain.slots
        )
        await store.save(tracker)

started = time.perf_counter()
asyncio.run(main())
print(json.dumps({"save_s": time.perf_counter() - started}))
"""


def ms_figures(samples: list[float]) -> dict[str, Any]:
    return {
        "p50_ms": round(percentile(samples, 50), 1),
        "p95_ms": round(percentile(samples, 95), 1),
        "n": len(samples),
    }


class StudioAPI:
    """The studio's API as the trainer calls it, each call timed."""

    def __init__(self, stack: RunningStack, username: str = TRAINER) -> None:
        self.client = httpx.Client(
            base_url=f"{stack.settings.rasa_url}/studio/api",
            headers={"Authorization": f"Bearer {stack.token(username)}"},
            timeout=120,
        )

    def call(self, method: str, path: str, **kwargs: Any) -> tuple[float, Any]:
        started = time.perf_counter()
        reply = self.client.request(method, path, **kwargs)
        elapsed = (time.perf_counter() - started) * 1000
        if reply.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {reply.status_code} {reply.text[:500]}")
        return elapsed, reply.json()

    def first_and_warm(self, path: str, repeats: int = WARM_REPEATS, **params: Any) -> dict:
        first, body = self.call("GET", path, params=params)
        warm = [self.call("GET", path, params=params)[0] for _ in range(repeats)]
        return {"first_ms": round(first, 1), **ms_figures(warm), "body": body}

    def wait_for_job(self, job_id: str, on_poll: Callable[[float, dict], None]) -> dict:
        started = time.perf_counter()
        while True:
            _, job = self.call("GET", f"/jobs/{job_id}")
            on_poll(time.perf_counter() - started, job)
            if job["status"] in ("succeeded", "failed"):
                return job
            time.sleep(POLL_S)


# 1. conversations


async def hold_sample_conversations(stack: RunningStack) -> dict[str, Any]:
    """The sample conversations over the HTTP channel, all at once, 4 turns each."""
    latencies: list[float] = []
    failures = 0

    async def converse(client: httpx.AsyncClient, index: int, user: str) -> None:
        nonlocal failures
        for turn in range(4):
            text = SAMPLE_TEXTS[(index * 3 + turn * 5) % len(SAMPLE_TEXTS)]
            started = time.perf_counter()
            reply = await client.post(
                stack.webhook,
                json={"sender": f"bench-{RUN}-sample-{index}", "message": text},
                headers={"Authorization": f"Bearer {stack.token(user)}"},
            )
            latencies.append((time.perf_counter() - started) * 1000)
            failures += reply.status_code != 200

    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=120) as client:
        await asyncio.gather(*(converse(client, i, u) for i, u in enumerate(SAMPLE_USERS)))
    wall = time.perf_counter() - started
    return {
        "conversations": len(SAMPLE_USERS),
        "messages": len(latencies),
        "wall_s": round(wall, 2),
        "messages_per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(percentile(latencies, 50), 1),
        "failed": failures,
    }


def stored_conversations(tracker_db: Path, prefix: str) -> dict[str, list[dict[str, Any]]]:
    """Every event of the conversations whose session id starts with `prefix`, by id."""
    with sqlite3.connect(tracker_db) as db:
        rows = db.execute("SELECT sender_id, data FROM events ORDER BY id").fetchall()
    found: dict[str, list[dict[str, Any]]] = {}
    for sender_id, data in rows:
        if sender_id.split(":", 1)[-1].startswith(prefix):
            found.setdefault(sender_id, []).append(json.loads(data))
    return found


def split_at_user(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Events before the first user message, then one block per user message."""
    blocks: list[list[dict[str, Any]]] = [[]]
    for event in events:
        if event["event"] == "user":
            blocks.append([])
        blocks[-1].append(event)
    return blocks


def cloned(
    blocks: list[list[dict[str, Any]]], sender_id: str, start: float, vary: Callable[[int], str]
) -> dict[str, Any]:
    """The blocks' events as a new conversation from `start`, a turn every 20 s.

    `vary(turn)` is appended to that turn's user text ("" keeps it): a text the
    inbox has not seen. Everything else is what Rasa wrote for the template.
    """
    events = []
    for turn, block in enumerate(blocks):
        offset = start + 20 * turn - block[0]["timestamp"]
        for original in block:
            event = copy.deepcopy(original)
            event["timestamp"] += offset
            if event["event"] == "user":
                message_id = uuid.uuid4().hex
                event["message_id"] = event["parse_data"]["message_id"] = message_id
                if suffix := vary(turn):
                    event["text"] = event["parse_data"]["text"] = f"{event['text']} {suffix}"
            events.append(event)
    return {"sender_id": sender_id, "events": events}


def clones(templates: dict[str, list[dict[str, Any]]], count: int) -> list[dict[str, Any]]:
    """`count` conversations of the trainer's company, a tenth as many of another one,
    one a minute up to now, and one of LONG_TURNS turns."""
    company = TRAINER.split(".")[0]
    # by id, not by the order the concurrent sample happened to be stored in
    own = sorted(s for s in templates if s.startswith(company + "."))
    other = sorted(s for s in templates if not s.startswith(company + "."))
    plan = [own[k % len(own)] for k in range(count)]
    plan += [other[k % len(other)] for k in range(round(count * OTHER_COMPANY_SHARE))]
    now = time.time() - 3600  # before the sample conversations: those stay the newest
    conversations = []
    for k, template in enumerate(plan):
        user = template.split(":")[0]
        conversations.append(
            cloned(
                split_at_user(templates[template]),
                f"{user}:bench-{RUN}-clone-{k}",
                now - 60 * (len(plan) - k),
                lambda turn, k=k: f"ref {k}.{turn}" if (k + turn) % 2 else "",
            )
        )
    # the long one: the session start of one template, then turns of every template of its user
    mine = [s for s in own if s.startswith(CHATTER + ":")]
    turns = [b for s in mine for b in split_at_user(templates[s])[1:]]
    blocks = split_at_user(templates[mine[0]])[:1] + [
        turns[t % len(turns)] for t in range(LONG_TURNS)
    ]
    long_id = f"{CHATTER}:bench-{RUN}-long"
    start = now - 60 * len(plan) - 20 * len(blocks)
    conversations.append(cloned(blocks, long_id, start, lambda turn: f"ref long.{turn}"))
    return conversations


def write_directly(tracker_db: Path, domain: Path, conversations: list[dict]) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run(
        [str(ROOT / RASA_PYTHON), "-c", WRITER, str(tracker_db), str(domain)],
        input=json.dumps(conversations),
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"writing the conversations failed:\n{done.stderr[-3000:]}")
    save_s = json.loads(done.stdout.strip().splitlines()[-1])["save_s"]
    return {
        "conversations": len(conversations),
        "events": sum(len(c["events"]) for c in conversations),
        "wall_s": round(wall, 2),
        "save_s": round(save_s, 2),
    }


def fill_tracker_store(stack: RunningStack, workspace: Path, count: int) -> dict[str, Any]:
    http = asyncio.run(hold_sample_conversations(stack))
    tracker_db = stack.settings.var_dir / "tracker.db"
    templates = stored_conversations(tracker_db, f"bench-{RUN}-sample-")
    conversations = clones(templates, count)
    direct = write_directly(tracker_db, workspace / "domain.yml", conversations)
    user_turns = sum(e["event"] == "user" for c in conversations for e in c["events"])
    http["estimated_s_for_all"] = round(user_turns / http["messages_per_s"], 1)
    return {
        "over_http": http,
        "direct": direct,
        "chosen": "direct",
        "long_conversation_id": conversations[-1]["sender_id"],
    }


def inbox_figures(api: StudioAPI, long_id: str) -> dict[str, Any]:
    listing = api.first_and_warm("/conversations")
    body = listing.pop("body")
    total = body["total"]
    # the intent of the least sure message of one such conversation (out_of_scope, say)
    low = api.call("GET", "/conversations", params={"max_confidence": 0.5, "per_page": 100})[1]
    if not low["conversations"]:
        raise RuntimeError("no conversation holds a message of confidence 0.5 or less")
    chosen = min(c["id"] for c in low["conversations"])
    turns = api.call("GET", "/conversations/" + quote(chosen, safe=""))[1]["turns"]
    said = [t["user"] for t in turns if t["user"] and t["user"]["confidence"] is not None]
    intent = min(said, key=lambda u: u["confidence"])["intent"]
    filtered = api.first_and_warm("/conversations", intent=intent, max_confidence=0.5)
    filtered_total = filtered.pop("body")["total"]
    deep_page = max(1, (total // 25) - 1)
    deep = api.first_and_warm("/conversations", page=deep_page)
    deep_rows = len(deep.pop("body")["conversations"])
    long_path = "/conversations/" + quote(long_id, safe="")
    detail = api.first_and_warm(long_path, repeats=5)
    detail_body = detail.pop("body")
    nlu = api.first_and_warm("/nlu/inbox")
    nlu_total = nlu.pop("body")["total"]
    return {
        "list": {**listing, "total": total},
        "filtered": {**filtered, "intent": intent, "max_confidence": 0.5, "total": filtered_total},
        "deep_page": {**deep, "page": deep_page, "rows": deep_rows},
        "long_conversation": {
            **detail,
            "total_turns": detail_body["total_turns"],
            "turns_returned": len(detail_body["turns"]),
        },
        "nlu_inbox": {**nlu, "total": nlu_total},
    }


# 2. data edits


def edit_figures(api: StudioAPI) -> dict[str, Any]:
    counter = iter(range(1000, 100_000))
    results = {}
    for size in (1, 50):
        previews, saves = [], []
        for _ in range(EDIT_REPEATS):
            examples = []
            for i in range(size):
                intent, phrase = EDIT_PHRASES[i % len(EDIT_PHRASES)]
                examples.append(
                    {"text": phrase.format(n=next(counter)), "intent": intent, "entities": []}
                )
            ms, preview = api.call("POST", "/nlu/preview", json={"examples": examples})
            if preview["skipped"]:
                raise RuntimeError(f"examples were skipped: {preview['skipped'][:3]}")
            previews.append(ms)
            bases = {c["path"]: c["base"] for c in preview["changes"]}
            ms, saved = api.call(
                "POST", "/nlu/examples", json={"examples": examples, "bases": bases}
            )
            saves.append(ms)
            files = len(saved["changes"])
        results[str(size)] = {
            step: {
                "first_ms": round(samples[0], 1),
                "p50_ms": round(statistics.median(samples), 1),
                "n": len(samples),
            }
            for step, samples in (("preview", previews), ("save", saves))
        }
        results[str(size)]["files_changed"] = files
    return results


# 3. training and activation


def training_figures(api: StudioAPI) -> dict[str, Any]:
    started = time.perf_counter()
    _, reply = api.call("POST", "/training", json={})
    timeline: list[dict[str, Any]] = []

    def on_poll(elapsed: float, job: dict) -> None:
        seen = (job["progress"], job["stage"])
        if not timeline or (timeline[-1]["progress"], timeline[-1]["stage"]) != seen:
            timeline.append({"s": round(elapsed, 2), "progress": seen[0], "stage": seen[1]})

    job = api.wait_for_job(reply["job"]["id"], on_poll)
    wall = time.perf_counter() - started
    if job["status"] != "succeeded":
        raise RuntimeError(f"training failed: {job['error']}\n" + "\n".join(job["log_tail"]))

    def first(moved: Callable[[dict], bool]) -> float | None:
        return next((p["s"] for p in timeline if moved(p)), None)

    # when the bar moved, from the POST to "succeeded"
    moves = [0.0] + [
        p["s"]
        for i, p in enumerate(timeline)
        if not i or p["progress"] != timeline[i - 1]["progress"]
    ]
    return {
        "wall_s": round(wall, 1),
        # the studio's own first step, then from Rasa's log: the data validated, a component trained
        "first_progress_s": first(lambda p: p["progress"] > 0),
        "first_rasa_progress_s": first(lambda p: p["stage"] == "validating the data"),
        "first_component_s": first(lambda p: p["progress"] > 0.1),
        "longest_without_progress_s": round(
            max(b - a for a, b in itertools.pairwise([*moves, wall])), 1
        ),
        "progress_updates": len(timeline),
        "stage": job["stage"],
        "model": job["model"],
        "timeline": timeline,
    }


def chat_ms(stack: RunningStack, sender: str, text: str = "what's our cash balance?") -> float:
    started = time.perf_counter()
    stack.say(CHATTER, text, sender=sender, timeout=120)
    return (time.perf_counter() - started) * 1000


async def activate_while_chatting(
    stack: RunningStack, api: StudioAPI, model: str
) -> tuple[float, list[dict[str, Any]]]:
    """Activate `model` while chat messages keep arriving, one every 0.25 s."""
    done = asyncio.Event()
    messages: list[dict[str, Any]] = []

    async def one(client: httpx.AsyncClient, index: int, sent_at: float) -> None:
        started = time.perf_counter()
        outcome: dict[str, Any] = {"sent_at_ms": round(sent_at * 1000)}
        try:
            reply = await client.post(
                stack.webhook,
                json={"sender": f"bench-{RUN}-during-{index}", "message": "any alerts for me?"},
                headers={"Authorization": f"Bearer {stack.token(CHATTER)}"},
            )
            answered = reply.status_code == 200 and any(m.get("text") for m in reply.json())
            outcome["ok"] = answered
            if not answered:
                outcome["error"] = f"{reply.status_code} {reply.text[:200]}"
        except httpx.HTTPError as error:
            outcome.update(ok=False, error=f"{type(error).__name__}: {error}")
        outcome["ms"] = round((time.perf_counter() - started) * 1000, 1)
        messages.append(outcome)

    async def chatter(client: httpx.AsyncClient, began: float) -> None:
        sent: list[asyncio.Task] = []
        while not done.is_set() or len(sent) < 3:
            index = len(sent)
            sent.append(asyncio.create_task(one(client, index, time.perf_counter() - began)))
            await asyncio.sleep(0.25)
        await asyncio.gather(*sent)

    async with httpx.AsyncClient(timeout=120) as client:
        began = time.perf_counter()
        talking = asyncio.create_task(chatter(client, began))
        path = f"/models/{model}/activate"
        activation = await asyncio.to_thread(api.call, "POST", path)
        done.set()
        await talking
    return activation[0], sorted(messages, key=lambda m: m["sent_at_ms"])


def activation_figures(stack: RunningStack, api: StudioAPI, model: str) -> dict[str, Any]:
    before = [chat_ms(stack, f"bench-{RUN}-before-{i}") for i in range(6)][1:]
    activation_ms, during = asyncio.run(activate_while_chatting(stack, api, model))
    first_after = chat_ms(stack, f"bench-{RUN}-after-0")
    after = [chat_ms(stack, f"bench-{RUN}-after-{i}") for i in range(1, 6)]
    _, models = api.call("GET", "/models")
    return {
        "activate_ms": round(activation_ms, 1),
        "active": models["active"],
        "chat_before_p50_ms": round(statistics.median(before), 1),
        "chat_first_after_ms": round(first_after, 1),
        "chat_after_p50_ms": round(statistics.median(after), 1),
        "during": {
            "sent": len(during),
            "failed": sum(not m["ok"] for m in during),
            "max_ms": max(m["ms"] for m in during),
            # answered before the activation call returned: the server kept serving meanwhile
            "answered_while_loading": sum(
                m["ok"] and m["sent_at_ms"] + m["ms"] < activation_ms for m in during
            ),
            "messages": during,
        },
    }


# 4. evaluation


def evaluation_figures(api: StudioAPI, model: str) -> dict[str, Any]:
    started = time.perf_counter()
    _, reply = api.call("POST", "/evaluations", json={"model": model})
    job = api.wait_for_job(reply["job"]["id"], lambda *_: None)
    wall = time.perf_counter() - started
    if job["status"] != "succeeded":
        raise RuntimeError(f"evaluation failed: {job['error']}\n" + "\n".join(job["log_tail"]))
    _, report = api.call("GET", f"/evaluations/{model}")
    nlu, stories = report.get("nlu") or {}, report.get("stories") or {}
    return {
        "wall_s": round(wall, 1),
        "intent_accuracy": nlu.get("accuracy"),
        "macro_f1": nlu.get("macro_f1"),
        "stories": f"{stories.get('correct')}/{stories.get('total')}",
    }


def studio_bench(conversations: int = CONVERSATIONS) -> dict[str, Any]:
    started = time.perf_counter()
    var_dir = ROOT / "var" / "bench" / "studio"
    shutil.rmtree(var_dir, ignore_errors=True)
    workspace = var_dir / "workspace"
    (var_dir / "stack").mkdir(parents=True)
    workspace.mkdir()
    copy_workspace(workspace)
    env = {"STUDIO_WORKSPACE": str(workspace)}
    with running_stack(var_dir / "stack", env, seed_scale=0.3) as stack:
        stack_s = time.perf_counter() - started
        api = StudioAPI(stack)
        setup = fill_tracker_store(stack, workspace, conversations)
        report: dict[str, Any] = {
            "conversations": conversations,
            "turns_per_conversation": 4,
            "stack_start_s": round(stack_s, 1),
            "setup": setup,
            "inbox": inbox_figures(api, setup["long_conversation_id"]),
            "edits": edit_figures(api),
        }
        report["training"] = training_figures(api)
        model = report["training"]["model"]
        report["activation"] = activation_figures(stack, api, model)
        report["evaluation"] = evaluation_figures(api, model)
    report["wall_s"] = round(time.perf_counter() - started, 1)
    return report


def print_studio(studio: dict[str, Any]) -> None:
    setup, inbox = studio["setup"], studio["inbox"]
    http, direct = setup["over_http"], setup["direct"]
    print(
        f"\nstudio ({studio['conversations']} conversations of {studio['turns_per_conversation']} "
        f"turns, whole section {studio['wall_s']} s, stack start {studio['stack_start_s']} s): "
        f"filled by SQLTrackerStore in {direct['wall_s']} s ({direct['events']} events, "
        f"saving {direct['save_s']} s); over HTTP {http['messages_per_s']} msg/s, "
        f"~{http['estimated_s_for_all']} s for as many"
    )
    print(f"  {'studio call':<38}{'first ms':>10}{'p50 ms':>10}{'p95 ms':>10}{'n':>5}")
    rows = [
        (f"conversations ({inbox['list']['total']})", inbox["list"]),
        (f"intent={inbox['filtered']['intent']}&max_confidence=0.5", inbox["filtered"]),
        (f"conversations page {inbox['deep_page']['page']}", inbox["deep_page"]),
        (
            f"conversation of {inbox['long_conversation']['total_turns']} turns, 1st page",
            inbox["long_conversation"],
        ),
        (f"nlu/inbox ({inbox['nlu_inbox']['total']} texts)", inbox["nlu_inbox"]),
    ]
    for name, row in rows:
        print(
            f"  {name:<38}{row['first_ms']:>10}{row['p50_ms']:>10}{row['p95_ms']:>10}{row['n']:>5}"
        )
    for size, edit in studio["edits"].items():
        for step in ("preview", "save"):
            name = f"nlu {step}, {size} example{'' if size == '1' else 's'}"
            row = edit[step]
            print(f"  {name:<38}{row['first_ms']:>10}{row['p50_ms']:>10}{'-':>10}{row['n']:>5}")
    training, activation = studio["training"], studio["activation"]
    during = activation["during"]
    print(
        f"  training: {training['wall_s']} s to succeeded; first progress after "
        f"{training['first_progress_s']} s, from Rasa's log after "
        f"{training['first_rasa_progress_s']} s, first component trained after "
        f"{training['first_component_s']} s; longest without progress "
        f"{training['longest_without_progress_s']} s ({training['progress_updates']} updates)"
    )
    print(
        f"  activation: {activation['activate_ms']} ms; chat p50 "
        f"{activation['chat_before_p50_ms']} ms before, "
        f"{activation['chat_first_after_ms']} ms for the first message after, p50 "
        f"{activation['chat_after_p50_ms']} ms after; {during['sent']} messages sent meanwhile, "
        f"{during['failed']} failed, {during['answered_while_loading']} answered before it "
        f"returned, slowest {during['max_ms']} ms"
    )
    evaluation = studio["evaluation"]
    print(
        f"  evaluation: {evaluation['wall_s']} s (intent accuracy {evaluation['intent_accuracy']}, "
        f"macro F1 {evaluation['macro_f1']}, stories {evaluation['stories']})"
    )
