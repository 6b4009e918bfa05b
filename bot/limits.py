"""Fit any `Reply` into Discord's message and embed limits, without importing discord.py.

`paginate` is the entry point: it turns one platform-neutral `Reply` into a list of `MessagePart`s,
each of which can be sent as a single Discord message. `check_message` is the last-line guard the
renderer runs on every part before sending it.

Choices (see also the docstrings):

* Lengths are Python `len()` (code points), as Discord counts them for nearly all text, of the Markdown a card's
  markup becomes (`bot.markdown`): escapes and link syntax count. A span other than plain text is never cut.
* Text is split at paragraph breaks, then line breaks, then sentence ends, then spaces; a break is only
  preferred if it keeps the chunk at least half full, so one early blank line does not produce a tiny
  message. Only whitespace is dropped: around the text and at each split point.
* A word longer than the limit is hard-cut; every piece but the last ends with `CONTINUATION_MARKER`.
* Over-long field values are *split* into extra fields named "Name (cont.)" (no content is lost);
  titles, field names and footers are *truncated* with `ELLIPSIS`.
* Continuation cards keep the title with a " (cont.)" suffix. Only the first card keeps the URL
  (Discord merges embeds that share a URL, showing only the first one's text); only the last card
  gets the footer and the timestamp.
* Blank field names/values (Discord rejects them) become a zero-width space; a card with no visible
  text at all is dropped.
* An empty `Reply` becomes one part reading `EMPTY_REPLY_TEXT`, since an interaction must be answered.
* Text chunks come first, and the first batch of cards rides on the last text chunk, so the reading
  order of the reply is kept.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

from bot import markup
from bot.cards import Card, CardField, Reply
from bot.markdown import to_markdown
from bot.markup import Content, Kind, Markup, Span

__all__ = [
    "CONTINUATION_MARKER",
    "CONTINUED_SUFFIX",
    "ELLIPSIS",
    "EMPTY_REPLY_TEXT",
    "MAX_CONTENT",
    "MAX_DESCRIPTION",
    "MAX_EMBEDS",
    "MAX_EMBED_TOTAL",
    "MAX_FIELDS",
    "MAX_FIELD_NAME",
    "MAX_FIELD_VALUE",
    "MAX_FOOTER",
    "MAX_TITLE",
    "ZERO_WIDTH_SPACE",
    "MessagePart",
    "check_message",
    "embed_length",
    "paginate",
    "size",
    "split_card",
    "split_content",
    "split_text",
    "truncate",
    "truncate_content",
]

# --- Discord limits ---------------------------------------------------------------------------
MAX_CONTENT = 2000  # message content
MAX_TITLE = 256  # embed title
MAX_DESCRIPTION = 4096  # embed description
MAX_FIELDS = 25  # fields per embed
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048  # footer text
MAX_EMBED_TOTAL = 6000  # title + description + field names + values + footer, summed over a message
MAX_EMBEDS = 10  # embeds per message

# --- markers ----------------------------------------------------------------------------------
ELLIPSIS = "…"  # appended by truncate()
CONTINUATION_MARKER = "…"  # ends each piece of a hard-split word
CONTINUED_SUFFIX = " (cont.)"  # continuation card titles and field names
ZERO_WIDTH_SPACE = "\u200b"  # stand-in for blank field names/values
EMPTY_REPLY_TEXT = "(nothing to show)"

_ZWJ = "\u200d"
# A sentence end: punctuation, optional closing quotes/brackets, then whitespace (not consumed).
_SENTENCE_END = re.compile(r"[.!?]+[\"'’”)\]]*(?=\s)")
_MAX_BACKOFF = 16  # how far a hard cut may move left to avoid splitting a character cluster


@dataclass(frozen=True, slots=True)
class MessagePart:
    """One Discord message: content plus up to ten cards (embeds)."""

    content: Content
    cards: tuple[Card, ...] = ()


# --- text helpers -----------------------------------------------------------------------------


def _is_extender(ch: str) -> bool:
    """True for code points that belong to the previous character (combining marks, ZWJ, modifiers)."""
    return (
        unicodedata.combining(ch) != 0
        or ch == _ZWJ
        or "\ufe00" <= ch <= "\ufe0f"  # variation selectors
        or "\U0001f3fb" <= ch <= "\U0001f3ff"  # skin-tone modifiers
        or "\U000e0020" <= ch <= "\U000e007f"  # tag characters (subdivision flags)
    )


def _splits_cluster(text: str, i: int) -> bool:
    """True if cutting `text` at `i` would separate a mark or joined emoji from its base character."""
    return 0 < i < len(text) and (_is_extender(text[i]) or text[i - 1] == _ZWJ)


def _safe_cut(text: str, pos: int) -> int:
    """Move a hard cut at `pos` a little left so it does not split a character cluster."""
    cut = pos
    while cut > max(1, pos - _MAX_BACKOFF) and _splits_cluster(text, cut):
        cut -= 1
    return pos if _splits_cluster(text, cut) else cut  # a pathological run of marks: cut as asked


def _last_space(text: str, limit: int) -> int:
    """Index of the last whitespace at 1..limit, or 0 if there is none."""
    for i in range(min(limit, len(text) - 1), 0, -1):
        if text[i].isspace():
            return i
    return 0


def _break_point(text: str, limit: int) -> int:
    """Where to split `text` (stripped, longer than `limit`): index of a whitespace char, 0 if none.

    The chunk is text[:index]. Paragraph, line and sentence breaks win only if they keep the chunk at
    least half full; otherwise the last space in the window is used.
    """
    floor = max(1, limit // 2)
    paragraph = text.rfind("\n\n", 0, limit + 2)
    if paragraph >= floor:
        return paragraph
    line = text.rfind("\n", 0, limit + 1)
    if line >= floor:
        return line
    sentence = 0
    for match in _SENTENCE_END.finditer(text, 0, limit + 1):
        sentence = match.end()
    if sentence >= floor:
        return sentence
    return _last_space(text, limit)


def truncate(text: str, limit: int, marker: str = ELLIPSIS) -> str:
    """Shorten `text` to at most `limit` characters, ending with `marker` if anything was cut.

    Text that fits is returned unchanged (text that only fits once its surrounding whitespace is
    stripped is returned stripped). Otherwise the cut falls on the last word boundary that leaves room
    for the marker; a first word longer than that is hard-cut. If the limit leaves no room for one
    character plus the marker, the text is hard-cut without a marker.
    """
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    if len(text) <= limit:
        return text
    text = text.strip()
    if len(text) <= limit:
        return text
    if limit <= len(marker):
        return text[: _safe_cut(text, limit)]
    budget = limit - len(marker)
    space = _last_space(text, budget)
    head = text[:space].rstrip() if space else text[: _safe_cut(text, budget)]
    return head + marker


def split_text(text: str, limit: int = MAX_CONTENT) -> list[str]:
    """Split `text` into chunks of at most `limit` characters, keeping every word in order.

    Text that fits is returned as the single chunk, unchanged; blank text gives `[]`. Otherwise the
    text is stripped and split at paragraph breaks, line breaks, sentence ends or spaces (in that order
    of preference, see `_break_point`); the whitespace at each split is dropped. A word longer than
    the limit is hard-cut, every piece but the last ending with `CONTINUATION_MARKER` (when the limit
    leaves room for it).
    """
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    if not text.strip():
        return []
    if len(text) <= limit:
        return [text]
    marker = CONTINUATION_MARKER if limit > len(CONTINUATION_MARKER) else ""
    chunks: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        split_at = _break_point(rest, limit)
        if split_at:
            chunks.append(rest[:split_at].rstrip())
            rest = rest[split_at:].lstrip()
        else:  # one word longer than the limit: the window holds no whitespace
            cut = _safe_cut(rest, limit - len(marker))
            chunks.append(rest[:cut] + marker)
            rest = rest[cut:]
    chunks.append(rest)
    return chunks


# --- markup -----------------------------------------------------------------------------------
# Cards hold neutral markup (or literal str); their length is that of the Markdown the platform is sent
# (`bot.markdown`), escapes included. Splitting works on units: each character of a plain span, and each other
# span whole (a bold title, a link, a mention is never cut). Breaks are chosen as by `split_text`.

_ATOM = "\x00"  # a whole span's place in the text the break rules read: never whitespace


@lru_cache(maxsize=4096)  # a card is measured again at each step of splitting and packing
def size(value: Content | None) -> int:
    """Characters `value` takes once rendered as Markdown."""
    return len(to_markdown(value))


def _text_weights(text: str) -> list[int]:
    """Each character's length once escaped: 2 where `escape_markdown` puts a backslash before it, else 1."""
    escaped = to_markdown(text)
    if len(escaped) == len(text):  # nothing escaped: most text
        return [1] * len(text)
    weights: list[int] = []
    j = 0
    for ch in text:
        inserted = escaped[j] == "\\" and (ch != "\\" or escaped[j + 1 : j + 2] == "\\")
        weights.append(2 if inserted else 1)
        j += 2 if inserted else 1
    return weights


@dataclass(slots=True)
class _Units:
    """Markup as units: `text` has one character per unit (a whole span's is `_ATOM`), `weights` their Markdown
    lengths, `atoms` the whole spans by position."""

    text: str
    weights: list[int]
    atoms: dict[int, Span]

    def __len__(self) -> int:
        return len(self.text)

    def join(self, start: int, end: int) -> Markup:
        parts: list[str | Span] = []
        position = start
        for index in sorted(i for i in self.atoms if start <= i < end):  # a few links or bold words at most
            parts += [self.text[position:index], self.atoms[index]]
            position = index + 1
        parts.append(self.text[position:end])
        return markup.text(*parts)


def _units(value: Markup, most: int | None = None) -> tuple[_Units, Markup]:
    """Units for each character of a plain span and for each other span: the first `most` of them (all when
    None), and the markup after those. A piece never holds more units than its limit, so the rest waits."""
    chars: list[str] = []
    weights: list[int] = []
    atoms: dict[int, Span] = {}
    for index, span in enumerate(value.spans):
        room = len(weights) + 1 if most is None else most - len(weights)
        if room <= 0:
            return _Units("".join(chars), weights, atoms), Markup(value.spans[index:])
        if span.kind is not Kind.TEXT:
            atoms[len(weights)] = span
            chars.append(_ATOM)
            weights.append(size(Markup((span,))))
            continue
        head = span.text if most is None else span.text[:room]
        # One character more: whether a character is escaped depends on what follows it (`1.` before a space).
        weights += _text_weights(span.text[: len(head) + 1])[: len(head)]
        chars.append(head)
        if len(head) < len(span.text):
            rest = Markup((Span(Kind.TEXT, span.text[len(head) :]), *value.spans[index + 1 :]))
            return _Units("".join(chars), weights, atoms), rest
    return _Units("".join(chars), weights, atoms), Markup()


def _fitting(units: _Units, limit: int, tail: str = "") -> int:
    """The most leading units whose Markdown, followed by `tail`, is at most `limit` long.

    The units' own lengths give the count; the exact length is then checked, as a piece's first character can
    need an escape it did not need inside the line (a `-` that now starts it).
    """
    count = bisect_right(list(accumulate(units.weights)), limit - size(tail))
    while count and size(markup.text(units.join(0, count), tail)) > limit:
        count -= 1
    return count


def _flatten_first(units: _Units) -> _Units:
    """The first unit, a span too long for any piece, as its plain text: it is cut like a word."""
    return _units(markup.text(units.atoms[0].plain, units.join(1, len(units))))[0]


def _cut(units: _Units, limit: int) -> tuple[Markup, Markup]:
    """The first piece of `units` (whose Markdown is longer than `limit`) and the markup left after it."""
    fit = _fitting(units, limit)
    while fit == 0 and 0 in units.atoms and units.atoms[0].plain:
        units = _flatten_first(units)
        fit = _fitting(units, limit)
    split_at = _break_point(units.text, fit) if fit < len(units) else 0
    if split_at:
        return units.join(0, split_at).strip(), units.join(split_at, len(units))
    marker = CONTINUATION_MARKER if limit > len(CONTINUATION_MARKER) else ""
    cut = _safe_cut(units.text, max(1, _fitting(units, limit, marker)))
    return markup.text(units.join(0, cut), marker), units.join(cut, len(units))


def _same_type(value: Content, piece: Markup) -> Content:
    """A str stays a str: pieces of literal text are literal text."""
    return piece.plain if isinstance(value, str) else piece


def split_content(value: Content, limit: int) -> list[Content]:
    """`split_text` for markup: pieces whose Markdown is at most `limit` long, no span but plain text cut."""
    if not markup.plain(value).strip():
        return []
    if size(value) <= limit:
        return [value]
    pieces: list[Content] = []
    rest = markup.to_markup(value).strip()
    while size(rest) > limit:
        units, tail = _units(rest, limit + 2)  # the break rules look at most two characters past the limit
        piece, left = _cut(units, limit)
        pieces.append(_same_type(value, piece))
        rest = markup.text(left, tail).strip()
    if rest:
        pieces.append(_same_type(value, rest))
    return pieces


def truncate_content(value: Content, limit: int, marker: str = ELLIPSIS) -> Content:
    """`truncate` for markup: at most `limit` characters of Markdown, ending with `marker` if anything was cut."""
    if size(value) <= limit:
        return value
    rest = markup.to_markup(value).strip()
    if size(rest) <= limit:
        return _same_type(value, rest)
    units, _ = _units(rest, limit + 2)
    fit = _fitting(units, limit, marker)
    if fit == 0 and 0 in units.atoms:
        flat = _flatten_first(units)
        return truncate_content(flat.join(0, len(flat)), limit, marker)
    space = _last_space(units.text, fit) if fit < len(units) else 0
    head = units.join(0, space).strip() if space else units.join(0, _safe_cut(units.text, fit))
    return _same_type(value, markup.text(head, marker) if fit else head)


def _blank(value: Content | None) -> bool:
    return not markup.plain(value).strip()


# --- cards ------------------------------------------------------------------------------------


def embed_length(card: Card) -> int:
    """Characters `card` counts towards Discord's 6,000-per-message embed total."""
    return (
        size(card.title)
        + size(card.description)
        + sum(size(f.name) + size(f.value) for f in card.fields)
        + size(card.footer)
    )


def _is_blank(card: Card) -> bool:
    """True if the card shows no text at all (Discord would render an empty embed)."""
    return _blank(card.title) and _blank(card.description) and not card.fields and _blank(card.footer)


def _card_problem(card: Card, where: str) -> str | None:
    """Describe the first limit `card` violates on its own, or None."""

    def too_long(what: str, text: Content | None, limit: int) -> str | None:
        if size(text) > limit:
            return f"{where}.{what} is {size(text)} chars (limit {limit})"
        return None

    if _is_blank(card):
        return f"{where} has no visible text (Discord rejects empty embeds)"
    problem = too_long("title", card.title, MAX_TITLE) or too_long(
        "description", card.description, MAX_DESCRIPTION
    )
    if problem:
        return problem
    if len(card.fields) > MAX_FIELDS:
        return f"{where} has {len(card.fields)} fields (limit {MAX_FIELDS})"
    for i, f in enumerate(card.fields):
        for what, text, limit in (("name", f.name, MAX_FIELD_NAME), ("value", f.value, MAX_FIELD_VALUE)):
            if _blank(text):
                return f"{where}.fields[{i}].{what} is blank (Discord requires it)"
            problem = too_long(f"fields[{i}].{what}", text, limit)
            if problem:
                return problem
    problem = too_long("footer", card.footer, MAX_FOOTER)
    if problem:
        return problem
    if embed_length(card) > MAX_EMBED_TOTAL:
        return f"{where} totals {embed_length(card)} embed chars (limit {MAX_EMBED_TOTAL})"
    return None


def _continued(text: str, limit: int) -> str:
    """`text` with the continuation suffix, truncated so the whole stays within `limit`."""
    return str(truncate_content(text, limit - size(CONTINUED_SUFFIX))) + CONTINUED_SUFFIX


def _split_field(field: CardField) -> list[CardField]:
    """One field as one or more valid fields: long values continue in "Name (cont.)" fields."""
    name = field.name if field.name.strip() else ZERO_WIDTH_SPACE
    values = split_content(field.value, MAX_FIELD_VALUE) or [ZERO_WIDTH_SPACE]
    first = str(truncate_content(name, MAX_FIELD_NAME))
    later = ZERO_WIDTH_SPACE if name == ZERO_WIDTH_SPACE else _continued(name, MAX_FIELD_NAME)
    return [CardField(first if i == 0 else later, value, field.inline) for i, value in enumerate(values)]


def split_card(card: Card) -> list[Card]:
    """Turn one card into as many cards as needed for each to be a valid embed on its own.

    A valid card is returned as is (`[card]`); a card with no visible text gives `[]`. Otherwise:
    the description is split with `split_content`; fields beyond 25 (or beyond the 6,000 total) move to
    continuation cards; long field values continue in "Name (cont.)" fields; title, field names and
    footer are truncated. Continuation cards are titled "Title (cont.)" (untitled if the card was).
    The URL stays on the first card only; footer and timestamp go on the last card only. Every card
    leaves room for the footer, so each one's `embed_length` is at most 6,000.
    """
    if _card_problem(card, "card") is None:
        return [card]
    if _is_blank(card):
        return []
    raw_title = card.title if card.title and card.title.strip() else None
    title = str(truncate_content(raw_title, MAX_TITLE)) if raw_title else None
    later_title = _continued(raw_title, MAX_TITLE) if raw_title else None
    footer = str(truncate_content(card.footer, MAX_FOOTER)) if card.footer and card.footer.strip() else None
    budget = MAX_EMBED_TOTAL - size(footer)  # per card, footer reserved
    longest_title = max(size(title), size(later_title))

    # Pages are (title, description, fields) before becoming cards.
    pages: list[tuple[str | None, Content, list[CardField]]] = []
    desc_limit = min(MAX_DESCRIPTION, budget - longest_title)
    for i, chunk in enumerate(split_content(card.description, desc_limit)):
        pages.append((title if i == 0 else later_title, chunk, []))
    if not pages:
        pages.append((title, "", []))

    used = size(pages[-1][0]) + size(pages[-1][1])
    for original in card.fields:
        for f in _split_field(original):
            length = size(f.name) + size(f.value)
            if len(pages[-1][2]) >= MAX_FIELDS or used + length > budget:
                pages.append((later_title, "", []))
                used = size(later_title)
            pages[-1][2].append(f)
            used += length

    last = len(pages) - 1
    return [
        Card(
            title=page_title,
            description=description,
            fields=tuple(fields),
            url=card.url if i == 0 else None,
            footer=footer if i == last else None,
            timestamp=card.timestamp if i == last else None,
        )
        for i, (page_title, description, fields) in enumerate(pages)
    ]


# --- messages ---------------------------------------------------------------------------------


def _pack(cards: list[Card]) -> list[tuple[Card, ...]]:
    """Greedily group cards, in order, into batches of <= 10 cards and <= 6,000 embed chars."""
    batches: list[list[Card]] = []
    total = 0
    for card in cards:
        length = embed_length(card)
        if not batches or len(batches[-1]) >= MAX_EMBEDS or total + length > MAX_EMBED_TOTAL:
            batches.append([])
            total = 0
        batches[-1].append(card)
        total += length
    return [tuple(batch) for batch in batches]


def paginate(reply: Reply) -> list[MessagePart]:
    """Turn `reply` into Discord-sized messages, in reading order.

    Text is split into 2,000-char chunks, one per part; cards are split with `split_card` and packed
    greedily (<= 10 cards, <= 6,000 embed chars per part). The first batch of cards rides on the part
    with the last text chunk, so the first part always carries the first text chunk. No part is ever
    empty: a reply with nothing to show gives one part reading `EMPTY_REPLY_TEXT`.
    The `ephemeral` hint is not per part; the renderer reads it from the reply.
    """
    chunks = split_content(reply.text, MAX_CONTENT)
    batches = _pack([piece for card in reply.cards for piece in split_card(card)])
    if not chunks and not batches:
        return [MessagePart(EMPTY_REPLY_TEXT)]
    parts = [MessagePart(chunk) for chunk in chunks[:-1]]
    last_text = chunks[-1] if chunks else ""
    if not batches:
        return [*parts, MessagePart(last_text)]
    parts.append(MessagePart(last_text, batches[0]))
    parts.extend(MessagePart("", batch) for batch in batches[1:])
    return parts


def check_message(part: MessagePart) -> None:
    """Raise ValueError describing the first Discord limit `part` violates; return None if it is valid."""
    if size(part.content) > MAX_CONTENT:
        raise ValueError(f"content is {size(part.content)} chars (limit {MAX_CONTENT})")
    if _blank(part.content) and not part.cards:
        raise ValueError("message is empty (no content and no cards)")
    if len(part.cards) > MAX_EMBEDS:
        raise ValueError(f"message has {len(part.cards)} cards (limit {MAX_EMBEDS})")
    for i, card in enumerate(part.cards):
        problem = _card_problem(card, f"cards[{i}]")
        if problem:
            raise ValueError(problem)
    total = sum(embed_length(card) for card in part.cards)
    if total > MAX_EMBED_TOTAL:
        raise ValueError(f"cards total {total} embed chars (limit {MAX_EMBED_TOTAL})")
