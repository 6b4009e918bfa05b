"""Point discord.py 2.7 at a Discord-compatible server other than discord.com.

Used by ``briefbot run`` when the settings ``DISCORD_API_BASE`` / ``DISCORD_GATEWAY_URL`` are set (end-to-end tests
run the bot against a loopback stub; a self-hosted proxy would work the same way).

Where discord.py 2.7 hardcodes Discord's addresses, and what is patched:

``discord.http.Route.BASE`` (``https://discord.com/api/v10``) -- **patched.**
    Every REST call builds its URL as ``Route.BASE + path`` in ``Route.__init__``.  That includes the
    interaction/webhook adapter in ``discord/webhook/async_.py`` (interaction callbacks, follow-ups,
    ``@original`` edits): it imports the very same ``Route`` class from ``discord.http`` and has no
    base URL of its own, so one class attribute covers both.  Only ``discord.http._set_api_version``
    rewrites it (back to discord.com) -- don't call that after applying overrides.

``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` (``wss://gateway.discord.gg/``) -- **patched.**
    A plain ``Client``/``commands.Bot`` never asks ``GET /gateway/bot``: ``Client.connect`` calls
    ``DiscordWebSocket.from_client(gateway=None)``, which falls back to ``cls.DEFAULT_GATEWAY``.
    It is also what ``INVALIDATE_SESSION`` resets ``ws.gateway`` to before re-identifying.
    (``AutoShardedClient`` does call ``HTTPClient.get_bot_gateway`` and uses the returned URL; that
    request goes through ``Route.BASE``, so the server decides.)

Not patched, on purpose:

* ``resume_gateway_url`` -- discord.py stores READY's ``resume_gateway_url`` in ``ws.gateway`` and
  resumes there; the server controls it, nothing to patch.
* ``discord.asset.Asset.BASE`` (``https://cdn.discordapp.com``), ``media.discordapp.net`` sticker
  URLs, ``Webhook.url``, ``jump_url`` and friends -- these only *format* URLs (for embeds, links and
  ``repr``); discord.py never fetches them on its own.  Attachments are fetched from the absolute
  ``url`` in their payload, so a compatible server serves them itself.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

import discord.gateway
import discord.http
import yarl

__all__ = [
    "apply_endpoint_overrides",
    "reset_endpoint_overrides",
]

logger = logging.getLogger(__name__)

_DEFAULT_API_BASE: str = discord.http.Route.BASE
_DEFAULT_GATEWAY: yarl.URL = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
_VERSION_SUFFIX = re.compile(r"/v\d+$")


def _normalise_api_base(api_base: str) -> str:
    parts = urlsplit(api_base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"API base must be an absolute http(s) URL, got {api_base!r}")
    base = api_base.rstrip("/")
    if not _VERSION_SUFFIX.search(base):
        # Accept "http://host/api" like discord.com's own layout and add the version discord.py speaks.
        base = f"{base}/v{discord.http.INTERNAL_API_VERSION}"
    return base


def _normalise_gateway(gateway_url: str) -> yarl.URL:
    url = yarl.URL(gateway_url)
    if url.scheme not in ("ws", "wss") or not url.host:
        raise ValueError(f"gateway URL must be an absolute ws(s) URL, got {gateway_url!r}")
    # discord.py replaces the query with ?v=..&encoding=json&compress=..; a query here would be lost.
    return url.with_query(None)


def apply_endpoint_overrides(api_base: str | None, gateway_url: str | None) -> None:
    """Make discord.py use ``api_base`` for REST and ``gateway_url`` for the gateway.

    ``api_base`` is the versioned API root (``http://127.0.0.1:8080/api/v10``; a bare ``.../api`` gets
    ``/v10`` appended).  Either argument may be None to leave that side alone; with both None nothing
    changes.  The patches are process-wide class attributes (see the module docstring); undo them
    with :func:`reset_endpoint_overrides`.
    """
    if api_base is None and gateway_url is None:
        return
    if api_base is not None:
        base = _normalise_api_base(api_base)
        discord.http.Route.BASE = base
        logger.info("discord.py REST base overridden: %s", base)
    if gateway_url is not None:
        gateway = _normalise_gateway(gateway_url)
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway
        logger.info("discord.py gateway URL overridden: %s", gateway)


def reset_endpoint_overrides() -> None:
    """Restore discord.py's built-in discord.com endpoints."""
    discord.http.Route.BASE = _DEFAULT_API_BASE
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = _DEFAULT_GATEWAY
