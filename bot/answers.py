"""Answer a question from a story's own text: rank its passages with BM25, favouring matching headings."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from bot.story_model import Section
from bot.text import STOPWORDS, words

INTRODUCTION = "Introduction"
_QUESTION_WORDS = frozenset({"why", "what", "how", "who", "when", "where", "which"})
_K1 = 1.2
_B = 0.75
_HEADING_WEIGHT = 1.5


@dataclass(frozen=True, slots=True)
class Passage:
    section: str
    text: str


@dataclass(frozen=True, slots=True)
class ScoredPassage:
    passage: Passage
    score: float


def stem(word: str) -> str:
    for suffix in ("ing", "ies", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def terms(text: str, keep_question_words: bool = False) -> list[str]:
    keep = _QUESTION_WORDS if keep_question_words else frozenset()
    return [stem(w) for w in words(text) if w not in STOPWORDS or w in keep]


def passages(dek: str, lead: tuple[str, ...], sections: tuple[Section, ...]) -> list[Passage]:
    found = [Passage(INTRODUCTION, p) for p in (dek, *lead) if p]
    for section in sections:
        found += [Passage(section.heading, p) for p in section.paragraphs]
        found += [Passage(section.heading, b.render()) for b in section.bullets]
    return found


def rank(question: str, candidates: list[Passage], limit: int = 3) -> list[ScoredPassage]:
    """Best passages first. Empty when no content word of the question appears in the story."""
    content_terms = set(terms(question))
    if not content_terms or not candidates:
        return []
    query = set(terms(question, keep_question_words=True))
    documents = [Counter(terms(p.text)) for p in candidates]
    average = sum(sum(d.values()) for d in documents) / len(documents) or 1.0
    frequency = Counter(t for d in documents for t in set(d))
    scored: list[ScoredPassage] = []
    for passage, counts in zip(candidates, documents, strict=True):
        length = sum(counts.values())
        score = 0.0
        for term in content_terms:
            tf = counts.get(term, 0)
            if tf:
                idf = math.log(1 + (len(documents) - frequency[term] + 0.5) / (frequency[term] + 0.5))
                score += idf * tf * (_K1 + 1) / (tf + _K1 * (1 - _B + _B * length / average))
        heading_terms = set(terms(passage.section, keep_question_words=True))
        heading_hits = len(query & heading_terms)
        if heading_hits and (content_terms & heading_terms or score > 0):
            score += _HEADING_WEIGHT * heading_hits
        if score > 0:
            scored.append(ScoredPassage(passage, score))
    scored.sort(key=lambda s: -s.score)
    return scored[:limit]


def clean_question(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
