"""The shape of the house: the core (bot/ outside the platform packages, and storage/) imports no platform, and a
platform package named like its library does not shadow it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from bot.platforms import Platform, configured_clients
from bot.settings import Settings
from tests.conftest import REPO_ROOT

CORE_ROOTS = ("bot", "storage")
PLATFORM_PACKAGES = ("bot.discord", "bot.slack")  # bot.slack: ready for it, so it cannot land imported by the core
FORBIDDEN = ("discord", "slack_bolt", "slack_sdk", *PLATFORM_PACKAGES)


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def core_modules() -> list[Path]:
    paths = [path for root in CORE_ROOTS for path in sorted((REPO_ROOT / root).rglob("*.py"))]
    return [path for path in paths if not _within(module_name(path), PLATFORM_PACKAGES)]


def _within(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == package or name.startswith(package + ".") for package in packages)


def imported_names(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """Every module an import statement anywhere in `source` may load, relative imports resolved;
    `from x import y` counts both x and x.y (y may be a submodule)."""
    package = module if is_package else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names |= {f"{base}.{alias.name}" for alias in node.names}
    return names


def test_the_checker_sees_every_form_of_import() -> None:
    source = """
import discord.ext.commands
from bot import discord
from .slack import app
def later():
    from slack_sdk.web.async_client import AsyncWebClient
"""
    names = imported_names(source, "bot.runtime")
    assert {"discord.ext.commands", "bot.discord", "bot.slack.app", "slack_sdk.web.async_client"} <= names
    assert {name for name in names if not _within(name, FORBIDDEN)} == {"bot"}
    assert imported_names("from . import runtime", "bot", is_package=True) == {"bot", "bot.runtime"}


def test_the_core_imports_no_platform() -> None:
    modules = core_modules()
    assert {"bot.runtime", "bot.delivery", "bot.cli", "storage.outbox"} <= {module_name(p) for p in modules}
    offenders = {}
    for path in modules:
        name = module_name(path)
        found = imported_names(path.read_text(encoding="utf-8"), name, is_package=path.name == "__init__.py")
        if bad := sorted(n for n in found if _within(n, FORBIDDEN)):
            offenders[name] = bad
    assert offenders == {}


def test_inside_the_discord_package_discord_is_the_library() -> None:
    import discord

    import bot.discord.client

    assert bot.discord.client.discord is discord
    assert not Path(discord.__file__).resolve().is_relative_to(REPO_ROOT / "bot")
    assert hasattr(discord, "Client") and not hasattr(discord, "client_for")


def test_with_bot_on_sys_path_the_package_refuses_to_pose_as_the_library() -> None:
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", "import discord"], cwd=REPO_ROOT / "bot", capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "bot/discord was imported as the discord.py library because bot/ is on sys.path" in done.stderr


def test_without_a_platform_token_discord_py_is_never_imported() -> None:
    script = (
        "import sys; from bot.cli import _parser; from bot.platforms import configured_clients; "
        "from bot.settings import Settings; assert configured_clients(Settings()) == []; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'discord'))"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]", done.stderr


@pytest.mark.parametrize("token", [None, "a-token"])
def test_a_platform_runs_when_its_settings_are_set(token: str | None) -> None:
    clients = configured_clients(Settings(discord_token=token))
    assert [client.platform for client in clients] == ([Platform.DISCORD] if token else [])
