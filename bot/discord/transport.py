"""Delivers outbox messages through discord.py, mapping Discord's errors to temporary or permanent.

The store keeps qualified ids ("discord:…", bot/discord/ids.py) and message ids as plain text; every request
here is made with the snowflakes inside them."""

from __future__ import annotations

import logging
import math

import aiohttp
import discord

from bot.delivery import Pace, PermanentFailure, TemporaryFailure, Transport
from bot.discord.ids import qualified, snowflake
from bot.discord.render import to_embed
from bot.limits import MessagePart
from bot.markdown import to_markdown
from bot.payloads import StoredMessage
from storage.direct_messages import DirectMessageRepository
from storage.follows import FollowRepository
from storage.outbox import OutboxItem, TargetKind, nonce_for

log = logging.getLogger(__name__)

CANNOT_DM = 50007
MISSING_ACCESS = 50001
MISSING_PERMISSIONS = 50013


THREAD_ARCHIVE_MINUTES = 10080


def retry_after(exc: discord.HTTPException) -> float | None:
    """The seconds in the answer's Retry-After header (Discord sends it with a 429), if it has a number."""
    value = exc.response.headers.get("Retry-After")
    try:
        seconds = float(value) if value is not None else None
    except ValueError:  # an HTTP date: Discord does not send one; let the backoff decide
        return None
    return seconds if seconds is not None and math.isfinite(seconds) else None


class DiscordTransport(Transport):
    def __init__(self, client: discord.Client, dms: DirectMessageRepository, threads: FollowRepository) -> None:
        self.client = client
        self.dms = dms
        self.threads = threads
        self._pace: Pace | None = None

    def pace_with(self, acquire: Pace) -> bool:
        """The worker's rate limiter: every request takes a turn right before it is made (the message, and
        whatever a delivery needs first: a DM channel, a thread and its card), so all of them stay under the
        same requests-per-second cap, each counted when it really goes out."""
        self._pace = acquire
        return True

    async def _turn(self) -> None:
        if self._pace is not None:
            await self._pace()

    def channel_label(self, channel_id: str) -> str:
        channel = self.client.get_channel(snowflake(channel_id))
        name = getattr(channel, "name", None)
        return f"#{name}" if name else f"<#{snowflake(channel_id)}>"

    async def _dm_channel(self, user_id: str) -> int:
        known = await self.dms.channel_for(user_id)
        if known is not None:
            return snowflake(known)
        await self._turn()
        data = await self.client.http.start_private_message(snowflake(user_id))
        channel_id = int(data["id"])
        await self.dms.remember_channel(user_id, qualified(channel_id))
        return channel_id

    def can_open_threads(self, channel_id: int) -> bool:
        channel = self.client.get_channel(channel_id)
        guild = getattr(channel, "guild", None)
        if channel is None or guild is None or guild.me is None:
            return False
        permissions = channel.permissions_for(guild.me)  # type: ignore[union-attr]
        return permissions.create_public_threads and permissions.send_messages_in_threads

    async def _post(self, channel_id: int, message: StoredMessage, nonce: str) -> discord.Message:
        mentions = discord.AllowedMentions.none()
        content = to_markdown(message.part.content) or None
        if message.ping_role_id is not None:
            role = discord.Object(snowflake(message.ping_role_id))
            mentions = discord.AllowedMentions(everyone=False, users=False, roles=[role])
            content = f"<@&{role.id}> {content or ''}".strip()
        await self._turn()
        return await self.client.get_partial_messageable(channel_id).send(
            content=content,
            embeds=[to_embed(card) for card in message.part.cards],
            nonce=nonce,
            allowed_mentions=mentions,
        )

    async def _thread_for(self, item: OutboxItem, message: StoredMessage) -> int | None:
        """The story's thread in this channel, opened under a status card the first time; None: post in channel."""
        spec = message.thread
        assert spec is not None
        known = await self.threads.thread(item.target_id, spec.story_id)
        channel_id = snowflake(item.target_id)
        card_id = int(known.card_message_id) if known and known.card_message_id else None
        if card_id is not None and known is not None and known.thread_id is not None:
            card_message = self.client.get_partial_messageable(channel_id).get_partial_message(card_id)
            await self._turn()
            try:
                await card_message.edit(embeds=[to_embed(spec.card)], allowed_mentions=discord.AllowedMentions.none())
            except discord.HTTPException as exc:  # a deleted card must not stop the alert itself
                log.warning("could not update the story card %s in %s: %s", card_id, channel_id, exc)
            return int(known.thread_id)
        if not self.can_open_threads(channel_id):
            return None
        if card_id is None:
            card = StoredMessage(MessagePart("", (spec.card,)))
            card_id = (await self._post(channel_id, card, nonce_for(f"card:{channel_id}:{spec.story_id}"))).id
            await self.threads.save_thread(item.target_id, spec.story_id, card_message_id=str(card_id), thread_id=None)
        await self._turn()
        data = await self.client.http.start_thread_with_message(
            channel_id, card_id, name=spec.name or "Story updates", auto_archive_duration=THREAD_ARCHIVE_MINUTES
        )
        thread_id = int(data["id"])
        await self.threads.save_thread(
            item.target_id, spec.story_id, card_message_id=str(card_id), thread_id=str(thread_id)
        )
        return thread_id

    async def deliver(self, item: OutboxItem, message: StoredMessage) -> str | None:
        return str(await self._deliver(item, message))

    async def _deliver(self, item: OutboxItem, message: StoredMessage) -> int:
        """The posted message's snowflake."""
        try:
            if item.target_kind is TargetKind.USER:
                return (await self._post(await self._dm_channel(item.target_id), message, item.nonce)).id
            if message.thread is not None and (thread_id := await self._thread_for(item, message)):
                try:
                    return (await self._post(thread_id, message, item.nonce)).id
                except discord.NotFound:  # the thread was deleted: start over next time, post in the channel now
                    await self.threads.forget_thread(item.target_id, message.thread.story_id)
            return (await self._post(snowflake(item.target_id), message, item.nonce)).id
        except discord.Forbidden as exc:
            raise self._forbidden(item, exc) from None
        except discord.NotFound as exc:
            where = self.channel_label(item.target_id) if item.target_kind is TargetKind.CHANNEL else "the DM channel"
            raise PermanentFailure(f"{where} no longer exists ({exc.code})", target_gone=True) from None
        except discord.HTTPException as exc:  # DiscordServerError (5xx) included
            if exc.status == 429 or exc.status >= 500:
                raise TemporaryFailure(f"Discord error {exc.status}", retry_after=retry_after(exc)) from None
            raise PermanentFailure(f"Discord refused the message ({exc.status} {exc.code}: {exc.text[:100]})") from None
        except discord.RateLimited as exc:  # raised instead of waiting when a client sets max_ratelimit_timeout
            raise TemporaryFailure(
                f"rate limited by Discord for {exc.retry_after:.1f} s", retry_after=exc.retry_after
            ) from None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise TemporaryFailure(f"network error: {type(exc).__name__}") from None

    def _forbidden(self, item: OutboxItem, exc: discord.Forbidden) -> PermanentFailure:
        if exc.code == CANNOT_DM or item.target_kind is TargetKind.USER:
            return PermanentFailure("this user's DMs are closed to the bot", dms_closed=True)
        where = self.channel_label(item.target_id)
        if exc.code in (MISSING_ACCESS, MISSING_PERMISSIONS):
            return PermanentFailure(f"missing Send Messages in {where}")
        return PermanentFailure(f"forbidden in {where} ({exc.code})")
