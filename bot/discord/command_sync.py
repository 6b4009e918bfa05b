"""Sync slash commands deliberately: the dev guild at every start, globally only when the tree changed."""

from __future__ import annotations

import hashlib
import json
import logging

import discord
from discord import app_commands

from bot.text import plural
from storage.state import StateRepository

log = logging.getLogger(__name__)

GLOBAL_HASH_KEY = "command_tree_hash:global"


def tree_hash(tree: app_commands.CommandTree) -> str:
    payload = sorted((command.to_dict(tree) for command in tree.get_commands()), key=lambda c: c["name"])
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()


async def sync_commands(
    tree: app_commands.CommandTree, state: StateRepository, dev_guild_id: int | None, *, force: bool = False
) -> str:
    """Returns what was done, for the log and for `briefbot sync`."""
    if dev_guild_id is not None:
        guild = discord.Object(id=dev_guild_id)
        tree.copy_global_to(guild=guild)
        synced = await tree.sync(guild=guild)
        return f"synced {plural(len(synced), 'command')} to dev guild {dev_guild_id}"
    current = tree_hash(tree)
    if not force and await state.get_state(GLOBAL_HASH_KEY) == current:
        return "global commands unchanged; no sync needed"
    synced = await tree.sync()
    await state.set_state(GLOBAL_HASH_KEY, current)
    return f"synced {plural(len(synced), 'global command')}"
