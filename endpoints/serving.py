"""Tailscale Serve mappings this server made, so that it undoes exactly those at exit.

`serve --tailscale-serve`, `pair --tailscale` and the Connections page can all
make a mapping; the record lives in T3SITE_HOME because `pair` is another
process. At exit the server undoes the recorded mappings made for any port it
listened on, each only if Tailscale still sends it to that port (someone may
have re-pointed it since).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from endpoints import tailscale
from endpoints.addresses import is_wildcard
from endpoints.discovery import Listening
from t3site import home

RECORD_FILENAME = "tailscale-serve.json"


def _record_path(state: Path) -> Path:
    return state / RECORD_FILENAME


def _read(state: Path) -> list[dict]:
    mappings = home.read_json_object(_record_path(state)).get("mappings")
    return [m for m in mappings if isinstance(m, dict)] if isinstance(mappings, list) else []


def _write(state: Path, mappings: list[dict]) -> None:
    if mappings:
        home.write_atomically(_record_path(state), json.dumps({"mappings": mappings}, indent=2) + "\n")
    else:
        _record_path(state).unlink(missing_ok=True)


def unreachable_for_serve(bind_host: str) -> str | None:
    """Return why Serve cannot reach a server bound to ``bind_host``, or None when it can.

    Serve proxies to 127.0.0.1 (tailscale.local_target), which only a loopback or a
    wildcard bind answers on.
    """
    if Listening(bind_host, 0).local_only or is_wildcard(bind_host):
        return None
    return f"Tailscale Serve reaches this server at 127.0.0.1, but it listens on {bind_host} only."


def set_up(state: Path, local_port: int, https_port: int = tailscale.DEFAULT_HTTPS_PORT) -> str:
    """Make Serve front ``local_port`` on ``https_port`` and return the HTTPS URL.

    Raise tailscale.ServeConflict, naming it, if anything else holds that port, and
    tailscale.TailscaleError with Tailscale's own words when the CLI fails.
    """
    url, made = tailscale.start_serve(local_port, https_port)
    if made:
        wanted = {"httpsPort": https_port, "localPort": local_port}
        mappings = [m for m in _read(state) if m != wanted]
        _write(state, [*mappings, wanted])
    return url


def undo_made(state: Path, local_ports: Iterable[int]) -> list[int]:
    """Undo the recorded mappings made for any of ``local_ports`` that still point there.

    Return the HTTPS ports undone. A server passes every port it listened on: after
    a move to another port, the mappings made for the first one are still its own.
    """
    ports = set(local_ports)
    mappings = _read(state)
    undone = []
    for mapping in [m for m in mappings if m.get("localPort") in ports]:
        if tailscale.stop_serve(int(mapping["localPort"]), int(mapping["httpsPort"])):
            undone.append(int(mapping["httpsPort"]))
        mappings.remove(mapping)
    _write(state, mappings)
    return undone
