"""Platform-qualified ids: every server, workspace, channel and user the store keeps is "<platform>:<id>" text.

Discord's snowflakes and Slack's ids ("T…", "C…", "U…", and `ts` values) are both kept as text, and the
platform's name in front keeps them apart: one workspace's rows are never another server's. The core passes
these around without looking inside them; a platform's adapter makes them (`qualify`) and reads them back
(`external`), and the outbox routes a message to its platform's worker by `platform_of`.
"""

from __future__ import annotations

SEPARATOR = ":"


def qualify(platform: str, external_id: str | int) -> str:
    """`qualify("discord", 81384788765712384)` -> "discord:81384788765712384"."""
    text = str(external_id)
    if not text or not platform or SEPARATOR in platform:
        raise ValueError(f"cannot qualify {external_id!r} on platform {platform!r}")
    return f"{platform}{SEPARATOR}{text}"


def split(qualified: str) -> tuple[str, str]:
    """("discord", "81384788765712384"); ValueError for text that `qualify` could not have made."""
    platform, separator, external_id = str(qualified).partition(SEPARATOR)
    if not separator or not platform or not external_id:
        raise ValueError(f"not a platform-qualified id: {qualified!r}")
    return platform, external_id


def platform_of(qualified: str) -> str:
    return split(qualified)[0]


def external(qualified: str) -> str:
    return split(qualified)[1]
