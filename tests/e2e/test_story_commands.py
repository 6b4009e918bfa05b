"""The real bot process answers /story commands over a loopback Discord (issue 3)."""

from __future__ import annotations

import json

from tests.e2e.conftest import StartBot
from tests.e2e.harness import (
    CHANNEL_ID,
    GUILD_ID,
    MEMBER_ID,
    OTHER_CHANNEL_ID,
    OTHER_GUILD_ID,
    BotWorkspace,
    run_briefbot,
)
from tests.stub.discord_stub import DiscordStub

KEY_POINT_LABELS = ["Meetings with Key Players", "AI Discussions", "Meta's AI Push"]
SEED_SLUG = "zuckerberg-visits-south-korea-to-discuss"
PINGING_STORY = """Everyone Ping Test Story
1 min read
A story whose text tries to ping @everyone and a role <@&123> and a user <@456>.
March 1, 2024 09:00
Body that mentions @here and @everyone again.
Key Points:
- Ping: <@&123> should never be pinged, nor @everyone.
"""


async def test_commands_sync_and_only_change_triggers_a_global_sync(stub: DiscordStub, start_bot: StartBot) -> None:
    bot = await start_bot()
    await stub.wait_for_command_sync(timeout=20)
    names = {c["name"] for c in stub.commands[None]}
    assert {"story", "help", "digest", "brief"} <= names
    story = next(c for c in stub.commands[None] if c["name"] == "story")
    assert {"list", "show", "keypoints", "ask", "timeline", "search", "follow"} <= {o["name"] for o in story["options"]}
    assert stub.privileged_intents_requested == 0
    assert "applications.commands" in bot.logs and "scope=bot" in bot.logs
    assert await bot.stop() == 0
    assert "database closed" in bot.logs
    assert stub.token not in bot.logs

    again = await start_bot()
    await again.wait_for_log("unchanged; no sync needed")
    assert stub.command_syncs[None] == 1


async def test_dev_guild_sync(stub: DiscordStub, start_bot: StartBot) -> None:
    await start_bot({"DEV_GUILD_ID": str(GUILD_ID)})
    await stub.wait_for_command_sync(scope=GUILD_ID, timeout=20)
    assert {"story", "help"} <= {c["name"] for c in stub.commands[GUILD_ID]}


async def test_keypoints_are_exactly_the_three_labelled_bullets(stub: DiscordStub, start_bot: StartBot) -> None:
    await start_bot()
    await stub.wait_for_command_sync(timeout=20)
    result = await stub.invoke_slash("story", subcommand="keypoints", options={"story": SEED_SLUG},
                                     channel_id=CHANNEL_ID, user_id=MEMBER_ID)
    assert not result.ephemeral
    [embed] = result.embeds
    bullets = [line for line in embed["description"].splitlines() if line.startswith("•")]
    assert [b.split("**")[1] for b in bullets] == KEY_POINT_LABELS


async def test_autocomplete_offers_the_seed_for_zuck(stub: DiscordStub, start_bot: StartBot) -> None:
    await start_bot()
    await stub.wait_for_command_sync(timeout=20)
    choices = await stub.autocomplete("story", subcommand="show", focused="story", options={"story": "zuck"},
                                      channel_id=CHANNEL_ID, user_id=MEMBER_ID)
    assert SEED_SLUG in [c["value"] for c in choices]
    assert 0 < len(choices) <= 25
    assert all(len(c["name"]) <= 100 for c in choices)


async def test_ask_why_south_korea_quotes_that_section(stub: DiscordStub, start_bot: StartBot) -> None:
    await start_bot()
    await stub.wait_for_command_sync(timeout=20)
    result = await stub.invoke_slash("story", subcommand="ask",
                                     options={"story": SEED_SLUG, "question": "why south korea"},
                                     channel_id=CHANNEL_ID, user_id=MEMBER_ID)
    [embed] = result.embeds
    assert embed["fields"][0]["name"] == "Why South Korea?"
    assert "AI Powerhouse" in embed["fields"][0]["value"]

    nothing = await stub.invoke_slash("story", subcommand="ask",
                                      options={"story": SEED_SLUG, "question": "bananas"},
                                      channel_id=CHANNEL_ID, user_id=MEMBER_ID)
    assert "does not cover that" in nothing.text


async def test_unknown_story_is_an_ephemeral_error(stub: DiscordStub, start_bot: StartBot) -> None:
    bot = await start_bot()
    await stub.wait_for_command_sync(timeout=20)
    result = await stub.invoke_slash("story", subcommand="show", options={"story": "no-such-story"},
                                     channel_id=CHANNEL_ID, user_id=MEMBER_ID)
    assert result.ephemeral
    assert "No story matches" in result.text
    assert "Traceback" not in bot.logs


async def test_story_text_never_pings(stub: DiscordStub, start_bot: StartBot, workspace: BotWorkspace) -> None:
    (workspace.seeds / "ping.txt").write_text(PINGING_STORY, encoding="utf-8")
    await start_bot()
    await stub.wait_for_command_sync(timeout=20)
    for sub in ("show", "keypoints"):
        result = await stub.invoke_slash("story", subcommand=sub, options={"story": "everyone-ping-test-story"},
                                         channel_id=CHANNEL_ID, user_id=MEMBER_ID)
        assert "@everyone" in json.dumps(result.embeds) or "<@&123>" in json.dumps(result.embeds)
        assert result.allowed_mentions == {"parse": []} or result.allowed_mentions.get("parse") == []
        message = result.message
        assert message is not None
        assert not message.mention_everyone and message.mention_roles == [] and message.mentions == []


async def test_read_only_commands_work_in_dms_on_global_stories(stub: DiscordStub, start_bot: StartBot) -> None:
    await start_bot()
    await stub.wait_for_command_sync(timeout=20)
    result = await stub.invoke_slash("story", subcommand="keypoints", options={"story": SEED_SLUG},
                                     user_id=MEMBER_ID)
    assert "Meetings with Key Players" in result.text
    help_reply = await stub.invoke_slash("help", user_id=MEMBER_ID)
    assert help_reply.ephemeral and "/story ask" in help_reply.text


async def test_a_servers_story_stays_in_that_server(stub: DiscordStub, start_bot: StartBot,
                                                    workspace: BotWorkspace) -> None:
    await start_bot()
    await stub.wait_for_command_sync(timeout=20)
    data = stub.add_attachment("local.txt", PINGING_STORY.replace("Everyone Ping Test Story", "Local Council Vote")
                               .encode())
    added = await stub.invoke_slash("story", subcommand="add", options={"file": data}, channel_id=CHANNEL_ID,
                                    user_id=MEMBER_ID, member_permissions=1 << 5)
    assert "local-council-vote" in added.text, added.text
    mine = await stub.autocomplete("story", subcommand="show", focused="story", options={"story": "local"},
                                   channel_id=CHANNEL_ID, user_id=MEMBER_ID)
    theirs = await stub.autocomplete("story", subcommand="show", focused="story", options={"story": "local"},
                                     channel_id=OTHER_CHANNEL_ID, guild_id=OTHER_GUILD_ID, user_id=MEMBER_ID)
    assert [c["value"] for c in mine] == ["local-council-vote"]
    assert theirs == []
    other = await stub.invoke_slash("story", subcommand="show", options={"story": "local-council-vote"},
                                    channel_id=OTHER_CHANNEL_ID, guild_id=OTHER_GUILD_ID, user_id=MEMBER_ID)
    assert other.ephemeral and "No story matches" in other.text


async def test_admin_commands_check_permissions_at_runtime(stub: DiscordStub, start_bot: StartBot) -> None:
    await start_bot()
    await stub.wait_for_command_sync(timeout=20)
    data = stub.add_attachment("x.txt", PINGING_STORY.encode())
    refused = await stub.invoke_slash("story", subcommand="add", options={"file": data}, channel_id=CHANNEL_ID,
                                      user_id=MEMBER_ID, member_permissions=0)
    assert refused.ephemeral and "Manage Guild" in refused.text


async def test_briefbot_sync_forces_a_global_sync(stub: DiscordStub, workspace: BotWorkspace) -> None:
    for expected in (1, 2):
        code, output = await run_briefbot(workspace, stub, "sync")
        assert code == 0, output
        assert "synced" in output and stub.command_syncs[None] == expected
        assert stub.token not in output


async def test_a_rejected_token_is_a_clear_error_not_a_traceback(stub: DiscordStub, workspace: BotWorkspace) -> None:
    wrong = {"DISCORD_TOKEN": "wrong-token-wrong-token-wrong-token"}
    code, output = await run_briefbot(workspace, stub, "run", env=wrong)
    assert code == 1
    assert "rejected DISCORD_TOKEN" in output and "Traceback" not in output
    assert "wrong-token" not in output
