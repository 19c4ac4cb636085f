"""A training job: `rasa train` on the workspace, with progress read from its log.

Rasa 3.6 prints no overall progress, but its training hooks log one line
as each graph component starts and finishes (rasa.engine.training.hooks):

    INFO rasa.cli.train - Started validating domain and training data...
    INFO rasa.engine.training.hooks - Starting to train component 'CRFEntityExtractor'.
    INFO rasa.engine.training.hooks - Finished training component 'CRFEntityExtractor'.
    INFO rasa.engine.training.hooks - Restored component 'RegexFeaturizer' from cache.
    Your Rasa model is trained and saved at 'models/….tar.gz'.

With this project's config.yml, 10 of the 13 configured components train
(tokenizers and FallbackClassifier do not); the fraction of them finished is
the progress. A failure ends with one line "SomethingException: why".
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from bot.studio.jobs import Job, JobFailed, JobRun, Jobs
from bot.studio.models import ModelRegistry
from bot.studio.workspace import Workspace
from bot.training import MODEL_SUFFIX, fingerprint, model_name

COMPONENT = re.compile(r"(Starting to train|Finished training|Restored) component '([^']+)'")
ERROR_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*(?:Exception|Error)): (.+)")
# configured, but no graph node of theirs trains (no "Finished training" line)
NOT_TRAINED = re.compile(r"(Tokenizer|FallbackClassifier|^SpacyNLP|^MitieNLP)$")
# share of the bar before the first component (start-up, data validation) and after the last
START, END = 0.1, 0.97


def trained_components(config_path: Path) -> int:
    """How many "Finished training" lines a training with this config.yml logs."""
    try:
        config = yaml.safe_load(config_path.read_text()) or {}
    except (OSError, yaml.YAMLError):
        return 0
    names = [
        str(item.get("name", ""))
        for key in ("pipeline", "policies")
        for item in (config.get(key) or [])
        if isinstance(item, dict)
    ]
    return sum(1 for name in names if not NOT_TRAINED.search(name.rsplit(".", 1)[-1]))


class TrainingProgress:
    """Turns `rasa train` output lines into the job's progress and stage."""

    def __init__(self, run: JobRun, expected: int) -> None:
        self.run = run
        self.expected = max(expected, 1)
        self.finished = 0
        self.error: str | None = None

    def feed(self, line: str) -> None:
        if "Started validating domain and training data" in line:
            self.run.update(progress=0.05, stage="validating the data")
        elif match := COMPONENT.search(line):
            verb, component = match.groups()
            if verb == "Starting to train":
                self.run.update(stage=f"training {component}")
                return
            self.finished += 1
            # more components than counted (a custom one): keep creeping, never past END
            fraction = min(self.finished / self.expected, 1.0)
            self.run.update(progress=round(START + (END - START) * fraction, 3))
        elif "Your Rasa model is trained and saved" in line:
            self.run.update(progress=END, stage="saving the model")
        elif match := ERROR_LINE.match(line.strip()):
            self.error = f"{match.group(1)}: {match.group(2)}"


def start_training(jobs: Jobs, workspace: Workspace, models: ModelRegistry, by: str) -> Job:
    """A background `rasa train` of the workspace (409 while another one runs)."""

    async def work(run: JobRun) -> None:
        await train(run, workspace, models)

    return jobs.start("training", work, by=by)


async def train(run: JobRun, workspace: Workspace, models: ModelRegistry) -> None:
    name = model_name(fingerprint(workspace.root, workspace.code_root))
    run.update(model=name, stage="checking for an existing model")
    target = workspace.models_dir / name
    if target.is_file():
        run.note(f"{name} already exists: the data has not changed since it was trained.")
        run.update(stage="already trained", result=f"{name} was already trained on this data.")
        return
    workspace.models_dir.mkdir(parents=True, exist_ok=True)
    # Rasa writes the archive as it goes: train under a scratch name, rename when
    # complete, so that a half-written file never counts as "already trained".
    scratch = workspace.models_dir / f".training-{run.job.id}{MODEL_SUFFIX}"
    progress = TrainingProgress(run, trained_components(workspace.config_path))
    run.update(progress=0.02, stage="starting Rasa")
    try:
        code = await run.rasa(
            [
                "train",
                "--config",
                str(workspace.config_path),
                "--domain",
                str(workspace.domain_path),
                "--data",
                str(workspace.data_dir),
                "--out",
                str(workspace.models_dir),
                "--fixed-model-name",
                scratch.name.removesuffix(MODEL_SUFFIX),
            ],
            on_line=progress.feed,
        )
        if code != 0 or not scratch.is_file():
            raise JobFailed(progress.error or f"rasa train exited with code {code}")
        os.replace(scratch, target)
    finally:
        scratch.unlink(missing_ok=True)
    models.record(name, job_id=run.job.id, by=run.job.by)
    run.update(result=f"Trained {name}.")
