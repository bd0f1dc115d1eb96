"""This server's public descriptor, served at /.well-known/t3/environment."""

from __future__ import annotations

import platform
import socket

from django.conf import settings

import t3site
from t3site import home
from workspace.rpc import capabilities

_ARCH_NAMES = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}


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
