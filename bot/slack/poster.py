"""Posting outbox messages to Slack exactly once, without a nonce, at about one message a second per channel.

`chat.postMessage` has no idempotency key, so every post carries the outbox id in its message metadata
(`event_type: briefbot_outbox`). When a post fails ambiguously (timeout, dropped connection, 5xx: it may have
been stored), the poster looks for that id in the channel's recent history, or in the thread's replies, and
returns the stored message's `ts` if it is there; if it is not, it raises `TemporaryFailure` and looks again
before the next try. The caller passes `retried=True` when an earlier attempt of the same outbox row may have
been made (by another process, before a restart), so the check happens then too.

Pacing: one `chat.postMessage` per channel per second (Slack's documented limit), each channel on its own so
one busy channel does not slow the others; a 429 holds its channel for the `Retry-After` Slack sent, and is
raised as `TemporaryFailure(retry_after=…)` for the outbox worker to reschedule, as the Discord transport does.
Text never pings: `parse`/`link_names` are never sent, and any `<!channel>`, `<!here>`, `<!everyone>`,
`<!subteam^…>` or `<@U…>` that reached this far is broken with an invisible word joiner.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery import Pace, PermanentFailure, TemporaryFailure
from bot.slack.failures import api_error, classify, is_ambiguous
from bot.slack.mrkdwn import WORD_JOINER

__all__ = ["OUTBOX_EVENT", "ChannelPacer", "SlackPoster", "web_client", "web_session"]

log = logging.getLogger(__name__)

OUTBOX_EVENT = "briefbot_outbox"
# Slack: about one message per second per channel, counted when the posts arrive, not when they leave: a post
# that starts exactly one second after the last can arrive a little sooner than that, and be refused.
POST_SPACING_SECONDS = 1.05
LOOKUP_PAGE = 200  # messages per conversations.history / .replies page
LOOKUP_PAGES = 5  # how far back an ambiguous post is looked for: the busiest channel's last 1,000 messages
_PING = re.compile(r"<(?=!(?:channel|here|everyone|subteam\^)|@[UW])", re.IGNORECASE)

Block = dict[str, Any]


WEB_TIMEOUT_SECONDS = 30.0


def web_session(timeout: float = WEB_TIMEOUT_SECONDS) -> aiohttp.ClientSession:
    """An HTTP session for `web_client`: with a session of its own, slack_sdk's per-call timeout is this one."""
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout))


def web_client(
    token: str, api_base: str, *, timeout: float = WEB_TIMEOUT_SECONDS, session: aiohttp.ClientSession | None = None
) -> AsyncWebClient:
    """A Web API client for the poster. No retry handlers: slack_sdk's default one sends a request again after
    a dropped connection, which for `chat.postMessage` could post the same message twice.

    `session`: one HTTP session kept for the client's life (the caller closes it); without it slack_sdk opens a
    session, and a connection, for every call, which at a hundred posts a second costs more than the posts."""
    return AsyncWebClient(
        token=token, base_url=api_base, timeout=timeout, retry_handlers=[], session=session  # type: ignore[arg-type]
    )


def defuse(value: Any) -> Any:
    """`value` (text or blocks) with every ping broken, so that nothing the bot posts notifies anyone."""
    if isinstance(value, str):
        return _PING.sub("<" + WORD_JOINER, value)
    if isinstance(value, list):
        return [defuse(item) for item in value]
    if isinstance(value, dict):
        return {key: defuse(item) for key, item in value.items()}
    return value


class ChannelPacer:
    """Spaces posts to each channel `spacing` seconds apart; channels never wait on each other."""

    def __init__(
        self,
        spacing: float = POST_SPACING_SECONDS,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.spacing = spacing
        self.clock = clock
        self.sleep = sleep
        self._next: dict[str, float] = {}

    async def wait(self, channel: str) -> None:
        """Takes the channel's next free slot (no await in between, so concurrent callers queue) and waits for it."""
        now = self.clock()
        slot = max(now, self._next.get(channel, now))
        self._next[channel] = slot + self.spacing
        if slot > now:
            await self.sleep(slot - now)

    def sent(self, channel: str) -> None:
        """A post to `channel` leaves now. When it left later than its slot (it waited for the worker's turn
        after its slot came), the next one waits a full spacing from now, not from the slot: Slack counts
        posts as they arrive."""
        self._next[channel] = max(self._next.get(channel, 0.0), self.clock() + self.spacing)

    def hold(self, channel: str, seconds: float) -> None:
        """Slack said to wait (429 Retry-After): no post to this channel starts before then."""
        self._next[channel] = max(self._next.get(channel, 0.0), self.clock() + seconds)


class SlackPoster:
    """Posts, edits, DM channels and channel membership for the outbox, over one AsyncWebClient.

    Build the client with `web_client()`: a client that retries by itself could post twice."""

    def __init__(
        self, client: AsyncWebClient, *, pacer: ChannelPacer | None = None, bot_name: str = "briefbot"
    ) -> None:
        self.client = client
        self.pacer = pacer if pacer is not None else ChannelPacer()
        self.bot_name = bot_name
        self._pace: Pace | None = None
        self._unsure: set[tuple[int, str | None]] = set()  # (outbox id, part) whose last post may have been stored
        self._names: dict[str, str] = {}

    def pace_with(self, acquire: Pace) -> bool:
        """The outbox worker's global limiter: every request takes a turn right before it is made."""
        self._pace = acquire
        return True

    async def _turn(self) -> None:
        if self._pace is not None:
            await self._pace()

    # --- posting -------------------------------------------------------------------------------------------

    async def post(
        self,
        channel: str,
        text: str,
        blocks: list[Block],
        *,
        thread_ts: str | None = None,
        outbox_id: int,
        part: str | None = None,
        retried: bool = False,
    ) -> str:
        """Posts once and returns the message's ts. Raises TemporaryFailure or PermanentFailure.

        `part` tells apart several messages posted for one outbox row (a story card, a long reply's second
        message): each is looked for, and posted, on its own."""
        key = (outbox_id, part)
        if retried or key in self._unsure:
            found = await self.find_posted(channel, outbox_id, thread_ts, part=part)
            if found is not None:
                self._unsure.discard(key)
                log.info("slack: outbox %s was already posted in %s (ts %s)", outbox_id, channel, found)
                return found
        await self.pacer.wait(channel)
        await self._turn()
        self.pacer.sent(channel)
        try:
            answer = await self.client.chat_postMessage(
                channel=channel,
                text=defuse(text),
                blocks=defuse(blocks),
                thread_ts=thread_ts,
                metadata={"event_type": OUTBOX_EVENT, "event_payload": _payload(outbox_id, part)},
            )
        except Exception as exc:
            if not is_ambiguous(exc):
                raise await self._failure(exc, channel) from None
            self._unsure.add(key)
            found = await self.find_posted(channel, outbox_id, thread_ts, part=part)
            if found is None:
                why = f"Slack did not confirm the post ({_why(exc)}), and it is not in the channel yet"
                raise TemporaryFailure(why) from None
            self._unsure.discard(key)
            log.info("slack: outbox %s was stored despite %s (ts %s)", outbox_id, _why(exc), found)
            return found
        self._unsure.discard(key)
        return str(answer["ts"])

    async def find_posted(
        self, channel: str, outbox_id: int, thread_ts: str | None = None, *, part: str | None = None
    ) -> str | None:
        """The ts of the message carrying `outbox_id` among the channel's (or the thread's) recent messages."""
        cursor: str | None = None
        for _ in range(LOOKUP_PAGES):
            await self._turn()
            try:
                if thread_ts is None:
                    page = await self.client.conversations_history(
                        channel=channel, include_all_metadata=True, limit=LOOKUP_PAGE, cursor=cursor
                    )
                else:
                    page = await self.client.conversations_replies(
                        channel=channel, ts=thread_ts, include_all_metadata=True, limit=LOOKUP_PAGE, cursor=cursor
                    )
            except Exception as exc:
                raise await self._failure(exc, channel) from None
            for message in page.get("messages") or []:
                if _carries(message, outbox_id, part):
                    return str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not page.get("has_more") or cursor is None:
                return None
        return None

    async def update(self, channel: str, ts: str, text: str, blocks: list[Block]) -> None:
        """Edits a posted message (a story card). Editing twice is harmless, so any failure is just classified."""
        await self._turn()
        try:
            await self.client.chat_update(channel=channel, ts=ts, text=defuse(text), blocks=defuse(blocks))
        except Exception as exc:
            raise await self._failure(exc, channel) from None

    async def _failure(
        self, exc: Exception, channel: str, where: str | None = None
    ) -> TemporaryFailure | PermanentFailure:
        if not isinstance(exc, SlackApiError) and not is_ambiguous(exc):
            raise exc  # a bug of ours (bad arguments), not Slack's answer: let the worker log it
        failure = classify(exc, where or await self.label(channel), bot_name=self.bot_name)
        if isinstance(failure, TemporaryFailure) and failure.retry_after is not None:
            self.pacer.hold(channel, failure.retry_after)
        return failure

    # --- where to post ---------------------------------------------------------------------------------------

    async def label(self, channel: str) -> str:
        """`#news` for a channel, `the DM` for a direct message; the id when Slack will not say."""
        if channel.startswith("D"):
            return "the DM"
        if channel not in self._names:
            try:
                info = await self.client.conversations_info(channel=channel)
                self._names[channel] = f"#{info['channel']['name']}"
            except Exception as exc:  # only a label: the failure being reported matters more
                log.debug("slack: no name for %s: %s", channel, exc)
                return f"channel {channel}"
        return self._names[channel]

    async def open_dm(self, user_id: str) -> str:
        """The DM channel with `user_id` (conversations.open); the transport keeps it in the store's DM table."""
        await self._turn()
        try:
            answer = await self.client.conversations_open(users=user_id)
        except Exception as exc:
            raise await self._failure(exc, user_id, "the DM") from None
        return str(answer["channel"]["id"])


def _payload(outbox_id: int, part: str | None) -> dict[str, Any]:
    return {"outbox_id": outbox_id} if part is None else {"outbox_id": outbox_id, "part": part}


def _carries(message: dict[str, Any], outbox_id: int, part: str | None = None) -> bool:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return (
        metadata.get("event_type") == OUTBOX_EVENT
        and str(payload.get("outbox_id")) == str(outbox_id)
        and payload.get("part") == part
    )


def _why(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        return api_error(exc) or f"HTTP {exc.response.status_code}"
    return type(exc).__name__
