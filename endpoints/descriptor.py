"""This server's public descriptor, served at /.well-known/t3/environment."""

from __future__ import annotations

import platform
import socket
from collections.abc import Callable, Iterable

from django.conf import settings

import t3site
from t3site import home

_ARCH_NAMES = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}
# What this server offers is known to the apps that offer it: each hands a function down at
# start-up (workspace: its method namespaces), and endpoints never imports them.
_capability_sources: list[Callable[[], Iterable[str]]] = []


def offer_capabilities(source: Callable[[], Iterable[str]]) -> None:
    """Add what ``source()`` names (read afresh at each description) to the descriptor's capabilities."""
    if source not in _capability_sources:
        _capability_sources.append(source)


def capabilities() -> list[str]:
    return sorted({name for source in _capability_sources for name in source()})


def environment_id() -> str:
    return home.environment_id(settings.T3SITE_HOME)


def describe() -> dict:
    """Return what any client may know about this server before pairing: nothing secret."""
    machine = platform.machine().lower()
    return {
        "environmentId": environment_id(),
        "label": socket.gethostname(),
        "platform": {"os": platform.system().lower(), "arch": _ARCH_NAMES.get(machine, machine)},
        "serverVersion": t3site.__version__,
        "capabilities": capabilities(),
    }
