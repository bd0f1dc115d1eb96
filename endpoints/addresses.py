"""Classify IP addresses by how far they reach. No Django imports."""

from __future__ import annotations

import ipaddress

# Tailscale hands out tailnet addresses from the CGNAT range.
TAILNET_V4 = ipaddress.ip_network("100.64.0.0/10")
TAILNET_V6 = ipaddress.ip_network("fd7a:115c:a1e0::/48")
WILDCARD_HOSTS = {"0.0.0.0", "::", ""}


def classify(address: str) -> str:
    """Return "loopback", "link-local", "tailnet", "lan" or "public" for an IP address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip in (TAILNET_V4 if ip.version == 4 else TAILNET_V6):
        return "tailnet"
    if ip.is_private:
        return "lan"
    return "public"


def is_wildcard(host: str) -> bool:
    return host in WILDCARD_HOSTS


def url_host(host: str) -> str:
    """Return ``host`` as it goes in a URL: IPv6 literals in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
