"""git.* methods: a project's branch, changes, history and diff (workspace/gitinfo.py)."""

from __future__ import annotations

from pairing.scopes import READ
from workspace import gitinfo, protected
from workspace.methods.projects import domain_errors, root_for
from workspace.paths import confine
from workspace.rpc import INVALID_PARAMS, Call, RpcError, method


@method("git.status", READ)
async def status(call: Call) -> dict:
    root = await root_for(call)
    with domain_errors():
        return await gitinfo.status(root, protected.paths())


@method("git.log", READ)
async def log(call: Call) -> dict:
    root = await root_for(call)
    limit = call.param("limit", int, required=False, default=gitinfo.LOG_DEFAULT_LIMIT)
    if not 1 <= limit <= gitinfo.LOG_MAX_LIMIT:
        raise RpcError(INVALID_PARAMS, f"limit must be between 1 and {gitinfo.LOG_MAX_LIMIT}")
    with domain_errors():
        return {"commits": await gitinfo.log(root, limit, protected.paths())}


@method("git.diff", READ)
async def diff(call: Call) -> dict:
    root = await root_for(call)
    path = call.param("path", str, required=False)
    staged = call.param("staged", bool, required=False, default=False)
    with domain_errors():
        places = protected.paths()
        shown = confine(root, path, places)[0] if path else None
        return await gitinfo.diff(root, shown, staged=staged, protected=places)
