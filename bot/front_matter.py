"""An article's front matter: the YAML block between `---` lines, read with PyYAML's safe loader.

Every scalar is read as text (no YAML timestamps, booleans or numbers): `date: 2024-03-01 09:30` reaches the
date reader as written, with its zone, and `title: No` stays "No". Keys briefbot uses have a few common
aliases (`description` for the dek, `published` for the date, …). Any other key is kept in `extra` when its
value is text or a list of text, and otherwise ignored with a log line; it is never an error.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

EXTRA_MAX_KEYS = 20
EXTRA_MAX_CHARS = 300

# front matter key -> the field it sets
KEY_ALIASES: dict[str, str] = {
    "title": "title", "headline": "title",
    "date": "date", "published": "date", "published_at": "date", "publish_date": "date", "pubdate": "date",
    "source": "source", "publisher": "source", "site": "source", "site_name": "source",
    "url": "url", "link": "url", "canonical_url": "url",
    "tags": "tags", "keywords": "tags",
    "follows": "follows", "slug": "slug",
    "dek": "dek", "description": "dek", "summary": "dek", "subtitle": "dek", "excerpt": "dek",
    "author": "author", "authors": "author", "byline": "author",
}  # fmt: skip


class FrontMatterError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        self.line = line
        super().__init__(message)


@functools.cache
def _text_loader() -> Any:
    """PyYAML's SafeLoader (the C one when built) whose plain scalars all stay strings. Made on first use:
    most articles have no front matter, and an import's worker process should not pay for PyYAML."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return type("TextLoader", (base,), {"yaml_implicit_resolvers": {}})


@dataclass(slots=True)
class FrontMatter:
    fields: dict[str, str] = field(default_factory=dict)  # field -> text
    lines: dict[str, int] = field(default_factory=dict)  # field -> the line of its key in the file
    tags: tuple[str, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()


def read_front_matter(block: str, first_line: int) -> FrontMatter:
    """`block` is the text between the `---` lines; `first_line` is the file line it starts on.

    Raises FrontMatterError naming the file line of the problem."""
    import yaml

    try:
        data = yaml.load(block, Loader=_text_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        problem = exc.problem or exc.context or "invalid YAML"
        hint = "; put quotes around a value that contains ': '" if "mapping values" in problem else ""
        raise FrontMatterError(line, f"front matter is not valid YAML: {problem}{hint}") from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise FrontMatterError(first_line, f"front matter is not valid YAML: {type(exc).__name__}") from None
    if data is None:
        return FrontMatter()
    if not isinstance(data, dict):
        raise FrontMatterError(first_line, "front matter must be 'key: value' lines")
    meta = FrontMatter()
    extra: list[tuple[str, str]] = []
    for raw_key, value in data.items():
        key = str(raw_key).strip().lower().replace("-", "_")
        target = KEY_ALIASES.get(key)
        line = _key_line(block, str(raw_key), first_line)
        if target == "tags":
            meta.tags = _tags(value)
        elif target is not None:
            text = _text(value)
            if text is None:
                raise FrontMatterError(line, f"front matter key {raw_key!r} must be text, not a {_kind(value)}")
            if text and target not in meta.fields:
                meta.fields[target] = text
                meta.lines[target] = line
        elif (text := _text(value)) is not None and len(extra) < EXTRA_MAX_KEYS:
            extra.append((key, text[:EXTRA_MAX_CHARS]))
        else:
            log.info("front matter key %r (line %s) is not used by briefbot; ignored", str(raw_key)[:40], line)
    meta.extra = tuple(extra)
    return meta


def _text(value: object) -> str | None:
    """A scalar, or a list of scalars joined with ', '; None for anything nested."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list) and all(isinstance(item, str | None) for item in value):
        return ", ".join(item.strip() for item in value if item and item.strip())
    return None


def _tags(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        items = value.strip("[]").split(",")
    elif isinstance(value, list):
        items = [item for item in value if isinstance(item, str)]
    else:
        items = []
    return tuple(dict.fromkeys(t.strip() for t in items if t.strip()))


def _kind(value: object) -> str:
    return "mapping" if isinstance(value, dict) else "list of mappings" if isinstance(value, list) else "value"


def _key_line(block: str, key: str, first_line: int) -> int:
    match = re.search(rf"^[\"']?{re.escape(key)}[\"']?\s*:", block, re.MULTILINE)
    return first_line + block.count("\n", 0, match.start()) if match else first_line
