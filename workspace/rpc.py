"""The JSON-RPC 2.0 method registry of /ws (docs/contract.md §5).

A method is an async function ``handler(call) -> result`` registered with the
scope it needs. The consumer owns framing; this module owns what a method is,
the error codes, and the scope check, so every method is checked the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
INSUFFICIENT_SCOPE = -32001
NOT_FOUND = -32004
CONFLICT = -32009
TOO_LARGE = -32010


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: Any = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def as_dict(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


@dataclass(frozen=True)
class Request:
    """One well-formed JSON-RPC 2.0 request object."""

    id: str | int | None
    method: str
    params: Any
    is_notification: bool


def parse_request(payload: Any) -> Request:
    """Return the request ``payload`` (a decoded frame) holds; raise RpcError if it is not one.

    The structure is checked here (-32600); params that are not an object are
    -32602, answered with the request's id (or not at all, for a notification).
    """
    if not isinstance(payload, dict) or payload.get("jsonrpc") != "2.0" or not isinstance(payload.get("method"), str):
        raise RpcError(INVALID_REQUEST, "expected a JSON-RPC 2.0 request object")
    request_id = payload.get("id")
    if request_id is not None and (not isinstance(request_id, (str, int)) or isinstance(request_id, bool)):
        raise RpcError(INVALID_REQUEST, "id must be a string or a number")
    params = payload.get("params", {})
    return Request(request_id, payload["method"], params, "id" not in payload)


class Socket(Protocol):
    """The socket a request came in on, as its handler may use it beyond answering."""

    def on_disconnect(self, callback: Callable[[Any], None]) -> None:
        """Call ``callback(socket)`` once when the socket goes; the same callback registered twice runs once."""


@dataclass
class Call:
    """One request as a handler sees it."""

    session: Any
    params: dict[str, Any]
    notify: Callable[[str, dict], Awaitable[None]]
    connection: Socket

    def param(self, name: str, kind: type | tuple[type, ...], *, required: bool = True, default: Any = None) -> Any:
        """Return a parameter, checked for presence and type (-32602 otherwise)."""
        if name not in self.params or self.params[name] is None:
            if required:
                raise RpcError(INVALID_PARAMS, f"missing parameter {name!r}")
            return default
        value = self.params[name]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise RpcError(INVALID_PARAMS, f"parameter {name!r} must be {expected}")
        if isinstance(value, str) and not _is_unicode(value):
            # JSON lets a client escape a lone surrogate (\ud800); no database, file or program
            # can take one, so it is the client's mistake here, not a crash further in.
            raise RpcError(INVALID_PARAMS, f"parameter {name!r} must be valid Unicode text (it holds a lone surrogate)")
        return value


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class Method:
    name: str
    scope: str
    handler: Callable[[Call], Awaitable[Any]]


_METHODS: dict[str, Method] = {}


def method(name: str, scope: str) -> Callable:
    """Register an async handler as JSON-RPC method ``name``, needing ``scope``."""

    def register(handler: Callable[[Call], Awaitable[Any]]) -> Callable[[Call], Awaitable[Any]]:
        if name in _METHODS:
            raise RuntimeError(f"JSON-RPC method {name} is registered twice")
        _METHODS[name] = Method(name, scope, handler)
        return handler

    return register


def lookup(name: str) -> Method:
    try:
        return _METHODS[name]
    except KeyError:
        raise RpcError(METHOD_NOT_FOUND, f"no method {name!r}") from None


async def dispatch(name: str, call: Call) -> Any:
    """Run method ``name`` for ``call`` after checking its params are an object and the session's scope."""
    if not isinstance(call.params, dict):
        raise RpcError(INVALID_PARAMS, "params must be an object")
    target = lookup(name)
    if not call.session.has_scope(target.scope):
        raise RpcError(INSUFFICIENT_SCOPE, f"{name} needs the {target.scope!r} scope", {"scope": target.scope})
    return await target.handler(call)


def capabilities() -> list[str]:
    """Return the method namespaces this server offers (``server``, ``projects``, ...)."""
    return sorted({name.split(".", 1)[0] for name in _METHODS})
