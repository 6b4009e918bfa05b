"""Tests for bot.urls.public_http_url: only public http(s) links are accepted."""

from __future__ import annotations

import pytest

from bot.errors import UserError
from bot.urls import MAX_URL_LENGTH, public_http_url

PRIVATE = "private address"


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/story",
        "http://example.com",
        "https://news.example.co.uk/a/b?c=d#e",
        "https://8.8.8.8/dns",
        "https://[2606:4700:4700::1111]/",
        "https://example.com:8443/x",
    ],
)
def test_public_links_are_returned_as_given(url: str) -> None:
    assert public_http_url(url) == url


def test_surrounding_spaces_are_dropped() -> None:
    assert public_http_url("  https://example.com/x \n") == "https://example.com/x"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/admin",
        "http://127.0.0.1:8080/",
        "http://localhost/",
        "http://LOCALHOST:3000/x",
        "http://localhost.localdomain/",
        "http://10.0.0.5/",
        "http://10.255.255.255/x",
        "http://192.168.1.1/",
        "http://172.16.0.1/",
        "http://169.254.169.254/latest/meta-data",
        "http://0.0.0.0/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fd00::1]/",
        "http://printer.local/",
        "http://metadata.google.internal/",
        "http://app.localhost/",
        "http://user:pass@10.0.0.1/",
    ],
)
def test_private_addresses_are_refused(url: str) -> None:
    with pytest.raises(UserError, match=PRIVATE):
        public_http_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost./",  # the root-anchored name is the same host
        "http://LOCALHOST.:8080/",
        "http://10.0.0.5./",
        "http://127.1/",  # browsers read short, decimal, hex and octal IPv4 forms as addresses
        "http://2130706433/",
        "http://0x7f000001/",
        "http://0177.0.0.1/",
        "http://10.1/",
    ],
)
def test_other_spellings_of_private_addresses_are_refused(url: str) -> None:
    with pytest.raises(UserError, match=PRIVATE):
        public_http_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "javascript:alert(1)",
        "example.com/x",
        "http:///path",
        "http://./",
        "file:///etc/passwd",
        "",
    ],
)
def test_non_http_links_are_refused(url: str) -> None:
    with pytest.raises(UserError, match="http"):
        public_http_url(url)


def test_overlong_links_are_refused() -> None:
    url = "https://example.com/" + "a" * MAX_URL_LENGTH
    with pytest.raises(UserError, match=str(MAX_URL_LENGTH)):
        public_http_url(url)
    fits = "https://example.com/" + "a" * (MAX_URL_LENGTH - len("https://example.com/"))
    assert public_http_url(fits) == fits


def test_hex_looking_names_are_still_names() -> None:
    assert public_http_url("https://deadbeef.example/") == "https://deadbeef.example/"
    assert public_http_url("https://cafe.be/") == "https://cafe.be/"


@pytest.mark.parametrize(
    "url",
    [
        "http://224.0.1.1/",  # multicast, though Python calls it global
        "http://[ff0e::1]/",
        "http://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
        "http://[2002:a00:1::]/",  # 6to4 of 10.0.0.1
        "http://[::ffff:192.168.0.1]/",
    ],
)
def test_multicast_and_embedded_private_addresses_are_refused(url: str) -> None:
    with pytest.raises(UserError, match=PRIVATE):
        public_http_url(url)
