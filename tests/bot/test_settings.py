"""Tests for bot.settings: validation, the `.env` file, and keeping the token out of sight."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, configure_logging, load_settings

FAKE_TOKEN = "FAKE.bot-token.for-tests_0123456789abcdef"


def _load(tmp_path: Path, environ: dict[str, str], env_file: str | None = None) -> Settings:
    path = tmp_path / ".env"
    if env_file is not None:
        path.write_text(env_file, encoding="utf-8")
    return load_settings(environ, path)


def test_defaults(tmp_path: Path) -> None:
    settings = _load(tmp_path, {})
    assert settings.database_path == Path("data/briefbot.db")
    assert settings.discord_token is None
    assert settings.default_timezone.key == "UTC"
    assert settings.log_level == "INFO"
    assert settings.seeds_dir == Path("seeds")
    assert settings.digest_grace == timedelta(hours=2)
    assert settings.discord_login_timeout == 30
    assert (settings.digest_tick_seconds, settings.alert_poll_seconds) == (60, 15)
    assert (settings.seeds_check_seconds, settings.mutes_check_seconds) == (60, 60)
    assert (settings.feed_tick_seconds, settings.feed_concurrency, settings.feed_max_failures) == (30, 8, 10)
    assert settings.feed_fetch_articles is True


def test_job_periods_and_login_timeout_are_seconds(tmp_path: Path) -> None:
    settings = _load(
        tmp_path,
        {
            "DISCORD_LOGIN_TIMEOUT": "5",
            "DIGEST_TICK_SECONDS": "1",
            "ALERT_POLL_SECONDS": "0.5",
            "SEEDS_CHECK_SECONDS": "300s",
            "MUTES_CHECK_SECONDS": "2",
        },
    )
    assert settings.discord_login_timeout == 5
    assert settings.digest_tick_seconds == 1
    assert settings.alert_poll_seconds == 0.5
    assert settings.seeds_check_seconds == 300
    assert settings.mutes_check_seconds == 2


def test_valid_values(tmp_path: Path) -> None:
    settings = _load(
        tmp_path,
        {
            "DATABASE_PATH": "/tmp/x.db",
            "DISCORD_TOKEN": FAKE_TOKEN,
            "DEV_GUILD_ID": "123456789012345678",
            "DEFAULT_TIMEZONE": "Asia/Seoul",
            "LOG_LEVEL": "debug",
            "DISCORD_API_BASE": "http://127.0.0.1:8080/api/v10/",
            "DISCORD_GATEWAY_URL": "ws://127.0.0.1:8080/gateway",
            "DIGEST_GRACE": "90m",
        },
    )
    assert settings.database_path == Path("/tmp/x.db")
    assert settings.discord_token == FAKE_TOKEN
    assert settings.dev_guild_id == 123456789012345678
    assert settings.default_timezone.key == "Asia/Seoul"
    assert settings.log_level == "DEBUG"
    assert settings.discord_api_base == "http://127.0.0.1:8080/api/v10"
    assert settings.digest_grace == timedelta(minutes=90)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEFAULT_TIMEZONE", "Mars/Base"),
        ("DEFAULT_TIMEZONE", "America/Argentina"),  # a folder of zones, not a zone
        ("DEFAULT_TIMEZONE", "America"),
        ("DEFAULT_TIMEZONE", "../../etc/passwd"),
        ("LOG_LEVEL", "loud"),
        ("DEV_GUILD_ID", "my-server"),
        ("DEV_GUILD_ID", "123"),
        ("DISCORD_TOKEN", "short"),
        ("DISCORD_TOKEN", "has spaces in it but is long enough"),
        ("DISCORD_API_BASE", "ftp://example.com"),
        ("DISCORD_GATEWAY_URL", "http://example.com/gateway"),
        ("DIGEST_GRACE", "soon"),
        ("DIGEST_GRACE", "-5m"),
        ("DISCORD_LOGIN_TIMEOUT", "0"),
        ("DISCORD_LOGIN_TIMEOUT", "forever"),
        ("DIGEST_TICK_SECONDS", "120"),  # rarer than a minute would send digests late
        ("ALERT_POLL_SECONDS", "-1"),
        ("SEEDS_CHECK_SECONDS", "nan"),
        ("MUTES_CHECK_SECONDS", "inf"),
        ("FEED_TICK_SECONDS", "0"),
        ("FEED_CONCURRENCY", "0"),
        ("FEED_CONCURRENCY", "many"),
        ("FEED_MAX_FAILURES", "1001"),
        ("FEED_FETCH_ARTICLES", "sometimes"),
    ],
)
def test_invalid_values_name_the_variable(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        _load(tmp_path, {name: value})


def test_digest_grace_units(tmp_path: Path) -> None:
    assert _load(tmp_path, {"DIGEST_GRACE": "2h"}).digest_grace == timedelta(hours=2)
    assert _load(tmp_path, {"DIGEST_GRACE": "45"}).digest_grace == timedelta(minutes=45)
    assert _load(tmp_path, {"DIGEST_GRACE": "15 min"}).digest_grace == timedelta(minutes=15)


def test_a_bad_token_message_does_not_echo_the_value(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        _load(tmp_path, {"DISCORD_TOKEN": "secret with spaces 1234567890"})
    assert "secret" not in str(caught.value)


def test_env_file_is_read(tmp_path: Path) -> None:
    settings = _load(
        tmp_path,
        {},
        "# comment\nDEFAULT_TIMEZONE=Europe/Paris\nLOG_LEVEL=warning\nDATABASE_PATH='data/other.db'\nDISCORD_TOKEN=\n",
    )
    assert settings.default_timezone.key == "Europe/Paris"
    assert settings.log_level == "WARNING"
    assert settings.database_path == Path("data/other.db")
    assert settings.discord_token is None


def test_environment_wins_over_env_file(tmp_path: Path) -> None:
    settings = _load(tmp_path, {"LOG_LEVEL": "ERROR"}, "LOG_LEVEL=DEBUG\nDEFAULT_TIMEZONE=Asia/Seoul\n")
    assert settings.log_level == "ERROR"
    assert settings.default_timezone.key == "Asia/Seoul"


def test_an_invalid_value_in_env_file_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="LOG_LEVEL"):
        _load(tmp_path, {}, "LOG_LEVEL=loud\n")


def test_repr_and_describe_never_show_the_token(tmp_path: Path) -> None:
    settings = _load(tmp_path, {"DISCORD_TOKEN": FAKE_TOKEN})
    assert FAKE_TOKEN not in repr(settings)
    assert FAKE_TOKEN not in str(settings)
    rows = dict(settings.describe())
    assert FAKE_TOKEN not in " ".join(rows.values())
    assert rows["DISCORD_TOKEN"] == "set (hidden)"
    assert dict(_load(tmp_path, {}).describe())["DISCORD_TOKEN"] == "not set"


def test_env_example_documents_every_setting() -> None:
    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text(encoding="utf-8")
    for name, _ in load_settings({}, env_file=None).describe():
        if name != "DISCORD_TOKEN":
            assert f"{name}=" in example, f"{name} is missing from .env.example"
    assert "DISCORD_TOKEN=\n" in example  # present, and empty: a token is never committed


@pytest.mark.parametrize(("level", "scheduler_level"), [("INFO", "WARNING"), ("ERROR", "ERROR"), ("DEBUG", "DEBUG")])
def test_scheduler_job_runs_are_logged_only_at_debug(level: str, scheduler_level: str) -> None:
    apscheduler = logging.getLogger("apscheduler")
    root_level, own_level = logging.getLogger().level, apscheduler.level
    try:
        logging.getLogger().setLevel(level)  # what basicConfig does outside pytest, which has set up logging already
        configure_logging(level)
        assert logging.getLevelName(apscheduler.getEffectiveLevel()) == scheduler_level
    finally:
        logging.getLogger().setLevel(root_level)
        apscheduler.setLevel(own_level)


SLACK_BOT = "xoxb-1111-2222-testbottokenvalue"
SLACK_APP = "xapp-1-A0APP-3333-testapptokenvalue"


def test_slack_settings(tmp_path: Path) -> None:
    defaults = _load(tmp_path, {})
    assert (defaults.slack_bot_token, defaults.slack_app_token) == (None, None)
    assert defaults.slack_api_base == "https://slack.com/api/"
    assert defaults.slack_admin_users == frozenset()
    settings = _load(
        tmp_path,
        {
            "SLACK_BOT_TOKEN": SLACK_BOT,
            "SLACK_APP_TOKEN": SLACK_APP,
            "SLACK_API_BASE": "http://127.0.0.1:9000/api",
            "SLACK_ADMIN_USERS": "U0ADMIN01, W0ORGADMIN,U0TWO",
        },
    )
    assert (settings.slack_bot_token, settings.slack_app_token) == (SLACK_BOT, SLACK_APP)
    assert settings.slack_api_base == "http://127.0.0.1:9000/api/"  # slack_sdk needs the trailing slash
    assert settings.slack_admin_users == {"U0ADMIN01", "W0ORGADMIN", "U0TWO"}


@pytest.mark.parametrize(
    ("environ", "name"),
    [
        ({"SLACK_BOT_TOKEN": SLACK_APP, "SLACK_APP_TOKEN": SLACK_APP}, "SLACK_BOT_TOKEN"),  # swapped
        ({"SLACK_BOT_TOKEN": SLACK_BOT, "SLACK_APP_TOKEN": SLACK_BOT}, "SLACK_APP_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxp-1111-2222-usertokenvalue", "SLACK_APP_TOKEN": SLACK_APP}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-", "SLACK_APP_TOKEN": SLACK_APP}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1111 2222 with spaces", "SLACK_APP_TOKEN": SLACK_APP}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": SLACK_BOT}, "SLACK_APP_TOKEN"),  # one without the other
        ({"SLACK_APP_TOKEN": SLACK_APP}, "SLACK_BOT_TOKEN"),
        ({"SLACK_API_BASE": "slack.com/api"}, "SLACK_API_BASE"),
        ({"SLACK_ADMIN_USERS": "U0ADMIN01,@bob"}, "SLACK_ADMIN_USERS"),
    ],
)
def test_invalid_slack_settings_name_the_variable(tmp_path: Path, environ: dict[str, str], name: str) -> None:
    with pytest.raises(SettingsError, match=name) as caught:
        _load(tmp_path, environ)
    assert "testbottokenvalue" not in str(caught.value) and "testapptokenvalue" not in str(caught.value)


def test_slack_tokens_are_never_shown(tmp_path: Path) -> None:
    settings = _load(tmp_path, {"SLACK_BOT_TOKEN": SLACK_BOT, "SLACK_APP_TOKEN": SLACK_APP})
    for secret in (SLACK_BOT, SLACK_APP):
        assert secret not in repr(settings)
        assert secret not in " ".join(value for _, value in settings.describe())
    rows = dict(settings.describe())
    assert rows["SLACK_BOT_TOKEN"] == rows["SLACK_APP_TOKEN"] == "set (hidden)"
    assert dict(_load(tmp_path, {}).describe())["SLACK_BOT_TOKEN"] == "not set"
def test_feed_settings(tmp_path: Path) -> None:
    settings = _load(
        tmp_path,
        {"FEED_TICK_SECONDS": "0.5", "FEED_CONCURRENCY": "2", "FEED_MAX_FAILURES": "3", "FEED_FETCH_ARTICLES": "off"},
    )
    assert (settings.feed_tick_seconds, settings.feed_concurrency, settings.feed_max_failures) == (0.5, 2, 3)
    assert settings.feed_fetch_articles is False
    assert _load(tmp_path, {"FEED_FETCH_ARTICLES": "Yes"}).feed_fetch_articles is True
    described = dict(settings.describe())
    assert described["FEED_FETCH_ARTICLES"] == "off" and described["FEED_MAX_FAILURES"] == "3 failures"
