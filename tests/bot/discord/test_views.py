"""Paging buttons: disabled at the ends, only the asker can turn pages, each page is re-rendered."""

from __future__ import annotations

from unittest import mock

import discord

from bot.cards import Card, Reply
from bot.discord.views import PageView

OWNER = 42


async def render(page: int) -> tuple[Reply, int]:
    return Reply(cards=(Card(title=f"Page {page}", description=f"stories of page {page}"),)), 3


def button_interaction(user_id: int) -> mock.MagicMock:
    interaction = mock.MagicMock(spec_set=discord.Interaction)
    interaction.user = mock.MagicMock(spec_set=discord.User)
    interaction.user.id = user_id
    interaction.response = mock.MagicMock(spec_set=discord.InteractionResponse)
    interaction.response.send_message = mock.AsyncMock()
    interaction.response.edit_message = mock.AsyncMock()
    return interaction


async def test_buttons_are_disabled_at_the_ends() -> None:
    first = PageView(OWNER, render, page=1, pages=3)
    assert first.previous.disabled and not first.next.disabled
    last = PageView(OWNER, render, page=3, pages=3)
    assert not last.previous.disabled and last.next.disabled


async def test_only_the_owner_can_turn_pages() -> None:
    view = PageView(OWNER, render, page=1, pages=3)
    stranger = button_interaction(7)
    assert await view.interaction_check(stranger) is False
    assert stranger.response.send_message.await_args.kwargs["ephemeral"] is True
    assert await view.interaction_check(button_interaction(OWNER)) is True


async def test_next_renders_the_next_page_and_updates_the_buttons() -> None:
    view = PageView(OWNER, render, page=1, pages=3)
    owner = button_interaction(OWNER)
    await view._show(owner, 2)
    kwargs = owner.response.edit_message.await_args.kwargs
    assert kwargs["embeds"][0].title == "Page 2"
    assert kwargs["view"] is view and view.page == 2
    assert not view.previous.disabled and not view.next.disabled
