"""Answer a question from a story's own text: rank its passages with BM25, favouring matching headings.

Three rules of news writing sit on top (measured by `python -m bench.answers`): the introduction counts half, since
the sections say the same at more length; a section headed by the same kind of question ("Why now?" for "why is
…") answers it; and a question of quantity is answered by a passage that gives a number (bot/question_kinds.py).

Terms are language-aware. Latin-script words are stemmed with the Snowball stemmer of the story's language (English,
German, French or Spanish, guessed from common function words), so "investigating" finds "investigation". Runs of
Han, Katakana and Hangul become overlapping character bigrams (bot/cjk.py says why): "韓国訪問" gives 韓国, 国訪,
訪問. Hiragana runs are mostly particles and endings and are skipped here.

When a story has developments, its passages are dated (bot/story_now.py): of the passages that answer a question,
the most recently reported comes first."""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Protocol

import snowballstemmer

from bot import cjk, markup
from bot.markup import Content
from bot.question_kinds import QuestionKind, gives_number, heading_kind, question_kind
from bot.story_model import Bullet, Section, SectionKind
from bot.text import STOPWORDS

INTRODUCTION = "Introduction"
_K1 = 1.2
_B = 0.75
_HEADING_WEIGHT = 1.5
# The introduction (dek and lead) summarises the sections, and /story show already shows it: when a section says
# as much, its passage is the fuller answer, so the introduction's passages count half.
INTRODUCTION_WEIGHT = 0.5
# A section headed by the same kind of question ("Why now?" for "why is …") answers it even in other words.
KIND_WEIGHT = 3.0
_GUESS_CHARS = 4000  # enough text to tell the language of a story apart
_MAX_EXAMPLES = 3
# Passages scoring at least this share of the best one answer the question too; among them the newest comes first,
# since a development supersedes what the story said before.
NEWER_FIRST_SHARE = 0.5


class Language(StrEnum):
    """Languages with their own stemmer and stop words; the value is the Snowball algorithm's name."""

    ENGLISH = "english"
    GERMAN = "german"
    FRENCH = "french"
    SPANISH = "spanish"


# Question words are stop words too, but a heading that asks the same question ("Why South Korea?") still counts.
_QUESTION_WORDS = {
    Language.ENGLISH: "why what how who when where which",
    Language.GERMAN: "warum wieso weshalb was wie wer wann wo welche welcher welches",
    Language.FRENCH: "pourquoi quoi comment qui quand où quel quelle quels quelles",
    Language.SPANISH: "por qué cómo quién quiénes cuándo dónde cuál cuáles",
}
# The commonest function words: they tell the language apart and carry no content. English uses bot.text's list.
_FUNCTION_WORDS = {
    Language.ENGLISH: "the and of to is that for with was are this from have has it be by were been",
    Language.GERMAN: """der die das und ist nicht mit den dem des ein eine einen einem einer auf für von zu zum zur im
        sich auch wird werden wurde sind hat haben noch oder aber dass es bei nach über vom am um als so wenn weil
        dann nur schon sehr sie er wir ihr ich sein seine ihre kein keine gibt geht""",
    Language.FRENCH: """le la les des est et une un du dans pour que qui pas sur au aux avec ce cette ces il elle ils
        elles ne se son sa ses leur leurs mais ou par plus été être sont ont fait font y en de""",
    Language.SPANISH: """el la los las del y es que en un una unos unas por para con se no su sus al lo está
        están son pero como más fue ha han sobre este esta estos estas hay muy sin ya de""",
}
STOP_WORDS = {
    language: frozenset(_FUNCTION_WORDS[language].split()) | frozenset(_QUESTION_WORDS[language].split())
    for language in Language
}
STOP_WORDS[Language.ENGLISH] |= STOPWORDS
_ALL_STOP_WORDS = frozenset().union(*STOP_WORDS.values())
_ALL_QUESTION_WORDS = frozenset(" ".join(_QUESTION_WORDS.values()).split())
# Word -> the languages it suggests. Words common to English and another language ("a", "no") suggest neither.
_MARKERS: dict[str, tuple[Language, ...]] = {}
for _language, _words in _FUNCTION_WORDS.items():
    for _word in {*_words.split(), *_QUESTION_WORDS[_language].split()}:
        _MARKERS[_word] = (*_MARKERS.get(_word, ()), _language)

# CJK tokens that are question words or glue: "왜" (why), "何" (what), "什么" (what), "为什么" (why), "吗" (?).
_CJK_QUESTION = frozenset(
    """왜 왜요 뭐 뭐가 뭔가요 무엇 무엇을 무엇이 무엇인가요 무슨 어떻게 어떤 어때요 누가 누구 누구를 언제 어디
    어디서 어디에 얼마나 何 誰 为什 什么 如何""".split()
)
_CJK_STOP = frozenset(
    """있나요 했나요 하나요 인가요 입니까 합니까 됩니까 했습니까 있습니까 인지 그리고 그러나
    및 등 것 수 더 또 또한 위해 대한 대해 통해 이 그 저 은 는 가 을 를 의 에 와 과 도 로 만
    的 了 是 在 和 吗 呢 吧 也 都 就 怎么 哪里 谁 是否 多少 什 为""".split()
)

_TOKEN = re.compile(
    f"(?P<han>[{cjk.HAN}]+)|(?P<katakana>[{cjk.KATAKANA}]+)|(?P<hiragana>[{cjk.HIRAGANA}]+)"
    f"|(?P<hangul>[{cjk.HANGUL}]+)|(?P<word>[^\\W_{cjk.ALL}]+(?:'[^\\W_{cjk.ALL}]+)*)"
)
_LATIN_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
# "l'agriculture" is "agriculture"; "what's" and "isn't" are "what" and "is" as far as stop words go.
_ELIDED = frozenset("l d j m n s t c qu lorsqu puisqu jusqu".split())
_CLITICS = frozenset("s t re ve ll d m".split())
_HEADING_END = (":", "?", "：", "？")
_SENTENCE_BREAK = re.compile(r"[.!?。！？]\s")
_HEADING_MAX_CHARS = 120


@dataclass(frozen=True, slots=True)
class Passage:
    section: str
    text: str
    reported_at: datetime | None = None  # set when the story has developments (bot/story_now.py)
    introduction: bool = False  # the text before the first heading: it sums up what the sections tell


@dataclass(frozen=True, slots=True)
class ScoredPassage:
    passage: Passage
    score: float


class _Stemmer(Protocol):
    def stemWord(self, word: str) -> str: ...  # noqa: N802 (Snowball's name)


_stemmers = threading.local()  # Snowball stemmer objects keep state while they work: one set per thread


def _stemmer(language: Language) -> _Stemmer:
    cache: dict[Language, _Stemmer] | None = getattr(_stemmers, "by_language", None)
    if cache is None:
        cache = _stemmers.by_language = {}
    if language not in cache:
        cache[language] = snowballstemmer.stemmer(language.value)
    return cache[language]


@lru_cache(maxsize=65536)
def stem(word: str, language: Language = Language.ENGLISH) -> str:
    """The Snowball stem, without accents so that `reclament` typed plainly still finds `réclament`."""
    stemmed = _stemmer(language).stemWord(word)
    if stemmed.isascii():
        return stemmed
    return "".join(c for c in unicodedata.normalize("NFKD", stemmed) if not unicodedata.combining(c))


def guess_language(text: str) -> Language:
    """English unless another language's function words are clearly more common in the text."""
    # Marker words are Latin: a plain word pattern finds them at half the cost of _TOKEN, and one Counter
    # over all hits costs a tenth of updating it word by word.
    words = _LATIN_WORD.findall(_normalise(text[:_GUESS_CHARS]))
    counts = Counter(language for word in words for language in _MARKERS.get(word, ()))
    best = max(Language, key=lambda language: (counts[language], language is Language.ENGLISH))
    return best if counts[best] > counts[Language.ENGLISH] else Language.ENGLISH


@lru_cache(maxsize=len(Language))
def _stop_words(language: Language) -> frozenset[str]:
    # English stop words stay stop words in a German story: people ask in English about any story.
    return STOP_WORDS[language] | STOP_WORDS[Language.ENGLISH]


def _normalise(text: str) -> str:
    # NFKC folds full-width Latin and half-width Katakana into their usual forms.
    return unicodedata.normalize("NFKC", text).replace("’", "'").lower()


def _unelide(word: str) -> str:
    head, _, tail = word.partition("'")
    return tail if tail and head in _ELIDED else word


def _base(word: str) -> str:
    """The word a contraction is built on, for the stop-word check: `what's` -> what, `isn't` -> is."""
    head, _, tail = word.partition("'")
    if tail not in _CLITICS:
        return word
    return head.removesuffix("n") if tail == "t" and head.endswith("n") and head != "can" else head


def terms(text: str, keep_question_words: bool = False, language: Language | None = None) -> list[str]:
    """Content terms of a text: stemmed words, and bigrams of CJK runs; stop words left out."""
    language = language or guess_language(text)
    return _terms(text, language, _stop_words(language), keep_question_words)


def asks_about_nothing(question: str) -> bool:
    """True for a question made only of stop and question words in any language ("what is it?", "warum?")."""
    return not _terms(question, Language.ENGLISH, _ALL_STOP_WORDS, keep_question_words=False)


def _terms(text: str, language: Language, stop: frozenset[str], keep_question_words: bool) -> list[str]:
    found: list[str] = []
    for match in _TOKEN.finditer(_normalise(text)):
        kind, token = match.lastgroup, match.group()
        if kind == "word":
            base = token
            if "'" in token:  # most words have none: skip the two calls
                token = _unelide(token)
                base = _base(token)
            if base not in stop:
                found.append(stem(token, language))
            elif keep_question_words and base in _ALL_QUESTION_WORDS:
                found.append(base)
        elif kind == "hiragana":
            continue
        elif token in _CJK_QUESTION:
            if keep_question_words:
                found.append(token)
        elif token not in _CJK_STOP:
            run = cjk.without_particle(token) if kind == "hangul" else token
            found += (gram for gram in cjk.bigrams(run) if gram not in _CJK_STOP and gram not in _CJK_QUESTION)
    return found


def _heading_like(text: str) -> bool:
    """A short line ending in ':' or '?' that introduces text rather than saying something itself."""
    text = text.strip()
    return text.endswith(_HEADING_END) and len(text) <= _HEADING_MAX_CHARS and not _SENTENCE_BREAK.search(text)


def section_passages(
    heading: str,
    paragraphs: Iterable[str],
    bullets: tuple[Bullet, ...],
    reported_at: datetime | None = None,
    *,
    introduction: bool = False,
) -> list[Passage]:
    """A section's passages. A heading-like line is never a passage alone: it opens the text it introduces."""
    texts: list[str] = []
    waiting: list[str] = []  # lines like "What the plan does:" that wait for their paragraph
    lead_ins: list[str] = []  # "…signifies Meta's commitment to:" before the section's list
    for paragraph in (p.strip() for p in paragraphs):
        if not paragraph:
            continue
        if _heading_like(paragraph):
            (lead_ins if paragraph.endswith((":", "：")) and bullets else waiting).append(paragraph)
            continue
        texts.append(" ".join([*waiting, paragraph]))
        waiting = []
    prefix = " ".join([*lead_ins, *waiting])
    for bullet in bullets:
        rendered = bullet.render().strip()
        if rendered and not _heading_like(rendered):
            texts.append(f"{prefix} {rendered}" if prefix else rendered)
    return [Passage(heading, text, reported_at, introduction) for text in texts]


def passages(dek: str, lead: tuple[str, ...], sections: tuple[Section, ...]) -> list[Passage]:
    found = section_passages(INTRODUCTION, (dek, *lead), (), introduction=True)
    for section in sections:
        found += section_passages(section.heading, section.paragraphs, section.bullets)
    return found


def story_language(candidates: list[Passage]) -> Language:
    sample: list[str] = []
    size = 0
    for passage in candidates:
        if size >= _GUESS_CHARS:
            break
        sample.append(passage.text)
        size += len(passage.text)
    return guess_language("\n".join(sample))


@lru_cache(maxsize=8192)
def _passage_terms(text: str, language: Language) -> Counter[str]:
    return Counter(terms(text, language=language))


def rank(question: str, candidates: list[Passage], limit: int = 3) -> list[ScoredPassage]:
    """Best passages first. Empty when no content word of the question appears in the story."""
    if not candidates:
        return []
    language = story_language(candidates)  # question and story stemmed alike, so their stems meet
    content_terms = set(terms(question, language=language))
    if not content_terms:
        return []
    query = set(terms(question, keep_question_words=True, language=language))
    kind = question_kind(question)
    # "What's next?", "Wie geht es weiter?": asked in the words of an outlook heading, answered by that section.
    looks_ahead = SectionKind.for_heading(question) is SectionKind.OUTLOOK
    documents = [_passage_terms(p.text, language) for p in candidates]
    average = sum(sum(d.values()) for d in documents) / len(documents) or 1.0
    frequency = Counter(t for d in documents for t in d)
    scored: list[ScoredPassage] = []
    headings: dict[str, set[str]] = {}  # many passages share a section: its terms once
    for passage, counts in zip(candidates, documents, strict=True):
        length = sum(counts.values())
        score = 0.0
        for term in content_terms:
            tf = counts.get(term, 0)
            if tf:
                idf = math.log(1 + (len(documents) - frequency[term] + 0.5) / (frequency[term] + 0.5))
                score += idf * tf * (_K1 + 1) / (tf + _K1 * (1 - _B + _B * length / average))
        heading_terms = headings.get(passage.section)
        if heading_terms is None:
            heading_terms = headings[passage.section] = set(
                terms(passage.section, keep_question_words=True, language=language)
            )
        heading_hits = len(query & heading_terms)
        if heading_hits and (content_terms & heading_terms or score > 0):
            score += _HEADING_WEIGHT * heading_hits
        if passage.introduction:
            score *= INTRODUCTION_WEIGHT
        elif kind not in (None, QuestionKind.ANY) and _heading_kind(passage.section) is kind:
            score += KIND_WEIGHT
        elif looks_ahead and _section_kind(passage.section) is SectionKind.OUTLOOK:
            score += KIND_WEIGHT
        if score > 0:
            scored.append(ScoredPassage(passage, score))
    if kind is QuestionKind.QUANTITY and any(gives_number(s.passage.text) for s in scored):
        scored = [s for s in scored if gives_number(s.passage.text)]  # "how many" is answered by a figure
    scored.sort(key=lambda s: -s.score)
    return _newer_first(scored)[:limit]


@lru_cache(maxsize=4096)
def _heading_kind(heading: str) -> QuestionKind | None:
    return heading_kind(heading)


@lru_cache(maxsize=4096)
def _section_kind(heading: str) -> SectionKind:
    return SectionKind.for_heading(heading)


def _newer_first(scored: list[ScoredPassage]) -> list[ScoredPassage]:
    """Best first, except that of the passages that answer (NEWER_FIRST_SHARE), the most recently reported lead."""
    if not scored or not any(s.passage.reported_at for s in scored):
        return scored
    floor = NEWER_FIRST_SHARE * scored[0].score
    answering = [s for s in scored if s.score >= floor]
    # A stable sort: passages reported together keep their score order.
    answering.sort(key=lambda s: s.passage.reported_at or datetime.min.replace(tzinfo=UTC), reverse=True)
    return answering + scored[len(answering) :]


def example_questions(sections: tuple[Section, ...], limit: int = _MAX_EXAMPLES) -> list[str]:
    """Questions this story answers, from its own headings: questions first ("why south korea"), then topics."""
    asked: list[str] = []
    topics: list[str] = []
    for section in sections:
        heading = section.heading.strip()
        text = _normalise(heading).rstrip(":?：？ ").strip()
        if not text or asks_about_nothing(text) or text in asked or text in topics:
            continue
        (asked if heading.endswith(("?", "？")) else topics).append(text)
    return (asked + topics)[:limit]


def ask_hint(sections: tuple[Section, ...]) -> Content:
    """The reply to a question with nothing to look for in it."""
    examples = [markup.code(q) for q in example_questions(sections)]
    if not examples:
        return "Ask about something in the story: a name, a place or an event it mentions."
    listed = examples[0] if len(examples) == 1 else markup.text(markup.join(", ", examples[:-1]), " or ", examples[-1])
    return markup.text("Ask about something in the story, e.g. ", listed, ".")


def clean_question(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
