"""Slack's Block Kit limits, and fitting mrkdwn into them without breaking a link or an escape.

`split_mrkdwn` is `bot.limits.split_text` (same break preferences, same hard cut of an over-long word) with
one more rule: a cut never falls inside a `<…>` link or date, nor inside an `&amp;`/`&lt;`/`&gt;` escape, so a
piece of a link can never reach Slack as stray `<` syntax. Lengths are measured on the mrkdwn as sent,
escapes included, because that is what Slack counts. `check_message` is the last-line guard the renderer runs
on every message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.limits import CONTINUATION_MARKER, ELLIPSIS, split_text

__all__ = [
    "FALLBACK_LENGTH",
    "MAX_BLOCKS",
    "MAX_CONTEXT_ELEMENTS",
    "MAX_CONTEXT_TEXT",
    "MAX_FIELD_NAME",
    "MAX_FIELD_TEXT",
    "MAX_HEADER_TEXT",
    "MAX_SECTION_FIELDS",
    "MAX_SECTION_TEXT",
    "MAX_TEXT",
    "MAX_TITLE",
    "check_message",
    "split_mrkdwn",
    "truncate_mrkdwn",
]

# --- Slack limits (https://api.slack.com/reference/block-kit/blocks) ---------------------------------
MAX_BLOCKS = 50  # blocks per message
MAX_SECTION_TEXT = 3000  # a section's text
MAX_HEADER_TEXT = 150  # a header's plain_text
MAX_SECTION_FIELDS = 10  # fields per section
MAX_FIELD_TEXT = 2000  # one section field
MAX_CONTEXT_ELEMENTS = 10
MAX_CONTEXT_TEXT = 3000  # one context element's text, like any text object
MAX_TEXT = 40000  # the top-level `text` of a message

# --- our own choices ---------------------------------------------------------------------------------
MAX_TITLE = MAX_HEADER_TEXT  # a linked title (a section) is cut like a header, so cards look alike
MAX_FIELD_NAME = 150  # field names are labels, shown in bold above the value
# The top-level text is only the notification and fallback: a screenful, not a second copy of the blocks.
FALLBACK_LENGTH = 1000

_ENTITIES = ("&amp;", "&lt;", "&gt;")


def _atom_at(text: str, cut: int) -> tuple[int, int] | None:
    """The span of the `<…>` link or `&…;` escape that cutting `text` at `cut` would break, or None.

    Every `<` and `>` in our mrkdwn belongs to a link or date the renderer built (all other text is escaped),
    so the last `<` before the cut opens an atom, and the cut is inside it unless its `>` comes before.
    """
    opening = text.rfind("<", 0, cut)
    if opening != -1 and text.find(">", opening, cut) == -1:
        closing = text.find(">", cut)
        return opening, len(text) if closing == -1 else closing + 1
    for start in range(max(0, cut - 4), cut):
        for entity in _ENTITIES:
            if text.startswith(entity, start) and cut < start + len(entity):
                return start, start + len(entity)
    return None


def _first_chunk(text: str, limit: int) -> tuple[str, int]:
    """The first chunk of stripped `text` (longer than `limit`) and how many characters of `text` it used."""
    head = split_text(text[: limit + 2], limit)[0]  # the window holds every break split_text looks at
    soft = text.startswith(head) and text[len(head)].isspace()
    used = len(head) if soft else len(head) - len(CONTINUATION_MARKER)
    atom = _atom_at(text, used)
    if atom is None:
        return head, used
    start, end = atom
    if start > 0:  # break just before the atom
        return text[:start].rstrip(), start
    if end <= limit:  # the atom opens the text and fits: break just after it
        return text[:end], end
    return head, used  # one atom longer than the limit cannot stay whole (MAX_LINK_LENGTH rules this out)


def split_mrkdwn(text: str, limit: int) -> list[str]:
    """Split mrkdwn into chunks of at most `limit` characters, keeping every word and every link whole.

    Text that fits is returned as the single chunk, unchanged; blank text gives `[]`. Breaks are chosen as
    by `bot.limits.split_text`; a break that would fall inside a link or an escape moves to just before it.
    """
    if not text.strip():
        return []
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        head, used = _first_chunk(rest, limit)
        chunks.append(head)
        rest = rest[used:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks


def truncate_mrkdwn(text: str, limit: int) -> str:
    """Shorten mrkdwn to at most `limit` characters, ending with an ellipsis if anything was cut."""
    if len(text) <= limit:
        return text
    text = text.strip()
    if len(text) <= limit:
        return text
    head, _ = _first_chunk(text, limit - len(ELLIPSIS))
    return head.removesuffix(CONTINUATION_MARKER) + ELLIPSIS


# --- the guard ---------------------------------------------------------------------------------------------


def _text_problem(obj: Any, where: str, limit: int, kinds: tuple[str, ...]) -> str | None:
    if not isinstance(obj, Mapping) or obj.get("type") not in kinds:
        return f"{where} is not a {' or '.join(kinds)} text object"
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        return f"{where} is blank (Slack rejects empty text)"
    if len(text) > limit:
        return f"{where} is {len(text)} chars (limit {limit})"
    return None


_ANY_TEXT = ("mrkdwn", "plain_text")


def _list_problem(items: list[Any], where: str, limit: int) -> str | None:
    for i, item in enumerate(items):
        problem = _text_problem(item, f"{where}[{i}]", limit, _ANY_TEXT)
        if problem:
            return problem
    return None


def _block_problem(block: Mapping[str, Any], where: str) -> str | None:
    kind = block.get("type")
    if kind == "divider":
        return None
    if kind == "header":
        return _text_problem(block.get("text"), f"{where}.text", MAX_HEADER_TEXT, ("plain_text",))
    if kind == "section":
        fields = block.get("fields") or []
        if "text" not in block and not fields:
            return f"{where} has neither text nor fields"
        if "text" in block and (problem := _text_problem(block["text"], f"{where}.text", MAX_SECTION_TEXT, _ANY_TEXT)):
            return problem
        if len(fields) > MAX_SECTION_FIELDS:
            return f"{where} has {len(fields)} fields (limit {MAX_SECTION_FIELDS})"
        return _list_problem(fields, f"{where}.fields", MAX_FIELD_TEXT)
    if kind == "context":
        elements = block.get("elements") or []
        if not 1 <= len(elements) <= MAX_CONTEXT_ELEMENTS:
            return f"{where} has {len(elements)} elements (1 to {MAX_CONTEXT_ELEMENTS})"
        return _list_problem(elements, f"{where}.elements", MAX_CONTEXT_TEXT)
    return f"{where} has an unexpected type {kind!r}"


def check_message(message: Mapping[str, Any]) -> None:
    """Raise ValueError describing the first Slack limit `message` violates; return None if it is valid."""
    text = message.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("text (the notification fallback) is blank")
    if len(text) > MAX_TEXT:
        raise ValueError(f"text is {len(text)} chars (limit {MAX_TEXT})")
    blocks = message.get("blocks") or []
    if not blocks:
        raise ValueError("message has no blocks")
    if len(blocks) > MAX_BLOCKS:
        raise ValueError(f"message has {len(blocks)} blocks (limit {MAX_BLOCKS})")
    for i, block in enumerate(blocks):
        problem = _block_problem(block, f"blocks[{i}]")
        if problem:
            raise ValueError(problem)
