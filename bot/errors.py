"""Errors that carry a message meant for the person who asked."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or a refused action; its message is shown to the user as is (ephemeral in chat)."""


class UnknownStory(UserError):
    def __init__(self, text: str, suggestions: list[str] | None = None) -> None:
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else " Try `/story list`."
        super().__init__(f"No story matches `{text[:80]}`.{hint}")
        self.text = text


class MissingPermission(UserError):
    def __init__(self, permission: str) -> None:
        super().__init__(f"You need the **{permission}** permission to do that.")
        self.permission = permission
