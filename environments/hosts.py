"""Backend addresses and pairing URLs, checked the same way as static/js/environments/hosts.js.

No Django imports. A backend address is an origin, read by t3site.origins: user info,
paths, queries and fragments are refused rather than dropped (its docstring says why).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from t3site.origins import DEFAULT_PORTS, BadOrigin, normalize_origin


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
    try:
        return normalize_origin(text)
    except BadOrigin as exc:
        raise BadAddress(str(exc)) from None


def address_of(http_base_url: str) -> str:
    """Return where an origin points without its scheme: ``192.168.1.20:3773``, ``box.tail1234.ts.net``."""
    return http_base_url.split("://", 1)[-1]


def default_label(name: object, where: str) -> str:
    """Return the name of a saved environment its user did not name: ``vm · 192.168.1.20:3773``.

    ``name`` is the backend's own label (its descriptor's, which is its host name) and
    ``where`` says how this server reaches it (an address, or ``user@host`` over SSH).
    The label alone is not enough: it is also what the header shows for this server when
    both run on one machine, and two servers on one host share it. static/js/environments/hosts.js
    names browser entries the same way (docs/environments.md).
    """
    name = name.strip() if isinstance(name, str) else ""  # a descriptor from another server, not trusted
    return f"{name} · {where}" if name and name != where else where


def is_default_label(label: str, where: str) -> bool:
    """Return whether ``label`` is one default_label made up for ``where`` rather than a name someone gave.

    Browsers always send a label when they save what they paired with; made up for the
    address they paired at, it must not replace the name a person gave the entry.
    """
    return bool(label) and (label == where or label.endswith(f" · {where}"))


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
