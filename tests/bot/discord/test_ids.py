"""Tests for bot.discord.ids: Discord's snowflakes go into the store qualified and come back out as snowflakes."""

from __future__ import annotations

from unittest import mock

import discord
import pytest

from bot.discord.checks import guild_only, require_permission
from bot.discord.ids import channel_of, qualified, qualified_or_none, scope_of, snowflake, user_of
from bot.errors import MissingPermission, UserError

GUILD, CHANNEL, USER = 81384788765712384, 81384788765712385, 80351110224678912


def _interaction(guild_id: int | None, *, manage_guild: bool = False) -> discord.Interaction:
    interaction = mock.MagicMock(spec_set=discord.Interaction)
    interaction.guild_id = guild_id
    interaction.channel_id = CHANNEL
    interaction.user = mock.MagicMock(spec_set=discord.Member)
    interaction.user.id = USER
    interaction.permissions = discord.Permissions(manage_guild=manage_guild)
    return interaction


def test_a_snowflake_goes_in_qualified_and_comes_back_out() -> None:
    assert qualified(GUILD) == "discord:81384788765712384"
    assert snowflake(qualified(GUILD)) == GUILD
    assert qualified_or_none(None) is None


@pytest.mark.parametrize("text", ["slack:81384788765712384", "81384788765712384", "discord:", "discord:abc"])
def test_only_a_discord_id_has_a_snowflake(text: str) -> None:
    with pytest.raises(ValueError):
        snowflake(text)


def test_a_command_in_a_server_names_the_server_the_channel_and_the_user_qualified() -> None:
    interaction = _interaction(GUILD, manage_guild=True)
    assert scope_of(interaction) == f"discord:{GUILD}"
    assert channel_of(interaction) == f"discord:{CHANNEL}"
    assert user_of(interaction) == f"discord:{USER}"
    assert guild_only(interaction) == require_permission(interaction, "manage_guild") == f"discord:{GUILD}"


def test_a_command_in_a_dm_has_no_scope() -> None:
    interaction = _interaction(None)
    assert scope_of(interaction) is None
    with pytest.raises(UserError):
        guild_only(interaction)


def test_a_member_without_the_permission_is_refused() -> None:
    with pytest.raises(MissingPermission):
        require_permission(_interaction(GUILD), "manage_guild")
