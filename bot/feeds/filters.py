"""A feed's include and exclude words: plain words or phrases, matched case-insensitively as whole words.

They are never patterns: each is escaped before it becomes a regular expression, so `c++` or `a.b` mean exactly
those characters."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from bot.errors import UserError

MAX_WORDS = 20
MAX_WORD_CHARS = 100


def split_words(text: str | None) -> tuple[str, ...]:
    """`"strike, rail union"` -> ("strike", "rail union"): comma-separated words or phrases, spaces folded."""
    if not text:
        return ()
    return clean_words(text.split(","))


def clean_words(words: Sequence[str]) -> tuple[str, ...]:
    """Each word or phrase with its spaces folded, empty ones dropped, repeats (any case) once; UserError when
    there are too many or one is too long."""
    found: dict[str, str] = {}
    for word in words:
        folded = " ".join(word.split())
        if folded:
            found.setdefault(folded.casefold(), folded)
    cleaned = tuple(found.values())
    if len(cleaned) > MAX_WORDS:
        raise UserError(f"Give at most {MAX_WORDS} include or exclude words.")
    long = next((w for w in cleaned if len(w) > MAX_WORD_CHARS), None)
    if long is not None:
        raise UserError(f"Keep each include or exclude word under {MAX_WORD_CHARS} characters.")
    return cleaned


@dataclass(frozen=True, slots=True)
class Filtered:
    word: str
    excluded: bool  # True: an exclude word is present; False: none of the include words is

    def sentence(self) -> str:
        if self.excluded:
            return f"it contains the exclude word “{self.word}”"
        return f"it contains none of the include words ({self.word})"


def _pattern(word: str) -> re.Pattern[str]:
    # Whole words: "art" does not match "party". A phrase's spaces match any run of spaces.
    body = r"\s+".join(re.escape(part) for part in word.casefold().split())
    return re.compile(rf"(?<!\w){body}(?!\w)")


@dataclass(frozen=True)
class WordFilter:
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @cached_property
    def _include(self) -> list[re.Pattern[str]]:
        return [_pattern(w) for w in self.include]

    @cached_property
    def _exclude(self) -> list[tuple[str, re.Pattern[str]]]:
        return [(w, _pattern(w)) for w in self.exclude]

    def check(self, text: str) -> Filtered | None:
        """None when the text passes; else why it was filtered."""
        if not self.include and not self.exclude:
            return None
        folded = text.casefold()
        for word, pattern in self._exclude:
            if pattern.search(folded):
                return Filtered(word, excluded=True)
        if self.include and not any(p.search(folded) for p in self._include):
            return Filtered(", ".join(self.include), excluded=False)
        return None
