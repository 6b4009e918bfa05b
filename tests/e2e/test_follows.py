"""Following a story over a loopback Discord: each development told once, in DMs and channel threads (issue 5)."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta

from bot.discord.ids import qualified
from storage.database import Database
from storage.digests import DigestRepository
from tests.e2e.conftest import StartBot
from tests.e2e.harness import BRIEFBOT, CHANNEL_ID, GUILD_ID, MEMBER_ID, BotWorkspace
from tests.stub.discord_stub import DiscordStub, Perm, text_channel

SEED_SLUG = "zuckerberg-visits-south-korea-to-discuss"
MANAGE_CHANNELS = 1 << 4
MANAGE_ROLES = 1 << 28
MANAGE_GUILD = 1 << 5
FAST_ALERTS = {"ALERT_BURST_WINDOW": "3s"}
CLOSED_DM_USER = 300000000000000903
MUTED_USER = 300000000000000904
FIRST_UPDATE = "Zuckerberg signed a chip supply deal with Samsung in Seoul on Thursday."
SECOND_UPDATE = "Meta will open an AI research lab in Seoul next year, hiring 200 engineers."
SECOND_UPDATE_DOCUMENT = f"""---
title: Meta to open an AI lab in Seoul
date: 2024-03-05 10:00
follows: zuckerberg-visits-south-korea-to-discuss
url: https://example.com/lab
---
{SECOND_UPDATE}
"""


async def operator_update(workspace: BotWorkspace, text: str, url: str = "https://example.com/update") -> str:
    """`briefbot update` from another process, as an operator would run it next to the running bot."""
    env = {**os.environ, "DATABASE_PATH": str(workspace.database), "SEEDS_DIR": str(workspace.seeds)}
    process = await asyncio.create_subprocess_exec(
        str(BRIEFBOT), "update", SEED_SLUG, "--text", text, "--url", url, cwd=workspace.root, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()
    return output.decode()


def alert_dms(stub: DiscordStub, user_id: int) -> list[str]:
    return [m.text for m in stub.dm_messages_to(user_id) if "Story update" in m.text or "updates:" in m.text]


async def follow(stub: DiscordStub, user_id: int, where: str, **extra: object) -> str:
    result = await stub.invoke_slash("story", subcommand="follow", options={"story": SEED_SLUG, "where": where},
                                     channel_id=CHANNEL_ID, user_id=user_id, **extra)
    assert result.ephemeral, result.text
    return result.text


async def test_follow_by_dm_and_in_channel_then_updates_restart_and_no_resend(
    stub: DiscordStub, start_bot: StartBot, workspace: BotWorkspace
) -> None:
    bot = await start_bot(FAST_ALERTS)
    await stub.wait_for_command_sync(timeout=20)
    assert "DM you what changed" in await follow(stub, MEMBER_ID, "dm")
    assert "thread" in await follow(stub, MEMBER_ID, "here", member_permissions=MANAGE_CHANNELS)

    await operator_update(workspace, FIRST_UPDATE)
    await stub.wait_for(lambda: alert_dms(stub, MEMBER_ID), timeout=60, what="the DM alert")
    await stub.wait_for(lambda: stub.threads_of(CHANNEL_ID), timeout=30, what="the story thread")
    [thread] = stub.threads_of(CHANNEL_ID)
    await stub.wait_for(lambda: stub.messages_in(thread.id), timeout=30, what="the thread reply")
    [dm] = alert_dms(stub, MEMBER_ID)
    assert "chip supply deal" in dm and SEED_SLUG in dm
    cards = [m for m in stub.messages_in(CHANNEL_ID) if m.embeds and "Following:" in m.embeds[0].get("title", "")]
    assert len(cards) == 1 and cards[0].id == thread.id

    # The second development arrives as a document dropped into seeds/ (twice, under two names).
    (workspace.seeds / "lab.md").write_text(SECOND_UPDATE_DOCUMENT, encoding="utf-8")
    (workspace.seeds / "lab-copy.md").write_text(SECOND_UPDATE_DOCUMENT, encoding="utf-8")
    await stub.wait_for(lambda: len(stub.messages_in(thread.id)) >= 2, timeout=100, what="the second thread reply")
    await stub.wait_for(lambda: len(alert_dms(stub, MEMBER_ID)) >= 2, timeout=30, what="the second DM")
    assert "research lab" in stub.messages_in(thread.id)[-1].text
    assert stub.get_message(CHANNEL_ID, cards[0].id).edits, "the story card was not edited"
    assert len(stub.threads_of(CHANNEL_ID)) == 1

    assert await bot.stop() == 0
    again = await start_bot(FAST_ALERTS)
    await again.wait_for_log("caught up at start")  # a seeds check, then an alert poll, have run
    await workspace.wait_for_outbox()
    assert len(alert_dms(stub, MEMBER_ID)) == 2
    assert len(stub.messages_in(thread.id)) == 2
    assert len([m for m in stub.messages_in(CHANNEL_ID) if m.embeds]) == 1


async def test_closed_dms_are_marked_after_one_failure_and_the_user_is_told_once(
    stub: DiscordStub, start_bot: StartBot, workspace: BotWorkspace
) -> None:
    stub.add_member(GUILD_ID, CLOSED_DM_USER)
    stub.close_dms(CLOSED_DM_USER)
    bot = await start_bot(FAST_ALERTS)
    await stub.wait_for_command_sync(timeout=20)
    await follow(stub, CLOSED_DM_USER, "dm")
    await operator_update(workspace, FIRST_UPDATE)
    dm_channel = stub.dm_channel(CLOSED_DM_USER)
    route = "/channels/{channel_id}/messages"

    def attempts() -> int:
        return len([r for r in stub.requests_to("POST", route) if f"/channels/{dm_channel.id}/" in r.path])

    await stub.wait_for(lambda: attempts() >= 1, timeout=60, what="the DM attempt")
    await operator_update(workspace, SECOND_UPDATE)
    await bot.wait_for_log("alerts enqueued", count=2, timeout=60)  # the second alert, for a user now known closed
    await workspace.wait_for_outbox()
    assert attempts() == 1

    first = await stub.invoke_slash("story", subcommand="list", channel_id=CHANNEL_ID, user_id=CLOSED_DM_USER)
    await first.wait_for_followups(1, timeout=10)
    assert any("couldn't DM you" in m.text and m.ephemeral for m in first.all_messages)
    second = await stub.invoke_slash("story", subcommand="list", channel_id=CHANNEL_ID, user_id=CLOSED_DM_USER,
                                     settle=1.0)
    assert not any("couldn't DM you" in m.text for m in second.all_messages)

    # As the notice says: the user allows DMs and follows again, and the next development reaches them.
    stub.open_dms(CLOSED_DM_USER)
    assert "Already following" in await follow(stub, CLOSED_DM_USER, "dm")
    await operator_update(workspace, "Samsung and Naver join the Seoul lab as founding partners.")
    await stub.wait_for(lambda: alert_dms(stub, CLOSED_DM_USER), timeout=60, what="the alert after DMs reopened")
    assert len(alert_dms(stub, CLOSED_DM_USER)) == 1


async def test_muted_follower_gets_the_held_alert_in_the_next_digest(
    stub: DiscordStub, start_bot: StartBot, workspace: BotWorkspace
) -> None:
    stub.add_member(GUILD_ID, MUTED_USER)
    bot = await start_bot(FAST_ALERTS)
    await stub.wait_for_command_sync(timeout=20)
    await follow(stub, MUTED_USER, "dm")
    muted = await stub.invoke_slash("story", subcommand="mute", options={"story": SEED_SLUG, "hours": 24},
                                    channel_id=CHANNEL_ID, user_id=MUTED_USER)
    assert "held, not lost" in muted.text
    await operator_update(workspace, FIRST_UPDATE)
    await bot.wait_for_log("0 alerts enqueued, 1 held", timeout=60)
    assert alert_dms(stub, MUTED_USER) == []
    assert await bot.stop() == 0

    now = datetime.now(UTC)
    due = now - timedelta(minutes=1)
    async with Database.open(workspace.database) as db:
        await DigestRepository(db).save(
            audience_kind="user", audience_id=qualified(MUTED_USER), scope_id=qualified(GUILD_ID), channel_id=None,
            time_of_day=due.strftime("%H:%M"), timezone="UTC", days="mon,tue,wed,thu,fri,sat,sun",
            next_fire_at=due, next_slot_date=due.date(), now=now,
        )
    await start_bot(FAST_ALERTS)
    await stub.wait_for(lambda: stub.dm_messages_to(MUTED_USER), timeout=30, what="the personal digest")
    await workspace.wait_for_outbox()
    texts = [m.text for m in stub.dm_messages_to(MUTED_USER)]
    assert len([t for t in texts if "briefing" in t]) == 1
    assert any("While you were muted" in t and "chip supply deal" in t for t in texts), texts


async def test_channel_follow_can_ping_one_role_and_falls_back_to_the_channel_without_thread_rights(
    stub: DiscordStub, start_bot: StartBot, workspace: BotWorkspace
) -> None:
    await start_bot(FAST_ALERTS)
    await stub.wait_for_command_sync(timeout=20)
    guild, role, pinging, threadless = 330000000000000001, 330000000000000002, 330000000000000003, 330000000000000004
    stub.add_guild(guild, channels=[text_channel(pinging, "alerts"), text_channel(threadless, "plain")],
                   roles=[{"id": role, "name": "news-fans", "permissions": 0}], members=[MEMBER_ID])
    stub.set_bot_overwrite(threadless, deny=Perm.CREATE_PUBLIC_THREADS)
    # Sent before the interactions below, on the same socket: the bot knows the server and the channel's rights.
    wanted = {("GUILD_CREATE", str(guild)), ("CHANNEL_UPDATE", str(threadless))}
    await stub.wait_for(lambda: wanted <= {(d.event, str(d.data.get("id"))) for d in stub.dispatched},
                        timeout=10, what="GUILD_CREATE and CHANNEL_UPDATE for the new server")

    def follow_here(channel: int, permissions: int, **options: object) -> object:
        return stub.invoke_slash("story", subcommand="follow",
                                 options={"story": SEED_SLUG, "where": "here", **options},
                                 channel_id=channel, guild_id=guild, user_id=MEMBER_ID, member_permissions=permissions)

    refused = await follow_here(pinging, MANAGE_CHANNELS, ping=role)
    assert refused.ephemeral and "Manage Roles" in refused.text
    accepted = await follow_here(pinging, MANAGE_CHANNELS | MANAGE_ROLES, ping=role)
    assert f"<@&{role}>" in accepted.text and not accepted.message.mention_roles
    await follow_here(threadless, MANAGE_CHANNELS)

    await operator_update(workspace, FIRST_UPDATE)
    await stub.wait_for(lambda: stub.threads_of(pinging), timeout=60, what="the thread in the pinging channel")
    [thread] = stub.threads_of(pinging)
    alert = await stub.wait_for_message(thread.id, timeout=30)
    assert alert.content.startswith(f"<@&{role}>") and alert.mention_roles == [role]
    assert not alert.mention_everyone and alert.mentions == []
    plain = await stub.wait_for_message(threadless, timeout=30)
    assert "chip supply deal" in plain.text and stub.threads_of(threadless) == []
    assert plain.mention_roles == []


LOCAL_STORY = """Harbour Council Votes On Ferry Fares
1 min read
The harbour council votes tonight on new ferry fares for islanders.
March 1, 2024 09:00
Councillors meet at seven to settle the fares for next year.
Key Points:
- Fares: A single crossing may rise by ten percent.
"""


async def test_removing_a_story_tells_its_followers_once(stub: DiscordStub, start_bot: StartBot) -> None:
    await start_bot(FAST_ALERTS)
    await stub.wait_for_command_sync(timeout=20)
    data = stub.add_attachment("ferry.txt", LOCAL_STORY.encode())
    added = await stub.invoke_slash("story", subcommand="add", options={"file": data}, channel_id=CHANNEL_ID,
                                    user_id=MEMBER_ID, member_permissions=MANAGE_GUILD)
    slug = "harbour-council-votes-on-ferry-fares"
    assert slug in added.text, added.text
    followed = await stub.invoke_slash("story", subcommand="follow", options={"story": slug, "where": "dm"},
                                       channel_id=CHANNEL_ID, user_id=MEMBER_ID)
    assert "DM you what changed" in followed.text

    removed = await stub.invoke_slash("story", subcommand="remove", options={"story": slug}, channel_id=CHANNEL_ID,
                                      user_id=MEMBER_ID, member_permissions=MANAGE_GUILD)
    assert removed.ephemeral and "1 follower was told" in removed.text, removed.text

    def notices() -> list[str]:
        return [m.text for m in stub.dm_messages_to(MEMBER_ID) if "Story removed" in m.text]

    await stub.wait_for(notices, timeout=30, what="the removal notice")
    [notice] = notices()
    assert "Harbour Council Votes On Ferry Fares" in notice and "no longer follow" in notice
    following = await stub.invoke_slash("story", subcommand="following", channel_id=CHANNEL_ID, user_id=MEMBER_ID)
    assert "follow nothing yet" in following.text
