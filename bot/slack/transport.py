"""Delivers outbox messages to Slack through `SlackPoster`: channels, DMs, and a story's thread under its card.

* A channel target (`"slack:C…"`) is posted to that channel; a user target (`"slack:U…"`) to the DM that
  `conversations.open` gives, remembered in the DM table as Discord's are.
* A message with a `ThreadSpec` (a channel follow's alert) goes under the story's card in that channel: the card
  is posted once per channel and story (its `ts` kept in story_threads), the alert is a reply in its thread
  (`thread_ts`), and then the card is edited to show the story's new state (`chat.update`).
* Every post carries its outbox id (and which part of the row it is) in its metadata, so that after an
  ambiguous failure the poster finds what was stored before it posts again; `retried` makes it look first
  whenever an earlier attempt of the row was made, in this process or before a restart.
"""

from __future__ import annotations

import logging
from typing import Any

from bot import ids
from bot.cards import Reply
from bot.delivery import Pace, PermanentFailure, TemporaryFailure, Transport
from bot.payloads import StoredMessage, ThreadSpec
from bot.platforms import Platform
from bot.slack.failures import DMS_CLOSED_REASON, MessageGone
from bot.slack.poster import SlackPoster
from bot.slack.render import render_reply
from storage.direct_messages import DirectMessageRepository
from storage.follows import FollowRepository
from storage.outbox import OutboxItem, TargetKind

__all__ = ["CARD_PART", "SlackTransport"]

log = logging.getLogger(__name__)

CARD_PART = "card"

Message = dict[str, Any]


def _messages(message: StoredMessage) -> list[Message]:
    return render_reply(Reply(text=message.part.content, cards=message.part.cards))


def _card_message(spec: ThreadSpec) -> Message:
    return render_reply(Reply(cards=(spec.card,)))[0]  # a status card: a few blocks, one message


class SlackTransport(Transport):
    def __init__(self, poster: SlackPoster, dms: DirectMessageRepository, threads: FollowRepository) -> None:
        self.poster = poster
        self.dms = dms
        self.threads = threads

    def pace_with(self, acquire: Pace) -> bool:
        """Every request (a DM channel, a card, a lookup, the post, an edit) takes a turn of the worker's limiter."""
        return self.poster.pace_with(acquire)

    async def deliver(self, item: OutboxItem, message: StoredMessage) -> str:
        retried = item.attempts > 0  # an earlier attempt may have been stored: look before posting
        if item.target_kind is TargetKind.USER:
            try:
                channel = await self._dm_channel(item.target_id)
                return await self._post_all(channel, _messages(message), item.id, retried=retried)
            except PermanentFailure as exc:  # whatever Slack says about a DM, the user cannot be reached
                raise PermanentFailure(exc.reason or DMS_CLOSED_REASON, dms_closed=True) from None
        channel = ids.external(item.target_id)
        if message.thread is not None:
            return await self._in_thread(item, channel, message, retried=retried)
        return await self._post_all(channel, _messages(message), item.id, retried=retried)

    async def _post_all(
        self, channel: str, messages: list[Message], outbox_id: int, *, thread_ts: str | None = None, retried: bool
    ) -> str:
        """Posts a rendered reply (one message, or more for a long one); returns the first message's ts."""
        first: str | None = None
        for index, rendered in enumerate(messages):
            ts = await self.poster.post(
                channel,
                rendered["text"],
                rendered["blocks"],
                thread_ts=thread_ts,
                outbox_id=outbox_id,
                part=None if index == 0 else str(index),
                retried=retried,
            )
            first = first or ts
        assert first is not None  # render_reply always gives at least one message
        return first

    async def _dm_channel(self, user: str) -> str:
        known = await self.dms.channel_for(user)
        if known is not None:
            return ids.external(known)
        channel = await self.poster.open_dm(ids.external(user))
        await self.dms.remember_channel(user, ids.qualify(Platform.SLACK, channel))  # qualified, as every id kept
        return channel

    async def _in_thread(self, item: OutboxItem, channel: str, message: StoredMessage, *, retried: bool) -> str:
        spec = message.thread
        assert spec is not None
        target = item.target_id
        card_ts, fresh = await self._card(item, channel, spec, retried=retried)
        try:
            ts = await self._post_all(channel, _messages(message), item.id, thread_ts=card_ts, retried=retried)
        except MessageGone:  # the card was deleted, and its thread with it: a new card, and the alert under it
            log.info("slack: the story card %s in %s is gone; posting a new one", card_ts, channel)
            await self.threads.forget_thread(target, spec.story_id)
            card_ts, fresh = await self._card(item, channel, spec, retried=True)
            ts = await self._post_all(channel, _messages(message), item.id, thread_ts=card_ts, retried=True)
        if not fresh:
            await self._update_card(channel, card_ts, spec)
        return ts

    async def _card(self, item: OutboxItem, channel: str, spec: ThreadSpec, *, retried: bool) -> tuple[str, bool]:
        """The story's card in this channel, posted the first time; True when it was posted just now."""
        target = item.target_id
        known = await self.threads.thread(target, spec.story_id)
        if known is not None and known.card_message_id is not None:
            return known.card_message_id, False
        card = _card_message(spec)
        ts = await self.poster.post(
            channel, card["text"], card["blocks"], outbox_id=item.id, part=CARD_PART, retried=retried
        )
        # No thread id: a Slack thread is the card's replies, not a channel another message could target.
        await self.threads.save_thread(target, spec.story_id, card_message_id=ts, thread_id=None)
        return ts, True

    async def _update_card(self, channel: str, card_ts: str, spec: ThreadSpec) -> None:
        """The card shows the story's state; a failed edit must not fail the alert that was just posted."""
        card = _card_message(spec)
        try:
            await self.poster.update(channel, card_ts, card["text"], card["blocks"])
        except (PermanentFailure, TemporaryFailure) as exc:
            log.warning("slack: could not update the story card %s in %s: %s", card_ts, channel, exc)
