"""One frozen settings object, read once from the environment and `.env`."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.text import plural
from bot.urls import host_key

LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
SLACK_API_BASE = "https://slack.com/api/"
_SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")


class SettingsError(ValueError):
    """A setting is missing or invalid; the message names the variable."""


@dataclass(frozen=True, slots=True)
class Settings:
    database_path: Path = Path("data/briefbot.db")
    discord_token: str | None = field(default=None, repr=False)
    dev_guild_id: int | None = None
    default_timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    log_level: str = "INFO"
    seeds_dir: Path = Path("seeds")
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None
    digest_grace: timedelta = timedelta(hours=2)
    outbox_rate: float = 40.0
    alert_burst_window: timedelta = timedelta(minutes=10)
    fetch_allow_hosts: frozenset[tuple[str, int]] = frozenset()
    discord_login_timeout: float = 30.0
    # How often the periodic jobs run, in seconds (tests shorten them; see bot/jobs.py).
    digest_tick_seconds: float = 60.0
    alert_poll_seconds: float = 15.0
    seeds_check_seconds: float = 60.0
    mutes_check_seconds: float = 60.0
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_base: str = SLACK_API_BASE
    slack_admin_users: frozenset[str] = frozenset()
    feed_tick_seconds: float = 30.0  # how often due feeds are claimed and polled
    feed_concurrency: int = 8  # feed fetches at once, overall (2 at most per host)
    feed_max_failures: int = 10  # failed fetches in a row before a feed is disabled
    feed_fetch_articles: bool = True  # read each new item's linked article for matching

    def describe(self) -> list[tuple[str, str]]:
        """Settings as (name, value) rows for `briefbot check`; the token is never shown."""
        return [
            ("DATABASE_PATH", str(self.database_path)),
            ("DISCORD_TOKEN", "set (hidden)" if self.discord_token else "not set"),
            ("DEV_GUILD_ID", str(self.dev_guild_id or "not set")),
            ("DEFAULT_TIMEZONE", self.default_timezone.key),
            ("LOG_LEVEL", self.log_level),
            ("SEEDS_DIR", str(self.seeds_dir)),
            ("DISCORD_API_BASE", self.discord_api_base or "discord.com (default)"),
            ("DISCORD_GATEWAY_URL", self.discord_gateway_url or "from Discord (default)"),
            ("DIGEST_GRACE", plural(int(self.digest_grace.total_seconds() // 60), "minute")),
            ("OUTBOX_RATE", f"{self.outbox_rate:g} messages/s"),
            ("ALERT_BURST_WINDOW", plural(int(self.alert_burst_window.total_seconds()), "second")),
            ("FETCH_ALLOW_HOSTS", ", ".join(sorted(_host_port(*pair) for pair in self.fetch_allow_hosts)) or "none"),
            ("DISCORD_LOGIN_TIMEOUT", f"{self.discord_login_timeout:g} seconds"),
            ("DIGEST_TICK_SECONDS", f"{self.digest_tick_seconds:g} seconds"),
            ("ALERT_POLL_SECONDS", f"{self.alert_poll_seconds:g} seconds"),
            ("SEEDS_CHECK_SECONDS", f"{self.seeds_check_seconds:g} seconds"),
            ("MUTES_CHECK_SECONDS", f"{self.mutes_check_seconds:g} seconds"),
            ("SLACK_BOT_TOKEN", "set (hidden)" if self.slack_bot_token else "not set"),
            ("SLACK_APP_TOKEN", "set (hidden)" if self.slack_app_token else "not set"),
            ("SLACK_API_BASE", self.slack_api_base),
            ("SLACK_ADMIN_USERS", ", ".join(sorted(self.slack_admin_users)) or "none"),
            ("FEED_TICK_SECONDS", f"{self.feed_tick_seconds:g} seconds"),
            ("FEED_CONCURRENCY", f"{self.feed_concurrency} fetches at once"),
            ("FEED_MAX_FAILURES", plural(self.feed_max_failures, "failure")),
            ("FEED_FETCH_ARTICLES", "on" if self.feed_fetch_articles else "off"),
        ]


def load_settings(environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")) -> Settings:
    """Environment variables win over `.env`. Raises SettingsError naming the bad variable."""
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)

    def get(name: str) -> str | None:
        value = values.get(name, "").strip()
        return value or None

    slack_bot_token, slack_app_token = _slack_tokens(get)
    return Settings(
        database_path=Path(get("DATABASE_PATH") or "data/briefbot.db"),
        discord_token=_token(get("DISCORD_TOKEN")),
        dev_guild_id=_snowflake("DEV_GUILD_ID", get("DEV_GUILD_ID")),
        default_timezone=_zone("DEFAULT_TIMEZONE", get("DEFAULT_TIMEZONE") or "UTC"),
        log_level=_log_level(get("LOG_LEVEL") or "INFO"),
        seeds_dir=Path(get("SEEDS_DIR") or "seeds"),
        discord_api_base=_url("DISCORD_API_BASE", get("DISCORD_API_BASE"), ("http", "https")),
        discord_gateway_url=_url("DISCORD_GATEWAY_URL", get("DISCORD_GATEWAY_URL"), ("ws", "wss")),
        digest_grace=_minutes("DIGEST_GRACE", get("DIGEST_GRACE"), default=120),
        outbox_rate=_rate("OUTBOX_RATE", get("OUTBOX_RATE"), default=40.0),
        alert_burst_window=_minutes("ALERT_BURST_WINDOW", get("ALERT_BURST_WINDOW"), default=10),
        fetch_allow_hosts=_host_ports("FETCH_ALLOW_HOSTS", get("FETCH_ALLOW_HOSTS")),
        discord_login_timeout=_seconds("DISCORD_LOGIN_TIMEOUT", get("DISCORD_LOGIN_TIMEOUT"), default=30, maximum=600),
        # A digest is due on a minute, so the tick may not be rarer than once a minute.
        digest_tick_seconds=_seconds("DIGEST_TICK_SECONDS", get("DIGEST_TICK_SECONDS"), default=60, maximum=60),
        alert_poll_seconds=_seconds("ALERT_POLL_SECONDS", get("ALERT_POLL_SECONDS"), default=15),
        seeds_check_seconds=_seconds("SEEDS_CHECK_SECONDS", get("SEEDS_CHECK_SECONDS"), default=60),
        mutes_check_seconds=_seconds("MUTES_CHECK_SECONDS", get("MUTES_CHECK_SECONDS"), default=60),
        slack_bot_token=slack_bot_token,
        slack_app_token=slack_app_token,
        slack_api_base=_slack_api_base(get("SLACK_API_BASE")),
        slack_admin_users=_slack_users("SLACK_ADMIN_USERS", get("SLACK_ADMIN_USERS")),
        feed_tick_seconds=_seconds("FEED_TICK_SECONDS", get("FEED_TICK_SECONDS"), default=30),
        feed_concurrency=_count("FEED_CONCURRENCY", get("FEED_CONCURRENCY"), default=8, maximum=64),
        feed_max_failures=_count("FEED_MAX_FAILURES", get("FEED_MAX_FAILURES"), default=10, maximum=1000),
        feed_fetch_articles=_flag("FEED_FETCH_ARTICLES", get("FEED_FETCH_ARTICLES"), default=True),
    )


def _slack_tokens(get: Callable[[str], str | None]) -> tuple[str | None, str | None]:
    """Both Slack tokens or neither: Socket Mode needs the app-level token as well as the bot's."""
    bot = _slack_token("SLACK_BOT_TOKEN", get("SLACK_BOT_TOKEN"), "xoxb-", "Bot User OAuth Token")
    app = _slack_token("SLACK_APP_TOKEN", get("SLACK_APP_TOKEN"), "xapp-", "App-Level Token")
    if bool(bot) != bool(app):
        have, need = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN") if bot else ("SLACK_APP_TOKEN", "SLACK_BOT_TOKEN")
        raise SettingsError(f"{need} is not set: Slack needs it as well as {have} (README: Connecting to Slack)")
    return bot, app


def _slack_api_base(value: str | None) -> str:
    base = _url("SLACK_API_BASE", value, ("http", "https"))
    return base + "/" if base else SLACK_API_BASE  # slack_sdk joins method names onto it: it must end with /


def _slack_users(name: str, value: str | None) -> frozenset[str]:
    users = (value or "").replace(",", " ").split()
    for user in users:
        if not _SLACK_USER_ID.fullmatch(user):
            raise SettingsError(f"{name} must list Slack user IDs like U012AB3CDE, got {user!r}")
    return frozenset(users)


def _slack_token(name: str, value: str | None, prefix: str, kind: str) -> str | None:
    """Never echoes the value: only says what a token of this kind looks like."""
    if value is None:
        return None
    if not value.startswith(prefix) or any(ch.isspace() for ch in value) or len(value) < len(prefix) + 10:
        raise SettingsError(f"{name} must be the Slack app's {kind}, starting with {prefix}")
    return value


def _token(value: str | None) -> str | None:
    if value is None:
        return None
    if any(ch.isspace() for ch in value) or len(value) < 20:
        raise SettingsError("DISCORD_TOKEN does not look like a bot token (too short or contains spaces)")
    return value


def _snowflake(name: str, value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or not 15 <= len(value) <= 22:
        raise SettingsError(f"{name} must be a Discord server ID (a 17-20 digit number), got {value!r}")
    return int(value)


def _zone(name: str, value: str) -> ZoneInfo:
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder of zones such as America/Argentina
        raise SettingsError(f"{name} must be an IANA time zone like Europe/Paris, got {value!r}") from None


def _log_level(value: str) -> str:
    level = value.upper()
    if level not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {value!r}")
    return level


def _url(name: str, value: str | None, schemes: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in schemes or not parsed.netloc:
        raise SettingsError(f"{name} must be a {' or '.join(schemes)} URL, got {value!r}")
    return value.rstrip("/")


def _minutes(name: str, value: str | None, default: int) -> timedelta:
    """A duration: a plain number of minutes, or with a unit like 90s, 10m, 2h."""
    if value is None:
        return timedelta(minutes=default)
    text = value.strip().lower()
    units = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}
    for suffix, seconds in sorted(units.items(), key=lambda item: -len(item[0])):
        number = text.removesuffix(suffix).strip()
        if text.endswith(suffix) and number.isdigit():
            return timedelta(seconds=int(number) * seconds)
    if text.isdigit():
        return timedelta(minutes=int(text))
    raise SettingsError(f"{name} must be a number of minutes, or like '2h', '90m' or '30s', got {value!r}")


def _seconds(name: str, value: str | None, default: float, maximum: float = 86400) -> float:
    """A number of seconds such as 15, 0.5 or 30s, from 0.1 up to `maximum`."""
    if value is None:
        return default
    try:
        seconds = float(value.strip().lower().removesuffix("s"))
    except ValueError:
        seconds = 0.0
    if not 0.1 <= seconds <= maximum:  # also refuses nan and inf
        raise SettingsError(f"{name} must be a number of seconds between 0.1 and {maximum:g}, got {value!r}")
    return seconds


def _count(name: str, value: str | None, default: int, maximum: int) -> int:
    """A whole number from 1 up to `maximum`."""
    if value is None:
        return default
    text = value.strip()
    if not text.isdigit() or not 1 <= int(text) <= maximum:
        raise SettingsError(f"{name} must be a whole number from 1 to {maximum}, got {value!r}")
    return int(text)


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _flag(name: str, value: str | None, default: bool) -> bool:
    if value is None:
        return default
    text = value.strip().lower()
    if text not in _TRUE | _FALSE:
        raise SettingsError(f"{name} must be on or off (true/false, yes/no, 1/0), got {value!r}")
    return text in _TRUE


def _rate(name: str, value: str | None, default: float) -> float:
    if value is None:
        return default
    try:
        rate = float(value)
    except ValueError:
        rate = 0.0
    if not 0.1 <= rate <= 50:
        raise SettingsError(f"{name} must be a number of messages per second between 0.1 and 50, got {value!r}")
    return rate


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _host_ports(name: str, value: str | None) -> frozenset[tuple[str, int]]:
    """`127.0.0.1:8080, feeds.lan:443, [::1]:8080` -> {(host, port)}; every entry needs its port."""
    pairs: set[tuple[str, int]] = set()
    for entry in (value or "").replace(",", " ").split():
        host, _, port = entry.rpartition(":")
        host = host_key(host)
        if not host or (":" in host and not entry.startswith("[")) or not port.isdigit() or not 0 < int(port) < 65536:
            raise SettingsError(f"{name} must list host:port pairs like 127.0.0.1:8080 or [::1]:8080, got {entry!r}")
        pairs.add((host, int(port)))
    return frozenset(pairs)


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    # APScheduler logs every job run at INFO (dozens of lines a minute): only at DEBUG do they show. Its
    # warnings and job errors ("Job ... raised an exception", with the traceback) still do.
    number = logging.getLevelNamesMapping()[level]
    logging.getLogger("apscheduler").setLevel(number if number <= logging.DEBUG else max(number, logging.WARNING))
