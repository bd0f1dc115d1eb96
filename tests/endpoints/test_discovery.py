"""Discovery and the default rule, with injected interface lists (docs/contract.md §6)."""

from __future__ import annotations

import pytest

from endpoints.addresses import classify
from endpoints.discovery import Listening, choose_default, http_endpoints, https_endpoint

EVERYWHERE = Listening("0.0.0.0", 3773)
HOME_WIFI = [("lo", "127.0.0.1"), ("lo", "::1"), ("wlan0", "192.168.1.20"), ("wlan0", "fe80::1%wlan0")]
WITH_TAILNET = [*HOME_WIFI, ("tailscale0", "100.101.102.103")]


def by_kind(endpoints, kind):
    return [e for e in endpoints if e.kind == kind]


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("169.254.10.1", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("100.64.0.1", "tailnet"),
        ("100.127.255.254", "tailnet"),
        ("fd7a:115c:a1e0::1", "tailnet"),
        ("192.168.1.20", "lan"),
        ("10.0.0.5", "lan"),
        ("fd00::2", "lan"),
        ("100.128.0.1", "public"),
        ("8.8.8.8", "public"),
    ],
)
def test_it_classifies_addresses_by_how_far_they_reach(address, kind):
    assert classify(address) == kind


def test_it_lists_loopback_lan_and_tailnet_but_never_link_local():
    found = http_endpoints(EVERYWHERE, WITH_TAILNET)
    assert [(e.kind, e.http_base_url) for e in found] == [
        ("loopback", "http://127.0.0.1:3773"),
        ("lan", "http://192.168.1.20:3773"),
        ("tailscale-ip", "http://100.101.102.103:3773"),
    ]
    data = {e.kind: e.as_dict() for e in found}
    assert data["lan"]["preferenceKey"] == "core:lan:http"
    assert data["lan"]["reachability"] == "lan" and data["lan"]["wsBaseUrl"] == "ws://192.168.1.20:3773"
    assert data["tailscale-ip"]["preferenceKey"] == "tailscale:ip:http"
    assert data["tailscale-ip"]["reachability"] == "private-network"
    assert data["loopback"]["preferenceKey"] == "core:loopback:http"
    assert not any(d["hostedCompatible"] for d in data.values())


def test_every_endpoint_has_the_contract_fields():
    endpoint = http_endpoints(EVERYWHERE, HOME_WIFI)[1].as_dict()
    contract = {"id", "label", "kind", "httpBaseUrl", "wsBaseUrl", "reachability", "hostedCompatible", "status"}
    assert contract | {"isDefault", "preferenceKey"} <= set(endpoint)


def test_ipv6_lan_addresses_get_brackets_and_come_after_ipv4():
    found = http_endpoints(Listening("::", 3773), [("eth0", "fd00::2"), ("eth0", "10.0.0.5")])
    assert [e.http_base_url for e in by_kind(found, "lan")] == ["http://10.0.0.5:3773", "http://[fd00::2]:3773"]
    assert all(e.status == "available" for e in found)


def test_a_local_only_server_says_other_devices_cannot_reach_it():
    found = http_endpoints(Listening("127.0.0.1", 4000), WITH_TAILNET)
    assert by_kind(found, "loopback")[0].status == "available"
    lan = by_kind(found, "lan")[0]
    assert lan.status == "unavailable"
    assert "127.0.0.1 only" in lan.status_reason and "network access" in lan.status_reason
    assert lan.http_base_url == "http://192.168.1.20:4000"


def test_an_ipv4_wildcard_does_not_claim_ipv6_addresses():
    found = http_endpoints(EVERYWHERE, [("eth0", "fd00::2")])
    assert by_kind(found, "lan")[0].status == "unavailable"


def test_the_default_is_lan_then_tailnet_never_https_by_itself():
    https = https_endpoint("tailscale-https", "Tailscale", "https://box.tail1234.ts.net", (True, "ok"))
    found = [*http_endpoints(EVERYWHERE, WITH_TAILNET), https]
    assert choose_default(found, None).kind == "lan"
    without_lan = [*http_endpoints(EVERYWHERE, [("tailscale0", "100.101.102.103")]), https]
    assert choose_default(without_lan, None).kind == "tailscale-ip"
    assert sum(e.is_default for e in without_lan) == 1


def test_a_saved_preference_wins_when_an_endpoint_of_that_key_exists():
    https = https_endpoint("tailscale-https", "Tailscale", "https://box.tail1234.ts.net", (True, "ok"))
    found = [*http_endpoints(EVERYWHERE, WITH_TAILNET), https]
    assert choose_default(found, "tailscale:magicdns:https") is https
    assert choose_default(found, "tailscale:ip:http").kind == "tailscale-ip"
    assert choose_default(found, "custom:https://gone.example").kind == "lan"


def test_an_unavailable_preference_stays_the_default_and_says_why():
    broken = https_endpoint("tailscale-https", "Tailscale", "https://box.tail1234.ts.net", (False, "HTTP 502"))
    found = [*http_endpoints(EVERYWHERE, WITH_TAILNET), broken]
    assert choose_default(found, "tailscale:magicdns:https") is broken
    assert broken.as_dict()["isDefault"] is True and broken.as_dict()["status"] == "unavailable"
    local_only = http_endpoints(Listening("127.0.0.1", 3773), WITH_TAILNET)
    chosen = choose_default(local_only, "core:lan:http")
    assert (chosen.kind, chosen.status) == ("lan", "unavailable")
    assert "turn on network access" in chosen.status_reason


def test_of_two_endpoints_with_the_preferred_key_the_one_that_answers_is_the_default():
    found = http_endpoints(EVERYWHERE, [("eth0", "fd00::2"), ("eth0", "10.0.0.5")])
    assert choose_default(found, "core:lan:http").http_base_url == "http://10.0.0.5:3773"


def test_loopback_is_never_the_default_while_another_device_can_connect():
    found = http_endpoints(EVERYWHERE, WITH_TAILNET)
    assert choose_default(found, "core:loopback:http").kind == "lan"


def test_when_only_this_machine_can_reach_the_server_nothing_is_the_default():
    for alone in (
        http_endpoints(Listening("127.0.0.1", 3773), WITH_TAILNET),
        http_endpoints(EVERYWHERE, [("lo", "127.0.0.1")]),
    ):
        assert choose_default(alone, "core:loopback:http") is None
        assert not any(e.as_dict()["isDefault"] for e in alone)
        loopback = by_kind(alone, "loopback")[0]
        assert loopback.status_reason.startswith("Only this machine can reach the server")


def test_an_https_endpoint_alone_is_not_made_the_default_but_is_a_way_in():
    https = https_endpoint("tailscale-https", "Tailscale", "https://box.tail1234.ts.net", (True, "ok"))
    found = [*http_endpoints(Listening("127.0.0.1", 3773), WITH_TAILNET), https]
    assert choose_default(found, None) is None and not https.is_default
    assert "Only this machine" not in by_kind(found, "loopback")[0].status_reason


def test_https_endpoints_are_hosted_compatible_and_keyed_by_url():
    custom = https_endpoint("custom-https", "Mine", "https://t3.example.com/", (False, "not yet"))
    data = custom.as_dict()
    assert data["hostedCompatible"] is True
    assert data["preferenceKey"] == "custom:https://t3.example.com"
    assert data["wsBaseUrl"] == "wss://t3.example.com"
    assert data["reachability"] == "public"
    assert data["status"] == "unavailable" and data["statusReason"] == "not yet"
