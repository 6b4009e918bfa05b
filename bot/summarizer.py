"""Extractive, deterministic summaries: no network, no model. An LLM backend can implement `Summarizer`."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.text import STOPWORDS, split_sentences, words

SUMMARY_MAX_CHARS = 400
SUMMARY_MAX_SENTENCES = 3
REDUNDANCY_LIMIT = 0.5
DEK_BONUS = 1.0  # the dek is the author's own summary
# News puts what matters first; scoring only the opening of an article bounds the time a huge one takes.
MAX_SCORED_SENTENCES = 2000
MAX_SCORED_CHARS = 200_000


@dataclass(frozen=True, slots=True)
class SummaryInput:
    title: str
    dek: str
    paragraphs: Sequence[str]


class Summarizer(Protocol):
    def summarize(self, document: SummaryInput) -> str: ...

    def top_sentences(self, document: SummaryInput, count: int) -> list[str]: ...


class ExtractiveSummarizer:
    """Scores sentences by the document's salient words, favouring the dek and early sentences."""

    def __init__(self, max_chars: int = SUMMARY_MAX_CHARS, max_sentences: int = SUMMARY_MAX_SENTENCES) -> None:
        self.max_chars = max_chars
        self.max_sentences = max_sentences

    def _ranked(self, document: SummaryInput) -> list[tuple[float, int, str]]:
        return self._scored(document)[0]

    def _scored(self, document: SummaryInput) -> tuple[list[tuple[float, int, str]], list[list[str]]]:
        """(score, index, sentence) best first, and each sentence's non-stopword words by index."""
        # A dict keeps the first of repeated sentences in order; a list lookup made this quadratic.
        unique: dict[str, None] = {}
        budget = MAX_SCORED_CHARS
        for block in (document.dek, *document.paragraphs):
            if budget <= 0:
                break
            # A lead-in that ends in ':' only makes sense with the list that follows it.
            unique.update((s, None) for s in split_sentences(block[:budget]) if not s.endswith(":"))
            budget -= len(block)
        sentences = list(unique)[:MAX_SCORED_SENTENCES]
        if not sentences:
            return [], []
        dek_count = len(split_sentences(document.dek[:MAX_SCORED_CHARS]))
        title_words = {w for w in words(document.title) if w not in STOPWORDS}
        tokens_by_index = [[w for w in words(s) if w not in STOPWORDS] for s in sentences]
        frequency = Counter(w for tokens in tokens_by_index for w in tokens)
        ranked: list[tuple[float, int, str]] = []
        for index, sentence in enumerate(sentences):
            tokens = tokens_by_index[index]
            if not tokens:
                continue
            salience = sum(math.log1p(frequency[w]) for w in tokens) / math.sqrt(len(tokens))
            title_overlap = len(title_words.intersection(tokens))
            position = 1.0 / (1 + index * 0.25) + (DEK_BONUS if index < dek_count else 0.0)
            ranked.append((salience + title_overlap * 0.5 + position, index, sentence))
        ranked.sort(key=lambda item: (-item[0], item[1]))
        return ranked, tokens_by_index

    def top_sentences(self, document: SummaryInput, count: int) -> list[str]:
        chosen = self._ranked(document)[:count]
        return [sentence for _, _, sentence in sorted(chosen, key=lambda item: item[1])]

    def summarize(self, document: SummaryInput) -> str:
        ranked, tokens_by_index = self._scored(document)
        picked: list[tuple[int, str, set[str]]] = []
        length = 0
        for _, index, sentence in ranked:
            if len(picked) == self.max_sentences:
                break
            sentence_words = set(tokens_by_index[index])  # its non-stopword words, compared with each pick's
            if any(_words_overlap(sentence_words, other) > REDUNDANCY_LIMIT for _, _, other in picked):
                continue
            extra = len(sentence) + (1 if picked else 0)
            if length + extra > self.max_chars:
                continue
            picked.append((index, sentence, sentence_words))
            length += extra
        if not picked:
            fallback = document.dek or next(iter(document.paragraphs), "") or document.title
            return _clip(fallback, self.max_chars)
        return " ".join(sentence for _, sentence, _ in sorted(picked, key=lambda item: item[0]))


def _words_overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / max(1, min(len(a), len(b)))


def _clip(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"
