"""Background jobs: a Rasa CLI process run from the server's event loop.

Training and evaluation take tens of seconds; the Rasa server must keep
answering meanwhile, so each job is an asyncio task around an asyncio
subprocess (never `subprocess.run`, which would block the loop). Each job
keeps its state as JSON and its output as a log under `<state_dir>/jobs/`,
so a restarted server still lists past jobs; one that was running when the
server stopped is shown as failed, "interrupted".
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bot.studio.http import Refused

log = logging.getLogger(__name__)

KINDS = ("training", "evaluation")
LOG_TAIL_LINES = 20
LOG_CHUNK_BYTES = 256 * 1024
# one "line" of a progress bar redrawn with "\r" can be long
LINE_LIMIT = 16 * 1024 * 1024
# the start time to the microsecond, then a random part: ids sort as the jobs started
JOB_ID = re.compile(r"^[0-9]{8}T[0-9]{12}-[0-9a-f]{6}$")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
INTERRUPTED = "interrupted: the server stopped while this job ran"


class JobConflict(Refused):
    def __init__(self, message: str) -> None:
        super().__init__(409, message)


class JobFailed(Exception):
    """Raised by a job's work: the job fails with this message as its error."""


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class Job:
    id: str
    kind: str
    created_at: str
    status: str = "queued"
    progress: float = 0.0
    stage: str = "queued"
    started_at: str | None = None
    finished_at: str | None = None
    model: str | None = None
    error: str | None = None
    # who started it and, for the UI, a line saying what came out ("already trained")
    by: str | None = None
    result: str | None = None

    @property
    def done(self) -> bool:
        return self.status in ("succeeded", "failed")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Job:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


Work = Callable[["JobRun"], Awaitable[None]]


class JobRun:
    """What a job's work sees: its record, its log, and a way to run Rasa."""

    def __init__(self, jobs: Jobs, job: Job) -> None:
        self.jobs = jobs
        self.job = job

    def update(self, **changes: Any) -> None:
        for name, value in changes.items():
            setattr(self.job, name, value)
        self.jobs.save(self.job)

    def note(self, text: str) -> None:
        with open(self.jobs.log_path(self.job.id), "a", encoding="utf-8") as handle:
            handle.write(f"[studio] {text}\n")

    async def rasa(
        self, args: list[str], on_line: Callable[[str], None] | None = None, prefix: str = ""
    ) -> int:
        """Run `python -m rasa <args>` of the Rasa environment; its output goes to the log.

        `prefix` marks each log line when two Rasa processes of one job run at once.
        """
        command = [str(self.jobs.python), "-m", "rasa", *args]
        self.note(prefix + "$ " + " ".join(command))
        process = await self.jobs.spawn(command)
        assert process.stdout is not None
        with open(self.jobs.log_path(self.job.id), "a", encoding="utf-8") as handle:
            try:
                while raw := await process.stdout.readline():
                    line = raw.decode("utf-8", errors="replace").rstrip("\n")
                    # whole lines only: two processes' output never mixes within a line
                    # colour codes are for terminals; the log is read in a browser
                    handle.write(prefix + ANSI.sub("", line) + "\n")
                    handle.flush()
                    # progress bars redraw with "\r": each redraw counts as a line
                    for part in line.split("\r"):
                        if on_line and part.strip():
                            on_line(ANSI.sub("", part))
                return await process.wait()
            finally:
                if process.returncode is None:  # cancelled: do not leave Rasa running
                    process.kill()
                    await process.wait()


class Jobs:
    """Every job of this workspace, past and running."""

    def __init__(self, state_dir: Path, python: Path, cwd: Path, env: dict[str, str]) -> None:
        self.dir = state_dir / "jobs"
        self.python = python
        self.cwd = cwd
        self.env = env
        self._jobs: dict[str, Job] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._load()

    def _load(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        for path in self.dir.glob("*.json"):
            try:
                job = Job.from_json(json.loads(path.read_text()))
            except (ValueError, TypeError) as error:
                log.warning("ignoring unreadable job state %s: %s", path, error)
                continue
            if not job.done:
                # no task of this process runs it: the server died or was stopped meanwhile
                log_file = self.log_path(job.id)
                ended = log_file.stat().st_mtime if log_file.exists() else path.stat().st_mtime
                job.status, job.error = "failed", INTERRUPTED
                job.finished_at = (
                    datetime.fromtimestamp(ended, timezone.utc)
                    .isoformat(timespec="seconds")
                    .replace("+00:00", "Z")
                )
                self.save(job)
            self._jobs[job.id] = job

    async def spawn(self, command: list[str]) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            *command,
            cwd=self.cwd,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            limit=LINE_LIMIT,
        )

    async def rasa_output(self, args: list[str], timeout: float = 300) -> tuple[int, str]:
        """Run `python -m rasa <args>` outside any job (e.g. validate); exit code and output."""
        process = await self.spawn([str(self.python), "-m", "rasa", *args])
        try:
            output, _ = await asyncio.wait_for(process.communicate(), timeout)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            process.kill()
            await process.wait()
            raise
        assert process.returncode is not None
        return process.returncode, output.decode("utf-8", errors="replace")

    def log_path(self, job_id: str) -> Path:
        return self.dir / f"{job_id}.log"

    def save(self, job: Job) -> None:
        target = self.dir / f"{job.id}.json"
        scratch = target.with_suffix(".json.tmp")
        scratch.write_text(json.dumps(asdict(job), indent=1))
        os.replace(scratch, target)  # a reader never sees half a file

    def list(self, kind: str | None = None) -> list[Job]:
        jobs = [j for j in self._jobs.values() if kind is None or j.kind == kind]
        return sorted(jobs, key=lambda j: j.id, reverse=True)

    def get(self, job_id: str) -> Job:
        job = self._jobs.get(job_id) if JOB_ID.match(job_id) else None
        if job is None:
            raise Refused(404, f"There is no job '{job_id}'.")
        return job

    def running(self, kind: str) -> Job | None:
        return next((j for j in self.list(kind) if not j.done), None)

    def start(
        self, kind: str, work: Work, *, model: str | None = None, by: str | None = None
    ) -> Job:
        """Queue `work` as a new job of `kind`; one job of a kind at a time (409)."""
        if kind not in KINDS:
            raise ValueError(kind)
        busy = self.running(kind)
        if busy is not None:
            raise JobConflict(f"A {kind} job is already running ({busy.id}).")
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        job = Job(id=f"{stamp}-{secrets.token_hex(3)}", kind=kind, created_at=now_iso())
        job.model, job.by = model, by
        self._jobs[job.id] = job
        self.save(job)
        self.log_path(job.id).touch()
        # held here: the loop keeps only weak references to tasks
        self._tasks[job.id] = asyncio.get_running_loop().create_task(self._run(job, work))
        return job

    async def _run(self, job: Job, work: Work) -> None:
        run = JobRun(self, job)
        run.update(status="running", started_at=now_iso(), stage="starting")
        outcome: dict[str, Any] = {"status": "succeeded", "progress": 1.0}
        try:
            await work(run)
        except JobFailed as error:
            run.note(f"failed: {error}")
            outcome = {"status": "failed", "error": str(error)}
        except asyncio.CancelledError:
            outcome = {"status": "failed", "error": "cancelled"}
            raise
        except Exception as error:  # a bug in the studio must still end the job
            log.exception("job %s crashed", job.id)
            outcome = {"status": "failed", "error": f"{type(error).__name__}: {error}"}
        finally:
            # finished_at in the same write: a reader never sees "succeeded" without it
            run.update(**outcome, finished_at=now_iso())
            self._tasks.pop(job.id, None)

    async def wait(self, job_id: str) -> Job:
        task = self._tasks.get(job_id)
        if task is not None:
            await asyncio.shield(task)
        return self.get(job_id)

    def log_tail(self, job_id: str, lines: int = LOG_TAIL_LINES) -> list[str]:
        path = self.log_path(job_id)
        if not path.exists():
            return []
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - 64 * 1024))
            text = handle.read().decode("utf-8", errors="replace")
        # a progress bar's last redraw is what a terminal would show
        shown = [ANSI.sub("", line.split("\r")[-1]).rstrip() for line in text.split("\n")]
        return [line for line in shown if line.strip()][-lines:]

    def describe(self, job: Job) -> dict[str, Any]:
        return {**asdict(job), "log_tail": self.log_tail(job.id)}

    def read_log(self, job_id: str, offset: int) -> dict[str, Any]:
        """The log from byte `offset`; while the job runs, only whole lines."""
        job = self.get(job_id)
        path = self.log_path(job_id)
        size = path.stat().st_size if path.exists() else 0
        offset = min(offset, size)
        with open(path, "rb") as handle:
            handle.seek(offset)
            data = handle.read(LOG_CHUNK_BYTES)
        if not job.done or offset + len(data) < size:
            # never split a line (or a UTF-8 character) between two reads
            cut = data.rfind(b"\n") + 1
            if cut or len(data) < LOG_CHUNK_BYTES:
                data = data[:cut]
        next_offset = offset + len(data)
        return {
            "text": data.decode("utf-8", errors="replace"),
            "next_offset": next_offset,
            "done": job.done and next_offset >= size,
        }
