"""The one rule for a pairing URL, and where the running server is reached to put in one.

Every link t3site prints or answers is made here: `serve`, `pair`, `auth pairing create`,
the pairing-links API (and through it the Connections page).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote


def pairing_url(base_url: str, code: str) -> str:
    """Return the link that pairs a device with ``code`` through ``base_url``.

    An http base gets a direct link (``/pair#token=``); an https base a hosted-style one
    (``/pair?host=...#token=``), which any hosted client page can also use
    (docs/contract.md §7). The token rides in the fragment, which browsers never send.
    """
    base = base_url.rstrip("/")
    if base.startswith("https://"):
        return f"{base}/pair?host={quote(base, safe='')}#token={code}"
    return f"{base}/pair#token={code}"


# Finding the running server is the server app's (it reads the runtime file and probes the
# descriptor); it hands the finder down at start-up, so pairing never imports it.
_running_origin: Callable[[], str | None] = lambda: None  # noqa: E731 - no finder: no server can be found


def find_running_origin_with(finder: Callable[[], str | None]) -> None:
    """Use ``finder`` to learn where devices reach the running server (None when none runs)."""
    global _running_origin
    _running_origin = finder


def running_origin() -> str | None:
    """Return where devices reach the server running now for this home, or None."""
    return _running_origin()
