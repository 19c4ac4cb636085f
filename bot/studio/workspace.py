"""The files the studio reads and edits: one Rasa project on disk.

By default that is the repository itself. `STUDIO_WORKSPACE` points the
studio at a copy instead (the tests do, so that they never edit `data/`);
the code it trains with (custom components, the Rasa environment) always
comes from the repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.config import ROOT, Settings


@dataclass(frozen=True)
class Workspace:
    root: Path
    # where the studio keeps its own state: jobs, logs, evaluations, the active model
    state_dir: Path

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def nlu_dir(self) -> Path:
        return self.data_dir / "nlu"

    @property
    def stories_dir(self) -> Path:
        return self.data_dir / "stories"

    @property
    def rules_dir(self) -> Path:
        return self.data_dir / "rules"

    @property
    def domain_path(self) -> Path:
        return self.root / "domain.yml"

    @property
    def config_path(self) -> Path:
        return self.root / "config.yml"

    @property
    def test_stories_dir(self) -> Path:
        return self.root / "tests" / "stories"

    @property
    def heldout_nlu_path(self) -> Path:
        return self.root / "tests" / "nlu" / "heldout.yml"

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    @property
    def code_root(self) -> Path:
        return ROOT


def workspace_for(settings: Settings) -> Workspace:
    raw = settings.studio_workspace
    root = raw.expanduser().resolve() if raw else settings.root
    if not (root / "domain.yml").is_file() or not (root / "data").is_dir():
        raise SystemExit(f"STUDIO_WORKSPACE={root} is not a Rasa project (no domain.yml or data/).")
    return Workspace(root=root, state_dir=settings.var_dir / "studio")
