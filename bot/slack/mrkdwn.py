"""The core's neutral markup (`bot.markup`) as Slack mrkdwn, safely.

Every piece of text is escaped (`&`, `<`, `>`, the only characters Slack decodes) before anything is added:
the only `<…>` sequences in our output are the links and dates this module builds itself, links with http(s)
targets only. Slack turns `<!channel>`, `<@U…>`, `<!subteam^…>` and `<url|text>` into pings
and links, so none of those can come from text. A role mention is never a ping here: it is shown as plain text
naming the role. Plain `@channel`/`@here`/`@everyone` get an invisible word joiner after the `@` as defence
in depth (Slack only pings them when a message asks for `link_names`, which we never do).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot import ids
from bot.markup import Content, Kind, Span
from bot.urls import link_target

__all__ = [
    "MAX_LINK_LENGTH",
    "WORD_JOINER",
    "date_token",
    "escape_text",
    "link",
    "plain_text",
    "safe_url",
    "span_mrkdwn",
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
_BACKTICK_STAND_IN = "ˋ"  # U+02CB: a backtick in code would end it


_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,}")  # a Slack channel id: only these become `<#…>`


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
    return link_target(url, _URL_SAFE)


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


def span_mrkdwn(span: Span) -> str:
    if span.kind is Kind.TEXT:
        return escape_text(span.text)
    if span.kind is Kind.BOLD:
        # Slack's `*` must touch the words it makes bold: surrounding spaces stay outside.
        core = span.text.strip()
        if not core:
            return escape_text(span.text)
        lead, tail = span.text[: len(span.text) - len(span.text.lstrip())], span.text[len(span.text.rstrip()) :]
        return f"{escape_text(lead)}*{escape_text(core)}*{escape_text(tail)}"
    if span.kind is Kind.CODE:
        return f"`{escape_text(span.text.replace('`', _BACKTICK_STAND_IN))}`" if span.text.strip() else span.text
    if span.kind is Kind.LINK:
        return link(span.target or "", span.text)
    if span.kind is Kind.QUOTE:  # `&gt; ` lines: only links and dates ever carry a raw `<` or `>`
        return "\n".join(f"&gt; {escape_text(line)}" for line in span.text.split("\n"))
    if span.kind is Kind.CHANNEL and not span.text and span.target:
        platform, _, channel_id = span.target.partition(ids.SEPARATOR)
        if platform == "slack" and _CHANNEL_ID.fullmatch(channel_id):
            return f"<#{channel_id}>"  # Slack shows the channel's name, as a link; a channel link pings no one
        return escape_text("#" + (channel_id or span.target))
    return escape_text(span.plain)  # a role is never pinged on Slack: its name, as text


def to_mrkdwn(value: Content | None) -> str:
    """Markup as Slack mrkdwn; a str is literal text, escaped. Never adds or removes a newline."""
    if value is None:
        return ""
    if isinstance(value, str):
        return escape_text(value)
    return "".join(span_mrkdwn(span) for span in value.spans)
