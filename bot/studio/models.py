"""The trained models of the workspace and which one the Rasa server runs.

Inside the Rasa server, activation builds the new agent in a worker thread
and swaps it in (`activation.py`), so conversations go on while it loads.
Without a server to hand (a registry used from outside it) it goes through
Rasa's own `PUT /model`, which builds a new Agent from the server's
endpoints.yml in the event loop, keeping the tracker store's database, the
action endpoint and the lock store.

The choice is persisted in `<state_dir>/active_model.json` ({model,
previous, data_fingerprint, activated_at, by}); `make run` starts with that
model while the workspace's fingerprint is still `data_fingerprint`
(bot/training.py `activated_model`).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bot.studio.http import Refused
from bot.studio.jobs import now_iso
from bot.studio.rasa_api import RasaAPI, RasaUnavailable
from bot.studio.workspace import Workspace
from bot.training import (
    MODEL_PREFIX,
    MODEL_SUFFIX,
    fingerprint,
    protected_models,
    prune_models,
    read_active_model,
)

MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*\.tar\.gz$")
MODEL_FINGERPRINT = re.compile(rf"^{re.escape(MODEL_PREFIX)}([0-9a-f]+){re.escape(MODEL_SUFFIX)}$")


def checked_name(name: str) -> str:
    """A bare model file name; anything with path parts is refused (400)."""
    if "/" in name or "\\" in name or ".." in name or not MODEL_NAME.match(name):
        raise Refused(400, f"'{name}' is not a model name (expected erp-<fingerprint>.tar.gz).")
    return name


def iso_from_timestamp(seconds: float) -> str:
    return (
        datetime.fromtimestamp(seconds, timezone.utc)
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z")
    )


class ModelRegistry:
    def __init__(
        self,
        workspace: Workspace,
        rasa: RasaAPI,
        load_model: Callable[[Path], Awaitable[None]] | None = None,
    ) -> None:
        self.workspace = workspace
        self.rasa = rasa
        self._load_model = load_model or self._load_over_http
        self.state_dir = workspace.state_dir
        self.notes_dir = workspace.state_dir / "models"
        self.evaluations_dir = workspace.state_dir / "evaluations"
        self._switching = asyncio.Lock()

    def path(self, name: str) -> Path:
        """The model file called `name`: 400 for an odd name, 404 for an unknown one."""
        path = self.workspace.models_dir / checked_name(name)
        if not path.is_file():
            raise Refused(404, f"There is no model '{name}'.")
        return path

    def active(self) -> dict[str, Any] | None:
        return read_active_model(self.state_dir)

    def evaluation_summary(self, name: str) -> dict[str, Any] | None:
        try:
            report = json.loads((self.evaluations_dir / f"{name}.json").read_text())
        except (FileNotFoundError, ValueError):
            return None
        nlu, stories = report.get("nlu") or {}, report.get("stories") or {}
        return {
            "intent_accuracy": nlu.get("accuracy"),
            "intent_macro_f1": nlu.get("macro_f1"),
            "stories_correct": stories.get("correct"),
            "stories_total": stories.get("total"),
        }

    def _note(self, name: str) -> dict[str, Any]:
        try:
            return json.loads((self.notes_dir / f"{name}.json").read_text())
        except (FileNotFoundError, ValueError):
            return {}

    async def loaded_model(self) -> str | None:
        """The model the Rasa server runs, as it says (`GET /status`); None when it does not."""
        try:
            status = await self.rasa.status()
        except RasaUnavailable:
            return None
        model_file = status.get("model_file") if isinstance(status, dict) else None
        return Path(model_file).name if isinstance(model_file, str) and model_file else None

    async def overview(self) -> dict[str, Any]:
        """`GET /studio/api/models`: newest first, with the active one marked.

        Active is the studio's last activation or, before any, what `make run` started.
        """
        active = (self.active() or {}).get("model") or await self.loaded_model()
        return self.list(active)

    def list(self, active: str | None) -> dict[str, Any]:
        paths = self.workspace.models_dir.glob(f"{MODEL_PREFIX}*{MODEL_SUFFIX}")
        rows = [(self._row(path, active), path.stat().st_mtime) for path in paths]
        # newest first; the file time settles models recorded within the same second
        rows.sort(key=lambda row: (row[0]["created_at"], row[1]), reverse=True)
        return {"active": active, "models": [row for row, _ in rows]}

    def _row(self, path: Path, active: str | None) -> dict[str, Any]:
        stat = path.stat()
        match = MODEL_FINGERPRINT.match(path.name)
        return {
            "name": path.name,
            "created_at": self._note(path.name).get("trained_at")
            or iso_from_timestamp(stat.st_mtime),
            "fingerprint": match.group(1) if match else None,
            "size_bytes": stat.st_size,
            "active": path.name == active,
            "evaluation": self.evaluation_summary(path.name),
        }

    def record(self, name: str, *, job_id: str | None, by: str | None) -> None:
        """A model a training job just wrote: note who and when, then apply the retention."""
        self.notes_dir.mkdir(parents=True, exist_ok=True)
        note = {"name": name, "trained_at": now_iso(), "job": job_id, "by": by}
        (self.notes_dir / f"{name}.json").write_text(json.dumps(note, indent=1))
        protected = protected_models(self.state_dir) | {name}
        for removed in prune_models(self.workspace.models_dir, protected):
            (self.notes_dir / f"{removed.name}.json").unlink(missing_ok=True)

    async def activate(self, name: str, by: str) -> dict[str, Any]:
        """Load `name` into the running server, then remember it (and the one before)."""
        path = self.path(name)
        async with self._switching:
            record = self.active() or {}
            # before the first activation, the model `make run` started is the one to go back to
            current = record.get("model") or await self.loaded_model()
            await self._load_model(path.resolve())
            previous = current if current and current != name else record.get("previous")
            self._write_active(
                {
                    "model": name,
                    "previous": previous,
                    # the data as it is now: `make run` keeps this model until it changes
                    "data_fingerprint": fingerprint(self.workspace.root, self.workspace.code_root),
                    "activated_at": now_iso(),
                    "by": by,
                }
            )
        return {"active": name}

    async def _load_over_http(self, path: Path) -> None:
        await self.rasa.load_model(str(path))

    async def rollback(self, by: str) -> dict[str, Any]:
        previous = (self.active() or {}).get("previous")
        if not previous:
            raise Refused(409, "No model was active before this one.")
        if not (self.workspace.models_dir / previous).is_file():
            raise Refused(404, f"The previous model '{previous}' is no longer on disk.")
        return await self.activate(previous, by)

    def _write_active(self, record: dict[str, Any]) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        target = self.state_dir / "active_model.json"
        scratch = target.with_suffix(".json.tmp")
        scratch.write_text(json.dumps(record, indent=1))
        os.replace(scratch, target)
