"""What each open socket's WebSocket protocol keeps (server.listener._keeping_less), on autobahn's own classes."""

from __future__ import annotations

from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol

from server.listener import _HANDSHAKE_ONLY, _keeping_less


def accept_nothing(offers):
    return None


def made(protocol_class, factory):
    protocol = protocol_class()
    protocol.factory = factory
    protocol._connectionMade()  # where autobahn copies the factory's options onto a connection
    return protocol


def test_a_connection_reads_the_factorys_options_without_a_copy_of_its_own():
    factory = WebSocketServerFactory()
    factory.setProtocolOptions(failByDrop=False, closeHandshakeTimeout=5, perMessageCompressionAccept=accept_nothing)
    stock = made(WebSocketServerProtocol, factory)
    lean = made(_keeping_less(WebSocketServerProtocol, factory), factory)

    for name in WebSocketServerProtocol.CONFIG_ATTRS:
        assert getattr(lean, name) == getattr(stock, name), name
        assert name in vars(stock) and name not in vars(lean)
    # A function option stays the function, not a method of the connection.
    assert lean.perMessageCompressionAccept is accept_nothing
    assert len(vars(lean)) <= len(vars(stock)) - len(WebSocketServerProtocol.CONFIG_ATTRS)


def test_the_handshakes_bytes_go_once_the_socket_is_open():
    class Opening(WebSocketServerProtocol):
        def onOpen(self) -> None:
            self.opened = True

    factory = WebSocketServerFactory()
    protocol = made(_keeping_less(Opening, factory), factory)
    protocol.http_request_data = b"GET /ws HTTP/1.1\r\n..."
    protocol.http_response_data = b"HTTP/1.1 101 Switching Protocols\r\n..."

    protocol.onOpen()

    assert protocol.opened and not any(name in vars(protocol) for name in _HANDSHAKE_ONLY)
