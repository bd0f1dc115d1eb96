"""Talk to the Tailscale CLI: status, and Tailscale Serve mappings. No Django imports.

The CLI is always called with an argument list and a timeout. Its output can
hold auth keys and login URLs, so it is never logged; but the message it gives
a person ("Serve is not enabled on your tailnet. To enable, visit: ...") is
passed on to that person word for word, through TailscaleError.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field

CLI_TIMEOUT_SECONDS = 10
# `tailscale status` is asked on every endpoint listing; a few seconds of cache keeps a
# page that polls from spawning a process per request while still noticing changes soon.
STATUS_CACHE_SECONDS = 5
DEFAULT_HTTPS_PORT = 443
RUNNING = "Running"


class TailscaleError(Exception):
    """The CLI failed; ``message`` is what it said, whitespace folded to one line."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ServeConflict(TailscaleError):
    """The HTTPS port already fronts something other than this server."""


@dataclass(frozen=True)
class Status:
    backend_state: str
    dns_name: str
    addresses: tuple[str, ...] = ()

    @property
    def running(self) -> bool:
        return self.backend_state == RUNNING and bool(self.dns_name)


@dataclass
class _Cache:
    lock: threading.Lock = field(default_factory=threading.Lock)
    entries: dict[str, tuple[float, object]] = field(default_factory=dict)


_cache = _Cache()


def forget_cache() -> None:
    """Drop cached CLI answers (after this process changed Serve, or in tests)."""
    with _cache.lock:
        _cache.entries.clear()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def installed() -> bool:
    return shutil.which("tailscale") is not None


def run(*args: str, timeout: float = CLI_TIMEOUT_SECONDS) -> str:
    """Run ``tailscale ARGS`` and return its standard output; raise TailscaleError when it fails.

    A command that waits for the user (Serve prints an approval link, then polls
    until Serve is enabled) is stopped at the timeout and what it said so far is
    the error.
    """
    program = shutil.which("tailscale")
    if program is None:
        raise TailscaleError("Tailscale is not installed on this machine (no `tailscale` command on PATH).")
    try:
        done = subprocess.run(
            [program, *args], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired as exc:
        said = _one_line(_text(exc.stdout) + " " + _text(exc.stderr))
        raise TailscaleError(said or f"`tailscale {args[0]}` did not answer within {timeout:g} seconds.") from None
    except OSError as exc:
        raise TailscaleError(f"cannot run tailscale: {exc.strerror}") from None
    if done.returncode != 0:
        said = _one_line(done.stderr + " " + done.stdout)
        raise TailscaleError(said or f"`tailscale {args[0]}` failed with exit code {done.returncode}.")
    return done.stdout


def _text(value: str | bytes | None) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value or ""


def _cached(key: str, compute):
    now = time.monotonic()
    with _cache.lock:
        hit = _cache.entries.get(key)
        if hit and now - hit[0] < STATUS_CACHE_SECONDS:
            value = hit[1]
            if isinstance(value, TailscaleError):
                raise value
            return value
    try:
        value = compute()
    except TailscaleError as exc:
        value = exc
    with _cache.lock:
        _cache.entries[key] = (now, value)
    if isinstance(value, TailscaleError):
        raise value
    return value


def _json(text: str, what: str) -> dict:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        raise TailscaleError(f"`tailscale {what}` printed something that is not JSON.") from None
    return data if isinstance(data, dict) else {}


def status() -> Status:
    """Return this node's state, MagicDNS name (no trailing dot) and tailnet addresses."""

    def compute() -> Status:
        data = _json(run("status", "--json"), "status --json")
        me = data.get("Self") or {}
        return Status(
            backend_state=str(data.get("BackendState") or ""),
            dns_name=str(me.get("DNSName") or "").rstrip("."),
            addresses=tuple(me.get("TailscaleIPs") or ()),
        )

    return _cached("status", compute)


def serve_config() -> dict:
    """Return `tailscale serve status --json` ({} when nothing is served)."""
    return _cached("serve", lambda: _json(run("serve", "status", "--json"), "serve status --json"))


def https_url(dns_name: str, https_port: int) -> str:
    return f"https://{dns_name}" + ("" if https_port == DEFAULT_HTTPS_PORT else f":{https_port}")


def local_target(local_port: int) -> str:
    """Return the proxy target Serve gets for this server (it always reaches us over loopback)."""
    return f"http://127.0.0.1:{local_port}"


def fronted_target(config: dict, dns_name: str, https_port: int) -> str | None:
    """Return where ``https://dns_name:https_port/`` is proxied to, or None if it is not served."""
    web = (config.get("Web") or {}).get(f"{dns_name}:{https_port}") or {}
    handler = (web.get("Handlers") or {}).get("/") or {}
    return handler.get("Proxy")


def _same_target(proxy: str | None, local_port: int) -> bool:
    if not proxy:
        return False
    normalized = proxy.rstrip("/").replace("://localhost:", "://127.0.0.1:")
    return normalized in (local_target(local_port), str(local_port), f"127.0.0.1:{local_port}")


def fronting_port(config: dict, dns_name: str, local_port: int) -> int | None:
    """Return the HTTPS port whose "/" Serve proxies to ``local_port``, or None."""
    for host_port, web in sorted((config.get("Web") or {}).items()):
        host, _, port = host_port.rpartition(":")
        handler = ((web or {}).get("Handlers") or {}).get("/") or {}
        if host == dns_name and port.isdigit() and _same_target(handler.get("Proxy"), local_port):
            return int(port)
    return None


def fronts(local_port: int) -> str | None:
    """Return the HTTPS URL by which Serve fronts ``local_port``, or None."""
    me = status()
    if not me.running:
        return None
    port = fronting_port(serve_config(), me.dns_name, local_port)
    return None if port is None else https_url(me.dns_name, port)


def start_serve(local_port: int, https_port: int = DEFAULT_HTTPS_PORT) -> tuple[str, bool]:
    """Map ``https_port`` of this node's MagicDNS name to ``local_port``.

    Return the HTTPS URL and whether this call made the mapping (False: it was
    already there). Refuse, with ServeConflict, to take over a port that fronts
    another server.
    """
    forget_cache()
    me = status()
    current = fronted_target(serve_config(), me.dns_name, https_port) if me.dns_name else None
    if _same_target(current, local_port):
        return https_url(me.dns_name, https_port), False
    if current:
        raise ServeConflict(
            f"Tailscale Serve port {https_port} already fronts {current}, not this server: "
            f"stop that mapping (`tailscale serve --https={https_port} off`) or choose another port."
        )
    run("serve", "--bg", f"--https={https_port}", local_target(local_port))
    forget_cache()
    me = status()
    if not me.dns_name:
        raise TailscaleError(f"Tailscale is not connected (state: {me.backend_state or 'unknown'}).")
    return https_url(me.dns_name, https_port), True


def stop_serve(local_port: int, https_port: int = DEFAULT_HTTPS_PORT) -> bool:
    """Undo the mapping of ``https_port`` if it still points at ``local_port``; return whether it did."""
    forget_cache()
    try:
        me = status()
        if not me.dns_name or not _same_target(fronted_target(serve_config(), me.dns_name, https_port), local_port):
            return False
        run("serve", f"--https={https_port}", "off")
    except TailscaleError:
        return False
    finally:
        forget_cache()
    return True
