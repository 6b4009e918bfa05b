"""deploy/slack-manifest.yml agrees with bot.slack.manifest: commands, Socket Mode, App Home and scopes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.slack.manifest import BOT_EVENTS, REQUIRED_SCOPES, SLASH_COMMANDS, Scope, missing_scopes
from tests.conftest import REPO_ROOT

MANIFEST = REPO_ROOT / "deploy" / "slack-manifest.yml"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def test_slash_commands_match_and_explain_themselves(manifest: dict[str, Any]) -> None:
    commands = manifest["features"]["slash_commands"]
    assert [c["command"] for c in commands] == list(SLASH_COMMANDS)
    for command in commands:
        assert command["description"].strip() and command["usage_hint"].strip()
        assert "url" not in command  # Socket Mode delivers commands: no public request URL
    by_name = {c["command"]: c for c in commands}
    assert by_name["/digest"]["should_escape"] is True  # `#news` must arrive as <#C…|news> for setup
    assert "setup #channel HH:MM Area/City" in by_name["/digest"]["usage_hint"]


def test_socket_mode_interactivity_and_app_home(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"] == {"is_enabled": True}  # no request_url under Socket Mode
    assert settings["event_subscriptions"] == {"bot_events": list(BOT_EVENTS)}  # no request_url either
    assert "user_events" not in settings["event_subscriptions"]
    features = manifest["features"]
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["app_home"]["messages_tab_enabled"] is True
    assert features["app_home"]["messages_tab_read_only_enabled"] is False
    assert features["bot_user"]["display_name"] == "briefbot"
    assert manifest["display_information"]["name"] == "briefbot"


def test_bot_scopes_are_exactly_the_required_ones(manifest: dict[str, Any]) -> None:
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert len(scopes) == len(set(scopes))
    assert set(scopes) == {scope.value for scope in REQUIRED_SCOPES}
    assert "user" not in manifest["oauth_config"]["scopes"]  # the app never acts as a person


def test_every_scope_says_why(manifest: dict[str, Any]) -> None:
    lines = Path(MANIFEST).read_text(encoding="utf-8").splitlines()
    for scope in manifest["oauth_config"]["scopes"]["bot"]:
        [line] = [line for line in lines if re.fullmatch(rf"\s+- {re.escape(scope)}(\s+#.*)?", line)]
        assert re.search(r"#\s*\S{2,}", line), f"scope {scope} has no reason next to it"


def test_missing_scopes_reads_the_granted_header() -> None:
    granted = ",".join(scope.value for scope in Scope if scope is not Scope.IM_HISTORY)
    assert missing_scopes(granted) == (Scope.IM_HISTORY,)
    assert missing_scopes(" commands, chat:write ")[:2] == (Scope.CHANNELS_JOIN, Scope.CHANNELS_READ)
    assert missing_scopes(None) == tuple(Scope)
    assert missing_scopes(",".join(REQUIRED_SCOPES) + ",chat:write.public") == ()
