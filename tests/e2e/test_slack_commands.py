"""Every Slack command of issue 11 through the real `briefbot run` process and the loopback Slack.

One bot process serves them all (a start costs seconds): `test_every_command_through_one_process` walks the
issue's table step by step, each step a function below, then the App Home tab and the reconnects. The stub, the
bot start and the store's seeds come from tests/e2e/test_slack.py; the answers are checked as tests/slack checks
them (within Slack's limits, pinging nobody).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.slack.home import MAX_HOME_BLOCKS
from tests.bot.slack.safety import block_text
from tests.e2e.harness import BotWorkspace
from tests.e2e.test_feeds import feeds  # noqa: F401 - the loopback feed server fixture
from tests.e2e.test_slack import NEWS, READER, StartBot, digests_in, prepare, slack, start_bot  # noqa: F401
from tests.feedserver import Entry, FeedServer
from tests.slack.conftest import ACK_LIMIT, ADMIN, GENERAL, SECRET, check_answers
from tests.slack.test_home import check_view_blocks
from tests.slack.test_story_admin import ADMIN_COMMANDS, FERRY_ONE, FERRY_TWO
from tests.slackstub.server import BOT_USER_ID, CommandResult, SlackStub

SEED_TITLE = "Zuckerberg Visits South Korea"
ONLY_ADMINS = "Only a workspace admin or owner, or a user the bot's operator lists in SLACK_ADMIN_USERS"


@dataclass
class Session:
    """What each step drives: the loopback Slack and feed server behind one running bot."""

    slack: SlackStub
    feeds: FeedServer

    async def run(
        self, command: str, text: str = "", *, user: str = READER, channel: str = NEWS, replies: int = 1
    ) -> CommandResult:
        """A command as `user` typed it, acked within Slack's 3 s; returns once `replies` answers came."""
        result = await self.slack.command(command, text, user=user, channel=channel, timeout=ACK_LIMIT)
        assert result.ack_seconds is not None and result.ack_seconds < ACK_LIMIT
        await result.wait_for_messages(replies, timeout=20)
        return check_answers(result)

    async def private(self, command: str, text: str = "", *, user: str = READER) -> str:
        """The text of an answer only `user` sees."""
        result = await self.run(command, text, user=user)
        assert all(m.ephemeral for m in result.messages), (command, text, result.text)
        return result.text

    async def public(self, command: str, text: str = "") -> str:
        """The text of an answer posted in the channel, as Discord shows it."""
        result = await self.run(command, text)
        assert [m.ephemeral for m in result.messages] == [False], (command, text, result.text)
        return result.text


async def story_reading(s: Session) -> None:
    listed = await s.public("/story", "list")
    assert SEED_TITLE in listed and "Page 1/1" in listed
    assert SEED_TITLE in await s.public("/story", "show zuckerberg") and "Key points" in await s.public(
        "/story", "show zuck"
    )
    assert "AI Discussions" in await s.public("/story", "keypoints zuckerberg")
    assert "Why South Korea?" in await s.public("/story", 'ask "zuckerberg visits" why south korea?')
    assert SEED_TITLE in await s.public("/story", "timeline zuckerberg")
    assert SEED_TITLE in await s.public("/story", "search korea")
    assert "No story matches `nothing-like-this`" in await s.private("/story", "show nothing-like-this")
    helped = await s.private("/story", "help")
    assert "/story ask &lt;story&gt; &lt;question…&gt;" in helped and " (admins)\n" in helped


async def story_following(s: Session) -> None:
    assert "You now follow *Zuckerberg Visits South Korea" in await s.private("/story", "follow zuckerberg dm")
    assert "This channel now follows" in await s.private("/story", "follow zuckerberg here")
    following = await s.private("/story", "following")
    assert "by DM" in following and f"in <#{NEWS}>" in following
    assert "Muted *Zuckerberg" in await s.private("/story", "mute zuckerberg 2")
    assert "muted until" in await s.private("/story", "following")
    assert "Stopped following" in await s.private("/story", "unfollow zuckerberg")
    assert "Stopped following" in await s.private("/story", "unfollow zuckerberg here")
    assert "You follow nothing yet" in await s.private("/story", "following")


async def refusals(s: Session) -> None:
    for command, text in ADMIN_COMMANDS:
        result = await s.run(command, text, user=READER)
        [message] = result.messages
        assert message.ephemeral and ONLY_ADMINS in message.all_text, (command, text, message.all_text)
    assert "No digest is set up yet" in await s.private("/digest", "show")
    assert SEED_TITLE in await s.public("/story", "show zuckerberg")  # not removed, not updated


async def story_admin_and_buttons(s: Session) -> None:
    added = await s.private("/story", f"add {FERRY_ONE}", user=ADMIN)
    assert "is now tracked here as `night-ferry-riders-double-after-fare`" in added
    assert "is now tracked here as `city-ferry-fares-rise-next-year`" in await s.private(
        "/story", f"add {FERRY_TWO}", user=ADMIN
    )
    updated = await s.private("/story", 'update "night ferry" A second ferry joins the route.', user=ADMIN)
    assert "Added to *Night Ferry Riders Double After Fare Cut*" in updated
    assert "A second ferry joins the route." in await s.public("/story", "timeline night-ferry")

    asked = await s.run("/story", "ask ferry how many riders?")
    [message] = asked.messages
    assert message.ephemeral and "More than one story fits `ferry`" in message.all_text
    [actions] = [block for block in message.blocks if block["type"] == "actions"]
    [night] = [b for b in actions["elements"] if b["text"]["text"] == "night-ferry-riders-double-after-fare"]
    click = await s.slack.click(user=READER, channel=NEWS, action_id=night["action_id"], value=night["value"])
    assert click.ack_seconds is not None and click.ack_seconds < ACK_LIMIT
    [answer] = await click.wait_for_messages(1, timeout=20)
    check_answers(click)
    assert not answer.ephemeral and "Night Ferry Riders Double" in answer.all_text
    assert "City Ferry" not in answer.all_text

    picked = await s.run("/story", "remove ferry", user=ADMIN)
    [actions] = [block for block in picked.messages[0].blocks if block["type"] == "actions"]
    [city] = [b for b in actions["elements"] if b["text"]["text"] == "city-ferry-fares-rise-next-year"]
    removed = await s.slack.click(user=ADMIN, channel=NEWS, action_id=city["action_id"], value=city["value"])
    [done] = await removed.wait_for_messages(1, timeout=20)
    assert "Removed *City Ferry Fares Rise Next Year*" in done.all_text and done.ephemeral
    assert "Removed *Night Ferry" in await s.private("/story", "remove night-ferry", user=ADMIN)


async def digests(s: Session) -> None:
    refused = await s.private("/digest", f"setup <#{SECRET}|secret> 07:30 Europe/Paris", user=ADMIN)
    assert "Invite @briefbot to #secret first" in refused and "Nothing was saved" in refused
    assert "No digest is set up yet" in await s.private("/digest", "show")
    setup = await s.private("/digest", f"setup <#{GENERAL}|general> 07:30 Europe/Paris weekdays", user=ADMIN)
    assert "Digest set: 07:30 Europe/Paris, weekdays" in setup
    assert BOT_USER_ID in s.slack.world.channels[GENERAL].members  # joined the public channel itself
    assert "07:30 Europe/Paris, weekdays" in await s.private("/digest", "show")
    assert SEED_TITLE.split()[0] in await s.private("/digest", "preview")
    assert "Sending the digest to" in await s.private("/digest", "now", user=ADMIN)
    await s.slack.wait_until(lambda: digests_in(s.slack, GENERAL), timeout=30, what="the digest sent now")
    assert digests_in(s.slack, GENERAL)[0].pings == []
    assert "Digest turned off" in await s.private("/digest", "off", user=ADMIN)
    assert "There is no digest running" in await s.private("/digest", "off", user=ADMIN)
    assert "/digest setup" in await s.private("/digest", "help")


async def briefs(s: Session) -> None:
    me = await s.private("/brief", "me 07:30")
    assert "Time zone Asia/Seoul, from your Slack profile." in me and "Digest set: 07:30 Asia/Seoul, daily" in me
    assert "07:30 Asia/Seoul, daily" in await s.private("/brief", "show")
    assert "No digest is set up yet" in await s.private("/brief", "show", user=ADMIN)  # each user their own
    assert "Digest turned off" in await s.private("/brief", "off")
    assert "/brief me" in await s.private("/brief", "help")


async def feed_commands(s: Session) -> None:
    url = s.feeds.publish("/harbor.xml", "Harbor Ledger", [Entry("Zuckerberg meets chip makers", "/a/1")])
    added = await s.private("/feed", f"add {url} every:30", user=ADMIN)
    assert "Feed added: Harbor Ledger" in added and "Checked every 30 minutes" in added
    assert "Harbor Ledger" in await s.private("/feed", "list")
    assert "Why: Zuckerberg meets chip makers" in await s.private("/feed", "why Zuckerberg meets chip makers")
    assert "Harbor Ledger" in await s.private("/feed", f"remove {url}", user=ADMIN)
    assert "Harbor Ledger" not in await s.private("/feed", "list")


async def home_tab(s: Session) -> None:
    await s.private("/story", "follow zuckerberg dm")
    await s.private("/brief", "me 06:45 Europe/Berlin")
    await s.slack.open_home(READER)
    await s.slack.wait_until(lambda: READER in s.slack.views, timeout=20, what="the published Home view")
    view = s.slack.views[READER]
    assert view["type"] == "home" and len(view["blocks"]) <= MAX_HOME_BLOCKS
    check_view_blocks(view["blocks"])
    text = block_text([view])
    assert "Stories you follow" in text and f"*{SEED_TITLE}" in text and "06:45 Europe/Berlin" in text
    assert "No digest is set up yet" not in text.split("This workspace's digest")[0]  # the /brief is shown
    assert "/feed list" in text
    await s.private("/story", "unfollow zuckerberg")
    await s.private("/brief", "off")


async def reconnects(s: Session) -> None:
    connections = s.slack.connections
    await s.slack.send_disconnect()
    await s.slack.wait_for_connection(count=connections + 1, timeout=30)
    assert SEED_TITLE in await s.public("/story", "show zuckerberg")
    await s.slack.drop_sockets()
    await s.slack.wait_for_connection(count=connections + 2, timeout=30)
    assert SEED_TITLE in await s.public("/story", "keypoints zuckerberg")


STEPS = (story_reading, story_following, refusals, story_admin_and_buttons, digests, briefs, feed_commands, home_tab,
         reconnects)


async def test_every_command_through_one_process(
    slack: SlackStub, start_bot: StartBot, workspace: BotWorkspace, feeds: FeedServer,  # noqa: F811
) -> None:
    slack.add_user(ADMIN, name="ada", is_admin=True, tz="Europe/Paris")
    slack.world.users[READER].tz = "Asia/Seoul"
    slack.add_channel(GENERAL, "general", members={ADMIN, READER})
    slack.add_channel(SECRET, "secret", private=True, members={ADMIN})
    await prepare(workspace)
    bot = await start_bot({"FETCH_ALLOW_HOSTS": feeds.allow_host})
    session = Session(slack, feeds)
    for step in STEPS:
        await step(session)
    assert await bot.stop() == 0
    assert "Traceback" not in bot.logs
