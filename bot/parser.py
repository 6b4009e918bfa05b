"""Turn an article into a Story: plain text (the seed's form), Markdown with YAML front matter, or a web page.

The header under the title is read for a byline and a date line in any of the forms `bot.dates` reads; a
wire dateline ("SEOUL, Feb 28 (Reuters) -") opening the body gives the date (and the source) when nothing else
does. An article with no date at all gets the import time, and the Story says the date was assumed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo

from bot.dates import ReadDate, parse_datetime, read_date
from bot.decoding import UndecodableError, decode_bytes
from bot.extract import extract_article, looks_like_html
from bot.front_matter import FrontMatter, FrontMatterError, read_front_matter
from bot.story_model import Bullet, Section, SectionKind, Story, slugify
from bot.summarizer import ExtractiveSummarizer, Summarizer, SummaryInput

__all__ = ["MAX_ARTICLE_BYTES", "ParseError", "bullet_line", "parse_article", "parse_datetime"]

MIB = 1024 * 1024
MAX_ARTICLE_BYTES = MIB
KEY_POINTS_FALLBACK_COUNT = 3
HEADER_LINES = 6  # lines under the title searched for the byline and the date
# No article has more: later headings stay text of the last section. Each section is a row to store and an object
# to hand from the intake worker to the bot, and 20,000 of them (1 MiB of nothing but headings) held its event loop.
MAX_SECTIONS = 2000

_DEFAULT_SUMMARIZER = ExtractiveSummarizer()


class ParseError(ValueError):
    """Bad input, with the file and line it was found on."""

    def __init__(self, origin: str, line: int | None, message: str) -> None:
        self.origin = origin
        self.line = line or None
        self.message = message
        where = f"{origin}:{line}" if line else origin
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[type[ParseError], tuple[str, int | None, str]]:
        # Raised in an intake worker process and pickled back: rebuilt from its own arguments.
        return (type(self), (self.origin, self.line, self.message))


@dataclass(slots=True)
class _Line:
    number: int  # 0 for text extracted from a web page: its lines are not the file's
    text: str


@dataclass(slots=True)
class _SectionBuilder:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    bullets: list[Bullet] = field(default_factory=list)

    def build(self) -> Section:
        return Section(self.heading, SectionKind.for_heading(self.heading), tuple(self.paragraphs), tuple(self.bullets))


# --- the header: bylines, date lines, wire datelines ------------------------------------------------

_MONTH_WORDS = (
    r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|januar|februar|märz|mai|juni|juli|oktober|dezember"
    r"|janv|févr|fevr|mars|avr|juin|juil|août|aout|sept|déc|enero|febrero|marzo|abril|mayo|junio|julio"
    r"|agosto|septiembre|setiembre|octubre|noviembre|diciembre"
)
# English and ISO shapes: a line like these that cannot be read is a mistake to report, not body text.
_DATE_LIKE = re.compile(
    rf"^(?:(?:{_MONTH_WORDS})[a-z]*\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}\s+(?:{_MONTH_WORDS})[a-z]*\.?,?\s+\d{{4}}"
    r"|\d{4}-\d{2}-\d{2})",
    re.IGNORECASE,
)
_DATE_START = re.compile(rf"^(?:\d|(?:{_MONTH_WORDS})[a-zé]*\.?\s)", re.IGNORECASE)
# Any language's date shape: worth asking the date reader about.
_DATEISH = re.compile(
    rf"(?:^|[\s,(])(?:{_MONTH_WORDS})|\d{{1,4}}\s*[年년월月]|\d\s*[일日]|\d{{1,4}}[./-]\s?\d{{1,2}}[./-]\s?\d{{1,4}}"
    r"|^\d{1,2}:\d{2}",
    re.IGNORECASE,
)
_DATE_LABEL = re.compile(
    r"^(?:(?:first\s+|last\s+)?(?:updated|published|posted|modified)(?:\s+on)?|date|dateline|stand|"
    r"(?:zuletzt\s+)?aktualisiert(?:\s+am)?|veröffentlicht(?:\s+am)?|erstellt(?:\s+am)?|"
    r"publié(?:\s+le)?|mis à jour(?:\s+le)?|publicado(?:\s+el)?|actualizado(?:\s+el)?|fecha|"
    r"기사\s*입력|입력|수정|업데이트|公開日?|更新日?|配信日?|掲載日?|发布时间|发布日期|发布|更新时间|时间|日期)"
    r"\s*[:：]?\s*",
    re.IGNORECASE,
)
_SEGMENT_BREAK = re.compile(
    r"\s+[|·•]\s+|\s+(?=(?:updated|last updated|aktualisiert|mis à jour|actualizado|수정|更新)\b)", re.IGNORECASE
)
_BYLINE = re.compile(
    r"^(?:[Bb]y|BY|[Vv]on|[Pp]ar|[Pp]or)\s+(?P<name>[^\d:?!]{2,120}?)\.?$|^(?P<ko>[가-힣]{2,4})\s*기자$"
)
_WIRE_DATELINES = (
    # SEOUL, Feb 28 (Reuters) -   WASHINGTON (AP) —   NEW YORK, March 5, 2024 (AFP) -   BERLIN (dpa) -
    re.compile(
        r"^(?P<place>[A-ZÀ-Ý][A-ZÀ-Ý .'’-]{1,40}?(?:,\s+[A-Z][A-Za-z.]{1,20})?)"
        r"(?:,\s+(?P<date>[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:,\s+\d{4})?))?"
        r"\s+\((?P<agency>[A-Za-z][A-Za-z .&/-]{0,30}?)\)\s*(?:--|[-–—])\s*"
    ),
    # (서울=연합뉴스) 김민지 기자 =
    re.compile(r"^\((?P<place>[^=()]{1,20})=(?P<agency>[^()]{1,20})\)\s*(?:[가-힣]{2,4}\s*(?:기자|특파원)\s*=\s*)?"),
    # 【ソウル共同】
    re.compile(r"^【(?P<place>[^】]{1,15}?)[=＝]?(?P<agency>共同|時事|ロイター|AFP時事|ブルームバーグ)】\s*"),
    # 新华社北京3月5日电（记者 …）
    re.compile(
        r"^(?P<agency>新华社|中新社|中新网)(?P<place>[^\d\s]{1,10}?)(?P<date>\d{1,2}月\d{1,2}日)电(?:（[^）]{0,40}）)?\s*"
    ),
)

_CREDIT = re.compile(
    r"^\((?:additional\s+)?(?:reporting|writing)\s+by\s+(?P<names>[^;)]+)(?:;[^)]*)?\)$", re.IGNORECASE
)


@dataclass(slots=True)
class _Header:
    published: ReadDate | None = None
    dek_lines: list[str] = field(default_factory=list)
    author: str | None = None
    end: int = 0  # index of the first body line


def _byline(text: str) -> str | None:
    match = _BYLINE.match(text)
    return (match["name"] or match["ko"]).strip(" ·•|,-–—") if match else None


def _is_title(line: str, title: str) -> bool:
    heading = _MD_HEADING.match(line) if line.startswith("#") else None
    return heading is not None and _strip_markdown(heading.group("text")) == title


def _date_line(line: _Line, text: str, origin: str, default_tz: tzinfo, now: datetime) -> ReadDate | None:
    """The date of a header line such as "Updated 9:17 PM EST, January 6, 2024"; None when it is not one."""
    if len(text) > 160 or not any(c.isdigit() for c in text):
        return None
    for segment in _SEGMENT_BREAK.split(text):
        label = _DATE_LABEL.match(segment)
        candidate = segment[label.end() :] if label else segment
        if not candidate or len(candidate) > 80 or not _DATEISH.search(candidate):
            continue
        try:
            return read_date(candidate, default_tz, now)
        except ValueError as exc:
            # A mistake to report when it is surely meant as a date; else just a line that is not one.
            if _DATE_LIKE.match(candidate) or (label and _DATE_START.match(candidate)):
                raise ParseError(origin, line.number, f"cannot parse date: {exc}") from None
    return None


def _header(
    content: list[_Line], start: int, origin: str, default_tz: tzinfo, now: datetime, author: str | None
) -> _Header:
    """Finds the date line (and bylines) among the first lines under the title; what precedes it is the dek."""
    window = content[start : start + HEADER_LINES]
    texts = [_strip_markdown(line.text) for line in window]
    found = _Header(author=author, end=start)
    for index, (line, text) in enumerate(zip(window, texts, strict=True)):
        if (name := _byline(text)) is not None:
            found.author = found.author or name
            continue
        if (published := _date_line(line, text, origin, default_tz, now)) is None:
            continue
        found.published = published
        found.dek_lines = [t for t in texts[:index] if _byline(t) is None]
        found.end = start + index + 1
        # Lines right after it that are bylines or more dates ("Updated …") belong to the header too.
        for next_line, next_text in zip(window[index + 1 :], texts[index + 1 :], strict=True):
            if (name := _byline(next_text)) is not None:
                found.author = found.author or name
            elif _date_line(next_line, next_text, origin, default_tz, now) is None:
                break
            found.end += 1
        return found
    # No date line: only bylines right under the title are header.
    while found.end < len(content) and (name := _byline(_strip_markdown(content[found.end].text))) is not None:
        found.author = found.author or name
        found.end += 1
    return found


def _wire_dateline(text: str) -> re.Match[str] | None:
    for pattern in _WIRE_DATELINES:
        if match := pattern.match(text):
            return match
    return None


# --- lines -----------------------------------------------------------------------------------------

_READING_TIME = re.compile(r"^(\d{1,3})\s*(?:min|mins|minute|minutes)\s+read$", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:(?:[-*•–▪]|\d{1,2}[.)])\s+|[・●■◆▶]\s*)(?P<body>\S.*)$")
_MD_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<text>.+?)\s*#*\s*$")
_LABEL = re.compile(r"^(?P<label>[^:：.!?。]{1,80})(?::\s+|：\s*)(?P<text>\S.*)$")
_SMALL_WORDS = frozenset(
    "a an and as at but by for from in into is are of on or the to vs via with about over after".split()
)
# A line ending in ':' whose last word is one of these introduces what follows: it is a lead-in, not a heading.
_LEAD_IN_ENDINGS = frozenset(
    """to for include includes including are is as following follows like by with the of and that these such
    namely said says added adds told wrote writes explained noted asked warned stated
    folgende folgendes folgenden wie sind ist die der das und von für sagte erklärte
    suivants suivantes comme sont est les des de à et que notamment a déclaré dit
    siguientes como son es los las de a y que dijo afirmó señaló""".split()
)
_HEADING_MARKS = (":", "：", "?", "？")
_HEADING_END = re.compile(r"\s*(?P<mark>[:：?？])$")
_QUOTE_MARKS = "\"'“‘«„「『"
_SENTENCE_INSIDE = re.compile(r"[.!?;。！？；]\s")
HEADING_MAX_CHARS = 100
HEADING_MAX_WORDS = 12
HEADING_MAX_CJK_CHARS = 40  # a heading in a script written without spaces
SENTENCE_CASE_HEADING_MAX_WORDS = 7

_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|`)")


def _strip_markdown(text: str) -> str:
    # Most lines have none of these characters, and then neither pattern can match.
    if "[" in text or "*" in text or "_" in text or "`" in text:
        text = _MD_LINK.sub(r"\1", text)
        text = _MD_EMPHASIS.sub("", text)
    return text.strip()


def _heading(text: str, following: _Line | None) -> str | None:
    """The heading a line is, or None. A heading is a short line ending in ':' or '?' (also ' ?', '：', '？')
    that something follows. A line ending in ':' is a heading when it is short (sentence case, up to 7 words)
    or in title case; a longer one, or one ending in "to", "include", "said", … is a lead-in to its list."""
    if following is None or len(text) > HEADING_MAX_CHARS or not text.endswith(_HEADING_MARKS):
        return None
    match = _HEADING_END.search(text)
    if match is None:
        return None
    body = text[: match.start()].strip()
    if not body or body[0] in _QUOTE_MARKS or _SENTENCE_INSIDE.search(body):
        return None
    words = body.split()
    if len(words) > HEADING_MAX_WORDS or (len(words) == 1 and len(body) > HEADING_MAX_CJK_CHARS):
        return None
    if match["mark"] in "?？":
        return text
    if words[-1].lower() in _LEAD_IN_ENDINGS:
        return None
    if len(words) <= SENTENCE_CASE_HEADING_MAX_WORDS and "," not in body:
        return body
    significant = [w for i, w in enumerate(words) if i == 0 or w.lower() not in _SMALL_WORDS]
    title_case = all(w[:1].isupper() or w[:1].isdigit() or w[:1] in "\"'(" for w in significant)
    return body if title_case else None


def bullet_line(line: str) -> Bullet | None:
    """`- Label: text` (or `* …`, `1. …`, `・…`) as a Bullet; None when the line is not a bullet."""
    match = _BULLET.match(line)
    return _bullet(match.group("body")) if match else None


def _bullet(body: str) -> Bullet:
    body = _strip_markdown(body)
    match = _LABEL.match(body)
    if match:
        label = match.group("label").strip()
        words = label.split()
        if len(words) <= 8 and (len(words) > 1 or len(label) <= 20):
            return Bullet(label, match.group("text").strip())
    return Bullet("", body)


# --- decoding --------------------------------------------------------------------------------------


def _decode(data: bytes | str, origin: str, max_bytes: int = MAX_ARTICLE_BYTES) -> str:
    if isinstance(data, str):
        raw = data.encode("utf-8", "surrogatepass")
        text = data
    else:
        raw = data
        text = ""
    if len(raw) > max_bytes:
        line = raw.count(b"\n", 0, max_bytes) + 1
        limit = f"{max_bytes / MIB:g} MiB"
        raise ParseError(origin, line, f"file is larger than the {limit} limit (the limit is passed on this line)")
    utf16 = raw.startswith((b"\xff\xfe", b"\xfe\xff"))
    nul = -1 if utf16 else raw.find(b"\x00")
    if nul >= 0:
        raise ParseError(origin, raw.count(b"\n", 0, nul) + 1, "binary data (NUL byte); expected text")
    if isinstance(data, bytes):
        try:
            text, _encoding = decode_bytes(raw)
        except UndecodableError as exc:
            raise ParseError(origin, raw.count(b"\n", 0, exc.offset) + 1, str(exc)) from None
        if "\x00" in text:
            raise ParseError(origin, text.count("\n", 0, text.index("\x00")) + 1, "binary data (NUL character)")
    else:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            line = text.count("\n", 0, exc.start) + 1
            raise ParseError(origin, line, "contains characters that are not valid Unicode text") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if not text.strip():
        raise ParseError(origin, 1, "file is empty")
    return text


# --- documents -------------------------------------------------------------------------------------


def parse_article(
    data: bytes | str,
    origin: str,
    default_tz: tzinfo = UTC,
    summarizer: Summarizer = _DEFAULT_SUMMARIZER,
    now: datetime | None = None,
    *,
    url: str | None = None,
    html: bool | None = None,
    max_bytes: int = MAX_ARTICLE_BYTES,
) -> Story:
    """Parse one article. Raises ParseError naming `origin` and the line on bad input.

    `now` is the import time: the date of an article that gives none, and the reference for a year-less date.
    `url` is where the article was fetched from: the story's url, whatever the page says. `html` says whether
    it is a web page (a fetched page's content type); None guesses from `origin` and the text."""
    text = _decode(data, origin, max_bytes)
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    if html or (html is None and looks_like_html(text, origin)):
        story = _parse_page(text, origin, default_tz, summarizer, now, url)
        return story if url is None else replace(story, url=url)
    raw_lines = text.split("\n")
    lines = [_Line(number, line.strip()) for number, line in enumerate(raw_lines, start=1)]
    meta = FrontMatter()
    markdown = False
    if lines[0].text == "---":
        meta, lines = _front_matter(lines, raw_lines, origin)
        markdown = True
    content = [line for line in lines if line.text]
    if not content:
        raise ParseError(origin, lines[-1].number if lines else 1, "there is no article text after the front matter")
    markdown = markdown or bool(_MD_HEADING.match(content[0].text))
    story = _build_story(content, meta, markdown, origin, default_tz, summarizer, text, now)
    return story if url is None else replace(story, url=url)


def _parse_page(
    text: str, origin: str, default_tz: tzinfo, summarizer: Summarizer, now: datetime, url: str | None
) -> Story:
    article = extract_article(text, url)
    if article is None:
        raise ParseError(origin, None, "this web page has no article text that briefbot can find")
    meta = FrontMatter(fields=article.front_matter(), tags=article.tags)
    content = [_Line(0, line.strip()) for line in article.text.split("\n") if line.strip()]
    return _build_story(content, meta, True, origin, default_tz, summarizer, text, now)


def _front_matter(lines: list[_Line], raw_lines: list[str], origin: str) -> tuple[FrontMatter, list[_Line]]:
    closing = next((i for i, line in enumerate(lines[1:], start=1) if line.text in ("---", "...")), None)
    if closing is None:
        raise ParseError(origin, lines[0].number, "front matter opened here is never closed with '---'")
    block = "\n".join(raw_lines[1:closing])  # as written: YAML nests by indentation
    try:
        meta = read_front_matter(block, lines[1].number)
    except FrontMatterError as exc:
        raise ParseError(origin, exc.line, str(exc)) from None
    return meta, lines[closing + 1 :]


def _build_story(
    content: list[_Line],
    meta: FrontMatter,
    markdown: bool,
    origin: str,
    default_tz: tzinfo,
    summarizer: Summarizer,
    full_text: str,
    now: datetime,
) -> Story:
    fields = meta.fields
    position = 0
    title = fields.get("title", "")
    if not title:
        first = content[0].text
        heading = _MD_HEADING.match(first)
        title = _strip_markdown(heading.group("text") if heading else first)
        position = 1
    else:
        # The title repeated as a heading; a web page's kicker ("Energie") may stand above it.
        repeated = (i for i, line in enumerate(content[:3]) if _is_title(line.text, title))
        position = next(repeated, -1) + 1
    if len(title) > 300:
        raise ParseError(origin, content[0].number, "title is longer than 300 characters")
    if not title:
        raise ParseError(origin, content[0].number, "the title (the first line) has no text without its Markdown")

    reading_minutes: int | None = None
    if position < len(content) and (match := _READING_TIME.match(content[position].text)):
        reading_minutes = int(match.group(1))
        position += 1

    published: ReadDate | None = None
    if "date" in fields:
        try:
            published = read_date(fields["date"], default_tz, now)
        except ValueError as exc:
            raise ParseError(origin, meta.lines.get("date"), f"cannot parse date: {exc}") from None
    header = _header(content, position, origin, default_tz, now, fields.get("author"))
    published = published or header.published
    position = header.end

    body = list(content[position:])
    source = fields.get("source")
    # The story's first paragraph may open with a wire dateline (under a dek that is not marked as one).
    for index, line in enumerate(body[:2]):
        if not (dateline := _wire_dateline(line.text)):
            continue
        source = source or dateline["agency"].strip()
        if published is None and dateline.groupdict().get("date"):
            try:
                published = read_date(dateline["date"], default_tz, now)
            except ValueError as exc:
                raise ParseError(origin, line.number, f"cannot parse the dateline's date: {exc}") from None
        if rest := line.text[dateline.end() :].strip():
            body[index] = _Line(line.number, rest)
        else:
            body.pop(index)
        break

    author = header.author
    # A wire story's closing credit "(Reporting by …; Editing by …)" names its authors; it is not story text.
    if body and (credit := _CREDIT.match(body[-1].text)):
        author = author or credit["names"].strip()
        body.pop()

    date_assumed = published is None
    if published is None:
        published = ReadDate(now, "UTC", False)

    lead, sections = _body(body, markdown)
    dek = fields.get("dek") or " ".join(header.dek_lines)
    if not dek and lead:
        dek, lead = lead[0], lead[1:]

    all_paragraphs = [*lead, *(p for s in sections for p in s.paragraphs)]
    summary_input = SummaryInput(title=title, dek=dek, paragraphs=all_paragraphs)
    key_section = next((s for s in sections if s.kind is SectionKind.KEY_POINTS and s.bullets), None)
    if key_section is not None:
        key_points = key_section.bullets
    else:
        bullets_pool = [*all_paragraphs, *(b.render() for s in sections for b in s.bullets)]
        key_input = SummaryInput(title=title, dek="", paragraphs=bullets_pool or [dek])
        key_points = tuple(Bullet("", s) for s in summarizer.top_sentences(key_input, KEY_POINTS_FALLBACK_COUNT))

    return Story(
        slug=slugify(fields.get("slug") or title),
        title=title,
        dek=dek,
        published_at=published.instant,
        timezone_assumed=published.zone_assumed,
        reading_minutes=reading_minutes,
        lead=tuple(lead),
        sections=tuple(sections),
        key_points=tuple(key_points),
        summary=summarizer.summarize(summary_input),
        source=source or None,
        url=fields.get("url") or None,
        tags=meta.tags,
        follows=fields.get("follows") or None,
        content_hash=hashlib.sha256(full_text.strip().encode("utf-8")).hexdigest(),
        date_assumed=date_assumed,
        published_zone=published.zone,
        author=author,
        extra=meta.extra,
    )


def _body(lines: list[_Line], markdown: bool) -> tuple[list[str], list[Section]]:
    lead: list[str] = []
    sections: list[_SectionBuilder] = []
    for index, line in enumerate(lines):
        text = line.text
        following = lines[index + 1] if index + 1 < len(lines) else None
        current = sections[-1] if sections else None
        heading = _MD_HEADING.match(text) if markdown else None
        if heading:
            name = _strip_markdown(heading.group("text")).rstrip(":：").rstrip()
        elif bullet := _BULLET.match(text):
            if current is None:
                lead.append(_bullet(bullet.group("body")).render())
            else:
                current.bullets.append(_bullet(bullet.group("body")))
            continue
        else:
            name = _heading(_strip_markdown(text), following)
        if name is not None and len(sections) < MAX_SECTIONS:
            sections.append(_SectionBuilder(name))
        else:
            (current.paragraphs if current else lead).append(name or _strip_markdown(text))
    return lead, [s.build() for s in sections]
