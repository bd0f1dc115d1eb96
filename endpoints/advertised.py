"""Gather what discovery needs, in the server process: where it listens, Tailscale, settings."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import psutil
from django.conf import settings

from endpoints import tailscale
from endpoints.descriptor import environment_id
from endpoints.discovery import (
    CUSTOM_HTTPS,
    TAILSCALE_HTTPS,
    Endpoint,
    Listening,
    choose_default,
    http_endpoints,
    https_endpoint,
)
from endpoints.interfaces import local_addresses
from endpoints.listening import DEFAULT_PORT, current_listener
from endpoints.models import LOCAL_ONLY, NETWORK_ACCESSIBLE, ConnectionSettings
from endpoints.verification import verify_cached
from t3site import home


def current_listening() -> Listening:
    """Return where the server listens now: this process's listener, else the runtime file.

    Without either (no server runs), it is where `serve` would listen by default.
    """
    control = current_listener()
    if control is not None:
        return Listening(control.bind_host, control.port, control.explicit_host)
    runtime = home.read_runtime(settings.T3SITE_HOME)
    if runtime and isinstance(runtime.get("port"), int) and psutil.pid_exists(runtime.get("pid") or 0):
        bind = runtime.get("bindHost") or runtime.get("host") or "127.0.0.1"
        return Listening(bind, runtime["port"], bool(runtime.get("explicitHost")))
    return Listening(ConnectionSettings.objects.current().bind_host, DEFAULT_PORT)


def tailscale_state(local_port: int) -> tuple[dict, Endpoint | None]:
    """Return what the page shows about Tailscale, and the MagicDNS HTTPS endpoint when there is a name."""
    if not tailscale.installed():
        return {"installed": False, "message": "Tailscale is not installed on this machine."}, None
    try:
        me = tailscale.status()
        url = tailscale.fronts(local_port) if me.running else None
    except tailscale.TailscaleError as exc:
        return {"installed": True, "message": exc.message}, None
    info = {"installed": True, "state": me.backend_state, "dnsName": me.dns_name or None, "httpsUrl": url}
    if not me.running:
        info["message"] = f"Tailscale is not connected (state: {me.backend_state or 'unknown'}): run `tailscale up`."
        return info, None
    if url is None:
        https_port = tailscale.DEFAULT_HTTPS_PORT
        endpoint = https_endpoint(
            TAILSCALE_HTTPS, f"Tailscale HTTPS ({me.dns_name})", tailscale.https_url(me.dns_name, https_port), None
        )
        endpoint.status_reason = _why_not_set_up(https_port, local_port)
        return info, endpoint
    return info, https_endpoint(TAILSCALE_HTTPS, f"Tailscale HTTPS ({me.dns_name})", url, (False, ""))


def _why_not_set_up(https_port: int, local_port: int) -> str:
    """Say why Serve does not front this server yet: nothing does, or what holds the port."""
    try:
        held = tailscale.holder(tailscale.serve_config(), https_port, local_port)
    except tailscale.TailscaleError as exc:
        return f"Tailscale Serve's configuration could not be read: {exc.message}"
    if held is None:
        return "Tailscale Serve does not front this server yet: use Setup."
    return f"Port {https_port} {held.what}: {held.stop}, then use Setup."


def _verify(endpoints: list[Endpoint]) -> None:
    """Verify the HTTPS endpoints that are set up, side by side (each may take seconds)."""
    pending = [e for e in endpoints if e.hosted_compatible and not e.can_set_up]
    if not pending:
        return
    expected = environment_id()
    with ThreadPoolExecutor(max_workers=len(pending)) as pool:
        results = list(pool.map(lambda e: verify_cached(e.http_base_url, expected), pending))
    for endpoint, result in zip(pending, results, strict=True):
        endpoint.status = "available" if result.ok else "unavailable"
        endpoint.status_reason = result.reason


def network_access(listening: Listening) -> dict:
    """Return the saved mode and what the server really listens on now."""
    saved = ConnectionSettings.objects.current().network_access
    return {
        "mode": saved,
        "modes": [LOCAL_ONLY, NETWORK_ACCESSIBLE],
        "bindHost": listening.bind_host,
        "port": listening.port,
        "localOnly": listening.local_only,
        "explicitHost": listening.explicit_host,
        "canChange": current_listener() is not None and not listening.explicit_host,
    }


def advertised(addresses: list[tuple[str, str]] | None = None, listening: Listening | None = None) -> dict:
    """Return the endpoints (default marked), Tailscale's state and network access, read afresh."""
    listening = listening or current_listening()
    found = http_endpoints(listening, local_addresses() if addresses is None else addresses)
    tailscale_info, magicdns = tailscale_state(listening.port)
    if magicdns is not None:
        found.append(magicdns)
    for url in settings.T3SITE_HTTPS_ENDPOINTS:
        found.append(https_endpoint(CUSTOM_HTTPS, f"HTTPS {url.removeprefix('https://')}", url, (False, "")))
    _verify(found)
    choose_default(found, ConnectionSettings.objects.current().default_preference_key)
    return {
        "endpoints": [endpoint.as_dict() for endpoint in found],
        "tailscale": tailscale_info,
        "networkAccess": network_access(listening),
    }
