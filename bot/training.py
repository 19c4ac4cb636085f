"""Train the Rasa model only when its inputs changed.

The fingerprint covers everything `rasa train` reads plus the custom
components and their resources; the model is written to
`models/erp-<fingerprint>.tar.gz`, so an existing file means "already trained".

The studio trains the same way in the background (bot/studio/jobs.py) and
records which model it activated in `var/studio/active_model.json`; `make run`
starts with that model while the data it was activated on is unchanged.
Standard library only: bot/cli.py imports this in the actions environment.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.supervisor import RASA_PYTHON, base_environment

FINGERPRINT_INPUTS = (
    "config.yml",
    "domain.yml",
    "data",
    "nlu_models",
    "requirements/rasa.txt",
)
# read from the code root: a studio workspace copies the data, never the code
CODE_INPUTS = frozenset({"nlu_models", "requirements/rasa.txt"})
IGNORED_PARTS = {"__pycache__", "evaluation", ".pytest_cache"}
MODEL_PREFIX = "erp-"
MODEL_SUFFIX = ".tar.gz"
# Retention, one rule for `make train` and the studio: the newest few, plus the
# active and the previously active model so that a rollback always has its file.
KEEP_NEWEST = 5


def fingerprint(root: Path, code_root: Path | None = None) -> str:
    """The inputs' digest; `code_root` (default: `root`) supplies the custom components."""
    code_root = root if code_root is None else code_root
    digest = hashlib.sha256()
    for name in FINGERPRINT_INPUTS:
        base = code_root if name in CODE_INPUTS else root
        path = base / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if IGNORED_PARTS & set(file.relative_to(base).parts) or file.suffix == ".pyc":
                continue
            if not file.exists():
                continue
            digest.update(str(file.relative_to(base)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def model_name(digest: str) -> str:
    return f"{MODEL_PREFIX}{digest}{MODEL_SUFFIX}"


def model_path(settings: Settings) -> Path:
    return settings.models_dir / model_name(fingerprint(settings.root))


def studio_state_dir(settings: Settings) -> Path:
    # the same folder as Workspace.state_dir (bot/studio/workspace.py, which needs rasa's env)
    return settings.var_dir / "studio"


def read_active_model(state_dir: Path) -> dict[str, Any] | None:
    """`active_model.json` ({model, previous, data_fingerprint, activated_at, by}) or None."""
    try:
        record = json.loads((state_dir / "active_model.json").read_text())
    except (FileNotFoundError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def protected_models(state_dir: Path) -> set[str]:
    record = read_active_model(state_dir) or {}
    return {name for name in (record.get("model"), record.get("previous")) if name}


def prune_models(models_dir: Path, protected: set[str], keep: int = KEEP_NEWEST) -> list[Path]:
    """Delete all but the `keep` newest models and the protected ones; returns what went."""
    models = sorted(
        models_dir.glob(f"{MODEL_PREFIX}*{MODEL_SUFFIX}"),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    removed = [p for p in models[keep:] if p.name not in protected]
    for old in removed:
        old.unlink(missing_ok=True)
    return removed


def activated_model(models_dir: Path, state_dir: Path, current_fingerprint: str) -> Path | None:
    """The model the studio activated, if `make run` should start with it.

    Only while the data is what it was when the trainer activated it (a
    rollback to an older model survives a restart; an edit since then means
    train the current data, as without the studio).
    """
    record = read_active_model(state_dir)
    if not record or record.get("data_fingerprint") != current_fingerprint:
        return None
    name = record.get("model")
    if not isinstance(name, str) or Path(name).name != name:
        return None
    path = models_dir / name
    return path if path.is_file() else None


def model_for_run(settings: Settings) -> Path | None:
    return activated_model(
        settings.models_dir, studio_state_dir(settings), fingerprint(settings.root)
    )


def train(settings: Settings, force: bool = False) -> Path:
    """Return a model for the current data, training one if needed."""
    target = model_path(settings)
    if target.exists() and not force:
        print(f"Model is up to date: {target.relative_to(settings.root)}", flush=True)
        return target
    print("Training the Rasa model (data, config or domain changed)...", flush=True)
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    command = [
        str(settings.root / RASA_PYTHON),
        "-m",
        "rasa",
        "train",
        "--config",
        "config.yml",
        "--domain",
        "domain.yml",
        "--data",
        "data",
        "--out",
        str(settings.models_dir),
        "--fixed-model-name",
        target.name.removesuffix(MODEL_SUFFIX),
    ]
    result = subprocess.run(command, cwd=settings.root, env=base_environment(settings))
    if result.returncode != 0 or not target.exists():
        sys.exit(f"Training failed (exit code {result.returncode}).")
    prune_models(settings.models_dir, protected_models(studio_state_dir(settings)) | {target.name})
    return target
