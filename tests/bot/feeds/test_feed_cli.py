"""`briefbot feed add|list|remove|why` for the global feeds, run for real in a subprocess.

The feed is served by a loopback HTTP server in a thread of this process (the console script runs while the test
blocks on it), allowed through FETCH_ALLOW_HOSTS."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.bot.feeds.feedsite import Item, rss
from tests.bot.test_cli import BRIEFBOT, Workspace, _workspace

FEED = rss(
    "Seoul *Herald*",
    [
        Item("Samsung opens a chip plant", "https://h.example/1", "Text.", datetime(2024, 3, 1, 9, tzinfo=UTC)),
        Item("Snow in Seoul", "https://h.example/2", "Text.", datetime(2024, 3, 2, 9, tzinfo=UTC)),
    ],
)

pytestmark = pytest.mark.skipif(not BRIEFBOT.exists(), reason="the briefbot console script is not installed")


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        if self.path == "/feed.xml":
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(FEED)))
            self.end_headers()
            self.wfile.write(FEED)
        else:
            self.send_error(404)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _env(httpd: ThreadingHTTPServer) -> dict[str, str]:
    return {"FETCH_ALLOW_HOSTS": f"127.0.0.1:{httpd.server_address[1]}"}


def test_feed_add_list_why_remove(tmp_path: Path, server: ThreadingHTTPServer) -> None:
    space: Workspace = _workspace(tmp_path)
    url = f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    env = _env(server)

    added = space.run("feed", "add", url, "--every", "30", "--include", "chip, snow", "--exclude", "Busan", **env)
    assert added.code == 0, added.both
    assert "Feed added: Seoul *Herald*" in added.out  # the console shows the title as written
    assert "Snow in Seoul" in added.out and "Samsung opens a chip plant" in added.out
    assert "2 items already in it were recorded as seen" in added.out

    listed = space.run("feed", "list", **env)
    assert listed.code == 0, listed.both
    assert "#1 Seoul *Herald*" in listed.out and "every 30 minutes" in listed.out and "2 items" in listed.out

    why = space.run("feed", "why", "https://h.example/2", **env)
    assert why.code == 0, why.both
    assert "Seen when the feed was added: Snow in Seoul" in why.out

    again = space.run("feed", "add", url, **env)
    assert (again.code, again.out) == (1, "")
    assert again.err.strip() == f"briefbot: {url} is already a feed here."

    removed = space.run("feed", "remove", "1", **env)
    assert removed.code == 0 and "Removed feed #1" in removed.out
    gone = space.run("feed", "remove", "1", **env)
    assert gone.code == 1
    assert gone.err.strip() == "briefbot: No feed here matches `1`. `briefbot feed list` shows the feeds here."


def test_feed_errors_are_one_line_and_exit_1(tmp_path: Path, server: ThreadingHTTPServer) -> None:
    space: Workspace = _workspace(tmp_path)
    env = _env(server)
    missing = space.run("feed", "add", f"http://127.0.0.1:{server.server_address[1]}/nope.xml", **env)
    assert missing.code == 1 and missing.out == ""
    assert missing.err.strip() == "briefbot: Nothing was saved: 127.0.0.1 answered 404 Not Found."
    private = space.run("feed", "add", "http://192.168.1.20/feed.xml", **env)
    assert private.code == 1 and "Traceback" not in private.err
    assert "Nothing was saved: Not fetched: 192.168.1.20 is a private" in private.err
    interval = space.run("feed", "add", "http://127.0.0.1:1/x", "--every", "2", **env)
    assert interval.err.strip() == "briefbot: Check a feed every 5 to 1440 minutes, not 2."
    nothing = space.run("feed", "why", "anything", **env)
    assert nothing.code == 1 and "No feeds are followed here yet" in nothing.err
    assert space.run("feed", "list", **env).out.strip().endswith("No feeds here yet.")
