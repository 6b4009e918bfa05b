"""Fetch a page or a feed safely: bounded in time and size, every address checked after DNS and at each redirect.

Links (`/story add link:`, `briefbot import <url>`) and feeds share one `Fetcher`, built once with
`async with Fetcher.open(settings.fetch_allow_hosts) as fetcher` and injected where it is needed.

Why each address is safe to connect to: a URL whose host is a literal address is checked before the request, and a
host name goes through `CheckedResolver`, which resolves it, drops every refused address and hands aiohttp only the
checked ones, so aiohttp connects to exactly what was checked (no second lookup an attacker's DNS could change).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from importlib import metadata

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from bot import markup
from bot.errors import UserError
from bot.markup import Content
from bot.urls import address_refusal, host_key, parse_address, show_address

log = logging.getLogger(__name__)

MIB = 1024 * 1024
MAX_URL_CHARS = 2048
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})
PROJECT_URL = "https://github.com/briefbot/briefbot"  # placeholder until the project has a public home
ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,application/feed+json,"
    "application/xml;q=0.9,text/plain;q=0.8,*/*;q=0.5"
)
_READ_CHUNK = 64 * 1024


def _version() -> str:
    try:
        return metadata.version("briefbot")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "0"


USER_AGENT = f"briefbot/{_version()} (+{PROJECT_URL})"


class FetchFailure(StrEnum):
    BAD_URL = "bad_url"
    BAD_SCHEME = "bad_scheme"
    REFUSED_ADDRESS = "refused_address"
    DNS = "dns"
    CONNECTION = "connection"
    TIMEOUT = "timeout"
    TOO_BIG = "too_big"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    REDIRECT_LOOP = "redirect_loop"
    HTTP_STATUS = "http_status"
    BAD_RESPONSE = "bad_response"


_TEMPORARY = frozenset({FetchFailure.DNS, FetchFailure.CONNECTION, FetchFailure.TIMEOUT, FetchFailure.BAD_RESPONSE})


class FetchError(UserError):
    """A fetch that failed; the message says why, for the person who gave the link."""

    def __init__(
        self,
        reason: FetchFailure,
        message: Content,
        *,
        url: str,
        status: int | None = None,
        retry_after: timedelta | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.url = url
        self.status = status
        self.retry_after = retry_after

    @property
    def temporary(self) -> bool:
        """Worth trying again later (timeouts, network trouble, 429 and 5xx); 404, 410 or a refusal are not."""
        if self.reason is FetchFailure.HTTP_STATUS:
            return self.status is not None and (self.status in (408, 429) or self.status >= 500)
        return self.reason in _TEMPORARY


@dataclass(frozen=True, slots=True)
class FetchLimits:
    connect_timeout: float = 10.0  # seconds to resolve and connect, per hop
    total_timeout: float = 30.0  # seconds for the whole fetch, redirects and body included
    max_bytes: int = 5 * MIB  # of body, counted after decompression
    max_redirects: int = 5


@dataclass(frozen=True, slots=True)
class Redirect:
    status: int
    url: str  # where it pointed


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str  # the final URL, after redirects
    status: int  # 2xx, or 304 when a conditional GET found nothing new
    body: bytes = field(repr=False)
    content_type: str | None = None  # the media type alone, like text/html
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    cache_control: str | None = None
    expires: str | None = None
    retry_after: str | None = None
    redirects: tuple[Redirect, ...] = ()

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def permanent_url(self) -> str | None:
        """Where an unbroken chain of 301/308 from the first hop led (a feed moves there), else None."""
        moved = None
        for hop in self.redirects:
            if hop.status not in PERMANENT_REDIRECTS:
                break
            moved = hop.url
        return moved

    def text(self) -> str:
        """The body decoded with its declared charset, else UTF-8; undecodable bytes become U+FFFD."""
        for encoding in (self.charset, "utf-8-sig"):
            if encoding:
                try:
                    return self.body.decode(encoding)
                except (LookupError, UnicodeDecodeError):
                    continue
        return self.body.decode("utf-8", errors="replace")

    def fresh_for(self, now: datetime) -> timedelta | None:
        """How long the server says this answer stays fresh (Cache-Control max-age, else Expires); None if unsaid."""
        directives = _cache_directives(self.cache_control)
        if "no-store" in directives or "no-cache" in directives:
            return timedelta(0)
        max_age = directives.get("max-age", "")
        if max_age.isdigit():
            return timedelta(seconds=int(max_age))
        if self.expires is not None:
            expires = http_date(self.expires)
            return max(timedelta(0), expires - now) if expires else timedelta(0)  # invalid Expires: already stale
        return None


def http_date(value: str) -> datetime | None:
    """An HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`) as an aware UTC datetime, or None."""
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Retry-After in seconds or as an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    when = http_date(value)
    return None if when is None else max(timedelta(0), when - now)


def _cache_directives(value: str | None) -> dict[str, str]:
    directives: dict[str, str] = {}
    for part in (value or "").split(","):
        name, _, argument = part.partition("=")
        if name.strip():
            directives[name.strip().lower()] = argument.strip().strip('"')
    return directives


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Public addresses only, except the `host:port` pairs of FETCH_ALLOW_HOSTS."""

    allow: frozenset[tuple[str, int]] = frozenset()

    @classmethod
    def of(cls, allow_hosts: Iterable[tuple[str, int]]) -> AddressPolicy:
        return cls(frozenset((host_key(host), port) for host, port in allow_hosts))

    def allows(self, host: str, port: int | None) -> bool:
        return (host_key(host), port) in self.allow


class AddressRefused(OSError):
    """Raised by CheckedResolver; an OSError so that aiohttp carries it out as the connection error's cause."""


class CheckedResolver(AbstractResolver):
    """Resolves with another resolver, then keeps only the addresses that may be fetched."""

    def __init__(self, policy: AddressPolicy, inner: AbstractResolver) -> None:
        self._policy = policy
        self._inner = inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if self._policy.allows(host, port):
            return results
        allowed: list[ResolveResult] = []
        refusals: list[str] = []
        for result in results:
            address = ipaddress.ip_address(result["host"])
            refusal = address_refusal(address)
            if refusal is None:
                allowed.append(result)
            else:
                refusals.append(f"{show_address(address)}, {refusal}")
        if refusals:
            log.info("refused addresses of %s:%s: %s", host, port, "; ".join(refusals))
        if not allowed:
            shown = host.rstrip(".")
            raise AddressRefused(f"{shown} resolves to {refusals[0]}" if refusals else f"{shown} has no address")
        return allowed

    async def close(self) -> None:
        await self._inner.close()


class Fetcher:
    """Fetches pages and feeds through one shared session. Build it with `Fetcher.open`, which owns the checks."""

    def __init__(self, session: aiohttp.ClientSession, policy: AddressPolicy, limits: FetchLimits) -> None:
        self._session = session
        self._policy = policy
        self.limits = limits

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        allow_hosts: Iterable[tuple[str, int]] = (),
        limits: FetchLimits | None = None,
        *,
        resolver: AbstractResolver | None = None,
        max_connections: int = 100,
        max_per_host: int = 2,
    ) -> AsyncIterator[Fetcher]:
        """`resolver` is the DNS resolver whose answers are checked (aiohttp's ThreadedResolver by default)."""
        policy = AddressPolicy.of(allow_hosts)
        checked = CheckedResolver(policy, resolver or aiohttp.ThreadedResolver())
        connector = aiohttp.TCPConnector(resolver=checked, limit=max_connections, limit_per_host=max_per_host)
        try:
            async with aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": USER_AGENT},
                cookie_jar=aiohttp.DummyCookieJar(),  # nothing carried from one site or feed to another
                trust_env=False,  # never through a proxy from the environment, which would see other addresses
            ) as session:
                yield cls(session, policy, limits or FetchLimits())
        finally:
            await checked.close()

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None, accept: str = ACCEPT
    ) -> FetchResult:
        """GET `url`, following up to `max_redirects` redirects; a 304 comes back as a result, errors raise."""
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = self._checked(url)
        visited = [current]
        redirects: list[Redirect] = []
        try:
            async with asyncio.timeout(self.limits.total_timeout):
                while True:
                    log.debug("fetching %s", current)
                    async with self._session.get(
                        current,
                        headers=headers,
                        allow_redirects=False,
                        timeout=aiohttp.ClientTimeout(total=None, connect=self.limits.connect_timeout),
                    ) as response:
                        if response.status in REDIRECT_STATUSES and "Location" in response.headers:
                            current = self._next_hop(current, response, visited)
                            redirects.append(Redirect(response.status, str(current)))
                            continue
                        return await self._result(current, response, tuple(redirects))
        except aiohttp.ConnectionTimeoutError:
            raise self._error(
                FetchFailure.TIMEOUT, current, f"could not connect within {self.limits.connect_timeout:g} s"
            ) from None
        except TimeoutError:
            raise self._error(
                FetchFailure.TIMEOUT, current, f"did not answer within {self.limits.total_timeout:g} s"
            ) from None
        except aiohttp.ClientConnectorDNSError as exc:
            if isinstance(exc.os_error, AddressRefused):
                raise FetchError(
                    FetchFailure.REFUSED_ADDRESS, f"Not fetched: {exc.os_error}.", url=str(current)
                ) from None
            raise self._error(FetchFailure.DNS, current, "was not found (DNS lookup failed)") from None
        except aiohttp.ClientConnectorError as exc:
            raise self._error(FetchFailure.CONNECTION, current, f"could not be reached ({exc.os_error})") from None
        except aiohttp.ClientPayloadError:
            raise self._error(FetchFailure.BAD_RESPONSE, current, "sent a broken or cut-off body") from None
        except aiohttp.ClientResponseError as exc:  # malformed status line or headers
            raise self._error(FetchFailure.BAD_RESPONSE, current, f"sent a malformed answer ({exc.message})") from None
        except aiohttp.InvalidURL:  # e.g. a numeric host aiohttp will not read as an address, like 8.8.8
            raise self._error(FetchFailure.BAD_URL, current, "is not a host that can be fetched") from None
        except aiohttp.ClientError as exc:
            raise self._error(FetchFailure.CONNECTION, current, f"could not be fetched ({exc})") from None

    def _checked(self, url: str) -> URL:
        """The URL if it may be requested; a literal address is checked here, a name by CheckedResolver."""
        text = url.strip()
        if len(text) > MAX_URL_CHARS:
            raise FetchError(FetchFailure.BAD_URL, f"That link is longer than {MAX_URL_CHARS} characters.", url=text)
        try:
            parsed = URL(text)
        except ValueError:
            bad = markup.text(markup.code(text[:100]), " is not a valid link.")
            raise FetchError(FetchFailure.BAD_URL, bad, url=text) from None
        if parsed.scheme not in ("http", "https"):
            scheme = f"{parsed.scheme}:" if parsed.scheme else "a link without a scheme"
            raise FetchError(
                FetchFailure.BAD_SCHEME, f"Only http:// and https:// links can be fetched, not {scheme}", url=text
            )
        if not parsed.host:
            raise FetchError(FetchFailure.BAD_URL, markup.text(markup.code(text[:100]), " names no host."), url=text)
        if parsed.user or parsed.password:
            raise FetchError(FetchFailure.BAD_URL, "Links with a user name or password are not fetched.", url=text)
        if self._policy.allows(parsed.host, parsed.port):
            return parsed.with_fragment(None)
        address = parse_address(parsed.host)
        refusal = None if address is None else address_refusal(address)
        if address is not None and refusal is not None:
            raise FetchError(
                FetchFailure.REFUSED_ADDRESS, f"Not fetched: {show_address(address)} is {refusal}.", url=text
            )
        return parsed.with_fragment(None)

    def _next_hop(self, current: URL, response: aiohttp.ClientResponse, visited: list[URL]) -> URL:
        """The checked target of a redirect; `visited` holds the first URL and every hop so far."""
        try:
            target = current.join(URL(response.headers["Location"])).with_fragment(None)
        except ValueError:
            raise self._error(FetchFailure.BAD_RESPONSE, current, "redirected to an invalid link") from None
        if target in visited:
            raise self._error(FetchFailure.REDIRECT_LOOP, current, f"redirects in a loop (back to {target})")
        if len(visited) > self.limits.max_redirects:
            raise self._error(
                FetchFailure.TOO_MANY_REDIRECTS, current, f"redirected more than {self.limits.max_redirects} times"
            )
        log.debug("%s redirects (%s) to %s", current, response.status, target)
        checked = self._checked(str(target))
        visited.append(checked)
        return checked

    async def _result(self, url: URL, response: aiohttp.ClientResponse, redirects: tuple[Redirect, ...]) -> FetchResult:
        status = response.status
        if status >= 400:
            retry_after = parse_retry_after(response.headers.get("Retry-After"), datetime.now(UTC))
            raise FetchError(
                FetchFailure.HTTP_STATUS,
                f"{url.host} answered {status} {response.reason or ''}".rstrip() + ".",
                url=str(url),
                status=status,
                retry_after=retry_after,
            )
        if status != 304 and not 200 <= status < 300:
            raise self._error(FetchFailure.BAD_RESPONSE, url, f"answered {status}, which is not a page")
        body = b"" if status == 304 else await self._body(url, response)
        headers = response.headers
        return FetchResult(
            url=str(url),
            status=status,
            body=body,
            content_type=response.content_type if "Content-Type" in headers else None,
            charset=response.charset,
            etag=headers.get("ETag"),
            last_modified=headers.get("Last-Modified"),
            cache_control=headers.get("Cache-Control"),
            expires=headers.get("Expires"),
            retry_after=headers.get("Retry-After"),
            redirects=redirects,
        )

    async def _body(self, url: URL, response: aiohttp.ClientResponse) -> bytes:
        cap = self.limits.max_bytes
        too_big = f"is larger than the {cap / MIB:g} MiB limit"
        if response.content_length is not None and response.content_length > cap:
            raise self._error(FetchFailure.TOO_BIG, url, f"{too_big} ({response.content_length / MIB:.1f} MiB)")
        chunks: list[bytes] = []
        size = 0
        # Chunks arrive decompressed, so this counts what a gzip or deflate body really expands to.
        async for chunk in response.content.iter_chunked(_READ_CHUNK):
            size += len(chunk)
            if size > cap:
                raise self._error(FetchFailure.TOO_BIG, url, too_big)
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _error(reason: FetchFailure, url: URL, what: str) -> FetchError:
        return FetchError(reason, f"{url.host or url} {what}.", url=str(url))
