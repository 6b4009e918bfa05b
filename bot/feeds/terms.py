"""Text to weighted terms for matching: words, names, numbers, and how rare each is in ordinary news.

- **Terms** are lower-cased words with stop words removed and a light suffix stemmer applied, so that "strikes",
  "striking" and "strike" agree. Numbers are kept as they are written ("5.5", "2400"), because a number is
  often the one fact that names an event.
- **Names** are the terms a text only ever writes with a capital, such as "Nordhaven" or "Whitlock". "Port" is
  not a name when the same text also says "the port". Title Case headlines give no evidence either way.
- **Background** counts the documents each term appears in among items that matched no story. Rarity
  (inverse document frequency) is measured against ordinary news, not against the stories themselves, so a
  story's own vocabulary keeps its weight however many developments repeat it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from bot.text import STOPWORDS

# News boilerplate and job titles: present in every story about anyone, so they say nothing about which story.
NEWS_STOPWORDS = frozenset(
    """said says say saying told tells according new year years week weeks month months day days monday tuesday
    wednesday thursday friday saturday sunday today yesterday tomorrow per cent percent would could will may might
    must also first one two three last next more most than its it's like well many much even still back since
    chief executive ceo president head leader boss director officer chairman chairwoman spokesman spokeswoman
    spokesperson minister mr mrs ms dr company companies group firm official officials people us january february
    march april june july august september october november december""".split()
)
_STOP = STOPWORDS | NEWS_STOPWORDS
_TOKEN = re.compile(r"(\d+(?:[.,]\d+)*)|([^\W\d_]+(?:['’][^\W\d_]+)*)")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?:;])\s+|\n+")


def stem(word: str) -> str:
    """A light English suffix stripper: plural, -ing, -ed and a final -e, enough to make inflections agree."""
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 4 and word.endswith("sses"):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed", "e"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _tokens(text: str) -> list[tuple[str, bool]]:
    """(raw token, is a number) pairs; a thousands separator is dropped from numbers ("2,400" -> "2400")."""
    out: list[tuple[str, bool]] = []
    for number, word in _TOKEN.findall(text):
        if number:
            out.append((number.replace(",", "") if re.fullmatch(r"\d{1,3}(?:,\d{3})+", number) else number, True))
        else:
            out.append((word, False))
    return out


def _title_case(words: list[str]) -> bool:
    long_words = [w for w in words if len(w) > 3]
    return len(long_words) >= 3 and sum(w[0].isupper() for w in long_words) >= 0.7 * len(long_words)


@dataclass(frozen=True, slots=True)
class Analysed:
    """A text's terms with their counts; which of them are names, and which names are settings.

    A *setting* is a name right after "in", "to", "at", "near", "visit" and the like: where something happens.
    `lowercase` is every term the text wrote in lower case (it teaches the matcher's vocabulary).
    """

    counts: Counter[str]
    names: frozenset[str]
    settings: frozenset[str] = frozenset()
    lowercase: frozenset[str] = frozenset()


_SETTING_WORDS = frozenset(
    """in to at near from outside across into around toward towards visit visits visited visiting tour tours
    toured touring""".split()
)


def analyse(parts: Iterable[tuple[str, float]], vocabulary: frozenset[str] | set[str] = frozenset()) -> Analysed:
    """Weighted texts (for example title ×2, summary ×1) -> term counts and names, judged over all of them.

    A capitalised word is a name when the text never writes it in lower case and either it is capitalised in
    mid-sentence or, at the start of a sentence, `vocabulary` (words seen in lower case elsewhere) does not know it.
    """
    parts = [(text, weight) for text, weight in parts if text]
    tokenised = [(_tokens(text), weight) for text, weight in parts]
    lowercase = {stem(raw) for tokens, _ in tokenised for raw, number in tokens if not number and raw[:1].islower()}
    mid_sentence: set[str] = set()
    initial: set[str] = set()
    setting_raw: set[str] = set()
    for text, _ in parts:
        for sentence in _SENTENCE_SPLIT.split(text):
            words = [raw for raw, number in _tokens(sentence) if not number]
            if not words or _title_case(words):
                continue
            initial.add(words[0])
            for position in range(1, len(words)):
                word = words[position]
                if not word[:1].isupper():
                    continue
                mid_sentence.add(word)
                before = words[position - 1].lower()
                if before == "the" and position > 1:
                    before = words[position - 2].lower()  # "in the Serra Alta"
                if before in _SETTING_WORDS:
                    setting_raw.add(word)
    counts: Counter[str] = Counter()
    names: set[str] = set()
    settings: set[str] = set()
    for tokens, weight in tokenised:
        for raw, number in tokens:
            if number:
                counts[raw] += weight
                continue
            lower = raw.lower()
            if lower in _STOP or len(lower) < 2:
                continue
            term = stem(lower)
            counts[term] += weight
            if term in lowercase:
                continue
            if raw in mid_sentence or (raw in initial and term not in vocabulary):
                names.add(term)
                if raw in setting_raw:
                    settings.add(term)
    return Analysed(counts, frozenset(names), frozenset(settings), frozenset(lowercase))


EPOCH_GROWTH = 1.05


class Background:
    """Document frequencies of ordinary news: the items that matched no story.

    `prior` pseudo-documents contain no term at all, so that before much news has been seen every term counts as
    rare rather than the first few items defining what is common.
    """

    def __init__(self, prior: int = 20) -> None:
        self.documents = 0
        self.prior = prior
        self.frequency: Counter[str] = Counter()
        # Stories' weighted vectors are cached per epoch, and an epoch ends when the background has grown by 5%:
        # recomputing every vector after each item would cost more than all the rest of matching.
        self.epoch = 0
        self._epoch_size = prior
        # idf by document frequency, for the current document count: most terms share a handful of frequencies
        # (0, 1, 2…), so a logarithm per frequency instead of per term. Emptied by every `add`.
        self._idf_by_frequency: dict[int, float] = {}

    def add(self, terms: Iterable[str]) -> None:
        self.documents += 1
        self.frequency.update(set(terms))
        self._idf_by_frequency = {}
        if self.documents + self.prior >= EPOCH_GROWTH * self._epoch_size:
            self.epoch += 1
            self._epoch_size = self.documents + self.prior

    def idf(self, term: str) -> float:
        frequency = self.frequency.get(term, 0)
        value = self._idf_by_frequency.get(frequency)
        if value is None:
            value = self._idf_by_frequency[frequency] = math.log((self.documents + self.prior) / (frequency + 0.5))
        return value

    def weigh_logged(self, log_tf: dict[str, float]) -> dict[str, float]:
        """`weigh` for counts already turned into ln(1 + tf): the same values, without a call per term."""
        frequency, cached, documents = self.frequency.get, self._idf_by_frequency, self.documents + self.prior
        out: dict[str, float] = {}
        for term, logged in log_tf.items():
            f = frequency(term, 0)
            idf = cached.get(f)
            if idf is None:
                idf = cached[f] = math.log(documents / (f + 0.5))
            out[term] = logged * idf
        return out


def weigh(counts: Counter[str], background: Background) -> dict[str, float]:
    """Sublinear term frequency times rarity: ln(1 + tf) · idf (tf is weighted, so it may be a fraction)."""
    return background.weigh_logged(log_tf(counts))


def log_tf(counts: Counter[str]) -> dict[str, float]:
    """ln(1 + tf) of the terms that occur: the part of a weight that the background does not move."""
    return {term: math.log1p(count) for term, count in counts.items() if count > 0}


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    dot = sum(weight * b[term] for term, weight in a.items() if term in b)
    if not dot:
        return 0.0
    return dot / (math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values())))
