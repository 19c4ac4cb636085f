"""Train the Rasa model only when its inputs changed.

The fingerprint covers everything `rasa train` reads plus the custom
components and their resources; the model is written to
`models/erp-<fingerprint>.tar.gz`, so an existing file means "already trained".
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from bot.config import Settings
from bot.supervisor import RASA_PYTHON, base_environment

FINGERPRINT_INPUTS = (
    "config.yml",
    "domain.yml",
    "data",
    "nlu_models",
    "requirements/rasa.txt",
)
IGNORED_PARTS = {"__pycache__", "evaluation", ".pytest_cache"}


def fingerprint(root: Path) -> str:
    digest = hashlib.sha256()
    for name in FINGERPRINT_INPUTS:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if IGNORED_PARTS & set(file.relative_to(root).parts) or file.suffix == ".pyc":
                continue
            if not file.exists():
                continue
            digest.update(str(file.relative_to(root)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def model_path(settings: Settings) -> Path:
    return settings.models_dir / f"erp-{fingerprint(settings.root)}.tar.gz"


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
        target.name.removesuffix(".tar.gz"),
    ]
    result = subprocess.run(command, cwd=settings.root, env=base_environment(settings))
    if result.returncode != 0 or not target.exists():
        sys.exit(f"Training failed (exit code {result.returncode}).")
    # keep the three newest models so that a rollback stays possible
    models = sorted(settings.models_dir.glob("erp-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    for old in models[:-3]:
        old.unlink()
    return target
