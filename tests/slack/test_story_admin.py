"""/story add, update and remove: who may, what they do; candidate buttons; hostile text cannot ping."""

from __future__ import annotations

import json

from tests.pages import BUS_SLUG, BUS_TITLE
from tests.slack.conftest import ADMIN, LISTED, NEWS, OWNER, READER, Bot, check_answers

FERRY_ONE = "Night Ferry Riders Double After Fare Cut\n\nRidership on the night ferry doubled in March.\n"
FERRY_TWO = "City Ferry Fares Rise Next Year\n\nThe city ferry will cost more from January, the council said.\n"
ADMIN_COMMANDS = (
    ("/story", "add A headline\n\nSome text."),
    ("/story", "update zuckerberg A new meeting."),
    ("/story", "remove zuckerberg"),
    ("/digest", "setup <#C0NEWS0001|news> 07:30 Europe/Paris"),
    ("/digest", "now"),
    ("/digest", "off"),
    ("/feed", "add https://example.com/feed.xml"),
    ("/feed", "remove 1"),
)


async def test_members_are_refused_every_admin_command_saying_who_may(bot: Bot) -> None:
    for command, text in ADMIN_COMMANDS:
        result = await bot.run(command, text, user=READER)
        [message] = result.messages
        assert message.ephemeral, (command, text)
        assert "Only a workspace admin or owner, or a user the bot's operator lists in SLACK_ADMIN_USERS" in (
            message.all_text
        ), (command, text)
    assert "No digest is set up yet" in (await bot.run("/digest", "show")).text
    assert "Zuckerberg" in (await bot.run("/story", "show zuckerberg")).text  # not removed
    assert bot.slack.calls_to("conversations.join") == []


async def test_admins_owners_and_listed_users_add_update_and_remove_their_own_stories(bot: Bot) -> None:
    added = await bot.run("/story", FERRY_ONE, user=ADMIN)  # no subcommand word: that is the help
    assert "is not a /story command" in added.text
    added = await bot.run("/story", f"add {FERRY_ONE}", user=ADMIN)
    assert "is now tracked here as `night-ferry-riders-double-after-fare`" in added.text
    assert added.messages[0].ephemeral
    updated = await bot.run("/story", "update night-ferry A second ferry joins the route.", user=OWNER)
    assert "Added to *Night Ferry Riders Double After Fare Cut*" in updated.text
    assert "A second ferry joins the route." in (await bot.run("/story", "timeline night-ferry")).text
    calls_before = len(bot.slack.calls_to("users.info"))
    removed = await bot.run("/story", "remove night-ferry", user=LISTED)
    assert "Removed *Night Ferry Riders Double After Fare Cut*" in removed.text
    assert len(bot.slack.calls_to("users.info")) == calls_before  # a listed user needs no users.info
    refused = await bot.run("/story", "update zuckerberg Something else.", user=ADMIN)
    assert "Only the stories added here can be updated" in refused.text  # the operator's story


async def test_a_link_is_fetched_like_discords_link_option(bot: Bot) -> None:
    link = bot.site.url("/b")
    result = await bot.run("/story", f"add <{link}|the bus story>", user=ADMIN)
    assert f"is now tracked here as `{BUS_SLUG}`" in result.text
    assert bot.site.requests[:2] == ["/b", "/news/bus"]
    assert BUS_TITLE in (await bot.run("/story", "show bus")).text


async def test_an_ambiguous_story_offers_buttons_that_finish_the_command(bot: Bot) -> None:
    await bot.run("/story", f"add {FERRY_ONE}", user=ADMIN)
    await bot.run("/story", f"add {FERRY_TWO}", user=ADMIN)
    asked = await bot.run("/story", "ask ferry how many riders?", user=READER)
    [message] = asked.messages
    assert message.ephemeral and "More than one story fits `ferry`" in message.all_text
    [actions] = [block for block in message.blocks if block["type"] == "actions"]
    buttons = {button["text"]["text"]: button for button in actions["elements"]}
    assert set(buttons) == {"night-ferry-riders-double-after-fare", "city-ferry-fares-rise-next-year"}
    assert len({button["action_id"] for button in buttons.values()}) == 2
    night = buttons["night-ferry-riders-double-after-fare"]
    assert len(night["value"]) <= 2000 and json.loads(night["value"])["o"]["question"] == "how many riders?"

    click = await bot.slack.click(user=READER, channel=NEWS, action_id=night["action_id"], value=night["value"])
    assert click.ack_seconds is not None and click.ack_seconds < 3
    [answer] = await click.wait_for_messages(1)
    check_answers(click)
    assert not answer.ephemeral and "Night Ferry Riders Double" in answer.all_text  # ask's answer, public
    assert "City Ferry" not in answer.all_text


async def test_a_button_finishes_an_admin_command_only_for_an_admin(bot: Bot) -> None:
    await bot.run("/story", f"add {FERRY_ONE}", user=ADMIN)
    await bot.run("/story", f"add {FERRY_TWO}", user=ADMIN)
    picked = await bot.run("/story", "remove ferry", user=ADMIN)
    [actions] = [block for block in picked.messages[0].blocks if block["type"] == "actions"]
    button = actions["elements"][0]
    refused = await bot.slack.click(user=READER, channel=NEWS, action_id=button["action_id"], value=button["value"])
    assert "Only a workspace admin or owner" in (await refused.wait_for_messages(1))[0].all_text
    done = await bot.slack.click(user=ADMIN, channel=NEWS, action_id=button["action_id"], value=button["value"])
    assert "Removed" in (await done.wait_for_messages(1))[0].all_text
    forged = await bot.slack.click(user=ADMIN, channel=NEWS, action_id=button["action_id"], value='{"v":1,"g":"x"}')
    assert "no longer works" in (await forged.wait_for_messages(1))[0].all_text


async def test_a_command_too_long_for_a_button_names_the_candidates_instead(bot: Bot) -> None:
    await bot.run("/story", f"add {FERRY_ONE}", user=ADMIN)
    await bot.run("/story", f"add {FERRY_TWO}", user=ADMIN)
    long_update = "The ferry operator published its winter timetable. " * 40  # about 2,000 characters
    result = await bot.run("/story", f"update ferry {long_update}", user=ADMIN)
    [message] = result.messages
    assert message.ephemeral and [block["type"] for block in message.blocks] == ["section"]
    assert "No story matches `ferry`. Did you mean:" in message.all_text
    assert "night-ferry-riders-double-after-fare" in message.all_text


async def test_hostile_story_text_pings_nobody(bot: Bot) -> None:
    # Slack sends typed `<` `>` `&` as entities; the story then holds them as the user typed them.
    hostile = (
        "Alert &lt;!channel&gt; for everyone\n\n"
        "Tell &lt;!here&gt; and &lt;@U0ADMIN001&gt; and &lt;!subteam^S0TEAM|@editors&gt; and @everyone now. "
        "See &lt;javascript:alert(1)|this&gt;.\n"
    )
    added = await bot.run("/story", f"add {hostile}", user=ADMIN)
    assert "is now tracked here as" in added.text
    slug = added.text.split("`")[1]
    for text in (f"show {slug}", f"keypoints {slug}", f"timeline {slug}", f"ask {slug} who is told?", "search alert"):
        result = await bot.run("/story", text)
        for message in result.messages:
            assert message.pings == [], (text, message.all_text)
            assert "<javascript:" not in message.all_text
    shown = (await bot.run("/story", f"show {slug}")).text
    assert "Tell &lt;!here&gt; and &lt;@U0ADMIN001&gt;" in shown  # shown as typed, inert


async def test_a_bare_or_unsupported_link_is_refused_not_saved_as_a_story(bot: Bot) -> None:
    for text in ("https://", "ftp://example.com/story.txt"):
        result = await bot.run("/story", f"add {text}", user=ADMIN)
        [message] = result.messages
        assert message.ephemeral and "Nothing was saved" in message.all_text, (text, message.all_text)
    listed = (await bot.run("/story", "list")).text
    assert "`https`" not in listed and "`ftp`" not in listed  # no story was made of the words
