"""What the Slack app asks Slack for: its slash commands, bot events and bot scopes.

`deploy/slack-manifest.yml` declares the same lists (a test keeps the two in step), with the reason for each
scope next to it. `missing_scopes` reads the `x-oauth-scopes` header Slack sends back on every Web API call
(`auth.test` at start, say), so an app installed with an older manifest can be named clearly.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["BOT_EVENTS", "REQUIRED_SCOPES", "SLASH_COMMANDS", "Scope", "missing_scopes"]


class Scope(StrEnum):
    """Bot token scopes: the fewest the features need (see the manifest for why each one)."""

    COMMANDS = "commands"
    CHAT_WRITE = "chat:write"
    CHANNELS_JOIN = "channels:join"
    CHANNELS_READ = "channels:read"
    GROUPS_READ = "groups:read"
    IM_WRITE = "im:write"
    USERS_READ = "users:read"
    CHANNELS_HISTORY = "channels:history"
    GROUPS_HISTORY = "groups:history"
    IM_HISTORY = "im:history"


REQUIRED_SCOPES: frozenset[Scope] = frozenset(Scope)
SLASH_COMMANDS: tuple[str, ...] = ("/story", "/digest", "/brief", "/feed")
# app_home_opened needs no scope, and neither does views.publish for a user of the installing workspace.
BOT_EVENTS: tuple[str, ...] = ("app_home_opened",)


def missing_scopes(granted: str | None) -> tuple[Scope, ...]:
    """The required scopes absent from a comma-separated `x-oauth-scopes` value, in declaration order."""
    have = {scope.strip() for scope in (granted or "").split(",")}
    return tuple(scope for scope in Scope if scope.value not in have)
