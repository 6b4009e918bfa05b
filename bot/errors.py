"""Errors that carry a message meant for the person who asked."""

from __future__ import annotations

from bot import markup
from bot.markup import Content


class UserError(Exception):
    """Bad input or a refused action; its message is shown to the user as is (ephemeral in chat).

    The message may be markup: `str(error)` is its plain text, `error.markup` what a platform renders.
    """

    def __init__(self, message: Content = "") -> None:
        self.markup: Content = message
        super().__init__(markup.plain(message))


class UnknownStory(UserError):
    def __init__(self, text: str, suggestions: list[str] | None = None) -> None:
        self.text = text
        self.suggestions = tuple(suggestions or ())
        super().__init__(self.message())

    def message(self, list_command: str = "/story list") -> markup.Markup:
        """The message, pointing at the way to list stories where it is shown (a chat command by default)."""
        if self.suggestions:
            hint = markup.text(" Did you mean: ", ", ".join(self.suggestions), "?")
        else:
            hint = markup.text(" Try ", markup.code(list_command), ".")
        return markup.text("No story matches ", markup.code(self.text[:80]), ".", hint)


class MissingPermission(UserError):
    """`permission`: how the platform names what is missing (each platform words its admin requirement)."""

    def __init__(self, permission: str) -> None:
        super().__init__(markup.text("You need the ", markup.bold(permission), " permission to do that."))
        self.permission = permission
