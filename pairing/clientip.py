"""Work out the client IP of a request. No Django imports.

The client IP is the socket peer, unless the peer is a trusted proxy
(T3SITE_TRUSTED_PROXIES); then X-Forwarded-For is read from the right,
skipping trusted hops, because only the entries our own proxies appended can be
believed: anything further left was written by the client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        return ip.ipv4_mapped
    return ip


def _trusted(ip, proxies: Sequence[Network]) -> bool:
    return any(ip.version == net.version and ip in net for net in proxies)


def is_trusted(peer: str | None, proxies: Sequence[Network]) -> bool:
    """Return whether the socket peer ``peer`` is one of the trusted proxies."""
    ip = _parse(peer or "")
    return ip is not None and _trusted(ip, proxies)


def client_ip(peer: str | None, forwarded_for: str | None, proxies: Sequence[Network]) -> str | None:
    """Return the client's IP address as a string, or None when the peer is unknown."""
    ip = _parse(peer or "")
    if ip is None:
        return None
    if not proxies or not forwarded_for or not _trusted(ip, proxies):
        return str(ip)
    for hop in reversed(forwarded_for.split(",")):
        hop_ip = _parse(hop)
        if hop_ip is None:
            break
        if not _trusted(hop_ip, proxies):
            return str(hop_ip)
        ip = hop_ip
    return str(ip)
