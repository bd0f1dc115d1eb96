"""Turn addresses, Tailscale and configured URLs into advertised endpoints. No Django imports.

Everything here takes its inputs as arguments (the interface list, what
Tailscale said, the verification results), so tests can inject them; the
Django side that gathers them lives in endpoints.advertised.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from endpoints.addresses import classify, url_host

LOOPBACK, LAN, TAILSCALE_IP, TAILSCALE_HTTPS, CUSTOM_HTTPS = (
    "loopback",
    "lan",
    "tailscale-ip",
    "tailscale-https",
    "custom-https",
)
PREFERENCE_KEYS = {
    LOOPBACK: "core:loopback:http",
    LAN: "core:lan:http",
    TAILSCALE_IP: "tailscale:ip:http",
    TAILSCALE_HTTPS: "tailscale:magicdns:https",
}
CUSTOM_PREFIX = "custom:"
AVAILABLE, UNAVAILABLE = "available", "unavailable"
LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}
ONLY_THIS_MACHINE = "Only this machine can reach the server: no endpoint is the default for other devices."


@dataclass(frozen=True)
class Listening:
    """Where the server listens: the address it bound and the port it really got."""

    bind_host: str
    port: int
    explicit_host: bool = False

    @property
    def local_only(self) -> bool:
        return self.bind_host in LOOPBACK_HOSTS or self.bind_host.startswith("127.")


@dataclass
class Endpoint:
    kind: str
    label: str
    http_base_url: str
    reachability: str
    status: str
    status_reason: str
    preference_key: str
    is_default: bool = False
    can_set_up: bool = False

    @property
    def id(self) -> str:
        return f"{self.kind}:{urlsplit(self.http_base_url).netloc}"

    @property
    def hosted_compatible(self) -> bool:
        return self.http_base_url.startswith("https://")

    def as_dict(self) -> dict:
        """Return the endpoint in docs/contract.md §6's shape, plus a readable ``statusReason``."""
        data = {
            "id": self.id,
            "label": self.label,
            "kind": self.kind,
            "httpBaseUrl": self.http_base_url,
            "wsBaseUrl": "ws" + self.http_base_url[len("http") :],
            "reachability": self.reachability,
            "hostedCompatible": self.hosted_compatible,
            "status": self.status,
            "statusReason": self.status_reason,
            "isDefault": self.is_default,
            "preferenceKey": self.preference_key,
        }
        if self.can_set_up:
            data["canSetUp"] = True
        return data


def custom_preference_key(url: str) -> str:
    return CUSTOM_PREFIX + url


def _ip_reachability(ip: str) -> str:
    kind = classify(ip)
    return {"loopback": "loopback", "tailnet": "private-network", "lan": "lan"}.get(kind, "public")


def _why_not_listening(ip: str, listening: Listening) -> str | None:
    """Return why the server cannot be reached at ``ip`` with this bind, or None if it can."""
    bind = listening.bind_host
    if bind == "::":
        return None
    if bind == "0.0.0.0":
        return None if ":" not in ip else "The server listens on IPv4 addresses only (0.0.0.0)."
    if ip == bind or (classify(ip) == "loopback" and bind == "localhost"):
        return None
    if listening.local_only:
        fix = "start it with --host 0.0.0.0" if listening.explicit_host else "turn on network access"
        return f"The server listens on {bind} only, so other devices cannot reach it: {fix}."
    return f"The server listens on {bind} only."


def http_endpoints(listening: Listening, addresses: list[tuple[str, str]]) -> list[Endpoint]:
    """Return the loopback endpoint and one endpoint per LAN or tailnet address, IPv4 first."""
    loopback_ip = "::1" if listening.bind_host in ("::1",) else "127.0.0.1"
    found = [
        _http_endpoint(LOOPBACK, "This machine only", loopback_ip, listening),
    ]
    seen = set()
    ordered = sorted(addresses, key=lambda pair: ":" in pair[1])
    for interface, ip in ordered:
        ip = ip.split("%", 1)[0]
        kind = classify(ip)
        if ip in seen or kind in ("loopback", "link-local"):
            continue
        seen.add(ip)
        if kind == "tailnet":
            found.append(_http_endpoint(TAILSCALE_IP, f"Tailnet {ip} ({interface})", ip, listening))
        else:
            found.append(_http_endpoint(LAN, f"Network {ip} ({interface})", ip, listening))
    return found


def _http_endpoint(kind: str, label: str, ip: str, listening: Listening) -> Endpoint:
    problem = _why_not_listening(ip, listening)
    return Endpoint(
        kind=kind,
        label=label,
        http_base_url=f"http://{url_host(ip)}:{listening.port}",
        reachability=_ip_reachability(ip),
        status=UNAVAILABLE if problem else AVAILABLE,
        status_reason=problem or f"The server listens on {url_host(listening.bind_host)}:{listening.port}.",
        preference_key=PREFERENCE_KEYS[kind],
    )


def https_endpoint(kind: str, label: str, url: str, verified: tuple[bool, str] | None) -> Endpoint:
    """Return an HTTPS endpoint; ``verified`` is (ok, reason) from verification, None if not set up."""
    host = urlsplit(url).hostname or ""
    reachability = "private-network" if kind == TAILSCALE_HTTPS or host.endswith(".ts.net") else "public"
    if _is_ip(host):
        reachability = _ip_reachability(host)
    ok, reason = verified if verified is not None else (False, "")
    return Endpoint(
        kind=kind,
        label=label,
        http_base_url=url.rstrip("/"),
        reachability=reachability,
        status=AVAILABLE if ok else UNAVAILABLE,
        status_reason=reason,
        preference_key=PREFERENCE_KEYS[kind] if kind == TAILSCALE_HTTPS else custom_preference_key(url.rstrip("/")),
        can_set_up=kind == TAILSCALE_HTTPS and verified is None,
    )


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def choose_default(endpoints: list[Endpoint], preference_key: str | None) -> Endpoint | None:
    """Mark and return the default endpoint for other devices (docs/contract.md §6), or None.

    The owner's saved preference wins whenever an endpoint of that key exists, even
    one unavailable at the moment: its status says so, and the choice is not
    silently swapped for another. Without one: the first LAN address the server
    answers on, else a tailnet address. HTTPS becomes the default only by the
    owner's choice, and loopback never (it is this machine's own way in, not
    another device's): when nothing else answers there is no default, and the
    loopback row says so when only this machine can reach the server.
    """
    for endpoint in endpoints:
        endpoint.is_default = False
    preferred = [e for e in endpoints if preference_key and e.preference_key == preference_key and e.kind != LOOPBACK]
    # Of several endpoints with the preferred key (IPv4 and IPv6 LAN), one that answers first.
    preferred.sort(key=lambda e: e.status != AVAILABLE)
    answering = [e for e in endpoints if e.status == AVAILABLE]
    candidates = [
        *preferred[:1],
        *(e for e in answering if e.kind == LAN),
        *(e for e in answering if e.kind == TAILSCALE_IP),
    ]
    if not candidates:
        if not any(e.kind != LOOPBACK for e in answering):
            for endpoint in answering:
                endpoint.status_reason = f"{ONLY_THIS_MACHINE} {endpoint.status_reason}"
        return None
    candidates[0].is_default = True
    return candidates[0]


def is_known_preference_key(key: str) -> bool:
    if key in PREFERENCE_KEYS.values():
        return True
    url = key[len(CUSTOM_PREFIX) :] if key.startswith(CUSTOM_PREFIX) else ""
    return url.startswith("https://") and bool(urlsplit(url).hostname)
