"""Backend addresses and pairing URLs on the command line, checked like the /pair page checks them."""

from __future__ import annotations

import pytest

from environments.hosts import (
    BadAddress,
    PairingLink,
    address_of,
    default_label,
    normalize_host,
    parse_pairing_url,
    ws_base_url,
)


@pytest.mark.parametrize(
    ("text", "origin"),
    [
        ("http://192.168.1.20:3773", "http://192.168.1.20:3773"),
        ("  192.168.1.20:3773 ", "http://192.168.1.20:3773"),
        ("HTTP://Example.COM:80/", "http://example.com"),
        ("https://example.com:443", "https://example.com"),
        ("https://example.com:8443/", "https://example.com:8443"),
        ("http://[::1]:3773", "http://[::1]:3773"),
        ("http://[0:0:0:0:0:0:0:1]:80", "http://[::1]"),
        ("http://host.:3773", "http://host:3773"),
    ],
)
def test_it_normalizes_an_address_to_an_origin(text, origin):
    assert normalize_host(text) == origin


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ftp://example.com",
        "javascript:alert(1)",
        "http://user:pass@example.com",
        "http://good.example@evil.example",
        "http://evil.example\\@good.example",
        "http://example.com/pair",
        "http://example.com/?x=1",
        "http://example.com#x",
        "http://example.com?",
        "http://%65vil.example",
        "http://exa mple.com",
        "http://example.com:99999",
        "http://[not-ipv6]:80",
        "http://",
    ],
)
def test_it_refuses_anything_but_an_http_origin(text):
    with pytest.raises(BadAddress):
        normalize_host(text)


def test_it_gives_the_websocket_base_of_an_origin():
    assert ws_base_url("http://[::1]:3773") == "ws://[::1]:3773"
    assert ws_base_url("https://box.ts.net") == "wss://box.ts.net"


def test_a_direct_pairing_url_names_the_server_it_points_at():
    assert parse_pairing_url("http://192.168.1.20:3773/pair#token=ABCD-EFGH-JKMN") == PairingLink(
        "http://192.168.1.20:3773", "ABCD-EFGH-JKMN"
    )


def test_a_hosted_pairing_url_names_its_host_parameter():
    link = parse_pairing_url("https://app.example/pair?host=http%3A%2F%2F%5B%3A%3A1%5D%3A3773#token=ABCDEFGHJKMN")
    assert link == PairingLink("http://[::1]:3773", "ABCDEFGHJKMN")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://192.168.1.20:3773/pair", "no #token"),
        ("http://192.168.1.20:3773/admin#token=ABCDEFGHJKMN", "path is /pair"),
        ("not a url", "looks like"),
        ("https://app.example/pair?host=http://a@b#token=ABCDEFGHJKMN", "user name"),
    ],
)
def test_a_bad_pairing_url_says_what_is_wrong(url, reason):
    with pytest.raises(BadAddress, match=reason):
        parse_pairing_url(url)


def test_an_unnamed_environment_is_named_by_its_label_and_where_it_is_reached():
    assert default_label("vm", address_of("http://192.168.1.20:3773")) == "vm · 192.168.1.20:3773"
    assert default_label("vm", address_of("https://box.tail1234.ts.net")) == "vm · box.tail1234.ts.net"
    assert default_label("vm", "alice@devbox:2222") == "vm · alice@devbox:2222"


def test_two_servers_on_one_host_get_different_names():
    first, second = (default_label("vm", address_of(f"http://127.0.0.1:{port}")) for port in (4001, 4002))
    assert first != second and "vm" not in (first, second)


def test_a_backend_without_a_label_is_named_by_its_address_alone():
    assert default_label("", "10.0.0.7:3773") == "10.0.0.7:3773"
    assert default_label("  ", "10.0.0.7:3773") == "10.0.0.7:3773"
    assert default_label("10.0.0.7:3773", "10.0.0.7:3773") == "10.0.0.7:3773"
    assert default_label(None, "10.0.0.7:3773") == default_label(42, "10.0.0.7:3773") == "10.0.0.7:3773"
