"""Build pairing URLs for an endpoint. No Django imports."""

from __future__ import annotations

from urllib.parse import quote


def pairing_url(base_url: str, code: str) -> str:
    """Return the link that pairs a device with ``code`` through ``base_url``.

    An http endpoint gets a direct link (``/pair#token=``); an https endpoint a
    hosted-style one (``/pair?host=...#token=``), which any hosted client page can
    also use. The token rides in the fragment, which browsers never send.
    """
    base = base_url.rstrip("/")
    if base.startswith("https://"):
        return f"{base}/pair?host={quote(base, safe='')}#token={code}"
    return f"{base}/pair#token={code}"
