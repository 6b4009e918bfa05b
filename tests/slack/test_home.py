"""The App Home tab: opening it publishes the user's follows, /brief, the workspace's digest and the commands,
within Block Kit's 100 blocks, pinging nobody whatever the story titles say."""

from __future__ import annotations

from typing import Any

from bot.cards import Card, Reply
from bot.slack.home import MAX_HOME_BLOCKS, Part, home_blocks
from bot.slack.mrkdwn import WORD_JOINER
from tests.bot.slack.safety import block_text, check_messages_are_safe, check_slack_limits
from tests.slack.conftest import ADMIN, GENERAL, NEWS, READER, Bot
from tests.slackstub.server import SlackStub

HOSTILE = "Ferry <!channel> strike @here <@U0ADMIN001>\n\nThe night ferry <!everyone> stops on Friday.\n"


async def opened_home(slack: SlackStub, user: str) -> dict[str, Any]:
    """The view the app publishes when `user` opens its Home tab."""
    slack.views.pop(user, None)
    await slack.open_home(user)
    await slack.wait_until(lambda: user in slack.views, what="the published Home view")
    view = slack.views[user]
    assert view["type"] == "home" and 0 < len(view["blocks"]) <= MAX_HOME_BLOCKS
    check_view_blocks(view["blocks"])
    return view


def check_view_blocks(blocks: list[dict[str, Any]]) -> None:
    """Each block within Block Kit's limits (checked one by one: a view's 100 is not a message's 50), and safe."""
    check_slack_limits([{"text": "home", "blocks": [block]} for block in blocks if block["type"] != "divider"])
    check_messages_are_safe([{"text": "home", "blocks": blocks}])


def shown(view: dict[str, Any]) -> str:
    return block_text([view])


async def test_the_home_tab_shows_follows_brief_digest_and_every_command(bot: Bot) -> None:
    await bot.run("/story", "follow zuckerberg dm")
    await bot.run("/story", "follow zuckerberg here", channel=NEWS)
    await bot.run("/brief", "me 07:30")
    await bot.run("/digest", f"setup <#{GENERAL}|general> 08:15 Europe/Paris weekdays", user=ADMIN)

    text = shown(await opened_home(bot.slack, READER))
    for heading in ("Stories you follow", "Your /brief", "This workspace's digest", "Commands"):
        assert heading in text
    assert text.index("Stories you follow") < text.index("Your /brief") < text.index("This workspace's digest")
    assert "*Zuckerberg Visits South Korea" in text and "`) by DM" in text and NEWS in text
    assert "07:30 Asia/Seoul, daily" in text and "08:15 Europe/Paris, weekdays" in text
    for usage in ("/story ask &lt;story&gt; &lt;question…&gt;", "/digest preview", "/brief me", "/feed list"):
        assert usage in text
    [publish] = bot.slack.calls_to("views.publish")
    assert publish.args["user_id"] == READER and publish.error is None

    other = shown(await opened_home(bot.slack, ADMIN))  # each user's own DM follows and /brief; the channel's
    assert "`) by DM" not in other and NEWS in other and "No digest is set up yet" in other
    assert "08:15 Europe/Paris, weekdays" in other


async def test_the_messages_tab_publishes_nothing(bot: Bot) -> None:
    await bot.slack.open_home(READER, tab="messages")
    # Envelopes are handled concurrently: wait for a Home publish that follows it, then count every publish.
    await opened_home(bot.slack, READER)
    [publish] = bot.slack.calls_to("views.publish")  # the Home tab's, none for the Messages tab
    assert publish.args["user_id"] == READER


async def test_hostile_story_titles_in_the_home_tab_ping_nobody(bot: Bot) -> None:
    added = await bot.run("/story", f"add {HOSTILE}", user=ADMIN)
    slug = added.text.split("tracked here as `")[1].split("`")[0]
    await bot.run("/story", f"follow {slug} dm")
    text = shown(await opened_home(bot.slack, READER))
    assert f"Ferry @{WORD_JOINER}channel strike @{WORD_JOINER}here" in text  # shown, defused: no ping at all


def test_a_part_too_long_for_its_budget_is_cut_and_names_the_command_that_shows_it_all() -> None:
    lines = "\n".join(f"• **Story {n} <!here>** (`story-{n}`) by DM" + " padding" * 20 for n in range(3000))
    huge = Reply(cards=(Card(title="Following", description=lines),))
    parts = [Part(f"Part {n}", huge, 40, f"/story following {n}") for n in range(2)] + [
        Part("Short", Reply(text="Just this."), 12, "/brief show")
    ]
    blocks = home_blocks(parts)
    assert len(blocks) <= MAX_HOME_BLOCKS
    check_view_blocks(blocks)
    more = [b["elements"][0]["text"] for b in blocks if b["type"] == "context" and "More:" in b["elements"][0]["text"]]
    assert more == ["More: `/story following 0`", "More: `/story following 1`"]
    assert "Just this." in block_text([{"blocks": blocks}])
