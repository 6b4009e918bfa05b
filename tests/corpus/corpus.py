"""The article corpus under tests/corpus: loading articles with their manifests (shared with the benches)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

CORPUS_DIR = Path(__file__).resolve().parent
ARTICLES_DIR = CORPUS_DIR / "articles"
EXPECTED_DIR = CORPUS_DIR / "expected"


@dataclass(frozen=True, slots=True)
class Question:
    question: str
    section: str  # the heading of the section that should answer it


@dataclass(frozen=True, slots=True)
class CorpusArticle:
    path: Path
    manifest: dict[str, Any]

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(Question(q["question"], q["section"]) for q in self.manifest["questions"])

    def data(self) -> bytes:
        return self.path.read_bytes()


def settings() -> tuple[datetime, ZoneInfo]:
    """(import time, default zone) every corpus article is parsed with."""
    config = yaml.safe_load((CORPUS_DIR / "corpus.yaml").read_text(encoding="utf-8"))
    return datetime.fromisoformat(config["import_time"]), ZoneInfo(config["default_timezone"])


def articles() -> Iterator[CorpusArticle]:
    for manifest_path in sorted(EXPECTED_DIR.glob("*.yaml")):
        manifest = yaml.safe_load(manifest_path.read_text(encoding="utf-8"))
        yield CorpusArticle(ARTICLES_DIR / manifest["file"], manifest)
