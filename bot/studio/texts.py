"""When two user texts count as the same example.

Case and spacing never make an example new, so the NLU inbox and the
training data compare texts in this one normal form.
"""

from __future__ import annotations

import hashlib
import re
import threading
from pathlib import Path


def normalised(text: str) -> str:
    return " ".join(text.casefold().split())


TEXT_ID = re.compile(r"^[0-9a-f]{40}$")


def text_id(text: str) -> str:
    """A stable id for an inbox entry: the same for every spelling of the same text."""
    return hashlib.sha1(normalised(text).encode()).hexdigest()


class TrainingTexts:
    """The normalised texts of every NLU example, re-read when a file changes."""

    def __init__(self, nlu_dir: Path) -> None:
        self.nlu_dir = nlu_dir
        self._lock = threading.Lock()
        self._signature: tuple = ()
        self._texts: set[str] = set()

    def current(self) -> set[str]:
        """Blocking (reads and parses the files): run it in a thread."""
        files = sorted(self.nlu_dir.rglob("*.yml"))
        signature = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
        with self._lock:
            if signature != self._signature:
                self._texts = self._read(files)
                self._signature = signature
            return self._texts

    @staticmethod
    def _read(files: list[Path]) -> set[str]:
        from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

        texts: set[str] = set()
        for file in files:
            data = RasaYAMLReader().reads(file.read_text(encoding="utf-8"))
            texts.update(normalised(m.get("text") or "") for m in data.training_examples)
        return texts
