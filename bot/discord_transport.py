"""Delivers outbox messages through discord.py, mapping Discord's errors to temporary or permanent."""

from __future__ import annotations

import aiohttp
import discord

from bot.delivery import PermanentFailure, TemporaryFailure
from bot.discord_render import to_embed
from bot.payloads import StoredMessage
from storage.direct_messages import DirectMessageRepository
from storage.outbox import OutboxItem

CANNOT_DM = 50007
MISSING_ACCESS = 50001
MISSING_PERMISSIONS = 50013
UNKNOWN_CHANNEL = 10003


class DiscordTransport:
    def __init__(self, client: discord.Client, dms: DirectMessageRepository) -> None:
        self.client = client
        self.dms = dms

    def channel_label(self, channel_id: int) -> str:
        channel = self.client.get_channel(channel_id)
        name = getattr(channel, "name", None)
        return f"#{name}" if name else f"<#{channel_id}>"

    async def _dm_channel(self, user_id: int) -> int:
        known = await self.dms.channel_for(user_id)
        if known is not None:
            return known
        data = await self.client.http.start_private_message(user_id)
        channel_id = int(data["id"])
        await self.dms.remember_channel(user_id, channel_id)
        return channel_id

    async def deliver(self, item: OutboxItem, message: StoredMessage) -> int | None:
        try:
            channel_id = item.target_id if item.target_kind == "channel" else await self._dm_channel(item.target_id)
            target = self.client.get_partial_messageable(channel_id)
            mentions = discord.AllowedMentions.none()
            content = message.part.content or None
            if message.ping_role_id is not None:
                mentions = discord.AllowedMentions(
                    everyone=False, users=False, roles=[discord.Object(message.ping_role_id)]
                )
                content = f"<@&{message.ping_role_id}> {content or ''}".strip()
            sent = await target.send(
                content=content,
                embeds=[to_embed(card) for card in message.part.cards],
                nonce=item.nonce,
                allowed_mentions=mentions,
            )
            return sent.id
        except discord.Forbidden as exc:
            raise self._forbidden(item, exc) from None
        except discord.NotFound as exc:
            where = self.channel_label(item.target_id) if item.target_kind == "channel" else "the DM channel"
            raise PermanentFailure(f"{where} no longer exists ({exc.code})", target_gone=True) from None
        except discord.DiscordServerError as exc:
            raise TemporaryFailure(f"Discord error {exc.status}") from None
        except discord.HTTPException as exc:
            if exc.status == 429 or exc.status >= 500:
                raise TemporaryFailure(f"Discord error {exc.status}") from None
            raise PermanentFailure(f"Discord refused the message ({exc.status} {exc.code}: {exc.text[:100]})") from None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise TemporaryFailure(f"network error: {type(exc).__name__}") from None

    def _forbidden(self, item: OutboxItem, exc: discord.Forbidden) -> PermanentFailure:
        if exc.code == CANNOT_DM or item.target_kind == "user":
            return PermanentFailure("this user's DMs are closed to the bot", dms_closed=True)
        where = self.channel_label(item.target_id)
        if exc.code in (MISSING_ACCESS, MISSING_PERMISSIONS):
            return PermanentFailure(f"missing Send Messages in {where}")
        return PermanentFailure(f"forbidden in {where} ({exc.code})")
