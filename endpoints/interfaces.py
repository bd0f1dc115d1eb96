"""Read the machine's network addresses (re-read each time: interfaces come and go)."""

from __future__ import annotations

import socket

import psutil

from endpoints.addresses import classify


def local_addresses() -> list[tuple[str, str]]:
    """Return (interface name, IP address) for every address on an interface that is up."""
    stats = psutil.net_if_stats()
    found = []
    for name, addrs in psutil.net_if_addrs().items():
        if name in stats and not stats[name].isup:
            continue
        for addr in addrs:
            if addr.family in (socket.AF_INET, socket.AF_INET6):
                found.append((name, addr.address.split("%", 1)[0]))
    return found


def preferred_address(family: int = socket.AF_INET, addresses: list[tuple[str, str]] | None = None) -> str | None:
    """Return the address another device most likely reaches this one by: LAN first, then tailnet."""
    addresses = local_addresses() if addresses is None else addresses
    wanted_v6 = family == socket.AF_INET6
    candidates = [ip for _, ip in addresses if (":" in ip) == wanted_v6]
    for kind in ("lan", "tailnet", "public"):
        for ip in candidates:
            if classify(ip) == kind:
                return ip
    return None
