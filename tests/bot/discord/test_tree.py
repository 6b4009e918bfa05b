"""The single error handler: each error type becomes one short ephemeral reply (a follow-up if answered)."""

from __future__ import annotations

import logging
from unittest import mock

import discord
import pytest
from discord import app_commands

from bot.discord.tree import UNEXPECTED, BriefTree, describe_error
from bot.errors import MissingPermission, UnknownStory, UserError
from bot.markdown import to_markdown
from bot.markup import plain


async def _probe(interaction: discord.Interaction) -> None:
    """A real command object for the errors to name."""


PROBE = app_commands.Command(name="probe", description="probe", callback=_probe)


def invoke_error(original: Exception) -> app_commands.CommandInvokeError:
    return app_commands.CommandInvokeError(PROBE, original)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (invoke_error(UnknownStory("nope", ["zuckerberg-visits"])), "zuckerberg-visits"),
        (invoke_error(UserError("Give either a file or the text")), "Give either a file"),
        (invoke_error(MissingPermission("Manage Guild")), "Manage Guild"),
        (app_commands.MissingPermissions(["manage_guild"]), "Manage Guild"),
        (app_commands.BotMissingPermissions(["send_messages"]), "Send Messages"),
        (app_commands.NoPrivateMessage(), "only works in a server"),
        (app_commands.CommandOnCooldown(app_commands.Cooldown(1, 10), 4.2), "try again in 4 s"),
        (app_commands.CheckFailure(), "can't use this command here"),
    ],
)
def test_expected_errors_have_a_short_user_message(error: app_commands.AppCommandError, expected: str) -> None:
    message = describe_error(error)
    assert message is not None and expected in plain(message)
    assert len(to_markdown(message)) <= 2000


def test_unexpected_errors_have_no_user_message() -> None:
    assert describe_error(invoke_error(RuntimeError("database exploded"))) is None


def fake_interaction(*, answered: bool) -> mock.MagicMock:
    interaction = mock.MagicMock(spec_set=discord.Interaction)
    response = mock.MagicMock(spec_set=discord.InteractionResponse)
    response.is_done.return_value = answered
    response.send_message = mock.AsyncMock()
    followup = mock.MagicMock(spec_set=discord.Webhook)
    followup.send = mock.AsyncMock()
    interaction.response = response
    interaction.followup = followup
    interaction.command = None
    interaction.id = 1
    return interaction


@pytest.fixture
async def tree() -> BriefTree:
    return BriefTree(discord.Client(intents=discord.Intents.none()))


async def test_on_error_replies_ephemerally_when_not_yet_answered(tree: BriefTree) -> None:
    interaction = fake_interaction(answered=False)
    await tree.on_error(interaction, invoke_error(UserError("Bad day value")))
    interaction.response.send_message.assert_awaited_once()
    kwargs = interaction.response.send_message.await_args.kwargs
    assert kwargs["ephemeral"] is True and kwargs["content"] == "Bad day value"
    assert kwargs["allowed_mentions"].to_dict() == {"parse": []}
    interaction.followup.send.assert_not_awaited()


async def test_on_error_follows_up_when_already_answered_and_logs_unexpected(
    tree: BriefTree, caplog: pytest.LogCaptureFixture
) -> None:
    interaction = fake_interaction(answered=True)
    with caplog.at_level(logging.ERROR, logger="bot.discord.tree"):
        await tree.on_error(interaction, invoke_error(RuntimeError("boom")))
    interaction.followup.send.assert_awaited_once()
    kwargs = interaction.followup.send.await_args.kwargs
    assert kwargs["ephemeral"] is True and kwargs["content"] == UNEXPECTED
    assert any(record.exc_info for record in caplog.records), "the traceback was not logged"
    interaction.response.send_message.assert_not_awaited()
