"""The /ws socket: authenticate the handshake, then frame JSON-RPC 2.0.

Each request runs in its own task (bounded per socket) so a slow git call never
holds up terminal keystrokes on the same socket.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from pairing import live
from pairing.wsauth import CLOSE_SESSION_ENDED, authenticate_socket
from workspace import project_changes, rpc

logger = logging.getLogger("t3site.ws")

MAX_CONCURRENT_CALLS = 16
# A socket that keeps working keeps its session alive; written at most this often.
TOUCH_INTERVAL_SECONDS = 60


def _frame(payload: dict) -> str:
    return json.dumps({"jsonrpc": "2.0", **payload}, separators=(",", ":"))


class WorkspaceConsumer(AsyncWebsocketConsumer):
    session = None

    async def connect(self) -> None:
        result = await database_sync_to_async(authenticate_socket)(self.scope)
        # Accept first: a close frame with our 44xx code is only deliverable on an open socket.
        await self.accept()
        if result.session is None:
            await self.close(code=result.close_code, reason=result.reason)
            return
        self.session = result.session
        self._calls: set[asyncio.Task] = set()
        self._slots = asyncio.Semaphore(MAX_CONCURRENT_CALLS)
        self._last_touch = time.monotonic()
        self.extra: dict = {}
        await self.channel_layer.group_add(live.group_for(self.session.id), self.channel_name)
        live.registry.add(self.session.id, self.channel_name)
        await project_changes.watcher.join(self.channel_layer, self.channel_name)

    async def disconnect(self, code: int) -> None:
        if self.session is None:
            return
        live.registry.discard(self.session.id, self.channel_name)
        await project_changes.watcher.leave(self.channel_layer, self.channel_name)
        await self.channel_layer.group_discard(live.group_for(self.session.id), self.channel_name)
        for task in list(self._calls):
            task.cancel()
        # Methods that tie this socket to longer-lived things (terminals) undo that here.
        for cleanup in self.extra.pop("on_disconnect", ()):
            cleanup()
        self.session = None

    async def session_ended(self, event: dict) -> None:
        """The session was revoked or expired: 4410 tells the client to re-pair, not retry."""
        if self.session is not None:
            await self.close(code=CLOSE_SESSION_ENDED, reason="session revoked or expired")

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.session is None:
            return
        if text_data is None:
            await self.send(_frame({"id": None, "error": {"code": rpc.INVALID_REQUEST, "message": "send text frames"}}))
            return
        try:
            request = json.loads(text_data)
        except ValueError:
            await self.send(_frame({"id": None, "error": {"code": rpc.PARSE_ERROR, "message": "parse error"}}))
            return
        task = asyncio.get_running_loop().create_task(self._answer(request))
        self._calls.add(task)
        task.add_done_callback(self._calls.discard)

    async def _answer(self, request) -> None:
        request_id = request.get("id") if isinstance(request, dict) else None
        async with self._slots:
            try:
                result = await self._run(request)
            except rpc.RpcError as exc:
                reply = {"id": request_id, "error": exc.as_dict()}
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("JSON-RPC method failed")
                reply = {"id": request_id, "error": {"code": rpc.INTERNAL_ERROR, "message": "internal error"}}
            else:
                reply = {"id": request_id, "result": result}
        # A JSON-RPC notification (a request without an id) gets no answer, not even an error.
        if not (isinstance(request, dict) and "id" not in request):
            await self.send(_frame(reply))

    async def _run(self, request):
        if (
            not isinstance(request, dict)
            or request.get("jsonrpc") != "2.0"
            or not isinstance(request.get("method"), str)
        ):
            raise rpc.RpcError(rpc.INVALID_REQUEST, "expected a JSON-RPC 2.0 request object")
        if "id" in request and not isinstance(request["id"], (str, int)) and request["id"] is not None:
            raise rpc.RpcError(rpc.INVALID_REQUEST, "id must be a string or a number")
        params = request.get("params", {})
        if not isinstance(params, dict):
            raise rpc.RpcError(rpc.INVALID_PARAMS, "params must be an object")
        await self._keep_session_alive()
        call = rpc.Call(session=self.session, params=params, notify=self.notify, connection=self, extra=self.extra)
        return await rpc.dispatch(request["method"], call)

    async def _keep_session_alive(self) -> None:
        if time.monotonic() - self._last_touch >= TOUCH_INTERVAL_SECONDS:
            self._last_touch = time.monotonic()
            await database_sync_to_async(self.session.touch)()

    async def notify(self, method: str, params: dict) -> None:
        """Send a server notification to this socket."""
        await self.send(_frame({"method": method, "params": params}))

    async def rpc_notification(self, event: dict) -> None:
        """Relay a notification sent to this socket through the channel layer."""
        await self.notify(event["method"], event["params"])
