"""Run daphne (HTTP and WebSocket) on a socket that `serve` binds itself.

Binding first, outside daphne, turns a busy port or a wrong host into one
clear error before anything starts, lets `--port 0` pick a free port, and means
that when the banner is printed the port really is listening.
"""

from __future__ import annotations

import asyncio
import contextvars
import errno
import gc
import ipaddress
import logging
import socket
import weakref
from collections.abc import Callable
from functools import partial

from endpoints import listening
from endpoints.listening import BindError
from t3site.inbox import Inbox

LISTEN_BACKLOG = 128
# RFC 6455's "going away": the close code every open socket gets when the server stops.
CLOSE_GOING_AWAY = 1001
STOPPING_REASON = "the server is stopping"
# How long a socket this server closed may take to read what was sent before the close frame (see adopt()).
CLOSE_HANDSHAKE_SECONDS = 5
# After this long, what first requests imported lazily is set aside too (_set_aside_what_lives_for_ever).
WARMED_UP_SECONDS = 60

logger = logging.getLogger("t3site.server")


def bind_listener(host: str, port: int) -> socket.socket:
    """Return a listening TCP socket on ``host``:``port``, or raise BindError saying why not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise BindError(
            f"cannot listen on {host!r}: it is not an address or a name this machine can resolve ({exc})"
        ) from None
    family, kind, proto, _, address = infos[0]
    try:
        listener = socket.socket(family, kind, proto)
    except OSError as exc:
        raise BindError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
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


def listen_instead(host: str, previous_host: str, port: int) -> tuple[socket.socket, BindError | None]:
    """Return a listener on ``host``, or on ``previous_host`` again with the reason ``host`` failed.

    Each is tried on ``port`` first (links already handed out keep working) and on
    any free port after that. Raise BindError, saying both reasons, when neither
    host can be bound at all.
    """
    try:
        return _bind_first(host, port), None
    except BindError as failure:
        try:
            return _bind_first(previous_host, port), failure
        except BindError as lost:
            raise BindError(f"{failure}; and listening on {previous_host} again failed too: {lost}") from None


def _bind_first(host: str, port: int) -> socket.socket:
    """Bind ``host`` on ``port``, else on any free port; raise the first failure if neither works."""
    try:
        return bind_listener(host, port)
    except BindError as first:
        if port == 0:
            raise
        try:
            return bind_listener(host, 0)
        except BindError:
            raise first from None


class ListenerControl:
    """The server's listening socket, which can be moved to another address while it runs.

    The Connections page turns network access on and off through ``rebind``:
    the old listening socket is closed and a new one adopted (on the same port when
    it is free, else another; when the new address cannot be bound at all, back on
    the previous one). Connections that came in through an address the server
    still listens on carry on; the others are cut, since "only this machine"
    must mean that at once, not once a phone's keep-alive connection ends.
    ``on_rebound(control, failure)`` runs after every move, ``failure`` being the
    BindError when the server went back to its previous address instead.
    """

    def __init__(
        self,
        bind_host: str,
        explicit_host: bool,
        on_rebound: Callable[[ListenerControl, BindError | None], None],
    ) -> None:
        self.bind_host = bind_host
        self.explicit_host = explicit_host
        self.port = 0
        # Every port this server has listened on: Tailscale Serve mappings made for
        # any of them are this server's to undo at exit.
        self.ports: list[int] = []
        self._on_rebound = on_rebound
        self._reactor = None
        self._factory = None
        self._listening_port = None
        # Every connection accepted so far and still alive (HTTP keep-alive and WebSockets alike).
        self._connections: weakref.WeakSet = weakref.WeakSet()

    def attach(self, reactor, factory, listener: socket.socket) -> None:
        """Adopt ``listener`` into ``factory`` (in the reactor thread) and register it as this process's listener."""
        self._reactor = reactor
        self._factory = _Recorded(factory, self._connections)
        self._adopt(listener)
        listening.register(self)

    def _adopt(self, listener: socket.socket) -> None:
        # Twisted expects an adopted socket to be non-blocking already. It keeps its
        # own duplicate of the descriptor, so ours is closed: otherwise the old
        # address would stay bound (and silently queue connections) after a rebind.
        listener.setblocking(False)
        self.port = listener.getsockname()[1]
        if self.port not in self.ports:
            self.ports.append(self.port)
        self._listening_port = self._reactor.adoptStreamPort(listener.fileno(), listener.family, self._factory)
        listener.close()

    def rebind(self, host: str) -> None:
        """Listen on ``host`` instead (same port if it is free); call from any thread but the reactor's.

        Raise BindError if the server could not move; it then listens on its
        previous address again (another port if its own was taken meanwhile), or,
        if even that failed, nowhere: both are logged.
        """
        from twisted.internet.threads import blockingCallFromThread

        # The hop into the reactor carries the calling thread's context variables (asyncio's
        # call_soon_threadsafe copies them), and the new listening socket keeps that context for
        # every connection it accepts. Called from a request, it holds asgiref's executor for
        # that request, which quits when the request ends: every later sync_to_async on the new
        # listener (whitenoise's file streaming) then failed. The listener gets an empty context,
        # as the first one had at start-up.
        contextvars.Context().run(blockingCallFromThread, self._reactor, self._rebind, host)

    def _rebind(self, host: str):
        from twisted.internet.defer import maybeDeferred

        if host == self.bind_host and self._listening_port is not None:
            return None
        previous_host, port = self.bind_host, self.port
        # The old socket must be closed before the new bind: Linux refuses 0.0.0.0:P
        # while 127.0.0.1:P still listens, even with SO_REUSEADDR.
        stopped = maybeDeferred(self._listening_port.stopListening) if self._listening_port else None

        def listen_again(_=None):
            self._listening_port = None
            try:
                listener, failure = listen_instead(host, previous_host, port)
            except BindError as lost:
                logger.critical("Network access: the server listens nowhere now, restart it (%s).", lost)
                raise
            self._adopt(listener)
            if failure is None:
                self.bind_host = host
                self._cut_connections_not_on(host)
                self._on_rebound(self, None)
                return
            logger.error("Network access not changed, %s: listening on %s:%s again.", failure, previous_host, self.port)
            self._on_rebound(self, failure)
            raise BindError(f"{failure} (the server listens on {previous_host}:{self.port} again)")

        return listen_again() if stopped is None else stopped.addCallback(listen_again)

    def _cut_connections_not_on(self, host: str) -> None:
        if host in ("0.0.0.0", "::"):
            return
        kept = _normalized(host)
        for protocol in list(self._connections):
            transport = _transport_of(protocol)
            if transport is not None and _normalized(transport.getHost().host) != kept:
                transport.abortConnection()


def _transport_of(protocol):
    """Return the TCP connection under one of daphne's HTTP protocols (WebSockets upgrade on it)."""
    # Twisted's HTTPFactory wraps each HTTPChannel in a proxy that does not expose the
    # transport; the channel it wraps is its ``_channel``.
    channel = getattr(protocol, "_channel", protocol)
    return getattr(channel, "transport", None)


def _normalized(host: str) -> str:
    """Return ``host`` as an address string, an IPv4-mapped IPv6 address as its IPv4 form."""
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


class _Recorded:
    """A factory that builds its protocols with daphne's and remembers each in ``seen``."""

    def __init__(self, factory, seen: weakref.WeakSet) -> None:
        self._factory = factory
        self._seen = seen

    def buildProtocol(self, addr):  # noqa: N802 -- Twisted's name
        protocol = self._factory.buildProtocol(addr)
        if protocol is not None:
            self._seen.add(protocol)
        return protocol

    def __getattr__(self, name: str):
        # doStart, doStop, logPrefix and the rest are daphne's factory's own.
        return getattr(self._factory, name)


def _with_close_reasons(protocol: type) -> type:
    """Return daphne's WebSocket protocol, made to send the close reason the application gives.

    Daphne 4.2 drops the ``reason`` of ASGI's websocket.close (django/daphne#374), so a client
    would get 4502 or 4429 without the words that say why (docs/contract.md §5, §8). Autobahn,
    beneath it, takes a reason and cuts it to the 123 bytes a close frame carries.
    """

    class ClosingWithReason(protocol):
        def handle_reply(self, message: dict) -> None:
            if message.get("type") == "websocket.close" and self.state != self.STATE_CONNECTING:
                self.sendClose(code=message.get("code") or 1000, reason=message.get("reason") or None)
                return
            super().handle_reply(message)

    return ClosingWithReason


# Bytes autobahn keeps from the opening handshake and never reads once the socket is open.
_HANDSHAKE_ONLY = ("http_request_data", "http_response_data")


def _keeping_less(protocol: type, factory) -> type:
    """Return the WebSocket protocol ``protocol``, made to keep less for each open socket.

    Autobahn copies each of its factory's 29 options onto every connection it makes, unless the
    protocol already has it (``_connectionMade``), and keeps the raw bytes of the opening handshake:
    each idle socket's protocol held a dict of 99 entries, 3.3 KiB (docs/benchmarks.md). Here the
    class holds the factory's options, read the same way by every connection, and the handshake's
    bytes go once the socket is open: 68 entries, 1.6 KiB. The options are set on the factory once,
    before the first connection (``adopt``).
    """

    class KeepingLess(protocol):
        def onOpen(self) -> None:
            super().onOpen()
            for name in _HANDSHAKE_ONLY:
                self.__dict__.pop(name, None)

    for name in protocol.CONFIG_ATTRS:
        value = getattr(factory, name)
        # A function as a class attribute would become a method of each connection: keep it as it is.
        setattr(KeepingLess, name, staticmethod(value) if callable(value) else value)
    return KeepingLess


def _lean(server_class: type) -> type:
    """Return daphne's Server, made to keep less for each connection, and for less long.

    - A connection's input reaches its application through a t3site.inbox.Inbox, not an
      asyncio.Queue: an open socket holds it for its whole life, and the Queue was the largest
      part of what an idle socket cost.
    - A connection whose application has finished is forgotten at once. Daphne forgets it in a
      check once a second, so a server answering 2,000 requests a second held 2,000 finished
      requests (their protocol, headers, task, timers) at any moment: they outlived the cycle
      collector's young generations, and the full passes they brought on stopped the event loop
      for tens of milliseconds (docs/benchmarks.md). One that ended with an exception is left to
      daphne's check, which logs it.
    """

    class Lean(server_class):
        def create_application(self, protocol, scope):
            # daphne.server.Server.create_application (daphne 4.2), with an Inbox for the queue.
            assert "application_instance" not in self.connections[protocol]
            inputs = Inbox()
            scope.setdefault("asgi", {"version": "3.0"})
            instance = self.application(scope=scope, receive=inputs.get, send=partial(self.handle_reply, protocol))
            if protocol not in self.connections:
                return None
            task = asyncio.ensure_future(instance)
            self.connections[protocol]["application_instance"] = task
            task.add_done_callback(lambda _task: self._forget_if_finished(protocol))
            return inputs

        def kill_all_applications(self):
            # Before daphne cancels the applications and the reactor drops the connections, tell each
            # open socket why it ends: 1001 (going away), so a client sees a close, not a broken
            # connection, and a relay tells its devices the backend is stopping.
            for protocol in list(self.connections):
                # An open WebSocket (autobahn's protocol under daphne's; HTTP protocols have no close frame).
                # sendCloseFrame, not sendClose, which takes only the codes an application may choose.
                if hasattr(protocol, "sendCloseFrame") and protocol.state == protocol.STATE_OPEN:
                    protocol.sendCloseFrame(code=CLOSE_GOING_AWAY, reasonUtf8=STOPPING_REASON.encode())
            return super().kill_all_applications()

        def protocol_disconnected(self, protocol):
            if protocol not in self.connections:  # forgotten already: it had finished
                return
            super().protocol_disconnected(protocol)
            self._forget_if_finished(protocol)

        def _forget_if_finished(self, protocol) -> None:
            details = self.connections.get(protocol)
            if details is None or "disconnected" not in details:
                return
            task = details.get("application_instance")
            if task is not None and (not task.done() or (not task.cancelled() and task.exception() is not None)):
                return
            del self.connections[protocol]

    return Lean


def _set_aside_what_lives_for_ever() -> None:
    """Put what the process has built so far out of the cycle collector's reach (gc.freeze).

    Modules, Django's apps and URL patterns, compiled templates: they live as long as the
    process. Python's full collections look at every object still in reach, so with them
    in, each full pass over this process stopped the event loop for about 100 ms (every
    request in flight waited: the p99 of docs/benchmarks.md). Frozen, they are never looked
    at again, and a pass looks at what requests and sockets made since. Called once the
    server runs and again once first uses have loaded what is imported lazily; the few
    objects of a request in flight at that moment are kept for good (a one-time cost).
    """
    gc.collect()
    gc.freeze()


def run_daphne(
    listener: socket.socket,
    on_started: Callable[[], None],
    on_stopping: Callable[[], None],
    control: ListenerControl,
) -> None:
    """Serve the ASGI application on ``listener`` until SIGINT or SIGTERM.

    ``on_started`` runs once the reactor runs; ``on_stopping`` runs when it begins
    to shut down, before open connections are torn down. ``control`` adopts
    ``listener`` and lets the Connections page move it later.
    """
    # Twisted's asyncio reactor is already installed: the "daphne" app imports
    # daphne.server at django.setup(), before anything touches the reactor.
    from channels.routing import get_default_application
    from daphne.server import Server
    from django.conf import settings
    from twisted.internet import reactor

    # Daphne only takes endpoint strings and refuses to start without one, and this
    # Twisted has no string form for an inherited socket. So daphne is built with a
    # placeholder that is removed before run(), and our own socket is adopted into
    # its HTTP factory from ready_callable, which run() calls once the factory exists.

    def adopt() -> None:
        # Autobahn drops the TCP connection of a client whose message is too large
        # (failByDrop): the client sees a reset and no reason. Close with 1009 instead.
        # And it aborts a connection whose close it sent but did not hear answered within
        # closeHandshakeTimeout (1 s by default), discarding what was still unsent: a client
        # behind on reading (one closed with 4413, a phone on a slow link) lost the close frame
        # and its reason behind the frames before it. Give it CLOSE_HANDSHAKE_SECONDS to get there.
        server.ws_factory.setProtocolOptions(failByDrop=False, closeHandshakeTimeout=CLOSE_HANDSHAKE_SECONDS)
        server.ws_factory.protocol = _keeping_less(_with_close_reasons(server.ws_factory.protocol), server.ws_factory)
        control.attach(reactor, server.http_factory, listener)
        reactor.callWhenRunning(on_started)
        reactor.callWhenRunning(_set_aside_what_lives_for_ever)
        reactor.callLater(WARMED_UP_SECONDS, _set_aside_what_lives_for_ever)

    server = _lean(Server)(
        application=get_default_application(),
        endpoints=["adopted"],
        signal_handlers=True,
        verbosity=0,
        # Sockets live as long as the client keeps them: terminals and revocation
        # notices need them, and keepalive pings find dead peers.
        websocket_timeout=-1,
        websocket_max_message_size=settings.T3SITE_WEBSOCKET_MESSAGE_LIMIT_BYTES,
        websocket_max_frame_size=settings.T3SITE_WEBSOCKET_MESSAGE_LIMIT_BYTES,
        ready_callable=adopt,
    )
    server.endpoints = []
    reactor.addSystemEventTrigger("before", "shutdown", on_stopping)
    server.run()
