"""The chat platforms briefbot serves, and how `briefbot run` finds the ones that are configured.

Each platform lives in its own package `bot.<platform>` (`bot.discord`, ...). The core never imports one: like
cogs/, a platform package is found by name, and only when the process starts. The package's `__init__` stays
light (no platform library imported) and exposes

    def client_for(settings: Settings) -> PlatformClient | None

which answers None when that platform's settings are not set, so `briefbot run` leaves it out.
"""

from __future__ import annotations

import importlib
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.runtime import Runtime
    from bot.settings import Settings


class Platform(StrEnum):
    """A platform's name is its package's name under bot/."""

    DISCORD = "discord"
    SLACK = "slack"


class PlatformClient(Protocol):
    """One platform's side of `briefbot run`. The runtime (services, scheduler, outbox) is shared by all of them."""

    platform: Platform

    @property
    def connected(self) -> bool:
        """True once the platform has answered: a stop before that is "stopped before connecting"."""
        ...

    async def serve(self, runtime: Runtime) -> None:
        """Connects, registers the platform's transport (`runtime.add_transport`), starts the runtime and serves
        until cancelled; removes the transport on the way out. What the operator can fix (a rejected token, an
        unreachable server) is raised as a UserError with a clear message."""
        ...

    async def sync_commands(self, runtime: Runtime) -> str:
        """`briefbot sync`: pushes the platform's command list, or says where the platform declares it; returns
        what was done, in a line."""
        ...


def package_of(platform: Platform) -> str:
    return f"{__package__}.{platform.value}"


def configured_clients(settings: Settings) -> list[PlatformClient]:
    """The clients of every platform whose settings are set, in the order of `Platform`."""
    clients = []
    for platform in Platform:
        client = importlib.import_module(package_of(platform)).client_for(settings)
        if client is not None:
            clients.append(client)
    return clients
