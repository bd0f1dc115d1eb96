"""Backend addresses and pairing URLs, checked the same way as static/js/pairing/hosts.js.

No Django imports. A backend address is an origin, ``scheme://host[:port]``, and
nothing else: user info, paths, queries and fragments are refused rather than
dropped, because a pasted address that carries any of them is either a mistake
or a trick (``http://good.example@evil.example``) and silently fixing it would
send a pairing token somewhere the user did not mean.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
_HOSTNAME = re.compile(r"^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?$")
_FORBIDDEN_CHARACTERS = re.compile(r"[\s\\\x00-\x1f\x7f]")


class BadAddress(ValueError):
    """The text is not a usable backend address; the message says why, in one line."""


@dataclass(frozen=True)
class PairingLink:
    """What a pairing URL names: the backend to pair with and the one-time code."""

    host: str
    token: str


def normalize_host(text: str) -> str:
    """Return ``text`` as a backend origin like ``http://192.168.1.20:3773`` or ``http://[::1]:3773``.

    A bare ``host:port`` is taken as http. Raise BadAddress for anything but an
    http(s) origin.
    """
    text = (text or "").strip()
    if not text:
        raise BadAddress("no address given: use one like http://192.168.1.20:3773")
    if _FORBIDDEN_CHARACTERS.search(text):
        raise BadAddress("an address cannot contain spaces, backslashes or control characters")
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise BadAddress(f"{text!r} is not an address ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise BadAddress(f"{scheme}:// is not supported: a backend address starts with http:// or https://")
    if "@" in parts.netloc:
        raise BadAddress("an address with a user name or password is refused: give only scheme, host and port")
    if parts.path not in ("", "/") or parts.query or parts.fragment or text.endswith(("?", "#")):
        raise BadAddress("give only the address, like http://192.168.1.20:3773, without a path, query or fragment")
    host = _host(parts.netloc, parts.hostname)
    if port is not None and port != DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}:{port}"
    return f"{scheme}://{host}"


def _host(netloc: str, hostname: str | None) -> str:
    if not hostname:
        raise BadAddress("the address has no host name")
    if netloc.startswith("["):
        try:
            address = ipaddress.IPv6Address(hostname)
        except ValueError:
            raise BadAddress(f"[{hostname}] is not an IPv6 address") from None
        return f"[{address.compressed}]"
    if not _HOSTNAME.match(hostname):
        raise BadAddress(f"{hostname!r} is not a host name")
    return hostname.rstrip(".")


def address_of(http_base_url: str) -> str:
    """Return where an origin points without its scheme: ``192.168.1.20:3773``, ``box.tail1234.ts.net``."""
    return http_base_url.split("://", 1)[-1]


def default_label(name: object, where: str) -> str:
    """Return the name of a saved environment its user did not name: ``vm · 192.168.1.20:3773``.

    ``name`` is the backend's own label (its descriptor's, which is its host name) and
    ``where`` says how this server reaches it (an address, or ``user@host`` over SSH).
    The label alone is not enough: it is also what the header shows for this server when
    both run on one machine, and two servers on one host share it. static/js/pairing/hosts.js
    names browser entries the same way (docs/environments.md).
    """
    name = name.strip() if isinstance(name, str) else ""  # a descriptor from another server, not trusted
    return f"{name} · {where}" if name and name != where else where


def ws_base_url(http_base_url: str) -> str:
    """Return the WebSocket base URL that belongs to a normalized http(s) origin."""
    return "ws" + http_base_url[len("http") :]


def parse_pairing_url(url: str) -> PairingLink:
    """Return the backend and code of a pairing URL.

    ``http://HOST:PORT/pair#token=CODE`` names the server it points at;
    ``https://hosted/pair?host=URL#token=CODE`` names the ``host`` parameter.
    The code is returned as given: the backend checks it (spaces and dashes allowed).
    """
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise BadAddress(f"not a pairing URL ({exc})") from None
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.netloc:
        raise BadAddress("a pairing URL looks like http://HOST:PORT/pair#token=CODE")
    if parts.path.rstrip("/") != "/pair":
        raise BadAddress(f"a pairing URL's path is /pair, not {parts.path or '/'!r}")
    token = (parse_qs(parts.fragment).get("token") or [""])[0]
    if not token:
        raise BadAddress("the pairing URL has no #token=CODE: copy the whole URL, or use --host and --token")
    hosts = parse_qs(parts.query).get("host")
    host = hosts[0] if hosts else f"{parts.scheme}://{parts.netloc}"
    return PairingLink(host=normalize_host(host), token=token)
