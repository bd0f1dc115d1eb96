"""server.* methods: liveness and what this server is."""

from __future__ import annotations

from endpoints.descriptor import describe
from pairing.scopes import READ
from t3site import clock
from workspace.rpc import Call, method


@method("server.probe", READ)
async def probe(call: Call) -> dict:
    return {"ok": True, "time": clock.iso(clock.now())}


@method("server.info", READ)
async def info(call: Call) -> dict:
    return {**describe(), "session": call.session.as_dict(current_id=call.session.id)}
