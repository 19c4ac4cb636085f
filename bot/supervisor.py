"""Start, watch and stop the assistant's processes.

Each service runs in its own process group. Its output goes to
`var/logs/<service>.log` as JSON lines (what a library prints outside the
logging system is wrapped and masked on the way) and to the console in a
readable form.
Stopping sends SIGTERM to each group, waits, then SIGKILLs what is left, so
Ctrl-C leaves no orphans.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bot.config import Settings
from bot.logs import as_json_line, readable

RASA_PYTHON = Path(".venvs/rasa/bin/python")
ACTIONS_PYTHON = Path(".venvs/actions/bin/python")


@dataclass
class Service:
    name: str
    command: list[str]
    health_url: str
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    _pump: threading.Thread | None = None

    def start(self, cwd: Path, log_dir: Path, echo: bool) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        log_path = log_dir / f"{self.name}.log"
        self.process = subprocess.Popen(
            self.command,
            cwd=cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # own process group: Ctrl-C is ours to handle
        )
        self._pump = threading.Thread(
            target=_pump_output, args=(self.name, self.process, log_path, echo), daemon=True
        )
        self._pump.start()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.health_url, timeout=2) as reply:
                return reply.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def stop(self, grace_seconds: float = 15) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        _signal_group(self.process, signal.SIGTERM)
        try:
            self.process.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            _signal_group(self.process, signal.SIGKILL)
            self.process.wait(timeout=5)
        if self._pump is not None:
            self._pump.join(timeout=2)


def _signal_group(process: subprocess.Popen, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def _pump_output(name: str, process: subprocess.Popen, log_path: Path, echo: bool) -> None:
    prefix = f"[{name}] "
    with open(log_path, "a", encoding="utf-8") as log:
        assert process.stdout is not None
        for raw in iter(process.stdout.readline, b""):
            line = as_json_line(raw.decode(errors="replace"), name)
            log.write(line)
            log.flush()
            if echo:
                sys.stdout.write(prefix + readable(line))
                sys.stdout.flush()


def rasa_environment(settings: Settings) -> dict[str, str]:
    """The variables endpoints.yml expects, derived from the documented ones."""
    tracker = urlsplit(settings.tracker_store_url)
    dialect = tracker.scheme.split("+")[0]
    if dialect == "postgres":
        dialect = "postgresql"
    tracker_url = settings.tracker_store_url
    if dialect == "sqlite":
        Path(tracker.path.removeprefix("/")).parent.mkdir(parents=True, exist_ok=True)
    env = {
        "ACTION_ENDPOINT_URL": f"{settings.actions_url}/webhook",
        "TRACKER_STORE_DIALECT": dialect,
        "TRACKER_STORE_URL": tracker_url.replace("postgres://", "postgresql://", 1),
        "TRACKER_STORE_DB": tracker.path.lstrip("/") or "rasa",
        "LOCK_STORE_TYPE": "in_memory",
        "LOCK_STORE_HOST": "",
        "LOCK_STORE_PORT": "6379",
        "LOCK_STORE_DB": "0",
    }
    if settings.lock_store_url:
        lock = urlsplit(settings.lock_store_url)
        if lock.scheme not in ("redis", "rediss"):
            raise SystemExit(f"LOCK_STORE_URL must be redis://host:port/db, got {lock.scheme}://")
        env.update(
            LOCK_STORE_TYPE="redis",
            LOCK_STORE_HOST=lock.hostname or "127.0.0.1",
            LOCK_STORE_PORT=str(lock.port or 6379),
            LOCK_STORE_DB=(lock.path.lstrip("/") or "0"),
        )
    return env


def base_environment(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(settings.root),
        PYTHONUNBUFFERED="1",
        DATABASE_URL=settings.database_url,
        ERP_VAR_DIR=str(settings.var_dir),
        # both servers need each other's address (streamed answers post back)
        RASA_PORT=str(settings.rasa_port),
        ACTIONS_PORT=str(settings.actions_port),
        KB_DIR=str(settings.kb_dir),
        ERP_ALERT_INTERVAL_SECONDS=str(settings.alert_interval_seconds),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        HAYSTACK_TELEMETRY_ENABLED="False",
        TF_CPP_MIN_LOG_LEVEL="2",
        # structlog (Rasa's own logging) renders JSON, which bot.logs merges
        FORCE_JSON_LOGGING="1",
        RASA_TELEMETRY_ENABLED="false",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        # Rasa 3.6's dependencies warn about their own deprecated APIs at every
        # start; those lines say nothing about this project and bury its logs.
        PYTHONWARNINGS="ignore::DeprecationWarning",
    )
    if settings.llm_model_path:
        env["LLM_MODEL_PATH"] = settings.llm_model_path
    else:
        env.pop("LLM_MODEL_PATH", None)
    if settings.studio_workspace:
        env["STUDIO_WORKSPACE"] = str(settings.studio_workspace)
    else:
        env.pop("STUDIO_WORKSPACE", None)
    return env


def action_server(settings: Settings) -> Service:
    env = base_environment(settings)
    return Service(
        name="actions",
        command=[
            str(settings.root / ACTIONS_PYTHON),
            "-m",
            "actions",
            "--port",
            str(settings.actions_port),
        ],
        health_url=f"{settings.actions_url}/health",
        env=env,
    )


def rasa_server(settings: Settings, model_path: Path) -> Service:
    env = base_environment(settings)
    env.update(rasa_environment(settings))
    return Service(
        name="rasa",
        command=[
            str(settings.root / RASA_PYTHON),
            "-m",
            "rasa",
            "run",
            "--model",
            str(model_path),
            "--port",
            str(settings.rasa_port),
            "--interface",
            "127.0.0.1",
            "--enable-api",
            # one argument: a token_urlsafe token may start with "-"
            f"--auth-token={settings.rasa_api_token()}",
            "--credentials",
            "credentials.yml",
            "--endpoints",
            "endpoints.yml",
            "--cors",
            "http://127.0.0.1:" + str(settings.rasa_port),
        ],
        health_url=f"{settings.rasa_url}/webhooks/erp/",
        env=env,
    )


class Stack:
    """The action server and the Rasa server, started in order."""

    def __init__(self, settings: Settings, model_path: Path, echo: bool = True) -> None:
        self.settings = settings
        self.services = [action_server(settings), rasa_server(settings, model_path)]
        self.echo = echo

    def start(self, timeout: float = 180, on_wait: Callable[[str], None] | None = None) -> None:
        log_dir = self.settings.var_dir / "logs"
        try:
            for service in self.services:
                service.start(self.settings.root, log_dir, self.echo)
                self._wait_healthy(service, timeout, on_wait)
        except BaseException:
            self.stop()
            raise

    def _wait_healthy(
        self, service: Service, timeout: float, on_wait: Callable[[str], None] | None
    ) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not service.alive():
                log = self.settings.var_dir / "logs" / f"{service.name}.log"
                raise RuntimeError(f"{service.name} exited during start-up; see {log}")
            if service.healthy():
                return
            if on_wait:
                on_wait(service.name)
            time.sleep(0.5)
        raise RuntimeError(f"{service.name} was not healthy after {timeout:.0f} s")

    def restart(self, name: str, timeout: float = 180) -> None:
        """Stop one service and start it again, e.g. to show nothing lives only in memory."""
        service = next(s for s in self.services if s.name == name)
        service.stop()
        service.start(self.settings.root, self.settings.var_dir / "logs", self.echo)
        self._wait_healthy(service, timeout, None)

    def watch(self) -> str | None:
        """Block until a service dies; return its name."""
        while True:
            for service in self.services:
                if not service.alive():
                    return service.name
            time.sleep(0.5)

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()
