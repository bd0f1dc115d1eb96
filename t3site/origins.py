"""The one way t3site reads an origin, ``scheme://host[:port]``. No Django imports.

Settings (``T3SITE_HOSTED_ORIGINS``), saved environments, pairing URLs and the pages'
content security policy all name other servers by origin, and all read them here. Nothing
but an http(s) origin is accepted: user info, paths, queries and fragments are refused
rather than dropped, because an address that carries any of them is either a mistake or a
trick (``http://good.example@evil.example``), and silently fixing it would send a pairing
token somewhere its user did not mean.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
_HOSTNAME = re.compile(r"^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?$")
_FORBIDDEN_CHARACTERS = re.compile(r"[\s\\\x00-\x1f\x7f]")


class BadOrigin(ValueError):
    """The text is not an http(s) origin; the message says why, in one line."""


def normalize_origin(text: str, default_scheme: str | None = "http") -> str:
    """Return ``text`` as an origin like ``http://192.168.1.20:3773`` or ``https://[::1]``.

    Scheme and host are lowercased, a default port is dropped, an IPv6 address is written in
    its short form. A bare ``host:port`` takes ``default_scheme`` (None: a scheme is required).
    Raise BadOrigin for anything but an http(s) origin.
    """
    text = (text or "").strip()
    if not text:
        raise BadOrigin("no address given: use one like http://192.168.1.20:3773")
    if _FORBIDDEN_CHARACTERS.search(text):
        raise BadOrigin("an address cannot contain spaces, backslashes or control characters")
    if "://" not in text:
        if default_scheme is None:
            raise BadOrigin(f"{text!r} must start with http:// or https://")
        text = f"{default_scheme}://{text}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise BadOrigin(f"{text!r} is not an address ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise BadOrigin(f"{scheme}:// is not supported: an address starts with http:// or https://")
    if "@" in parts.netloc:
        raise BadOrigin("an address with a user name or password is refused: give only scheme, host and port")
    if parts.path not in ("", "/") or parts.query or parts.fragment or text.endswith(("?", "#")):
        raise BadOrigin("give only the address, like http://192.168.1.20:3773, without a path, query or fragment")
    host = _host(parts.netloc, parts.hostname)
    if port is not None and port != DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}:{port}"
    return f"{scheme}://{host}"


def _host(netloc: str, hostname: str | None) -> str:
    if not hostname:
        raise BadOrigin("the address has no host name")
    if netloc.startswith("["):
        try:
            address = ipaddress.IPv6Address(hostname)
        except ValueError:
            raise BadOrigin(f"[{hostname}] is not an IPv6 address") from None
        return f"[{address.compressed}]"
    if not _HOSTNAME.match(hostname):
        raise BadOrigin(f"{hostname!r} is not a host name")
    return hostname.rstrip(".")
