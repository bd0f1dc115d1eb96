"""projects.* methods: the folders paired devices work in.

Adding and removing a project needs the ``terminal`` scope (docs/contract.md §5):
a project is what every ``read`` and ``write`` device reaches, so choosing one
reaches beyond them, and removing one hangs up its terminals. Renaming one changes
nothing anyone reaches: ``write``.

Also the two things every project-scoped namespace (files, git) shares: finding
the project a call names, and turning domain errors into JSON-RPC errors.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from channels.db import database_sync_to_async

from pairing.scopes import READ, TERMINAL, WRITE
from workspace import protected
from workspace.files import Conflict, TooLarge
from workspace.gitinfo import GitError, NotARepository
from workspace.models import Project
from workspace.models.project import DuplicateProject, InvalidTitle, TerminalsRunning
from workspace.paths import PathExists, PathMissing, PathRefused, root_refusal
from workspace.rpc import CONFLICT, INTERNAL_ERROR, INVALID_PARAMS, NOT_FOUND, TOO_LARGE, Call, RpcError, method


@contextmanager
def domain_errors() -> Iterator[None]:
    """Raise the JSON-RPC error that matches a domain error raised inside the block."""
    try:
        yield
    except DuplicateProject as exc:
        raise RpcError(CONFLICT, str(exc), {"projectId": exc.project.id}) from None
    except TerminalsRunning as exc:
        raise RpcError(CONFLICT, str(exc), {"terminals": exc.count}) from None
    except Conflict as exc:
        raise RpcError(CONFLICT, str(exc), {"actualSha256": exc.actual_sha256}) from None
    except PathExists as exc:
        raise RpcError(CONFLICT, str(exc)) from None
    except TooLarge as exc:
        raise RpcError(TOO_LARGE, str(exc), {"size": exc.size, "limit": exc.limit}) from None
    except (PathMissing, NotARepository) as exc:
        raise RpcError(NOT_FOUND, str(exc)) from None
    except (PathRefused, InvalidTitle) as exc:
        raise RpcError(INVALID_PARAMS, str(exc)) from None
    except GitError as exc:
        raise RpcError(INTERNAL_ERROR, f"git failed: {exc}") from None


async def project_for(call: Call, name: str = "projectId") -> Project:
    """Return the project whose id is the call's parameter ``name``, or raise NOT_FOUND."""
    project_id = call.param(name, str)
    project = await database_sync_to_async(Project.objects.filter(pk=project_id).first)()
    if project is None:
        raise RpcError(NOT_FOUND, f"no project {project_id!r}")
    return project


async def root_for(call: Call) -> str:
    """Return the folder of the call's project, or raise NOT_FOUND if it is gone from disk.

    A project that could not be added today (made before its folder's place joined
    workspace.protected, or by hand) is refused as a whole, not trusted for what it reaches.
    """
    project = await project_for(call)
    if not os.path.isdir(project.path):
        raise RpcError(NOT_FOUND, f"the folder of project {project.title!r} is missing: {project.path}")
    refusal = root_refusal(os.path.realpath(project.path), protected.paths())
    if refusal is not None:
        raise RpcError(INVALID_PARAMS, f"project {project.title!r} can no longer be used: {refusal}")
    return project.path


@method("projects.list", READ)
async def list_projects(call: Call) -> dict:
    return {"projects": await database_sync_to_async(Project.objects.listing)()}


@method("projects.add", TERMINAL)
async def add(call: Call) -> dict:
    path = call.param("path", str)
    title = call.param("title", str, required=False)
    with domain_errors():
        project = await database_sync_to_async(Project.objects.add)(path, title)
    return {"project": project.as_dict()}


@method("projects.rename", WRITE)
async def rename(call: Call) -> dict:
    project = await project_for(call, "id")
    title = call.param("title", str)
    with domain_errors():
        await database_sync_to_async(project.rename)(title)
    return {"project": project.as_dict()}


@method("projects.remove", TERMINAL)
async def remove(call: Call) -> dict:
    project = await project_for(call, "id")
    force = call.param("force", bool, required=False, default=False)
    with domain_errors():
        closed = await database_sync_to_async(project.remove)(force=force)
    return {"removed": True, "closedTerminals": closed}
