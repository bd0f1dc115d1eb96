"""A local loopback port carried to the remote server's loopback port over SSH, that survives drops.

No Django imports. Each accepted local connection becomes one `direct-tcpip`
channel to 127.0.0.1:<remote port> on the remote. When the SSH transport dies
(network cut, sshd restart, remote reboot), a supervisor thread reconnects with
a capped backoff and the listener keeps its port, so URLs stay valid.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import threading
from collections.abc import Callable

import paramiko

from environments.ssh.client import CONNECT_TIMEOUT_SECONDS, Connection, SSHError

logger = logging.getLogger("t3site.ssh")

LISTEN_HOST = "127.0.0.1"
HEALTH_CHECK_SECONDS = 1.0
BACKOFF_FIRST_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 30.0
# How long a local connection waits for a dropped transport to come back before it is refused.
WAIT_FOR_LINK_SECONDS = 20.0
PUMP_CHUNK_BYTES = 64 * 1024
PUMP_POLL_SECONDS = 1.0

# Returns a fresh, authenticated connection and the remote port to forward to (which can change
# if the remote server had to be started again).
Connector = Callable[[], "tuple[Connection, int]"]


class Forward:
    """Listen on 127.0.0.1:``local_port`` and carry each connection to the remote server."""

    def __init__(self, connector: Connector, local_port: int = 0, name: str = "") -> None:
        self.name = name
        self._connector = connector
        self._wanted_port = local_port
        self._listener: socket.socket | None = None
        self._connection: Connection | None = None
        self.remote_port = 0
        self._linked = threading.Condition()
        self._closed = threading.Event()
        self.reconnects = 0

    @property
    def local_port(self) -> int:
        return self._listener.getsockname()[1] if self._listener else self._wanted_port

    @property
    def url(self) -> str:
        return f"http://{LISTEN_HOST}:{self.local_port}"

    @property
    def connected(self) -> bool:
        connection = self._connection
        return connection is not None and connection.active

    def start(self, first: tuple[Connection, int] | None = None) -> int:
        """Bind the local port, link to the remote (reusing ``first`` if given) and return the port.

        Raises OSError when the port is taken, SSHError when the first link fails.
        """
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((LISTEN_HOST, self._wanted_port))
            listener.listen(64)
            self._set_link(*(first or self._connector()))
        except BaseException:
            listener.close()
            raise
        self._listener = listener
        threading.Thread(target=self._accept_loop, name=f"ssh-forward-accept {self.name}", daemon=True).start()
        threading.Thread(target=self._supervise, name=f"ssh-forward-link {self.name}", daemon=True).start()
        return self.local_port

    def close(self, keep_link: bool = False) -> None:
        """Stop listening and close every forwarded connection, and the SSH link unless ``keep_link``."""
        self._closed.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
        with self._linked:
            connection, self._connection = self._connection, None
            self._linked.notify_all()
        if connection is not None and not keep_link:
            connection.close()

    def wait_connected(self, timeout: float) -> bool:
        with self._linked:
            return self._linked.wait_for(lambda: self.connected or self._closed.is_set(), timeout=timeout) and (
                self.connected
            )

    def _set_link(self, connection: Connection, remote_port: int) -> None:
        with self._linked:
            self._connection, self.remote_port = connection, remote_port
            self._linked.notify_all()

    def _supervise(self) -> None:
        delay = BACKOFF_FIRST_SECONDS
        while not self._closed.is_set():
            if self.connected:
                delay = BACKOFF_FIRST_SECONDS
                self._closed.wait(HEALTH_CHECK_SECONDS)
                continue
            try:
                link = self._connector()
            except (SSHError, OSError, paramiko.SSHException) as exc:
                logger.warning("SSH forward %s: reconnect failed (%s); next try in %.1f s", self.name, exc, delay)
                self._closed.wait(delay)
                delay = min(delay * 2, BACKOFF_MAX_SECONDS)
                continue
            if self._closed.is_set():
                link[0].close()
                return
            old = self._connection
            self._set_link(*link)
            self.reconnects += 1
            if old is not None:
                old.close()
            logger.info("SSH forward %s: link re-established (remote port %s)", self.name, self.remote_port)

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                client, peer = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._carry, args=(client, peer), daemon=True).start()

    def _open_channel(self, peer) -> paramiko.Channel | None:
        if not self.wait_connected(WAIT_FOR_LINK_SECONDS):
            return None
        connection = self._connection
        try:
            return connection.transport.open_channel(
                "direct-tcpip", ("127.0.0.1", self.remote_port), peer, timeout=CONNECT_TIMEOUT_SECONDS
            )
        except (paramiko.SSHException, OSError, AttributeError) as exc:
            # A transport that cannot open a channel is dead even if it has not noticed:
            # close it so the supervisor reconnects.
            logger.warning("SSH forward %s: cannot open a channel (%s)", self.name, exc)
            if connection is not None:
                connection.close()
            return None

    def _carry(self, client: socket.socket, peer) -> None:
        channel = self._open_channel(peer)
        if channel is None:
            client.close()
            return
        try:
            while not self._closed.is_set():
                readable, _, _ = select.select([client, channel], [], [], PUMP_POLL_SECONDS)
                if client in readable:
                    data = client.recv(PUMP_CHUNK_BYTES)
                    if not data:
                        break
                    channel.sendall(data)
                if channel in readable:
                    data = channel.recv(PUMP_CHUNK_BYTES)
                    if not data:
                        break
                    client.sendall(data)
                if channel.closed:
                    break
        except (OSError, paramiko.SSHException):
            pass
        finally:
            # Closing a channel whose SSH link already died raises EOFError; it is closed either way.
            with contextlib.suppress(EOFError, OSError, paramiko.SSHException):
                channel.close()
            client.close()
