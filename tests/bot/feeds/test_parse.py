"""parse_feed: every format, broken feeds that still yield their items, and bodies refused with a reason."""

from __future__ import annotations

import json
import time
from datetime import UTC
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import UserError
from bot.feeds.model import FeedError, FeedErrorReason, FeedFormat, ParsedFeed
from bot.feeds.parse import MAX_FEED_BYTES, MAX_ITEMS, parse_feed

SAMPLES = Path(__file__).parent / "samples"
EXPECTED: dict[str, dict] = json.loads((SAMPLES / "expected.json").read_text(encoding="utf-8"))
READABLE = sorted(name for name, want in EXPECTED.items() if "error" not in want)
REFUSED = sorted(name for name, want in EXPECTED.items() if "error" in want)


def _parse(name: str, content_type: str | None = None) -> ParsedFeed:
    return parse_feed((SAMPLES / name).read_bytes(), content_type, f"https://feeds.example/{name}")


def _rss(items: str, prolog: str = '<?xml version="1.0" encoding="utf-8"?>') -> bytes:
    return f'{prolog}<rss version="2.0"><channel><title>T</title><link>https://t.example/</link>{items}</channel></rss>'.encode()


@pytest.mark.parametrize("name", READABLE)
def test_each_sample_reads_as_expected(name: str) -> None:
    feed = _parse(name)
    want = EXPECTED[name]
    assert feed.format == want["format"]
    assert feed.title == want["title"]
    got = [
        {
            "guid": item.guid,
            "link": item.link,
            "title": item.title,
            "summary": item.summary,
            "published": item.published and item.published.isoformat(),
            "author": item.author,
        }
        for item in feed.items
    ]
    assert got == want["items"]


def test_every_format_is_recognised() -> None:
    formats = {_parse(name).format for name in READABLE}
    assert formats == {FeedFormat.RSS, FeedFormat.RDF, FeedFormat.ATOM, FeedFormat.JSON}
    assert _parse("rss091.xml").format == FeedFormat.RSS
    assert _parse("jsonfeed10.json").format == FeedFormat.JSON


def test_text_is_plain_links_are_http_and_dates_are_utc() -> None:
    for name in READABLE:
        for item in _parse(name).items:
            for text in (item.title, item.summary):
                assert "<" not in text and "&amp;" not in text and "  " not in text, (name, text)
            assert item.link is None or item.link.startswith(("http://", "https://")), (name, item.link)
            assert item.published is None or item.published.utcoffset().total_seconds() == 0
            assert item.published is None or item.published.tzinfo is UTC


def test_rss_details_script_dropped_relative_link_resolved_unsafe_link_dropped() -> None:
    items = {item.guid: item for item in _parse("rss20.xml").items}
    assert items["daily-123"].summary == "Dockers return to work & cranes move again."  # no alert(1)
    assert items["daily-123"].outlet == "Daily & Co" and items["daily-123"].author == "Bo Lee"
    assert items["https://daily.example/rates"].author == "News Desk"  # "desk@… (News Desk)"
    assert items["daily-125"].link == "https://feeds.example/local/relative-story"
    assert items["daily-125"].summary == "Only a content body."  # content:encoded when there is no description
    assert items["daily-126"].link is None  # javascript: is never kept
    assert items["daily-126"].title == "Unsafe link is dropped"


def test_broken_xml_still_yields_every_readable_item() -> None:
    broken = _parse("broken_markup.xml")
    assert broken.repaired
    assert broken.title == "AT&T Watch"
    assert [item.title for item in broken.items] == ["Q&A with the mayor today", "Second — still here"]
    assert broken.items[0].link == "https://b.example/1?a=1&b=2"
    assert broken.items[0].summary == "One two & three"  # raw <br> kept the rest of the description

    cut = _parse("truncated.xml")
    assert cut.repaired
    assert [item.guid for item in cut.items] == ["c1", "c2"]  # the half item at the cut is dropped


def test_unclosed_item_in_the_middle_keeps_the_items_around_it() -> None:
    body = _rss(
        "<item><title>First</title><guid>m1</guid></item>"
        "<item><title>Second & <b>bold</title><guid>m2</guid></item>"
        "<item><title>Third</title><guid>m3</guid></item>"
    )
    feed = parse_feed(body, None, "https://t.example/rss")
    assert feed.repaired
    assert [item.guid for item in feed.items] == ["m1", "m2", "m3"]
    assert feed.items[1].title == "Second & bold"


def test_text_printed_before_the_feed_is_skipped() -> None:
    body = b"Warning: mysql_connect() failed in /var/www/feed.php on line 3\n" + _rss("<item><title>A</title></item>")
    feed = parse_feed(body, "text/xml", "https://t.example/rss")
    assert feed.repaired and [item.title for item in feed.items] == ["A"]


def test_well_formed_feeds_are_not_repaired() -> None:
    for name in ("rss20.xml", "atom.xml", "rss10.xml", "rss091.xml", "wrong_encoding.xml", "leading_junk.xml"):
        assert not _parse(name).repaired, name


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-16", b""), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-8", b"\xef\xbb\xbf")],
)
def test_utf16_and_bom_bodies(encoding: str, prefix: bytes) -> None:
    text = _rss("<item><title>Gr\u00fc\u00dfe aus K\u00f6ln</title><guid>u1</guid></item>", '<?xml version="1.0"?>')
    feed = parse_feed(prefix + text.decode().encode(encoding), None, "https://t.example/rss")
    assert [item.title for item in feed.items] == ["Grüße aus Köln"]


def test_http_charset_is_used_when_the_document_does_not_say() -> None:
    body = _rss("<item><title>Caf\u00e9</title><guid>x</guid></item>", "").decode().encode("latin-1")
    feed = parse_feed(body, "application/rss+xml; charset=ISO-8859-1", "https://t.example/rss")
    assert feed.items[0].title == "Café"


@pytest.mark.parametrize("name", REFUSED)
def test_refused_samples_say_why(name: str) -> None:
    with pytest.raises(FeedError) as caught:
        _parse(name)
    assert caught.value.reason == EXPECTED[name]["error"]
    assert isinstance(caught.value, UserError) and str(caught.value)


def _billion_laughs(levels: int = 10, fan: int = 10, prolog: str = '<?xml version="1.0"?>') -> str:
    entities = ['<!ENTITY e0 "lol">'] + [f'<!ENTITY e{n} "{f"&e{n - 1};" * fan}">' for n in range(1, levels)]
    return (
        f"{prolog}<!DOCTYPE rss [{''.join(entities)}]>"
        f'<rss version="2.0"><channel><title>&e{levels - 1};</title>'
        f"<item><title>&e{levels - 1};</title><guid>b</guid></item></channel></rss>"
    )


@pytest.mark.parametrize(
    "body",
    [
        _billion_laughs().encode(),
        _billion_laughs(levels=40, fan=40).encode(),  # 40^40 expansions
        _billion_laughs().replace("<!DOCTYPE", "<!doctype").replace("<!ENTITY", "<!entity").encode(),
        _billion_laughs().encode("utf-16"),  # a byte search for "<!ENTITY" on the raw body would miss this
        # The UTF-7 form of "<!ENTITY" is "+ADw-!ENTITY"; the declared encoding is honoured before the check.
        b'<?xml version="1.0" encoding="utf-7"?>' + _billion_laughs(prolog="").replace("<", "+ADw-").encode(),
        _billion_laughs().replace("<title>", "<title>AT&T ", 1).encode(),  # malformed: would go to repair
        b"Warning: junk printed first " + _billion_laughs().encode(),
        b'junk <?xml version="1.0" encoding="utf-7"?>' + _billion_laughs(prolog="").replace("<", "+ADw-").encode(),
        # Quadratic blow-up: one big entity referenced many times.
        ('<!DOCTYPE rss [<!ENTITY a "' + "x" * 50_000 + '">]><rss><channel><title>' + "&a;" * 50_000
         + "</title></channel></rss>").encode(),
    ],
    ids=["classic", "deep", "lower-case", "utf-16", "utf-7", "malformed", "junk-first", "junk-utf-7", "quadratic"],
)  # fmt: skip
def test_entity_bombs_are_refused_quickly(body: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(FeedError) as caught:
        parse_feed(body, "application/rss+xml", "https://bomb.example/rss")
    assert caught.value.reason == FeedErrorReason.ENTITIES
    assert time.perf_counter() - started < 0.5  # a safety bound, not a benchmark: expansion would take minutes


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE rss [<!ENTITY xxe PUBLIC "x" "file:///etc/passwd">]>',
        '<!DOCTYPE rss [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>',
        '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/secret">]>',
    ],
)
def test_external_entities_never_reach_the_output(doctype: str) -> None:
    passwd = Path("/etc/passwd").read_text(encoding="utf-8", errors="replace").splitlines()[0]
    body = f'<?xml version="1.0"?>{doctype}<rss version="2.0"><channel><title>t</title>'
    body += "<item><title>&xxe;</title><description>&xxe;</description><guid>x</guid></item></channel></rss>"
    with pytest.raises(FeedError) as caught:
        parse_feed(body.encode(), None, "https://xxe.example/rss")
    assert caught.value.reason == FeedErrorReason.ENTITIES
    assert passwd not in str(caught.value)


def test_a_doctype_without_entities_is_read() -> None:
    feed = _parse("rss091.xml")  # the Netscape RSS 0.91 DOCTYPE, with its external DTD never fetched
    assert len(feed.items) == 2


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"", None, FeedErrorReason.EMPTY),
        (b"  \n\t ", "application/rss+xml", FeedErrorReason.EMPTY),
        (b"<html><head><title>x</title></head><body>page</body></html>", "text/html", FeedErrorReason.HTML),
        (b'<?xml version="1.0"?>\n<!-- c -->\n<!DOCTYPE html><html><body/></html>', None, FeedErrorReason.HTML),
        (b"<html xmlns='http://www.w3.org/1999/xhtml'><body><p>x</p></body></html>", None, FeedErrorReason.HTML),
        (b"<body><p>tag soup</p></body>", "text/html", FeedErrorReason.HTML),
        (b"hello, world", "text/plain", FeedErrorReason.NOT_A_FEED),
        (b"<foo><bar/></foo>", None, FeedErrorReason.NOT_A_FEED),
        (b'{"title": "no items"}', "application/json", FeedErrorReason.NOT_A_FEED),
        (b'[{"id": 1}]', "application/feed+json", FeedErrorReason.NOT_A_FEED),
        (b'{"items": [', None, FeedErrorReason.NOT_A_FEED),
        (b"[" * 100_000, "application/json", FeedErrorReason.NOT_A_FEED),  # deep nesting
    ],
)
def test_bodies_that_are_not_feeds(body: bytes, content_type: str | None, reason: FeedErrorReason) -> None:
    with pytest.raises(FeedError) as caught:
        parse_feed(body, content_type, "https://x.example/feed")
    assert caught.value.reason == reason


def test_a_body_over_the_limit_is_refused_before_parsing() -> None:
    with pytest.raises(FeedError) as caught:
        parse_feed(b"<rss>" + b"a" * MAX_FEED_BYTES, None, "https://x.example/feed")
    assert caught.value.reason == FeedErrorReason.TOO_LARGE


def test_large_feed_is_capped_at_max_items() -> None:
    items = "".join(f"<item><title>Item {n}</title><guid>g{n}</guid></item>" for n in range(MAX_ITEMS + 50))
    feed = parse_feed(_rss(items), None, "https://t.example/rss")
    assert len(feed.items) == MAX_ITEMS
    assert feed.items[0].guid == "g0"


def test_items_with_nothing_to_identify_them_are_skipped() -> None:
    feed = parse_feed(_rss("<item></item><item><title> </title></item><item><title>Kept</title></item>"), None, "u")
    assert [item.title for item in feed.items] == ["Kept"]


def test_json_feed_text_is_cleaned_like_xml() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "<b>Bold</b> &amp; title",
            "items": [
                {"id": "1", "url": "javascript:alert(1)", "title": "A &lt;b&gt;", "content_html": "<p>x</p>"},
                {"id": "2", "url": "/rel", "title": "B", "date_published": "not a date"},
                {"id": ["not", "a", "string"], "title": "C", "date_published": "2026-03-01T10:00:00"},
            ],
        }
    ).encode()
    feed = parse_feed(body, "application/feed+json", "https://j.example/feed.json")
    assert feed.title == "Bold & title"
    first, second, third = feed.items
    assert (first.link, first.title, first.summary) == (None, "A", "x")
    assert (second.link, second.published) == ("https://j.example/rel", None)
    assert third.guid is None and third.published is not None and third.published.tzinfo is UTC


SEEDS = [(SAMPLES / name).read_bytes() for name in READABLE]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(SEEDS),
    cut=st.integers(min_value=0, max_value=2000),
    insert=st.sampled_from([b"", b"&", b"<", b"]]>", b"<br>", b"&nbsp;", b"\x00", b"\xff", b"<!DOCTYPE x>", b"{"]),
    where=st.integers(min_value=0, max_value=2000),
)
def test_any_mangled_feed_parses_or_raises_feed_error(seed: bytes, cut: int, insert: bytes, where: int) -> None:
    body = seed[: max(1, len(seed) - cut)]
    body = body[:where] + insert + body[where:]
    try:
        feed = parse_feed(body, None, "https://fuzz.example/feed")
    except FeedError:
        return
    for item in feed.items:
        assert item.link is None or item.link.startswith(("http://", "https://"))
        assert item.published is None or item.published.tzinfo is UTC


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_parse_or_raise_feed_error(body: bytes) -> None:
    try:
        parse_feed(body, None, "https://fuzz.example/feed")
    except FeedError:
        pass
