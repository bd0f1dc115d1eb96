"""providers.* methods: the agent CLIs this server can run in a terminal."""

from __future__ import annotations

from pairing.scopes import READ
from workspace import providers
from workspace.rpc import Call, method


@method("providers.list", READ)
async def list_providers(call: Call) -> dict:
    return {"providers": await providers.list_providers()}
