"""filesystem.* methods: the remote folder picker a device uses to choose a project folder.

Both need the ``terminal`` scope: they reach folders outside every project, and
``read`` and ``write`` reach only inside projects (docs/contract.md §5).
"""

from __future__ import annotations

import asyncio

from channels.db import database_sync_to_async

from pairing.scopes import TERMINAL
from workspace import browse, protected
from workspace.methods.projects import domain_errors
from workspace.models import Project
from workspace.rpc import Call, method


def _project_paths() -> set[str]:
    return set(Project.objects.values_list("path", flat=True))


@method("filesystem.browse", TERMINAL)
async def browse_folder(call: Call) -> dict:
    path = call.param("path", str, required=False)
    show_hidden = call.param("showHidden", bool, required=False, default=False)
    project_paths = await database_sync_to_async(_project_paths)()
    with domain_errors():
        return await asyncio.to_thread(
            browse.browse, path, project_paths, show_hidden=show_hidden, protected=protected.paths()
        )


@method("filesystem.createDirectory", TERMINAL)
async def create_directory(call: Call) -> dict:
    path = call.param("path", str)
    with domain_errors():
        return {"path": await asyncio.to_thread(browse.create_directory, path, protected.paths())}
