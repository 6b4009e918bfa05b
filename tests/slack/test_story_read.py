"""/story's reading commands and the groups' help, through the real AsyncApp over Socket Mode."""

from __future__ import annotations

from bot.parser import parse_article
from bot.slack.replies import PAGE_ACTION
from storage.stories import ImportItem
from tests.conftest import markdown_article
from tests.slack.conftest import NEWS, READER, SCOPE, Bot
from tests.slackstub.state import SlackMessage

SEED_TITLE = "Zuckerberg Visits South Korea"


async def test_show_keypoints_ask_timeline_search_list_answer_in_the_channel(bot: Bot) -> None:
    show = await bot.run("/story", "show zuckerberg")
    assert SEED_TITLE in show.text and "Key points" in show.text
    keypoints = await bot.run("/story", "keypoints zuckerberg")
    assert "AI Discussions" in keypoints.text
    ask = await bot.run("/story", "ask zuckerberg why south korea?")
    assert "Why South Korea?" in ask.text
    timeline = await bot.run("/story", "timeline zuckerberg")
    assert SEED_TITLE in timeline.text
    search = await bot.run("/story", "search samsung")
    assert SEED_TITLE in search.text
    listed = await bot.run("/story", "list")
    assert SEED_TITLE in listed.text and "Page 1/1" in listed.text
    for result in (show, keypoints, ask, timeline, search, listed):
        assert [m.ephemeral for m in result.messages] == [False], result.text  # public, as on Discord
        assert [m.source for m in result.messages] == ["response_url"]
        assert result.messages[0].pings == []


async def test_an_unknown_story_and_a_missing_page_are_private_errors(bot: Bot) -> None:
    unknown = await bot.run("/story", "show nothing-like-this")
    assert "No story matches `nothing-like-this`" in unknown.text and unknown.messages[0].ephemeral
    page = await bot.run("/story", "list 7")
    assert "no page 7" in page.text and page.messages[0].ephemeral


async def test_a_bare_command_help_or_an_unknown_subcommand_shows_the_groups_help_in_the_ack(bot: Bot) -> None:
    for group in ("/story", "/digest", "/brief", "/feed"):
        for text in ("", "help", "frobnicate now"):
            result = await bot.run(group, text)
            [message] = result.messages
            assert message.source == "ack" and message.ephemeral
            assert f"{group} help" in message.all_text.replace("&lt;", "<")
            if text.startswith("frob"):
                assert "`frobnicate` is not a " + group + " command" in message.all_text
    story_help = (await bot.run("/story")).text
    assert "/story ask &lt;story&gt; &lt;question…&gt;" in story_help
    assert "`/story add &lt;text or link&gt;`: " in story_help and " (admins)\n" in story_help  # marked admin-only


async def test_a_usage_error_says_the_usage_privately_in_the_ack(bot: Bot) -> None:
    result = await bot.run("/story", "mute zuckerberg", user=READER, channel=NEWS)
    [message] = result.messages
    assert message.source == "ack" and message.ephemeral
    assert "Missing hours." in message.all_text and "Usage: /story mute" in message.all_text
    bad = await bot.run("/story", "mute zuckerberg soon")
    assert "Usage: /story mute" in bad.text


async def test_story_list_pages_turn_with_buttons_that_replace_the_message(bot: Bot) -> None:
    items = [
        ImportItem(f"file:page-{n}", parse_article(markdown_article(title=f"Harbour Report {n}"), f"{n}.md"), SCOPE)
        for n in range(9)
    ]
    await bot.services.story_service.stories.import_stories(items)  # with the global seed: 10 stories, 2 pages

    def buttons(message: SlackMessage) -> dict[str, dict]:
        rows = [block for block in message.blocks if block["type"] == "actions"]
        return {b["action_id"]: b for row in rows for b in row["elements"]}

    [first] = (await bot.run("/story", "list")).messages
    assert "Page 1/2 · 10 stories" in first.all_text
    assert set(buttons(first)) == {f"{PAGE_ACTION}:next"}  # no page before the first
    nxt = buttons(first)[f"{PAGE_ACTION}:next"]
    turned = await bot.slack.click(user=READER, channel=NEWS, action_id=nxt["action_id"], value=nxt["value"])
    [second] = await turned.wait_for_messages(1)
    assert second.replace_original and not second.ephemeral
    assert set(buttons(second)) == {f"{PAGE_ACTION}:prev"}
    assert "Page 2/2" in second.all_text and "Page 1/2" not in second.all_text
    prev = buttons(second)[f"{PAGE_ACTION}:prev"]
    back = await bot.slack.click(user=READER, channel=NEWS, action_id=prev["action_id"], value=prev["value"])
    [again] = await back.wait_for_messages(1)
    assert again.replace_original and set(buttons(again)) == {f"{PAGE_ACTION}:next"} and "Page 1/2" in again.all_text

    forged = await bot.slack.click(user=READER, channel=NEWS, action_id=f"{PAGE_ACTION}:next", value="{\"p\": 0}")
    [refused] = await forged.wait_for_messages(1)
    assert refused.ephemeral and "no longer works" in refused.all_text


async def test_every_command_of_the_table_has_a_call_and_every_call_a_command(bot: Bot) -> None:
    """The calls are keyed by hand: a command added to the table without its call would answer "unexpected"."""
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.slack.commands import COMMANDS, HELP
    from bot.slack.handlers import SlackCommands

    commands = SlackCommands(bot.services, bot.services.settings, AsyncWebClient(token="xoxb-unused"))
    assert set(commands.calls) == {c.spec.path for c in COMMANDS if c.spec.path[1] != HELP}
