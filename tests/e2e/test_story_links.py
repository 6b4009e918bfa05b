"""`/story add link:` in the real bot process (issue 9): a loopback page listed in FETCH_ALLOW_HOSTS becomes a story
whose source is the final URL after a redirect; private addresses, and redirects to them, are refused."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.e2e.conftest import StartBot
from tests.e2e.harness import CHANNEL_ID, MEMBER_ID
from tests.pages import BUS_PAGE, BUS_SLUG, BUS_TITLE, HTML, PageSite, page_site
from tests.stub.discord_stub import DiscordStub, InteractionResult

MANAGE_GUILD = 1 << 5
ADD_TIMEOUT = 30  # the first add starts the intake worker process


@pytest.fixture
def site(bus_site: PageSite) -> PageSite:
    return bus_site


@pytest.fixture
async def unlisted() -> AsyncIterator[PageSite]:
    """Another loopback site, not in FETCH_ALLOW_HOSTS: a private service the bot must never reach."""
    async with page_site({"/secret": (HTML, BUS_PAGE)}) as opened:
        yield opened


async def _add(stub: DiscordStub, link: str) -> InteractionResult:
    return await stub.invoke_slash(
        "story", subcommand="add", options={"link": link}, channel_id=CHANNEL_ID, user_id=MEMBER_ID,
        member_permissions=MANAGE_GUILD, timeout=ADD_TIMEOUT,
    )  # fmt: skip


async def test_a_link_becomes_a_story_and_private_addresses_are_refused(
    stub: DiscordStub, start_bot: StartBot, site: PageSite, unlisted: PageSite
) -> None:
    bot = await start_bot({"FETCH_ALLOW_HOSTS": site.allow})
    await stub.wait_for_command_sync(timeout=20)

    added = await _add(stub, site.url("/b"))
    assert added.ephemeral and f"now tracked here as `{BUS_SLUG}`" in added.text, added.text
    shown = await stub.invoke_slash("story", subcommand="show", options={"story": BUS_SLUG}, channel_id=CHANNEL_ID,
                                    user_id=MEMBER_ID)  # fmt: skip
    [embed] = shown.embeds
    assert embed["title"] == BUS_TITLE
    assert {"name": "Source", "value": site.url("/news/bus"), "inline": False} in embed["fields"]

    refusals = {
        "http://10.0.0.1/": "Not fetched: 10.0.0.1 is a private address.",
        unlisted.url("/secret"): "Not fetched: 127.0.0.1 is a loopback address.",
    }
    site.redirects["/to-private"] = "http://10.0.0.1/admin"
    site.redirects["/to-unlisted"] = unlisted.url("/secret")
    refusals[site.url("/to-private")] = "Not fetched: 10.0.0.1 is a private address."
    refusals[site.url("/to-unlisted")] = "Not fetched: 127.0.0.1 is a loopback address."
    for link, why in refusals.items():
        refused = await _add(stub, link)
        assert refused.ephemeral, link
        assert refused.text == f"Nothing was saved. {why}", refused.text
    assert unlisted.requests == []  # never reached, not even through a redirect

    pdf = stub.add_attachment("report.pdf", b"%PDF-1.7")
    wrong_type = await stub.invoke_slash("story", subcommand="add", options={"file": pdf}, channel_id=CHANNEL_ID,
                                         user_id=MEMBER_ID, member_permissions=MANAGE_GUILD)  # fmt: skip
    assert wrong_type.ephemeral and wrong_type.text == "Attach an article file: .txt, .md, .markdown, .html or .htm."
    both = await stub.invoke_slash("story", subcommand="add", options={"text": "Title", "link": site.url("/b")},
                                   channel_id=CHANNEL_ID, user_id=MEMBER_ID, member_permissions=MANAGE_GUILD)
    assert both.ephemeral and both.text == "Give one of a file, the text or a link."
    assert site.requests.count("/to-private") == site.requests.count("/to-unlisted") == 1
    assert "Traceback" not in bot.logs
