"""`briefbot import <url>`, run for real in a subprocess, against a loopback site listed in FETCH_ALLOW_HOSTS."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.bot.test_cli import BRIEFBOT, Result, Workspace
from tests.conftest import SEED_PATH
from tests.pages import BUS_PAGE, BUS_SLUG, BUS_TITLE, HTML, PageSite

pytestmark = pytest.mark.skipif(not BRIEFBOT.exists(), reason="the briefbot console script is not installed")


@pytest.fixture
def site(bus_site: PageSite) -> PageSite:
    return bus_site


async def _run(workspace: Workspace, site: PageSite, *args: str) -> Result:
    """The command in a subprocess while this event loop serves the site."""
    process = await asyncio.create_subprocess_exec(
        str(BRIEFBOT), *args, cwd=workspace.root, env=workspace.env(FETCH_ALLOW_HOSTS=site.allow),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return Result(process.returncode, out.decode(), err.decode())


async def test_import_a_link_and_again_after_it_changed(tmp_path: Path, site: PageSite) -> None:
    workspace = Workspace(tmp_path)
    first = await _run(workspace, site, "import", site.url("/b"))
    assert first.code == 0, first.both
    assert "created" in first.out and BUS_SLUG in first.out and f"url:{site.url('/news/bus')}" in first.out

    site.pages["/news/bus"] = (HTML, BUS_PAGE.replace(b"twelve overnight bus routes", b"fourteen overnight routes"))
    again = await _run(workspace, site, "import", site.url("/news/bus"))
    assert again.code == 0, again.both
    assert "updated" in again.out and BUS_SLUG in again.out and f"{BUS_SLUG}-2" not in again.out

    shown = await _run(workspace, site, "show", BUS_SLUG)
    assert BUS_TITLE in shown.out and site.url("/news/bus") in shown.out and "fourteen overnight" in shown.out


async def test_links_and_files_in_one_import_and_a_refused_link_fails_clearly(tmp_path: Path, site: PageSite) -> None:
    workspace = Workspace(tmp_path)
    result = await _run(workspace, site, "import", str(SEED_PATH), "http://10.0.0.1/story", site.url("/missing"))
    assert result.code == 1
    assert "zuckerberg-visits-south-korea" in result.out  # the file still imported
    assert "http://10.0.0.1/story: Not fetched: 10.0.0.1 is a private address." in result.out
    assert f"{site.url('/missing')}: 127.0.0.1 answered 404 Not Found." in result.out
    assert "Traceback" not in result.both
