"""Bytes of an article file to text.

UTF-8 (with or without a BOM) is read as it is, and UTF-16 with a BOM (what Windows Notepad calls "Unicode")
too. Anything else is decoded with charset-normalizer's guess, with one rule on top: when it guesses a
single-byte Latin code page, the file is read as Windows-1252. Short Western texts fit Central European and
Baltic code pages just as well, and a French "coûte" must not come out as "coűte"; Windows-1252 is the
superset of Latin-1 that old Western editors save. Korean, Japanese, Chinese and Cyrillic legacy encodings
(EUC-KR, Shift_JIS, GB18030, Big5, Windows-1251, …) are decoded as guessed. When nothing fits, the error
names the line of the first byte that is not UTF-8, and a guess that gives control characters is binary data.
"""

from __future__ import annotations

import codecs
import re

# charset-normalizer names of the encodings that are decoded as guessed; any other guess reads as Windows-1252.
_NON_LATIN_PREFIXES = (
    "big5", "cp932", "cp949", "cp950", "euc", "gb", "hz", "iso2022", "johab", "shift_jis", "utf",
    "cp1251", "cp866", "koi8", "mac_cyrillic", "iso8859_5", "cp1253", "iso8859_7", "cp1255", "iso8859_8",
    "cp1256", "iso8859_6", "tis_620", "cp874", "iso8859_11",
)  # fmt: skip


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


class UndecodableError(ValueError):
    def __init__(self, offset: int, message: str) -> None:
        self.offset = offset  # of the first byte that could not be read
        super().__init__(message)


def decode_bytes(raw: bytes) -> tuple[str, str]:
    """(text, encoding name). Raises UndecodableError."""
    for bom, name in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if raw.startswith(bom) and not raw.startswith(codecs.BOM_UTF32_LE):
            try:
                return raw[len(bom) :].decode(name), name
            except UnicodeDecodeError as exc:
                raise UndecodableError(exc.start + len(bom), f"broken {name.upper()} text") from None
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    name = _guess(raw)
    if name is None:
        raise UndecodableError(first_bad, "not UTF-8 text, nor any other encoding briefbot can guess; save it as UTF-8")
    try:
        text = raw.decode(name)
    except UnicodeDecodeError:
        name = "latin-1"  # the 5 bytes Windows-1252 leaves undefined
        text = raw.decode(name)
    if control := _CONTROL.search(text):
        # Text has no control characters; a guess that yields them was reading binary data.
        offset = len(text[: control.start()].encode(name, "replace"))
        raise UndecodableError(offset, f"binary data (control character {control[0]!r}); expected text")
    return text, name


def _guess(raw: bytes) -> str | None:
    from charset_normalizer import from_bytes  # only files that are not UTF-8 pay for it

    best = from_bytes(raw).best()
    if best is None:
        return None
    encoding = best.encoding.lower().replace("-", "_")
    return encoding if encoding.startswith(_NON_LATIN_PREFIXES) else "cp1252"
