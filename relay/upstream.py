"""The backend a relayed socket is carried to: where it is reached from here, and the ticket that opens it.

Only environments this server holds a credential for can be relayed (docs/contract.md §8):
the credential is what the relay opens the backend's socket with, and it never leaves this
server. The ticket the relay mints with it is narrowed to the device's scopes here intersected
with the credential's, so the backend itself refuses whatever the device may not do; the relay
checks nothing in the frames it carries.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from django.conf import settings
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake

from environments import backend_pairing, credentials
from environments.hosts import ws_base_url
from environments.models import Environment
from environments.ssh import store
from environments.ssh.forward import LISTEN_HOST

# The backend's handshake (TCP, HTTP upgrade) must finish in this long, or it counts as unreachable.
OPEN_TIMEOUT_SECONDS = 10
CLOSE_TIMEOUT_SECONDS = 2


class Unreachable(Exception):
    """The backend cannot be used now; the message says why, in a line that fits a close reason."""


class NoSharedScope(Exception):
    """The device's scopes here and the saved credential's have nothing in common."""


@dataclass(frozen=True)
class Upstream:
    """A saved environment as the relay reaches it: its row, its address from here, the credential held."""

    environment: Environment
    http_base_url: str
    # Never in a repr: a log line or a traceback must not carry the credential.
    token: str = field(repr=False)

    @property
    def ws_url(self) -> str:
        return ws_base_url(self.http_base_url) + "/ws"

    def ticket(self, device_scopes: list[str]) -> str:
        """Return a ticket for the backend's socket with the device's scopes that the credential also has.

        Two calls to the backend (its session's scopes, then the ticket), blocking: run it in a thread.
        Raise NoSharedScope, or Unreachable (the credential refused included).
        """
        try:
            held = backend_pairing.session_scopes(self.http_base_url, self.token)
            shared = [scope for scope in device_scopes if scope in held]
            if not shared:
                raise NoSharedScope(f"this device and the credential for {self.environment.label!r} share no scope")
            return backend_pairing.ws_ticket(self.http_base_url, self.token, shared)
        except backend_pairing.BackendError as exc:
            raise Unreachable(str(exc)) from None

    async def open(self, device_scopes: list[str]) -> ClientConnection:
        """Open the backend's socket with a narrowed ticket; raise NoSharedScope or Unreachable."""
        ticket = await asyncio.to_thread(self.ticket, device_scopes)
        try:
            return await connect(
                f"{self.ws_url}?ticket={ticket}",
                # The backend is this machine, its LAN or a forward's loopback port: never a proxy's business.
                proxy=None,
                # Frames are carried as they are; compressing them twice (here and to the phone) costs latency.
                compression=None,
                max_size=settings.T3SITE_WEBSOCKET_MESSAGE_LIMIT_BYTES,
                open_timeout=OPEN_TIMEOUT_SECONDS,
                # A device that leaves must not wait long for a backend that stopped answering.
                close_timeout=CLOSE_TIMEOUT_SECONDS,
            )
        except (OSError, TimeoutError, InvalidHandshake) as exc:
            raise Unreachable(f"cannot open the backend's socket: {exc}") from None


def _address(environment: Environment) -> str:
    """Return the backend's HTTP address from here.

    An SSH environment is reached through the forward the `serve` process keeps open on its saved
    local port (environments.ssh.server_forwards): the backend may listen only on the remote's
    loopback, which a phone never reaches but this server does, over SSH.
    """
    if environment.kind == Environment.SSH and (route := store.get(environment.environment_id)) is not None:
        return f"http://{LISTEN_HOST}:{route.local_port}"
    return environment.http_base_url


def find(environment_id: str) -> Upstream | None:
    """Return the saved environment ``environment_id`` as the relay reaches it, or None.

    None as well when this server holds no credential for it (one a browser saved, keeping
    its own): the relay has nothing to open it with.
    """
    environment = Environment.objects.filter(environment_id=environment_id).first()
    token = credentials.get(environment_id) if environment is not None else None
    if token is None:
        return None
    return Upstream(environment, _address(environment), token)
