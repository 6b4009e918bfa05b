"""/feed add, list, why and remove: a workspace's feeds, read from the loopback feed server."""

from __future__ import annotations

from tests.feedserver import Entry
from tests.slack.conftest import ADMIN, READER, Bot

FERRY = "Night Ferry Riders Double After Fare Cut\n\nRidership on the night ferry doubled in March.\n"


async def test_add_list_why_remove_a_feed_for_the_workspaces_story(bot: Bot) -> None:
    url = bot.feeds.publish("/harbor.xml", "Harbor Ledger", [Entry("Ferry timetable changes", "/a/1")])
    await bot.run("/story", f"add {FERRY}", user=ADMIN)
    added = await bot.run("/feed", f"add {url} story:night-ferry every:30 include:ferry, boat", user=ADMIN)
    assert "Feed added: Harbor Ledger" in added.text and "Checked every 30 minutes" in added.text
    assert "Ferry timetable changes" in added.text and added.messages[0].ephemeral
    listed = await bot.run("/feed", "list", user=READER)
    assert "Harbor Ledger" in listed.text
    why = await bot.run("/feed", "why Ferry timetable changes", user=READER)
    assert "Why: Ferry timetable changes" in why.text
    refused = await bot.run("/feed", "remove 1", user=READER)
    assert "Only a workspace admin or owner" in refused.text
    removed = await bot.run("/feed", f"remove {url}", user=ADMIN)
    assert "Harbor Ledger" in removed.text
    assert "Harbor Ledger" not in (await bot.run("/feed", "list", user=READER)).text


async def test_a_bad_interval_or_an_unknown_feed_is_a_private_error(bot: Bot) -> None:
    url = bot.feeds.publish("/harbor.xml", "Harbor Ledger", [])
    bad = await bot.run("/feed", f"add {url} every:often", user=ADMIN)
    assert "every must be a whole number of minutes" in bad.text and bad.messages[0].ephemeral
    unknown = await bot.run("/feed", "remove 99", user=ADMIN)
    assert "No feed here matches `99`" in unknown.text and unknown.messages[0].ephemeral
