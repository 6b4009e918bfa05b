"""Feed text helpers: plain text out of HTML, and only http(s) links."""

from __future__ import annotations

import pytest

from bot.feeds.text import MAX_LINK_LENGTH, plain_text, safe_link


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("<p>Dockers <b>return</b> &amp; cranes move.</p><script>steal()</script>", "Dockers return & cranes move."),
        ("<style>p{color:red}</style><p>one</p><p>two</p>", "one two"),
        ("line<br>break<br/>again", "line break again"),
        ("Plain &lt;i&gt;text&lt;/i&gt;", "Plain text"),  # escaped HTML, as RSS descriptions often are
        ("&amp;lt;p&amp;gt;Twice&amp;lt;/p&amp;gt; escaped", "Twice escaped"),
        ("Q&A with AT&T", "Q&A with AT&T"),
        ("profits < 5% and costs > 3%", "profits < 5% and costs > 3%"),
        ("caf&eacute; &#8212; &#x263A;", "café — ☺"),
        ("  lots \n\n of\t space  ", "lots of space"),
        ("bidi\u202eoverride and zero\u200bwidth", "bidioverride and zerowidth"),
        ("<img src=x onerror=alert(1)>caption", "caption"),
        (None, ""),
        (42, ""),
    ],
)
def test_plain_text(raw: object, plain: str) -> None:
    assert plain_text(raw) == plain


def test_plain_text_limit_cuts_at_a_word() -> None:
    text = plain_text("alpha beta gamma delta epsilon zeta", limit=20)
    assert text == "alpha beta gamma…" and len(text) <= 20


@pytest.mark.parametrize(
    ("link", "base", "kept"),
    [
        ("https://x.example/a?b=c#d", None, "https://x.example/a?b=c#d"),
        (" http://x.example/ ", None, "http://x.example/"),
        ("/relative/path", "https://feed.example/rss.xml", "https://feed.example/relative/path"),
        ("other", "https://feed.example/dir/rss.xml", "https://feed.example/dir/other"),
        ("/relative/path", None, None),
        ("javascript:alert(1)", "https://feed.example/", None),
        ("JaVaScRiPt:alert(1)", "https://feed.example/", None),
        ("data:text/html,<b>x</b>", None, None),
        ("file:///etc/passwd", None, None),
        ("ftp://x.example/file", None, None),
        ("mailto:a@x.example", None, None),
        ("https://x.example/a b", None, None),
        ("https://x.example/\u202egpj.exe", None, None),
        ("http://x.example:99999/", None, None),
        ("https:///no-host", None, None),
        ("https://x.example/" + "a" * MAX_LINK_LENGTH, None, None),
        (None, None, None),
    ],
)
def test_safe_link(link: object, base: str | None, kept: str | None) -> None:
    assert safe_link(link, base) == kept


def test_a_malformed_host_is_no_link_not_an_error() -> None:
    # Found by the mangled-feed fuzz test: a "[" in the host made urlsplit raise before the check.
    assert safe_link("http://[::1/]]>x", base="https://feed.example/") is None
    assert safe_link("//[bad/x", base="https://feed.example/") is None  # a relative link with a broken host
