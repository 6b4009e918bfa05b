"""The core's small Markdown subset -> Slack mrkdwn, safely.

The core writes `**bold**`, `*italic*`/`_italic_`, `` `code` ``, `[text](url)` and `• ` bullets, and inserts
story and feed text verbatim. Slack turns `<!channel>`, `<@U…>`, `<#C…>`, `<!subteam^…>` and `<url|text>` into
pings and links, so every piece of text is escaped (`&`, `<`, `>`, the only characters Slack decodes) before
anything is added: the only `<…>` sequences in our output are the links and dates this module builds itself,
with http(s) targets only. Plain `@channel`/`@here`/`@everyone` get an invisible word joiner after the `@`
as defence in depth (Slack only pings them when a message asks for `link_names`, which we never do).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

__all__ = [
    "MAX_LINK_LENGTH",
    "WORD_JOINER",
    "date_token",
    "escape_text",
    "link",
    "plain_text",
    "safe_url",
    "to_mrkdwn",
]

# U+2060, not a zero-width joiner: ZWJ glues emoji into one character (bot.limits keeps such clusters
# together), while the word joiner is the invisible no-break character meant for exactly this.
WORD_JOINER = "\u2060"
# A link longer than this is shown as "text (url)" instead: the splitter never cuts inside a link, so one
# link must stay far below the smallest text limit it can land in (2,000 for a section field).
MAX_LINK_LENGTH = 1000
# Characters a URL may keep as they are; everything else (space, `|`, `<`, `>`, `"`, non-ASCII…) is
# percent-encoded, so a target can never end the `<url|text>` syntax early.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"

_LABEL_BAR = "\u2223"  # stands in for `|` in a link label, which Slack would read as the separator
_BROADCAST = re.compile(r"@(?=channel|here|everyone)", re.IGNORECASE)
_PLAIN_PING = re.compile(r"<(?=[!@#])")
_TOKEN = re.compile(
    r"(?P<code>`(?P<code_text>[^`\n]+)`)"
    r"|\[(?P<label>[^\[\]\n]+)\]\((?P<url>(?:[^()\s]|\([^()\s]*\))+)\)"
    r"|\*\*(?=\S)(?P<bold>(?:(?!\*\*).)+?)(?<=\S)\*\*"  # never across another `**`: linear time
    r"|(?<![*\w])\*(?=[^\s*])(?P<italic>[^*\n]+?)(?<=[^\s*])\*(?![*\w])"
)


def escape_text(text: str) -> str:
    """Untrusted text as inert mrkdwn: `&`, `<`, `>` escaped and broadcast words defused."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@" + WORD_JOINER, escaped)


def plain_text(text: str) -> str:
    """Text for a Block Kit `plain_text` object (headers): no markup, and nothing that reads as a ping.

    Slack does not parse plain_text for mentions, but the text may be copied or shown elsewhere, so `<!`,
    `<@`, `<#` and the broadcast words are broken with an invisible word joiner all the same.
    """
    return _BROADCAST.sub("@" + WORD_JOINER, _PLAIN_PING.sub("<" + WORD_JOINER, text))


def safe_url(url: str) -> str | None:
    """`url` percent-encoded for a `<url|text>` link if it is an http(s) address with a host, else None."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # a malformed port or IPv6 literal
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return quote(url, safe=_URL_SAFE)


def link(url: str, label: str) -> str:
    """A mrkdwn link `<url|label>`, or `label (url)` as plain text if the URL is not http(s) or too long.

    The label is escaped; `|` in it becomes `∣` (U+2223), since Slack has no escape for the separator.
    """
    target = safe_url(url)
    if target is not None:
        built = f"<{target.replace('&', '&amp;')}|{escape_text(label).replace('|', _LABEL_BAR)}>"
        if len(built) <= MAX_LINK_LENGTH:  # `<`, `>` and `|` in the target are already percent-encoded
            return built
    return f"{escape_text(label)} ({escape_text(url.strip())})"


def date_token(moment: datetime) -> str:
    """Slack's date formatting: each reader sees `moment` in their own zone; the fallback is UTC."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # the core stores UTC
    fallback = aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(aware.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def _convert(match: re.Match[str]) -> str:
    if match["code"] is not None:
        return f"`{escape_text(match['code_text'])}`"
    if match["url"] is not None:
        return link(match["url"], match["label"])
    if match["bold"] is not None:
        return f"*{to_mrkdwn(match['bold'])}*"
    return f"_{to_mrkdwn(match['italic'])}_"


def to_mrkdwn(markdown: str) -> str:
    """Convert the core's Markdown subset to Slack mrkdwn; all other text is escaped (see the module doc).

    `**x**` -> `*x*`, `*x*` -> `_x_`, `_x_` and `` `x` `` stay, `[t](u)` -> `<u|t>` (http(s) only). Line
    structure is kept exactly: the conversion never adds or removes a newline.
    """
    out: list[str] = []
    position = 0
    for match in _TOKEN.finditer(markdown):
        out.append(escape_text(markdown[position : match.start()]))
        out.append(_convert(match))
        position = match.end()
    out.append(escape_text(markdown[position:]))
    return "".join(out)
