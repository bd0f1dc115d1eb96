"""Find the server that runs now for this T3SITE_HOME, through server-runtime.json.

The file alone proves nothing (a crashed server leaves it behind), so the pid
must be alive and the descriptor at the recorded port must answer with this
home's environment id.
"""

from __future__ import annotations

import http.client

import psutil
from django.conf import settings
from django.core.management.base import CommandError

from endpoints.addresses import is_wildcard, url_host
from t3site import home
from t3site.backends import NotADescriptor, fetch_descriptor

PROBE_TIMEOUT_SECONDS = 3


def local_origin(runtime: dict) -> str:
    """Return the URL this machine reaches the server at (loopback for wildcard binds)."""
    host = runtime.get("bindHost") or runtime.get("host") or "127.0.0.1"
    if is_wildcard(host):
        host = "::1" if host == "::" else "127.0.0.1"
    return f"http://{url_host(host)}:{runtime['port']}"


class MalformedRuntime(Exception):
    """A live server answers, but its runtime file lacks what a command needs from it."""


def _is_address(value) -> bool:
    return value is None or (isinstance(value, str) and bool(value))


def running_server() -> dict | None:
    """Return the runtime record of the live server for this home, or None.

    Raise MalformedRuntime when a live server answers for this home but the file does not say
    where devices reach it (``origin``): a command must say so in one line, not guess an address.
    """
    runtime = home.read_runtime(settings.T3SITE_HOME)
    if not runtime or not isinstance(runtime.get("pid"), int) or not isinstance(runtime.get("port"), int):
        return None
    if not 0 < runtime["port"] < 65536 or not (
        _is_address(runtime.get("bindHost")) and _is_address(runtime.get("host"))
    ):
        return None
    if not psutil.pid_exists(runtime["pid"]):
        return None
    try:
        descriptor = fetch_descriptor(local_origin(runtime), PROBE_TIMEOUT_SECONDS)
    except (OSError, ValueError, NotADescriptor, http.client.HTTPException):
        return None
    if descriptor["environmentId"] != home.environment_id(settings.T3SITE_HOME):
        return None
    origin = runtime.get("origin")
    if not isinstance(origin, str) or not origin.startswith(("http://", "https://")):
        raise MalformedRuntime(
            f"{home.runtime_path(settings.T3SITE_HOME)} does not say where the running server is reached "
            "(no http(s) origin): restart `python manage.py serve` to write it again"
        )
    return runtime


def found_server() -> dict | None:
    """Return the running server's runtime record, or None; a malformed record is a CommandError."""
    try:
        return running_server()
    except MalformedRuntime as exc:
        raise CommandError(str(exc)) from None


def running_origin() -> str | None:
    """Return where devices reach the running server, or None when none runs (for commands)."""
    runtime = found_server()
    return runtime["origin"] if runtime else None
