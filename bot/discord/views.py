"""Buttons for paging through long answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord

from bot.cards import Reply
from bot.discord.render import message_parts, part_kwargs

PAGE_TIMEOUT_SECONDS = 300
PageRenderer = Callable[[int], Awaitable[tuple[Reply, int]]]


class PageView(discord.ui.View):
    """Previous/next buttons; only the person who asked can turn the pages."""

    def __init__(self, owner_id: int, render: PageRenderer, page: int, pages: int) -> None:
        super().__init__(timeout=PAGE_TIMEOUT_SECONDS)
        self.owner_id = owner_id
        self.render = render
        self.page = page
        self.pages = pages
        self._refresh()

    def _refresh(self) -> None:
        self.previous.disabled = self.page <= 1
        self.next.disabled = self.page >= self.pages

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                "These buttons belong to whoever ran the command; run it yourself to page.", ephemeral=True
            )
            return False
        return True

    async def _show(self, interaction: discord.Interaction, page: int) -> None:
        reply, self.pages = await self.render(page)
        self.page = min(max(1, page), self.pages)
        self._refresh()
        first = message_parts(reply)[0]
        kwargs = part_kwargs(first)
        kwargs.pop("allowed_mentions")
        await interaction.response.edit_message(view=self, **kwargs)  # type: ignore[arg-type]

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, _: discord.ui.Button[PageView]) -> None:
        await self._show(interaction, self.page - 1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, _: discord.ui.Button[PageView]) -> None:
        await self._show(interaction, self.page + 1)
