"""Small text helpers shared by the parser, the summarizer, answer ranking and replies."""

from __future__ import annotations

import re

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers him his how i if in into is it its itself just me more most my no nor not now
    of off on once only or other our out over own same she should so some such than that the their them
    then there these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours also""".split()
)

# The core's cards are Markdown; feed text must not add any. A backslash before any punctuation is literal in
# Discord's Markdown (and in CommonMark). Line-start marks (headings, quotes, lists) only matter at a line start.
_MARKDOWN_MARKS = re.compile(r"([\\*_~`|\[\]<>])")  # without [ ], ( ) cannot make a link
_LINE_MARKS = re.compile(r"^([ \t]*(?:\d+(?=\.\s))?)([#>\-+.])", re.MULTILINE)
_WORD = re.compile(r"[\w']+", re.UNICODE)
_SPACES = re.compile(r"\s+")
# After '.', '!' or '?' (and a closing quote) and a space, before anything but a lowercase letter: capitals of
# every script, digits, quotes, Korean. Text is split after its spaces are made single, so each pattern starts
# with a literal space, which the regex engine finds fast; the look-behind then checks what precedes it.
_SENTENCE_END = re.compile(r" (?:(?<=[.!?] )|(?<=[.!?][\"'”’»)\]] ))(?=[^\s\W_]|[\"'“‘«(\[¿¡])")
# The same for ASCII text, where a capital or digit must follow: no lowercase check is needed afterwards.
_ASCII_SENTENCE_END = re.compile(r" (?:(?<=[.!?] )|(?<=[.!?][\"')\]] ))(?=[A-Z0-9\"'(\[])")
# After the ideographic full stop and the full-width marks, with or without a space.
_CJK_SENTENCE_END = re.compile(r"(?:(?<=[。！？])|(?<=[。！？][」』”’）)]))\s*(?=[^\s」』”’）)])")
_CJK_MARKS = ("。", "！", "？")


def words(text: str) -> list[str]:
    return [w.strip("'").lower() for w in _WORD.findall(text) if w.strip("'")]


def split_sentences(text: str) -> list[str]:
    text = _SPACES.sub(" ", text).strip()
    if not text:
        return []
    if text.isascii():  # most text, and the fast path: one split
        return [part for part in _ASCII_SENTENCE_END.split(text) if part]
    parts = _SENTENCE_END.split(text)
    if any(mark in text for mark in _CJK_MARKS):  # a second pattern, only for text that needs it
        parts = [piece for part in parts for piece in _CJK_SENTENCE_END.split(part)]
    sentences: list[str] = []
    for part in parts:
        part = part.strip()
        if not part:
            continue
        if sentences and part[0].islower():  # "e.g. this" or "U.S. officials": not a new sentence
            sentences[-1] = f"{sentences[-1]} {part}"
        else:
            sentences.append(part)
    return sentences


def plural(count: int, noun: str) -> str:
    """The count and the noun in the right number: `1 story`, `2 stories`, `1 minute`, `0 global stories`."""
    if count == 1:
        return f"{count} {noun}"
    if noun.endswith("y") and noun[-2:-1] not in tuple("aeiou"):
        return f"{count} {noun[:-1]}ies"
    return f"{count} {noun}s"


def escape_markdown(text: str) -> str:
    """Text shown as itself inside a card: Markdown marks, masked links and `<…>` mentions made literal."""
    return _LINE_MARKS.sub(r"\1\\\2", _MARKDOWN_MARKS.sub(r"\\\1", text))
