"""Errors that carry a message meant for the person who asked."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or a refused action; its message is shown to the user as is (ephemeral in chat)."""


class UnknownStory(UserError):
    def __init__(self, text: str, suggestions: list[str] | None = None) -> None:
        self.text = text
        self.suggestions = tuple(suggestions or ())
        super().__init__(self.message())

    def message(self, list_command: str = "/story list") -> str:
        """The message, pointing at the way to list stories where it is shown (a chat command by default)."""
        hint = f" Did you mean: {', '.join(self.suggestions)}?" if self.suggestions else f" Try `{list_command}`."
        return f"No story matches `{self.text[:80]}`.{hint}"


class MissingPermission(UserError):
    def __init__(self, permission: str) -> None:
        super().__init__(f"You need the **{permission}** permission to do that.")
        self.permission = permission
