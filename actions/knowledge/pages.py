"""Readable copies of the indexed documents, behind the links in answers.

The Rasa server serves the links (`connectors/knowledge_pages.py`) but has
no PDF or HTML parsers, so the indexer writes each document's parsed
outline here as JSON, one file per document under `var/kb/pages/`, replaced
atomically. The anchors are the ones passages cite (`passages.slug`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from actions.knowledge.passages import slug
from actions.knowledge.sources import SourceDocument


class DocumentPages:
    def __init__(self, pages_dir: Path) -> None:
        self.pages_dir = pages_dir

    def path_for(self, relative: str) -> Path:
        return self.pages_dir / f"{relative}.json"

    def exists(self, relative: str) -> bool:
        return self.path_for(relative).is_file()

    def write(self, relative: str, company: str, source: SourceDocument) -> None:
        page = {
            "path": relative,
            "company": company,
            "title": source.title,
            "sections": [
                {
                    "heading": section.heading,
                    "parents": list(section.parents),
                    "anchor": slug(section.heading) if section.heading else "top",
                    "text": section.text,
                }
                for section in source.sections
            ],
        }
        target = self.path_for(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.tmp{os.getpid()}")
        temporary.write_text(json.dumps(page, ensure_ascii=False))
        os.replace(temporary, target)

    def remove(self, relative: str) -> None:
        self.path_for(relative).unlink(missing_ok=True)
