"""Typed command lines, shared by every text front end (the console, chat platforms without command options).

A line is split into words (`split_words`), then bound to a command's parameters (`bind`):

* `"double quotes"` group words; an apostrophe, and a quote that does not open and close a word, is a letter;
* `name:value` sets a parameter by name, and the words after it continue its value until the next `name:`;
* the other words fill the remaining parameters in order. One parameter (marked `…` in a usage line, else the
  last one without a shape) takes every word left over in the middle, so `show night ferry` names one story;
  the parameters after it are filled from the end, so `follow night ferry dm` still finds `dm`;
* an optional parameter with a shape (a regular expression) is skipped when the word does not fit it, so
  `me 07:30 weekdays` leaves the time zone unset instead of reading `weekdays` as one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from bot import markup
from bot.errors import UserError
from bot.markup import Content, Markup

__all__ = ["CommandSpec", "Param", "ParsedCommand", "UsageError", "bind", "parse_usage", "split_words"]

_NAMED_OPTION = re.compile(r"^([a-z_]+):(.*)$")
# "Double quotes" group words when they open a word and close one (an option's name may come first);
# any other quote is a letter: what's, Meta's, an unbalanced ".
_WORD = re.compile(r'(?<!\S)(?P<name>[a-z_]+:)?"(?P<quoted>[^"]*)"(?!\S)|\S+')
_CURLY_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"'})
_USAGE_TOKEN = re.compile(r"<[^>]+>|\[[^\]]+\]|\S+")
REST = "\u2026"  # `<question…>`: this parameter takes the rest of the words


def split_words(line: str) -> list[str]:
    """A line's words; never fails, so no line is "unreadable"."""
    return [
        (match["name"] or "") + match["quoted"] if match["quoted"] is not None else match[0]
        for match in _WORD.finditer(line.translate(_CURLY_QUOTES))
    ]


def _not_a(word: str, what: str) -> Markup:
    return markup.text(markup.code(word), f" is not {what}.")


class UsageError(UserError):
    """A command line that does not fit its command; the message ends with the usage line."""

    def __init__(self, problem: Content, usage: str) -> None:
        super().__init__(markup.text(problem, f" Usage: {usage}"))
        self.problem = problem
        self.usage = usage


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    optional: bool = False
    rest: bool = False  # takes the words left over in the middle
    shape: re.Pattern[str] | None = None  # a word must fit it (whole) to fill this parameter
    hint: str = ""  # what fits the shape, for the error: "a number of hours"
    named_only: bool = False  # only set as `name:value`, never by position

    def fits(self, word: str) -> bool:
        return self.shape is None or self.shape.fullmatch(word) is not None


@dataclass(frozen=True, slots=True)
class CommandSpec:
    path: tuple[str, ...]  # ("story", "ask")
    params: tuple[Param, ...]
    usage: str  # the line shown in errors and help

    @property
    def param_names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.params)


@dataclass(frozen=True, slots=True)
class ParsedCommand:
    """`/story ask "night ferry" how many?` -> group `story`, sub `ask`, options story and question."""

    group: str
    sub: str
    options: Mapping[str, str] = field(default_factory=dict)

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.options.get(name, default)


def parse_usage(usage: str, shapes: Mapping[str, Param] | None = None) -> CommandSpec:
    """A spec from a usage line: `/story follow <story> [dm|here]`.

    `<x>` is required and `[x]` optional; `x…` takes the rest; `[name:<x>]` is set only by name. A label
    found in `shapes` (`dm|here`, `HH:MM`) takes that parameter's name and shape. Without a `…`, the last
    parameter without a shape takes the rest, as it does in the console.
    """
    tokens = _USAGE_TOKEN.findall(usage)
    path = tuple(t.lstrip("/").lower() for t in tokens if not t.startswith(("<", "[")))
    params: list[Param] = []
    for token in (t for t in tokens if t.startswith(("<", "["))):
        label, optional = token[1:-1], token.startswith("[")
        named_only = bool(re.fullmatch(r"[a-z_]+:.*", label))
        if named_only:
            label = label.split(":", 1)[0]
        known = (shapes or {}).get(label)  # looked up first: a shape's label may end with `…` (`mon,wed,…`)
        rest = known is None and label.endswith(REST)
        base = known if known is not None else Param(re.sub(r"\W+", "_", label.removesuffix(REST)).strip("_"))
        params.append(replace(base, optional=optional, rest=rest, named_only=named_only))
    if not any(p.rest for p in params):
        plain = [i for i, p in enumerate(params) if p.shape is None and not p.named_only]
        if plain:
            params[plain[-1]] = replace(params[plain[-1]], rest=True)
    return CommandSpec(path, tuple(params), usage)


def _split_named(spec: CommandSpec, words: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    named: dict[str, str] = {}
    positional: list[str] = []
    current: str | None = None
    for word in words:
        match = _NAMED_OPTION.match(word)
        if match and match.group(1) in spec.param_names:
            current = match.group(1)
            named[current] = match.group(2)
        elif current is not None:
            named[current] = f"{named[current]} {word}".strip()
        else:
            positional.append(word)
    return named, positional


def bind(spec: CommandSpec, words: Sequence[str], *, ignore_extra: bool = False) -> dict[str, str]:
    """The command's options from the words after its path. Raises UsageError naming what is missing or wrong.

    `ignore_extra`: words no parameter takes are dropped instead of refused (the console's old behaviour).
    """
    options, positional = _split_named(spec, words)
    free = [p for p in spec.params if p.name not in options and not p.named_only]
    explicit = [i for i, p in enumerate(free) if p.rest]
    plain = [i for i, p in enumerate(free) if p.shape is None]
    middle_at = explicit[0] if explicit else (plain[-1] if plain else None)
    middle = free[middle_at] if middle_at is not None else None
    left = free if middle_at is None else free[:middle_at]
    right = [] if middle_at is None else free[middle_at + 1 :]
    keep = 1 if middle is not None and not middle.optional else 0  # words the middle parameter must keep
    missing: set[str] = set()
    start, end = 0, len(positional)
    for param in left:
        if start < end and param.fits(positional[start]):
            options[param.name] = positional[start]
            start += 1
        elif start < end and not param.optional:
            raise UsageError(_not_a(positional[start], param.hint or param.name), spec.usage)
        elif not param.optional:
            missing.add(param.name)
    for param in reversed(right):
        if end - start > keep and param.fits(positional[end - 1]):
            options[param.name] = positional[end - 1]
            end -= 1
        elif end - start > keep and not param.optional:
            raise UsageError(_not_a(positional[end - 1], param.hint or param.name), spec.usage)
        elif not param.optional:
            missing.add(param.name)
    leftover = positional[start:end]
    if middle is not None and leftover:
        options[middle.name] = " ".join(leftover)
    elif middle is not None and not middle.optional:
        missing.add(middle.name)
    elif leftover and not ignore_extra:
        unfilled = [p for p in free if p.shape is not None and p.name not in options]
        what = unfilled[0].hint if unfilled and len(leftover) == 1 else None
        unclear = markup.text("I did not understand ", markup.code(" ".join(leftover)), ".")
        problem = _not_a(leftover[0], what) if what else unclear
        raise UsageError(problem, spec.usage)
    if missing:
        names = [p.name for p in spec.params if p.name in missing]  # in the usage line's order
        raise UsageError(f"Missing {', '.join(names)}.", spec.usage)
    return options
