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
from dataclasses import dataclass

from t3site.cache import TTLCache

CLI_TIMEOUT_SECONDS = 10
# `tailscale status` is asked on every endpoint listing; a few seconds of cache keeps a
# page that polls from spawning a process per request while still noticing changes soon.
STATUS_CACHE_SECONDS = 5
DEFAULT_HTTPS_PORT = 443
# A Text handler is named by its first few words when a message says what holds a port.
TEXT_SHOWN_CHARS = 40
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


# A failing CLI is an answer too: a page that polls does not run it again every time either.
_answers: TTLCache = TTLCache(STATUS_CACHE_SECONDS, remember=(TailscaleError,))


def forget_cache() -> None:
    """Drop cached CLI answers (after this process changed Serve, or in tests)."""
    _answers.clear()


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

    return _answers.get("status", compute)


def serve_config() -> dict:
    """Return `tailscale serve status --json` ({} when nothing is served)."""
    return _answers.get("serve", lambda: _json(run("serve", "status", "--json"), "serve status --json"))


def https_url(dns_name: str, https_port: int) -> str:
    return f"https://{dns_name}" + ("" if https_port == DEFAULT_HTTPS_PORT else f":{https_port}")


def local_target(local_port: int) -> str:
    """Return the proxy target Serve gets for this server (it always reaches us over loopback)."""
    return f"http://127.0.0.1:{local_port}"


def _same_target(proxy: str | None, local_port: int | None) -> bool:
    if not proxy or local_port is None:
        return False
    normalized = proxy.rstrip("/").replace("://localhost:", "://127.0.0.1:")
    return normalized in (local_target(local_port), str(local_port), f"127.0.0.1:{local_port}")


@dataclass(frozen=True)
class Holder:
    """What holds an HTTPS port in Serve's config, in words: ``what`` it does and how to ``stop`` it."""

    what: str
    stop: str


def _handlers_on(config: dict, https_port: int) -> dict[str, dict]:
    """Return the Web handlers (mount point -> handler) that any name has on ``https_port``."""
    found: dict[str, dict] = {}
    for host_port, web in (config.get("Web") or {}).items():
        if host_port.rpartition(":")[2] == str(https_port):
            found.update((web or {}).get("Handlers") or {})
    return found


def _describe(mount: str, handler: dict) -> str:
    """Say what one ipn.HTTPHandler does: exactly one of Proxy, Path or Text is set."""
    where = "" if mount == "/" else f" at {mount}"
    if handler.get("Proxy"):
        return f"fronts {handler['Proxy']}{where}"
    if handler.get("Path"):
        return f"serves the files in {handler['Path']}{where}"
    if "Text" in handler:
        text = _one_line(str(handler["Text"]))
        shown = text if len(text) <= TEXT_SHOWN_CHARS else text[: TEXT_SHOWN_CHARS - 1] + "…"
        return f"serves the text {shown!r}{where}"
    return f"has a {'/'.join(sorted(handler)) or 'blank'} handler{where}"


def _what_holds(config: dict, https_port: int, local_port: int | None) -> str | None:
    """Say what, other than this server's "/" proxy, ``config`` has on ``https_port``; None if nothing."""
    tcp = (config.get("TCP") or {}).get(str(https_port))
    if tcp and tcp.get("TCPForward"):
        return f"forwards TCP to {tcp['TCPForward']}"
    handlers = _handlers_on(config, https_port)
    others = {
        m: h or {} for m, h in handlers.items() if not (m == "/" and _same_target((h or {}).get("Proxy"), local_port))
    }
    if others:
        return " and ".join(_describe(mount, handler) for mount, handler in sorted(others.items()))
    if tcp is not None and not handlers:
        return "has a listener with no handler"
    return None


def holder(config: dict, https_port: int, local_port: int) -> Holder | None:
    """Return what holds ``https_port`` in ``config`` (`serve status --json`) other than this server.

    Any handler counts, not only a proxy to another server: a Text or Path handler, a
    handler on another mount point, a TCP forward. So does a foreground session (`tailscale
    serve` without --bg, listed under Foreground), even one proxying to this server: it ends
    when its terminal does, and `--https=PORT off` would not be ours to run. Taking any of
    them over would end it for its owner, and our undo at exit would remove it for good.
    """
    for _, session in sorted((config.get("Foreground") or {}).items()):
        inside = _what_holds(session or {}, https_port, None)
        if inside:
            return Holder(
                f"is held by a foreground `tailscale serve` session (it {inside})",
                "end that session (Ctrl+C where it runs)",
            )
    what = _what_holds(config, https_port, local_port)
    if what is None:
        return None
    return Holder(
        f"already {what}", f"stop that mapping (`tailscale serve --{_flag(config, https_port)}={https_port} off`)"
    )


def _flag(config: dict, port: int) -> str:
    """Return the `tailscale serve` flag that made what listens on ``port`` (its `off` takes the same)."""
    tcp = (config.get("TCP") or {}).get(str(port)) or {}
    if tcp.get("TCPForward"):
        return "tls-terminated-tcp" if tcp.get("TerminateTLS") else "tcp"
    return "http" if tcp.get("HTTP") else "https"


def _fronts_only_us(config: dict, https_port: int, local_port: int) -> bool:
    """Return whether ``https_port`` serves this server at "/" and nothing else."""
    handlers = _handlers_on(config, https_port)
    return (
        _same_target((handlers.get("/") or {}).get("Proxy"), local_port)
        and holder(config, https_port, local_port) is None
    )


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
    already there). Refuse, with ServeConflict naming it, to take over a port that
    anything else holds (see holder()).
    """
    forget_cache()
    me = status()
    config = serve_config()
    held = holder(config, https_port, local_port)
    if held is not None:
        raise ServeConflict(
            f"Tailscale Serve port {https_port} {held.what}, not this server: {held.stop} or choose another port."
        )
    if me.dns_name and _fronts_only_us(config, https_port, local_port):
        return https_url(me.dns_name, https_port), False
    run("serve", "--bg", f"--https={https_port}", local_target(local_port))
    forget_cache()
    me = status()
    if not me.dns_name:
        raise TailscaleError(f"Tailscale is not connected (state: {me.backend_state or 'unknown'}).")
    return https_url(me.dns_name, https_port), True


def stop_serve(local_port: int, https_port: int = DEFAULT_HTTPS_PORT) -> bool:
    """Undo the mapping of ``https_port`` if it still serves ``local_port`` and nothing else; return whether it did.

    `--https=PORT off` removes every handler on the port, so a port someone has since
    added a handler to, or re-pointed, is left alone.
    """
    forget_cache()
    try:
        if not _fronts_only_us(serve_config(), https_port, local_port):
            return False
        run("serve", f"--https={https_port}", "off")
    except TailscaleError:
        return False
    finally:
        forget_cache()
    return True
