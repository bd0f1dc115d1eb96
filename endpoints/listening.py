"""Where this process's server listens, as the Connections page sees it and moves it.

The server process (server.listener) registers its listener here once it listens; endpoints
reads and moves it through this interface and never imports the server. A process that runs
no server (a command, a test) has no listener.
"""

from __future__ import annotations

from typing import Protocol

# The contract's port: `serve` listens here unless told otherwise (docs/contract.md §2).
DEFAULT_PORT = 3773


class BindError(Exception):
    """The server cannot listen where it was asked to; the message says why, in one line."""


class Listener(Protocol):
    """The server's listening socket, which can be moved to another address while it runs."""

    bind_host: str
    port: int
    # True when `serve --host` chose the address: the Connections page then leaves it alone.
    explicit_host: bool

    def rebind(self, host: str) -> None:
        """Listen on ``host`` instead; raise BindError when the server could not move there."""


_current: Listener | None = None


def register(listener: Listener) -> None:
    """Make ``listener`` the one this process's server listens through."""
    global _current
    _current = listener


def current_listener() -> Listener | None:
    """Return the listener of the server running in this process, if any."""
    return _current
