"""Run daphne (HTTP and WebSocket) on a socket that `serve` binds itself.

Binding first, outside daphne, turns a busy port or a wrong host into one
clear error before anything starts, lets `--port 0` pick a free port, and means
that when the banner is printed the port really is listening.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable

LISTEN_BACKLOG = 128


class BindError(Exception):
    pass


def bind_listener(host: str, port: int) -> socket.socket:
    """Return a listening TCP socket on ``host``:``port``, or raise BindError saying why not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise BindError(
            f"cannot listen on {host!r}: it is not an address or a name this machine can resolve ({exc})"
        ) from None
    family, kind, proto, _, address = infos[0]
    listener = socket.socket(family, kind, proto)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6 and host == "::":
            # "::" means every address: take IPv4 connections too.
            listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        listener.bind(address)
        listener.listen(LISTEN_BACKLOG)
    except OSError as exc:
        listener.close()
        if exc.errno == errno.EADDRINUSE:
            raise BindError(
                f"port {port} on {host} is already in use: stop the other server or pass --port N"
            ) from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise BindError(f"{host} is not an address of this machine") from None
        if exc.errno == errno.EACCES:
            raise BindError(f"not allowed to listen on port {port}: ports below 1024 need privileges") from None
        raise BindError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return listener


def run_daphne(listener: socket.socket, on_started: Callable[[], None], on_stopping: Callable[[], None]) -> None:
    """Serve the ASGI application on ``listener`` until SIGINT or SIGTERM.

    ``on_started`` runs once the reactor runs; ``on_stopping`` runs when it begins
    to shut down, before open connections are torn down.
    """
    # Twisted's asyncio reactor is already installed: the "daphne" app imports
    # daphne.server at django.setup(), before anything touches the reactor.
    from channels.routing import get_default_application
    from daphne.server import Server
    from twisted.internet import reactor

    # Daphne only takes endpoint strings and refuses to start without one, and this
    # Twisted has no string form for an inherited socket. So daphne is built with a
    # placeholder that is removed before run(), and our own socket is adopted into
    # its HTTP factory from ready_callable, which run() calls once the factory exists.

    def adopt() -> None:
        # Twisted expects an adopted socket to be non-blocking already.
        listener.setblocking(False)
        reactor.adoptStreamPort(listener.fileno(), listener.family, server.http_factory)
        reactor.callWhenRunning(on_started)

    server = Server(
        application=get_default_application(),
        endpoints=["adopted"],
        signal_handlers=True,
        verbosity=0,
        # Sockets live as long as the client keeps them: terminals and revocation
        # notices need them, and keepalive pings find dead peers.
        websocket_timeout=-1,
        ready_callable=adopt,
    )
    server.endpoints = []
    reactor.addSystemEventTrigger("before", "shutdown", on_stopping)
    server.run()
