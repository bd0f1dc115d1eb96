"""files.* methods: list, read and write files inside a project's folder (workspace/files.py)."""

from __future__ import annotations

import asyncio

from pairing.scopes import READ, WRITE
from workspace import files, protected
from workspace.methods.projects import domain_errors, root_for
from workspace.rpc import Call, method


@method("files.list", READ)
async def list_files(call: Call) -> dict:
    root = await root_for(call)
    path = call.param("path", str, required=False, default="")
    with domain_errors():
        return await asyncio.to_thread(files.list_folder, root, path, protected.paths())


@method("files.read", READ)
async def read(call: Call) -> dict:
    root = await root_for(call)
    path = call.param("path", str)
    offset = call.param("offset", int, required=False)
    length = call.param("length", int, required=False)
    with domain_errors():
        if offset is None and length is None:
            return await asyncio.to_thread(files.read_file, root, path, protected.paths())
        return await asyncio.to_thread(files.read_range, root, path, offset or 0, length, protected.paths())


@method("files.write", WRITE)
async def write(call: Call) -> dict:
    root = await root_for(call)
    path = call.param("path", str)
    content = call.param("content", str)
    encoding = call.param("encoding", str, required=False, default="utf-8")
    expected = call.param("expectedSha256", str, required=False)
    with domain_errors():
        data = files.decode_content(content, encoding)
        return await asyncio.to_thread(files.write_file, root, path, data, expected, protected.paths())
