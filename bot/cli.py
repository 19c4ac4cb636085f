"""`python -m bot <command>`: the assistant's command line.

run                 set up the database and model if needed, start everything
seed                create the schema and the demo ERP data (if empty)
db upgrade          apply schema migrations
tokens              write var/demo_tokens.json and print the demo sign-ins
nlu build-patterns  rebuild the entity patterns from the ERP master data
train               train the Rasa model if its inputs changed
voice FILE | --live ask a spoken question over the voice channel
privacy export|delete USER  one user's conversations, memories and ratings: JSON, or deleted
alerts run          run the alert detectors now (--company X) and print what they found
alerts eval         precision and recall of the sales-anomaly detector on planted anomalies
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Settings, load_settings

if TYPE_CHECKING:  # Haystack loads only for the knowledge commands
    from actions.erp.alerts import RunReport
    from actions.knowledge.index import StoreBackend


class Progress:
    """One line per stage on a terminal, redrawn in place; plain lines otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stdout.isatty()
        self.stage: str | None = None
        self.last_print = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        finished = total > 0 and done >= total
        if stage != self.stage:
            if self.stage is not None and self.tty:
                sys.stdout.write("\n")
            self.stage = stage
        elif not finished and now - self.last_print < (0.1 if self.tty else 5):
            return
        self.last_print = now
        percent = 100 * done // total if total else 100
        bar = "#" * (percent // 5) + "-" * (20 - percent // 5)
        line = f"  {stage:<28} [{bar}] {percent:3d}% ({done}/{total})"
        if self.tty:
            sys.stdout.write("\r" + line)
            if finished:
                sys.stdout.write("\n")
                self.stage = None
        else:
            sys.stdout.write(line + "\n")
        sys.stdout.flush()


def cmd_db_upgrade(settings: Settings) -> None:
    from actions.erp.migrate import upgrade

    settings.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)


def database_is_seeded(settings: Settings) -> bool:
    from sqlalchemy import func, select

    from actions.erp.db import read_session
    from actions.erp.models import Company

    with read_session(settings.database_url) as session:
        return bool(session.scalar(select(func.count()).select_from(Company)))


def cmd_seed(settings: Settings, scale: float = 1.0, as_of: date | None = None) -> None:
    from actions.erp.seed import seed

    cmd_db_upgrade(settings)
    if database_is_seeded(settings):
        print("The ERP database already has data; not seeding again.")
        return
    print("Generating the demo ERP data...", flush=True)
    summary = seed(
        settings.database_url, as_of=as_of or date.today(), scale=scale, progress=Progress()
    )
    print(summary.describe(), flush=True)


def cmd_tokens(settings: Settings, quiet: bool = False) -> dict:
    """Write a signed API token for every demo user; keep tokens that still verify."""
    from actions.erp.seed import demo_users
    from bot.auth import Identity, InvalidToken, issue_token, verify_token

    path = settings.demo_tokens_path
    existing = json.loads(path.read_text()) if path.exists() else {}
    secret = settings.secret_key()
    tokens = {}
    for user in demo_users():
        identity = Identity(user.username, user.company_code, tuple(user.roles))
        previous = existing.get(user.username, {}).get("token")
        try:
            if previous and verify_token(secret, previous) == identity:
                token = previous
            else:
                raise InvalidToken("stale")
        except InvalidToken:
            token = issue_token(secret, identity)
        tokens[user.username] = {
            "token": token,
            "password": user.password,
            "company": user.company_code,
            "roles": list(user.roles),
        }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tokens, indent=2) + "\n")
    path.chmod(0o600)
    if not quiet:
        print_demo_users(tokens)
    return tokens


def print_demo_users(tokens: dict) -> None:
    print("\nDemo users (password / API token in var/demo_tokens.json):")
    for username, entry in tokens.items():
        roles = ", ".join(entry["roles"])
        print(f"  {username:<22} {entry['password']:<18} {entry['company']:<10} {roles}")


def cmd_build_patterns(settings: Settings) -> None:
    from bot.nlu_patterns import build_patterns

    out = settings.root / "nlu_models" / "resources" / "erp_patterns.jsonl"
    count = build_patterns(settings.database_url, out)
    print(f"Entity patterns: {count} in {out.relative_to(settings.root)}")


def cmd_train(settings: Settings, force: bool = False) -> Path:
    from bot.training import train

    return train(settings, force=force)


def cmd_model_for_run(settings: Settings) -> Path:
    """The model the studio activated while the data is unchanged, else `cmd_train`."""
    from bot.training import model_for_run

    active = model_for_run(settings)
    if active is None:
        return cmd_train(settings)
    print(f"Starting with the model activated in the studio: {active.name}", flush=True)
    return active


def knowledge_backend(settings: Settings) -> StoreBackend:
    """`KB_STORE_URL`'s backend, or the in-memory index under var/kb/."""
    from actions.knowledge.index import open_backend

    return open_backend(settings.kb_store_url, settings.kb_index_path)


def cmd_kb_index(settings: Settings) -> bool:
    """Bring the index up to date; False when some document could not be read."""
    from actions.knowledge.index import IndexConflict, Indexer, StoreUnavailable
    from actions.knowledge.pages import DocumentPages

    backend = knowledge_backend(settings)
    indexer = Indexer(pages=DocumentPages(settings.kb_pages_dir))
    try:
        index = backend.load()
        report = indexer.update(index, settings.kb_dir, progress=Progress())
        # the in-memory index is written out here; a database store committed in update()
        if report.changed or index.version is None:
            index.save()
    except (StoreUnavailable, IndexConflict) as error:
        sys.exit(str(error))
    print(f"Knowledge base ({settings.kb_dir} → {backend.name}): {report.summary()}")
    return not report.errors


def cmd_kb_eval(settings: Settings, generative: bool) -> None:
    from actions.knowledge.evaluation import evaluate, load_eval_set
    from actions.knowledge.service import KnowledgeService

    service = KnowledgeService(
        knowledge_backend(settings),
        settings.llm_model_path or "bundled",
        reranker_path=settings.kb_reranker_path,
    )
    report = evaluate(
        service,
        load_eval_set(settings.root / "tests" / "knowledge" / "eval"),
        generative=generative,
        progress=Progress(),
    )
    print(json.dumps(report, indent=2))


def cmd_kb_ask(settings: Settings, question: str, company: str) -> None:
    from actions.knowledge.service import KnowledgeService

    service = KnowledgeService(
        knowledge_backend(settings),
        settings.llm_model_path,
        reranker_path=settings.kb_reranker_path,
    )
    answer = service.answer(question, company, on_token=lambda t: print(t, end="", flush=True))
    if answer.mode == "generative":
        print()
    print(answer.text)
    for source in answer.sources:
        print(f"  source: {source.label()} ({source.path})")
    print(
        f"  [{answer.outcome}, {answer.mode}, similarity {answer.confidence:.2f}, "
        f"{answer.seconds * 1000:.0f} ms]"
    )


def cmd_alerts_run(
    settings: Settings, company: str | None = None, as_of: date | None = None
) -> RunReport:
    """Run the detectors now, with a line per company as it starts; print the summary."""
    from actions.erp.alerts import run_detectors

    def progress(code: str, index: int, total: int) -> None:
        print(f"  [{index}/{total}] {code} ...", flush=True)

    try:
        report = run_detectors(settings.database_url, as_of, company, progress=progress)
    except ValueError as error:
        sys.exit(str(error))
    print(report.describe())
    return report


def cmd_alerts_eval(scale: float = 1.0, as_of: date | None = None) -> dict:
    """Seed a scratch demo database, plant anomalies, score the sales detector on them."""
    import tempfile

    from actions.erp.alerts.evaluation import (
        alerts_on_seasonality,
        choose_plants,
        evaluate,
        plant_anomalies,
    )
    from actions.erp.db import dispose_engine
    from actions.erp.demo.catalog import PROFILES
    from actions.erp.migrate import upgrade
    from actions.erp.seed import seed

    as_of = as_of or date(2026, 11, 22)
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/eval.db"
        print(f"  seeding a scratch demo database (scale {scale:g}) ...", flush=True)
        upgrade(url)
        seed(url, as_of=as_of, scale=scale)
        after = as_of + timedelta(days=1)  # every seeded day is complete
        plants = choose_plants(url, after)
        plant_anomalies(url, plants)
        result = evaluate(url, after, plants).as_dict()
        dispose_engine(url)
    result["alerts_on_pure_weekly_seasonality"] = {
        p.code: alerts_on_seasonality(p.weekday_factor) for p in PROFILES
    }
    print(json.dumps(result, indent=2))
    return result


def cmd_run(settings: Settings) -> None:
    from bot.supervisor import Stack

    started = time.monotonic()
    cmd_seed(settings)
    tokens = cmd_tokens(settings, quiet=True)
    cmd_build_patterns(settings)
    model = cmd_model_for_run(settings)
    if not cmd_kb_index(settings):
        # one unreadable file must not keep the assistant from starting
        print("  Fix or remove the unreadable documents and run `bot kb index`.", flush=True)
    stack = Stack(settings, model)

    def stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        print("Starting the action server and the Rasa server...", flush=True)
        stack.start()
        print_demo_users(tokens)
        print(
            f"\nReady in {time.monotonic() - started:.0f} s.\n"
            f"  Web chat:      {settings.rasa_url}/chat  (sign in with a user and password above)\n"
            f"  Studio:        {settings.rasa_url}/studio  (trainers and administrators)\n"
            f'  On any page:   <script src="{settings.rasa_url}/chat/static/embed.js"></script>\n'
            f"  HTTP channel:  POST {settings.rasa_url}/webhooks/erp/webhook "
            "(Authorization: Bearer <token>)\n"
            f"  Example:       curl -s -H 'Authorization: Bearer <token>' "
            f'-d \'{{"sender":"me","message":"what is our cash balance?"}}\' '
            f"{settings.rasa_url}/webhooks/erp/webhook\n"
            f"  Voice:         POST {settings.rasa_url}/webhooks/voice/webhook "
            "(multipart field 'audio'), or `python -m bot voice FILE`\n"
            f"  Logs:          {settings.var_dir / 'logs'}\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )
        died = stack.watch()
        print(f"\n{died} stopped unexpectedly; stopping everything.", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
    finally:
        stack.stop()
        print("Stopped.", flush=True)


def cmd_privacy(settings: Settings, action: str, user: str, out: Path | None, yes: bool) -> None:
    """Export or delete one user's conversations, memories and ratings."""
    from sqlalchemy import create_engine

    from actions.erp.accounts import AccountService
    from actions.erp.errors import NotAuthenticated
    from bot.privacy import delete_conversations, export_conversations

    tracker = create_engine(settings.tracker_store_url.replace("postgres://", "postgresql://", 1))
    accounts = AccountService(settings.database_url)
    try:
        if action == "export":
            company = accounts.user_company(user)
            body = export_conversations(tracker, user, company)
            body.update(accounts.personal_data_of(user))
            target = out or Path(f"{user}-conversations.json")
            target.write_text(json.dumps(body, indent=1, ensure_ascii=False))
            print(f"{len(body['conversations'])} conversations of {user} written to {target}")
            return
        if not yes:
            sys.exit(
                f"This deletes every conversation, memory and rating of {user}. Add --yes to go on."
            )
        company = accounts.user_company(user)
        erased = accounts.erase_personal_data_of(user)
        conversations = delete_conversations(tracker, user, company)
        print(
            f"Deleted {conversations} conversations, {erased['memories']} memories and "
            f"{erased['ratings']} ratings of {user}."
        )
    except NotAuthenticated as error:
        sys.exit(str(error))
    finally:
        tracker.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start everything")
    seed_parser = commands.add_parser("seed", help="create and fill the demo database")
    seed_parser.add_argument("--scale", type=float, default=1.0)
    seed_parser.add_argument("--as-of", type=date.fromisoformat, default=None)
    db_parser = commands.add_parser("db", help="database schema")
    db_parser.add_argument("action", choices=["upgrade"])
    commands.add_parser("tokens", help="write and print the demo users' tokens")
    nlu_parser = commands.add_parser("nlu", help="NLU resources")
    nlu_parser.add_argument("action", choices=["build-patterns"])
    train_parser = commands.add_parser("train", help="train the model if needed")
    train_parser.add_argument("--force", action="store_true")
    kb_parser = commands.add_parser("kb", help="the knowledge base")
    kb_commands = kb_parser.add_subparsers(dest="kb_command", required=True)
    kb_commands.add_parser("index", help="index new and changed documents, drop deleted ones")
    eval_parser = kb_commands.add_parser("eval", help="retrieval and answer evaluation")
    eval_parser.add_argument("--generative", action="store_true", help="answer with the LLM")
    ask_parser = kb_commands.add_parser("ask", help="ask the knowledge base a question")
    ask_parser.add_argument("question")
    ask_parser.add_argument("--company", required=True)
    voice_parser = commands.add_parser("voice", help="ask a spoken question (file or microphone)")
    voice_parser.add_argument("file", nargs="?", type=Path, help="WAV, WebM, OGG or MP3")
    voice_parser.add_argument("--live", action="store_true", help="record from the microphone")
    voice_parser.add_argument("--user", default="padma.finance", help="a demo user")
    voice_parser.add_argument("--sender", default="voice-cli", help="conversation name")
    voice_parser.add_argument("--out", type=Path, default=Path("reply.wav"), help="reply WAV")
    voice_parser.add_argument("--url", help="the Rasa server (default: RASA_PORT on 127.0.0.1)")
    voice_parser.add_argument("--json", action="store_true", help="print the channel's JSON")
    privacy_parser = commands.add_parser("privacy", help="export or delete a user's data")
    privacy_parser.add_argument("action", choices=["export", "delete"])
    privacy_parser.add_argument("user", help="the user name, e.g. padma.finance")
    privacy_parser.add_argument("--out", type=Path, help="export: the JSON file to write")
    privacy_parser.add_argument("--yes", action="store_true", help="delete: no question asked")
    alerts_parser = commands.add_parser("alerts", help="alert detectors")
    alerts_commands = alerts_parser.add_subparsers(dest="alerts_command", required=True)
    alerts_run = alerts_commands.add_parser("run", help="run the detectors now")
    alerts_run.add_argument("--company", help="one company's code (default: all)")
    alerts_run.add_argument("--as-of", type=date.fromisoformat, default=None)
    alerts_eval = alerts_commands.add_parser("eval", help="evaluate the sales-anomaly detector")
    alerts_eval.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args(argv)

    settings = load_settings()
    if args.command == "run":
        cmd_run(settings)
    elif args.command == "seed":
        cmd_seed(settings, scale=args.scale, as_of=args.as_of)
    elif args.command == "db":
        cmd_db_upgrade(settings)
    elif args.command == "tokens":
        cmd_tokens(settings)
    elif args.command == "nlu":
        cmd_build_patterns(settings)
    elif args.command == "train":
        cmd_train(settings, force=args.force)
    elif args.command == "kb" and args.kb_command == "index":
        sys.exit(0 if cmd_kb_index(settings) else 1)
    elif args.command == "kb" and args.kb_command == "eval":
        cmd_kb_eval(settings, generative=args.generative)
    elif args.command == "kb":
        cmd_kb_ask(settings, args.question, args.company)
    elif args.command == "privacy":
        cmd_privacy(settings, args.action, args.user, args.out, args.yes)
    elif args.command == "alerts" and args.alerts_command == "run":
        cmd_alerts_run(settings, args.company, args.as_of)
    elif args.command == "alerts":
        cmd_alerts_eval(scale=args.scale)
    elif args.command == "voice":
        from bot.voice import main as voice_main

        voice_main(settings, args)
