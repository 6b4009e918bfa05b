"""Tests for bot.fetch against loopback aiohttp servers: limits, redirects, address checks, conditional GET.

Only 127.0.0.1 is ever reached. Private addresses in these tests are refused before any connection is made.
"""

from __future__ import annotations

import asyncio
import gzip
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.test_utils import TestServer

from bot.errors import UserError
from bot.fetch import (
    MIB,
    PROJECT_URL,
    AddressPolicy,
    CheckedResolver,
    Fetcher,
    FetchError,
    FetchFailure,
    FetchLimits,
    FetchResult,
    parse_retry_after,
)
from bot.settings import SettingsError, load_settings

LIMITS = FetchLimits(connect_timeout=2.0, total_timeout=5.0)
PAGE = "<html><head><title>Seoul talks</title></head><body><p>Meta met Samsung.</p></body></html>"


@dataclass
class Site:
    server: TestServer
    requests: list[str] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def port(self) -> int:
        assert self.server.port is not None
        return self.server.port

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def _app(site_ref: list[Site]) -> web.Application:
    def seen(request: web.Request) -> None:
        site_ref[0].requests.append(request.path_qs)

    async def page(request: web.Request) -> web.Response:
        seen(request)
        return web.Response(
            text=PAGE,
            content_type="text/html",
            charset="utf-8",
            headers={
                "ETag": '"v1"',
                "Last-Modified": "Wed, 28 Feb 2024 07:12:00 GMT",
                "Cache-Control": "public, max-age=600",
            },
        )

    async def agent(request: web.Request) -> web.Response:
        seen(request)
        return web.Response(text=request.headers.get("User-Agent", ""))

    async def conditional(request: web.Request) -> web.Response:
        seen(request)
        headers = {"ETag": '"v1"', "Last-Modified": "Wed, 28 Feb 2024 07:12:00 GMT"}
        if request.headers.get("If-None-Match") == '"v1"' or request.headers.get("If-Modified-Since") == (
            headers["Last-Modified"]
        ):
            return web.Response(status=304, headers=headers)
        return web.Response(text="<rss/>", content_type="application/rss+xml", headers=headers)

    async def chain(request: web.Request) -> web.Response:
        seen(request)
        left = int(request.match_info["n"])
        if left == 0:
            return web.Response(text="end of the chain")
        raise web.HTTPFound(f"/chain/{left - 1}")

    async def moved(request: web.Request) -> web.Response:
        seen(request)
        raise web.HTTPMovedPermanently("/page#fragment-is-dropped")

    async def loop(request: web.Request) -> web.Response:
        seen(request)
        raise web.HTTPFound("/loop/b" if request.match_info["name"] == "a" else "/loop/a")

    async def redirect(request: web.Request) -> web.Response:
        seen(request)
        raise web.HTTPFound(request.query["to"])

    async def big(request: web.Request) -> web.Response:
        seen(request)
        return web.Response(body=b"x" * int(request.query["size"]))

    async def big_chunked(request: web.Request) -> web.StreamResponse:
        seen(request)
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        chunk = b"y" * (64 * 1024)
        try:
            for _ in range(6 * MIB // len(chunk)):
                await response.write(chunk)
            await response.write_eof()
        except (ConnectionError, RuntimeError):  # the client hung up at its limit, as it should
            pass
        return response

    async def gzipped(request: web.Request) -> web.Response:
        seen(request)
        body = gzip.compress(b"\0" * int(request.query["size"]))
        return web.Response(body=body, headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"})

    async def hang(request: web.Request) -> web.Response:
        seen(request)
        await site_ref[0].release.wait()
        return web.Response(text="too late")

    async def status(request: web.Request) -> web.Response:
        seen(request)
        code = int(request.match_info["code"])
        return web.Response(status=code, text="no", headers={"Retry-After": "120"} if code == 503 else {})

    app = web.Application()
    app.router.add_get("/page", page)
    app.router.add_get("/agent", agent)
    app.router.add_get("/cond", conditional)
    app.router.add_get("/chain/{n}", chain)
    app.router.add_get("/moved", moved)
    app.router.add_get("/loop/{name}", loop)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/big", big)
    app.router.add_get("/big-chunked", big_chunked)
    app.router.add_get("/gzip", gzipped)
    app.router.add_get("/hang", hang)
    app.router.add_get("/status/{code}", status)
    return app


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    ref: list[Site] = []
    server = TestServer(_app(ref), host="127.0.0.1")
    ref.append(Site(server))
    await server.start_server()
    try:
        yield ref[0]
    finally:
        ref[0].release.set()
        await server.close()


@pytest.fixture
async def fetcher(site: Site) -> AsyncIterator[Fetcher]:
    async with Fetcher.open({("127.0.0.1", site.port)}, LIMITS) as opened:
        yield opened


@dataclass
class Bystander:
    """A loopback server that must never be reached: it counts the connections it accepts."""

    port: int
    accepted: list[int] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def connections_before_probe(self) -> int:
        """Connects once itself; connections are accepted in order, so any earlier one is counted by then."""
        _, writer = await asyncio.open_connection("127.0.0.1", self.port)
        await asyncio.wait_for(self.arrived.wait(), timeout=5)
        writer.close()
        await writer.wait_closed()
        return len(self.accepted) - 1


@pytest.fixture
async def bystander() -> AsyncIterator[Bystander]:
    box: list[Bystander] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        box[0].accepted.append(1)
        box[0].arrived.set()
        writer.close()

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    box.append(Bystander(server.sockets[0].getsockname()[1]))
    try:
        yield box[0]
    finally:
        server.close()
        await server.wait_closed()


class FakeResolver(AbstractResolver):
    """Answers from a fixed table, as a DNS server would; unknown names fail like getaddrinfo does."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in self.table[host]
        ]

    async def close(self) -> None:
        pass


class HangingResolver(FakeResolver):
    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def _refused(fetcher: Fetcher, url: str) -> FetchError:
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(url)
    return caught.value


# A normal fetch


async def test_a_page_comes_back_with_its_headers(fetcher: Fetcher, site: Site) -> None:
    result = await fetcher.fetch(site.url("/page"))
    assert result.status == 200
    assert result.url == site.url("/page")
    assert result.text() == PAGE
    assert (result.content_type, result.charset) == ("text/html", "utf-8")
    assert (result.etag, result.last_modified) == ('"v1"', "Wed, 28 Feb 2024 07:12:00 GMT")
    assert result.fresh_for(datetime.now(UTC)) == timedelta(minutes=10)
    assert result.redirects == ()
    assert not result.not_modified


async def test_the_user_agent_names_briefbot(fetcher: Fetcher, site: Site) -> None:
    agent = (await fetcher.fetch(site.url("/agent"))).text()
    assert agent.startswith("briefbot/")
    assert PROJECT_URL in agent


async def test_the_allow_list_comes_from_the_setting(site: Site) -> None:
    settings = load_settings({"FETCH_ALLOW_HOSTS": f"localhost:1, 127.0.0.1:{site.port}"}, env_file=None)
    async with Fetcher.open(settings.fetch_allow_hosts, LIMITS) as fetcher:
        assert (await fetcher.fetch(site.url("/page"))).status == 200


async def test_a_gzipped_page_is_decoded(fetcher: Fetcher, site: Site) -> None:
    result = await fetcher.fetch(site.url("/gzip?size=1000"))
    assert result.body == b"\0" * 1000


async def test_exactly_the_size_limit_is_fine(fetcher: Fetcher, site: Site) -> None:
    result = await fetcher.fetch(site.url(f"/big?size={5 * MIB}"))
    assert len(result.body) == 5 * MIB


# Redirects


async def test_the_final_url_is_the_one_after_redirects(fetcher: Fetcher, site: Site) -> None:
    result = await fetcher.fetch(site.url("/chain/5"))  # five redirects is the most allowed
    assert result.url == site.url("/chain/0")
    assert result.text() == "end of the chain"
    assert [hop.status for hop in result.redirects] == [302] * 5
    assert result.permanent_url is None


async def test_a_permanent_redirect_says_where_it_moved(fetcher: Fetcher, site: Site) -> None:
    result = await fetcher.fetch(site.url("/moved"))
    assert result.url == site.url("/page")
    assert result.permanent_url == site.url("/page")


async def test_six_redirects_are_refused(fetcher: Fetcher, site: Site) -> None:
    error = await _refused(fetcher, site.url("/chain/6"))
    assert error.reason is FetchFailure.TOO_MANY_REDIRECTS
    assert "more than 5 times" in str(error)
    assert "/chain/0" not in site.requests


async def test_a_redirect_loop_is_refused(fetcher: Fetcher, site: Site) -> None:
    error = await _refused(fetcher, site.url("/loop/a"))
    assert error.reason is FetchFailure.REDIRECT_LOOP
    assert "loop" in str(error)
    assert site.requests == ["/loop/a", "/loop/b"]


async def test_a_redirect_to_an_unlisted_loopback_port_is_refused_without_connecting(
    fetcher: Fetcher, site: Site, bystander: Bystander
) -> None:
    error = await _refused(fetcher, site.url(f"/redirect?to=http://127.0.0.1:{bystander.port}/admin"))
    assert error.reason is FetchFailure.REFUSED_ADDRESS
    assert "127.0.0.1 is a loopback address" in str(error)
    assert await bystander.connections_before_probe() == 0


async def test_a_redirect_to_a_name_of_a_private_address_is_refused_without_connecting(
    fetcher: Fetcher, site: Site, bystander: Bystander
) -> None:
    error = await _refused(fetcher, site.url(f"/redirect?to=http://localhost:{bystander.port}/"))
    assert error.reason is FetchFailure.REFUSED_ADDRESS
    assert "localhost resolves to" in str(error)
    assert "a loopback address" in str(error)
    assert await bystander.connections_before_probe() == 0


@pytest.mark.parametrize(
    ("target", "why"),
    [
        ("http://10.0.0.1/", "10.0.0.1 is a private address"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254 is a link-local address"),
        ("http://[::ffff:10.0.0.1]/", "::ffff:10.0.0.1 is a private address"),
    ],
)
async def test_a_redirect_to_a_private_address_is_refused(
    fetcher: Fetcher, site: Site, target: str, why: str
) -> None:
    error = await _refused(fetcher, site.url(f"/redirect?to={target}"))
    assert error.reason is FetchFailure.REFUSED_ADDRESS
    assert why in str(error)


# Size


async def test_a_body_over_the_limit_is_refused_by_its_content_length(fetcher: Fetcher, site: Site) -> None:
    error = await _refused(fetcher, site.url(f"/big?size={5 * MIB + 1}"))
    assert error.reason is FetchFailure.TOO_BIG
    assert "5 MiB" in str(error)
    assert not error.temporary


async def test_a_chunked_body_over_the_limit_is_refused(fetcher: Fetcher, site: Site) -> None:
    error = await _refused(fetcher, site.url("/big-chunked"))
    assert error.reason is FetchFailure.TOO_BIG


async def test_a_gzip_bomb_is_refused_by_its_decoded_size(fetcher: Fetcher, site: Site) -> None:
    assert len(gzip.compress(b"\0" * 6 * MIB)) < 10 * 1024  # small on the wire
    error = await _refused(fetcher, site.url(f"/gzip?size={6 * MIB}"))
    assert error.reason is FetchFailure.TOO_BIG


# Time


async def test_a_server_that_never_answers_times_out(site: Site) -> None:
    limits = FetchLimits(connect_timeout=0.5, total_timeout=0.5)
    async with Fetcher.open({("127.0.0.1", site.port)}, limits) as fetcher:
        error = await _refused(fetcher, site.url("/hang"))
    assert error.reason is FetchFailure.TIMEOUT
    assert "did not answer within 0.5 s" in str(error)
    assert error.temporary


async def test_a_lookup_that_never_ends_is_a_connect_timeout() -> None:
    limits = FetchLimits(connect_timeout=0.3, total_timeout=5.0)
    async with Fetcher.open((), limits, resolver=HangingResolver({})) as fetcher:
        error = await _refused(fetcher, "http://slow.test/")
    assert error.reason is FetchFailure.TIMEOUT
    assert "could not connect within 0.3 s" in str(error)


# Addresses and schemes


@pytest.mark.parametrize("url", ["ftp://example.com/file", "file:///etc/passwd", "gopher://x/", "example.com/page"])
async def test_other_schemes_are_refused(fetcher: Fetcher, url: str) -> None:
    error = await _refused(fetcher, url)
    assert error.reason is FetchFailure.BAD_SCHEME
    assert "http:// and https://" in str(error)
    assert isinstance(error, UserError)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1/", "127.0.0.1 is a loopback address"),
        ("http://10.0.0.5/", "10.0.0.5 is a private address"),
        ("http://172.16.0.1/", "172.16.0.1 is a private address"),
        ("http://192.168.1.1:8080/", "192.168.1.1 is a private address"),
        ("http://169.254.169.254/", "169.254.169.254 is a link-local address"),
        ("http://0.0.0.0/", "0.0.0.0 is an unspecified address"),
        ("http://224.0.0.1/", "224.0.0.1 is a multicast address"),
        ("http://224.0.1.1/", "224.0.1.1 is a multicast address"),  # a "global" multicast group, still refused
        ("http://240.0.0.1/", "240.0.0.1 is a reserved address"),
        ("http://100.64.0.1/", "100.64.0.1 is a non-public address"),
        ("http://127.1/", "127.0.0.1 is a loopback address"),
        ("http://2130706433/", "127.0.0.1 is a loopback address"),
        ("http://[::1]/", "::1 is a loopback address"),
        ("http://[::]/", ":: is an unspecified address"),
        ("http://[fd00::1]/", "fd00::1 is a private address"),
        ("http://[fe80::1]/", "fe80::1 is a link-local address"),
        ("http://[ff02::1]/", "ff02::1 is a multicast address"),
        ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1 is a loopback address"),
        ("http://[::ffff:192.168.0.1]/", "::ffff:192.168.0.1 is a private address"),
        ("http://[64:ff9b::a00:1]/", "64:ff9b::a00:1 is a private address"),  # NAT64 of 10.0.0.1
        ("http://[2002:a00:1::]/", "2002:a00:1:: is a private address"),  # 6to4 of 10.0.0.1
    ],
)
async def test_literal_private_addresses_are_refused(fetcher: Fetcher, url: str, why: str) -> None:
    error = await _refused(fetcher, url)
    assert error.reason is FetchFailure.REFUSED_ADDRESS
    assert why in str(error)
    assert not error.temporary


async def test_an_unlisted_port_on_a_listed_host_is_refused(fetcher: Fetcher, bystander: Bystander) -> None:
    error = await _refused(fetcher, f"http://127.0.0.1:{bystander.port}/")
    assert error.reason is FetchFailure.REFUSED_ADDRESS
    assert await bystander.connections_before_probe() == 0


async def test_localhost_resolves_to_a_refused_address(bystander: Bystander) -> None:
    async with Fetcher.open((), LIMITS) as fetcher:
        error = await _refused(fetcher, f"http://localhost:{bystander.port}/")
    assert error.reason is FetchFailure.REFUSED_ADDRESS
    assert "localhost resolves to" in str(error)
    assert await bystander.connections_before_probe() == 0


async def test_a_name_that_resolves_to_a_private_address_is_refused() -> None:
    resolver = FakeResolver({"example.test": ["10.0.0.5"]})
    async with Fetcher.open((), LIMITS, resolver=resolver) as fetcher:
        error = await _refused(fetcher, "https://example.test/news")
    assert str(error) == "Not fetched: example.test resolves to 10.0.0.5, a private address."
    assert resolver.asked == ["example.test"]


async def test_a_name_is_checked_at_each_redirect(site: Site, bystander: Bystander) -> None:
    resolver = FakeResolver({"intranet.test": ["127.0.0.1"]})
    async with Fetcher.open({("127.0.0.1", site.port)}, LIMITS, resolver=resolver) as fetcher:
        error = await _refused(fetcher, site.url(f"/redirect?to=http://intranet.test:{bystander.port}/"))
    assert "intranet.test resolves to 127.0.0.1, a loopback address" in str(error)
    assert await bystander.connections_before_probe() == 0


async def test_a_listed_name_may_resolve_to_a_private_address(site: Site) -> None:
    resolver = FakeResolver({"feeds.lan": ["127.0.0.1"]})
    async with Fetcher.open({("FEEDS.lan.", site.port)}, LIMITS, resolver=resolver) as fetcher:
        result = await fetcher.fetch(f"http://feeds.lan:{site.port}/page")
    assert result.url == f"http://feeds.lan:{site.port}/page"
    assert result.text() == PAGE


async def test_a_name_that_does_not_resolve_is_a_dns_failure() -> None:
    async with Fetcher.open((), LIMITS, resolver=FakeResolver({})) as fetcher:
        error = await _refused(fetcher, "https://nowhere.test/")
    assert error.reason is FetchFailure.DNS
    assert str(error) == "nowhere.test was not found (DNS lookup failed)."


async def test_the_resolver_keeps_only_public_addresses() -> None:
    inner = FakeResolver({"mixed.test": ["10.0.0.5", "93.184.215.14", "::1", "2606:4700::1111"]})
    checked = CheckedResolver(AddressPolicy.of(()), inner)
    answers = await checked.resolve("mixed.test", 443, socket.AF_UNSPEC)
    assert [a["host"] for a in answers] == ["93.184.215.14", "2606:4700::1111"]


async def test_links_with_credentials_are_refused(fetcher: Fetcher) -> None:
    error = await _refused(fetcher, "https://user:secret@example.com/")
    assert error.reason is FetchFailure.BAD_URL


# Status codes and conditional GET


async def test_an_error_status_names_its_code(fetcher: Fetcher, site: Site) -> None:
    missing = await _refused(fetcher, site.url("/status/404"))
    assert (missing.reason, missing.status) == (FetchFailure.HTTP_STATUS, 404)
    assert "answered 404 Not Found" in str(missing)
    assert not missing.temporary
    gone = await _refused(fetcher, site.url("/status/410"))
    assert gone.status == 410 and not gone.temporary
    busy = await _refused(fetcher, site.url("/status/503"))
    assert busy.status == 503 and busy.temporary
    assert busy.retry_after == timedelta(seconds=120)


async def test_an_unchanged_page_answers_304(fetcher: Fetcher, site: Site) -> None:
    first = await fetcher.fetch(site.url("/cond"))
    assert first.status == 200 and first.etag == '"v1"'
    again = await fetcher.fetch(site.url("/cond"), etag=first.etag)
    assert again.not_modified
    assert again.body == b""
    assert again.etag == '"v1"'
    by_date = await fetcher.fetch(site.url("/cond"), last_modified=first.last_modified)
    assert by_date.status == 304


# Pure helpers


def test_freshness_and_retry_after() -> None:
    now = datetime(2024, 2, 28, 7, 0, tzinfo=UTC)

    def result(**headers: str) -> FetchResult:
        return FetchResult(url="https://example.com/", status=200, body=b"", **headers)

    assert result(cache_control="no-cache, max-age=60").fresh_for(now) == timedelta(0)
    assert result(expires="Wed, 28 Feb 2024 07:30:00 GMT").fresh_for(now) == timedelta(minutes=30)
    assert result(expires="0").fresh_for(now) == timedelta(0)
    assert result().fresh_for(now) is None
    assert parse_retry_after("90", now) == timedelta(seconds=90)
    assert parse_retry_after("Wed, 28 Feb 2024 08:00:00 GMT", now) == timedelta(hours=1)
    assert parse_retry_after("soon", now) is None


def test_the_allow_list_setting_is_parsed() -> None:
    settings = load_settings({"FETCH_ALLOW_HOSTS": "127.0.0.1:8080, [::1]:9000 Feeds.LAN.:443"}, env_file=None)
    assert settings.fetch_allow_hosts == {("127.0.0.1", 8080), ("::1", 9000), ("feeds.lan", 443)}
    assert dict(settings.describe())["FETCH_ALLOW_HOSTS"] == "127.0.0.1:8080, [::1]:9000, feeds.lan:443"
    assert load_settings({}, env_file=None).fetch_allow_hosts == frozenset()


@pytest.mark.parametrize("value", ["127.0.0.1", "host:0", "host:70000", "::1:80", "host:http", ":80"])
def test_a_bad_allow_list_names_the_setting(value: str) -> None:
    with pytest.raises(SettingsError, match="FETCH_ALLOW_HOSTS"):
        load_settings({"FETCH_ALLOW_HOSTS": value}, env_file=None)

