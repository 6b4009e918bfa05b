"""XML feed bytes made safe and readable before the parser sees them.

1. **Encoding.** The body is decoded (BOM, then the XML declaration, then the HTTP charset, then UTF-8, then
   cp1252) and handed on as UTF-8 with a UTF-8 declaration. The parser therefore never picks an encoding of its
   own: a UTF-7 or UTF-16 body cannot hide `<!ENTITY` from the check below.
2. **Entities.** Any document with a DOCTYPE that declares an entity is refused before parsing. That covers
   "billion laughs", quadratic blow-up and external entities (XXE, `SYSTEM "file:///etc/passwd"`). Real feeds
   declare none; HTML entities like `&nbsp;` need no declaration (see 3).
3. **Repair, only when needed.** A well-formed document (checked by expat) is parsed as is. Otherwise the
   usual breakage is mended first, so the lenient parse keeps every readable item:
   - bare `&` is escaped;
   - HTML named entities become character references;
   - raw HTML inside text elements (`<description>One<br>two</description>`) is wrapped in CDATA.
   A document cut off mid-item loses that last, partial item (see `truncated_items`).
"""

from __future__ import annotations

import codecs
import html.entities
import re
from xml.parsers import expat

from bot.feeds.model import FeedError, FeedErrorReason

UTF8_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>'

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_DECLARATION = re.compile(rb"^<\?xml\b[^>]*?\?>")
_DECLARED_ENCODING = re.compile(rb"""^<\?xml\b[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")
_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE)
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)

_BARE_AMPERSAND = re.compile(rb"&(?!#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{0,31};)")
_NAMED_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]{0,31});")
_XML_ENTITIES = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})
# Text elements that feeds fill with unescaped HTML. Atom's <content> is left alone: type="xhtml" is real XML.
_TEXT_ELEMENT = re.compile(
    rb"(<(title|description|summary|subtitle|content:encoded)\b[^>]*>)(.*?)(</\2\s*>)", re.DOTALL | re.IGNORECASE
)
_ITEM_OPEN = re.compile(rb"<(?:item|entry)[\s>]")
_ITEM_CLOSE = re.compile(rb"</(?:item|entry)\s*>")
_ROOT_CLOSE = re.compile(rb"</(?:rss|feed|rdf:RDF|RDF)\s*>\s*$")


def _codec(name: str | bytes | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.decode("ascii") if isinstance(name, bytes) else name).name
    except (LookupError, UnicodeDecodeError):
        return None


def to_utf8(body: bytes, content_type: str | None) -> bytes:
    """The document as UTF-8 bytes starting at its first `<`, declaring UTF-8 if it declares anything."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            text = body[len(bom) :].decode(name, errors="replace")
            return _declare_utf8(text.lstrip().encode("utf-8"))
    # UTF-16 without a BOM still starts with "<" and a zero byte, in one order or the other.
    if body[:2] in (b"<\x00", b"\x00<"):
        text = body.decode("utf-16-le" if body[0] == 0x3C else "utf-16-be", errors="replace")
        return _declare_utf8(text.lstrip().encode("utf-8"))
    body = body.lstrip()
    match = _DECLARED_ENCODING.match(body)
    declared = _codec(match.group(1)) if match else None
    charset = _CHARSET.search(content_type or "")
    candidates = [declared, _codec(charset.group(1)) if charset else None, "utf-8"]
    for name in candidates:
        if name is None:
            continue
        try:
            text = body.decode(name)
        except UnicodeDecodeError:
            continue
        if name == "utf-8" and (match is None or declared == "utf-8"):
            return body  # the common case: already UTF-8 and saying so (or saying nothing)
        return _declare_utf8(text.lstrip().encode("utf-8"))
    return _declare_utf8(body.decode("cp1252", errors="replace").encode("utf-8"))


def _declare_utf8(body: bytes) -> bytes:
    if _DECLARATION.match(body):
        return _DECLARATION.sub(UTF8_DECLARATION, body, count=1)
    return body


def declares_utf8(body: bytes) -> bool:
    """True unless the document declares an encoding other than UTF-8 (what `to_utf8` leaves must pass this)."""
    match = _DECLARED_ENCODING.match(body)
    return match is None or _codec(match.group(1)) == "utf-8"


def refuse_entity_declarations(body: bytes) -> None:
    """Raises FeedError if the document declares entities (run on `to_utf8`'s output)."""
    if _DOCTYPE.search(body) and _ENTITY_DECLARATION.search(body):
        raise FeedError(
            FeedErrorReason.ENTITIES,
            "That feed declares XML entities (a DOCTYPE with <!ENTITY>), which can expand without limit or read "
            "local files, so it was refused.",
        )


def is_well_formed(body: bytes) -> bool:
    parser = expat.ParserCreate()
    try:
        parser.Parse(body, True)
    except expat.ExpatError:
        return False
    return True


def _named_entity(match: re.Match[bytes]) -> bytes:
    name = match.group(1)
    if name in _XML_ENTITIES:
        return match.group(0)
    codepoint = html.entities.name2codepoint.get(name.decode("ascii"))
    return b"&#%d;" % codepoint if codepoint is not None else b"&amp;" + name + b";"


def _wrap_markup(match: re.Match[bytes]) -> bytes:
    opening, _, inner, closing = match.groups()
    if b"<" not in inner or b"<![CDATA[" in inner:
        return match.group(0)
    return opening + b"<![CDATA[" + inner.replace(b"]]>", b"]]]]><![CDATA[>") + b"]]>" + closing


def repair(body: bytes) -> bytes:
    """Mends bare ampersands, HTML entities and raw HTML in text elements (for a body that is not well-formed)."""
    body = _BARE_AMPERSAND.sub(b"&amp;", body)
    body = _NAMED_ENTITY.sub(_named_entity, body)
    return _TEXT_ELEMENT.sub(_wrap_markup, body)


def truncated_items(body: bytes) -> int:
    """How many trailing items a cut-off document holds only in part (0 when it ends with its root's close tag)."""
    if _ROOT_CLOSE.search(body[-64:]):
        return 0
    return max(0, len(_ITEM_OPEN.findall(body)) - len(_ITEM_CLOSE.findall(body)))
