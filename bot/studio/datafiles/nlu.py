"""New NLU examples as edits of the files under data/nlu/.

An example goes to the end of its intent's `examples: |` block in the first
file that has one (a new intent gets a block in data/nlu/studio.yml). Each
edited file is read back with Rasa's own reader before anyone sees the diff.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.studio.datafiles import yaml_text
from bot.studio.datafiles.errors import Invalid
from bot.studio.datafiles.markup import Example, check_example, normalised, render, trimmed
from bot.studio.datafiles.nlu_blocks import intent_blocks

STUDIO_NLU = "data/nlu/studio.yml"
STUDIO_NLU_HEADER = 'version: "3.1"\n\nnlu:\n'


@dataclass(frozen=True)
class Skipped:
    text: str
    reason: str

    def as_json(self) -> dict[str, str]:
        return {"text": self.text, "reason": self.reason}


@dataclass
class NLUPlan:
    """The new texts of the NLU files an addition touches, and what it left out."""

    texts: dict[str, tuple[str, str]]  # path → (old text, new text)
    added: list[Example]
    skipped: list[Skipped]


def nlu_files(root: Path) -> dict[str, str]:
    """Every NLU file under data/nlu/, by path relative to root, in a stable order."""
    found = sorted(
        {*(root / "data" / "nlu").rglob("*.yml"), *(root / "data" / "nlu").rglob("*.yaml")}
    )
    return {path.relative_to(root).as_posix(): path.read_bytes().decode("utf-8") for path in found}


@lru_cache(maxsize=64)
def read_nlu(path: str, text: str) -> TrainingData:
    """Rasa's reading of one NLU file. Cached by content: a preview and its save read the
    same unchanged files again (callers only read the result, never change it)."""
    reader = RasaYAMLReader()
    reader.filename = path
    try:
        return reader.reads(text)
    except Exception as error:  # YAML and schema errors come as several exception types
        raise Invalid(f"{path} is not valid NLU data: {error}") from error


def plan_examples(root: Path, examples: list[Example]) -> NLUPlan:
    """Where each new example goes, and the NLU files' texts with them added."""
    examples = [trimmed(example) for example in examples]
    for example in examples:
        check_example(example)
    files = nlu_files(root)
    known = {
        normalised(message.get("text") or ""): message.get("intent")
        for path, text in files.items()
        for message in read_nlu(path, text).training_examples
    }
    added, skipped = _new_examples(examples, known)
    insertions: dict[str, list[tuple[int, str]]] = {}
    new_blocks: dict[str, list[str]] = {}
    blocks = {path: intent_blocks(yaml_text.lines_of(text)) for path, text in files.items()}
    for example in added:
        home = next((path for path in files if example.intent in blocks[path]), None)
        if home is None:
            new_blocks.setdefault(example.intent, []).append(render(example))
            continue
        block = blocks[home][example.intent]
        line = f"{' ' * block.indent}- {render(example)}\n"
        insertions.setdefault(home, []).append((block.last, line))
    texts = {
        path: (files[path], _inserted(files[path], lines)) for path, lines in insertions.items()
    }
    if new_blocks:
        old = files.get(STUDIO_NLU, "")
        texts[STUDIO_NLU] = (
            old,
            _with_new_blocks(texts.get(STUDIO_NLU, (old, old))[1], new_blocks),
        )
    for path, (old, new) in texts.items():
        _check_read_back(path, old, new, [e for e in added if _lands_in(e, path, files, blocks)])
    return NLUPlan(texts=dict(sorted(texts.items())), added=added, skipped=skipped)


def _new_examples(
    examples: list[Example], known: dict[str, str]
) -> tuple[list[Example], list[Skipped]]:
    added: list[Example] = []
    skipped: list[Skipped] = []
    in_request: set[str] = set()
    for example in examples:
        key = normalised(example.text)
        if key in known:
            skipped.append(
                Skipped(example.text, f"already in the training data (intent {known[key]})")
            )
        elif key in in_request:
            skipped.append(Skipped(example.text, "the same text is already in this request"))
        else:
            in_request.add(key)
            added.append(example)
    return added, skipped


def _inserted(text: str, insertions: list[tuple[int, str]]) -> str:
    lines = yaml_text.lines_of(text)
    # from the bottom up, so that earlier line numbers stay right; the same block keeps order
    for last, new_lines in sorted(_grouped(insertions).items(), reverse=True):
        lines = yaml_text.insert_after(lines, last, new_lines)
    return "".join(lines)


def _grouped(insertions: list[tuple[int, str]]) -> dict[int, list[str]]:
    grouped: dict[int, list[str]] = {}
    for last, line in insertions:
        grouped.setdefault(last, []).append(line)
    return grouped


def _with_new_blocks(text: str, new_blocks: dict[str, list[str]]) -> str:
    if not text.strip():
        text = STUDIO_NLU_HEADER
    elif yaml_text.top_level_section(yaml_text.lines_of(text), "nlu") is None:
        raise Invalid(f"{STUDIO_NLU} has no 'nlu:' list to add intents to; fix it by hand.")
    blocks = "\n".join(
        f"- intent: {intent}\n  examples: |\n" + "".join(f"    - {line}\n" for line in lines)
        for intent, lines in new_blocks.items()
    )
    if text == STUDIO_NLU_HEADER:
        return text + blocks
    return yaml_text.append_block(text, blocks)


def _lands_in(example: Example, path: str, files: dict[str, str], blocks: dict) -> bool:
    home = next((p for p in files if example.intent in blocks[p]), STUDIO_NLU)
    return home == path


def _check_read_back(path: str, old: str, new: str, examples: list[Example]) -> None:
    """Refuses an edit unless Rasa reads the new file as the old one plus exactly `examples`."""
    before = [_as_tuple_message(m) for m in read_nlu(path, old).training_examples] if old else []
    after = [_as_tuple_message(m) for m in read_nlu(path, new).training_examples]
    expected = before + [_as_tuple_example(e) for e in examples]
    if sorted(after, key=repr) != sorted(expected, key=repr):
        raise Invalid(
            f"{path}: the new examples would not be read back as given; nothing was saved."
        )


def _as_tuple_message(message) -> tuple:
    entities = tuple(
        sorted(
            (e["start"], e["end"], e["entity"], str(e["value"]))
            for e in message.get("entities") or []
        )
    )
    return (message.get("text"), message.get("intent"), entities)


def _as_tuple_example(example: Example) -> tuple:
    entities = tuple(
        sorted(
            (
                s.start,
                s.end,
                s.entity,
                s.value if s.value is not None else example.text[s.start : s.end],
            )
            for s in example.entities
        )
    )
    return (example.text, example.intent, entities)
