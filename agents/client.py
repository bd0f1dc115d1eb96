"""t3site's side of ACP for one session: the requests an agent sends to its client.

- ``fs/read_text_file``, ``fs/write_text_file``: confined to the project exactly
  like files.* (agents.files); each write is added to the record as a diff.
- ``terminal/*``: real t3site terminals (agents.terminals), listed with the others.
- ``session/request_permission``: asked of every attached device (LiveSession.ask_permission).
- ``session/update``: already recorded raw by the session's stream observer; the
  SDK's parsed copy, handed here afterwards, has nothing left to do.

Errors reach the agent as JSON-RPC errors with a message saying why.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

from agents import files
from agents.sdk import acp
from agents.terminals import AgentTerminals, UnknownTerminal
from t3site.ids import new_id
from workspace import protected
from workspace.files import TooLarge
from workspace.paths import PathMissing, PathRefused

if TYPE_CHECKING:
    from acp.schema import (
        CreateTerminalResponse,
        KillTerminalResponse,
        ReadTextFileResponse,
        ReleaseTerminalResponse,
        RequestPermissionResponse,
        TerminalOutputResponse,
        WaitForTerminalExitResponse,
        WriteTextFileResponse,
    )

RESOURCE_NOT_FOUND = -32002
INVALID_PARAMS = -32602


def dump(model: Any) -> Any:
    """Return an SDK model as the JSON the wire carries."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def _refused(exc: Exception, path: str) -> acp.RequestError:
    code = RESOURCE_NOT_FOUND if isinstance(exc, PathMissing) else INVALID_PARAMS
    return acp.RequestError(code, str(exc), {"path": path})


class Session(Protocol):
    """What the client asks of its session (agents.session.LiveSession)."""

    root: str
    terminals: AgentTerminals

    async def ask_permission(self, tool_call: dict, options: list[dict]) -> str | None: ...

    def add_update(self, update: dict) -> None: ...


class T3siteClient:
    def __init__(self, session: Session) -> None:
        self.session = session

    async def session_update(self, session_id: str, update: Any, **kwargs: Any) -> None:
        """Nothing to do: LiveSession recorded and relayed this update, as it arrived, before the SDK parsed it."""

    async def request_permission(
        self, session_id: str, tool_call: Any, options: list[Any], **kwargs: Any
    ) -> RequestPermissionResponse:
        option_id = await self.session.ask_permission(dump(tool_call), [dump(option) for option in options])
        if option_id is None:
            return acp.schema.RequestPermissionResponse(outcome=acp.schema.DeniedOutcome(outcome="cancelled"))
        chosen = acp.schema.AllowedOutcome(option_id=option_id, outcome="selected")
        return acp.schema.RequestPermissionResponse(outcome=chosen)

    async def read_text_file(
        self, session_id: str, path: str, line: int | None = None, limit: int | None = None, **kwargs: Any
    ) -> ReadTextFileResponse:
        try:
            text = await asyncio.to_thread(files.read_text, self.session.root, path, line, limit, protected.paths())
        except (PathRefused, PathMissing, TooLarge) as exc:
            raise _refused(exc, path) from None
        return acp.schema.ReadTextFileResponse(content=text)

    async def write_text_file(self, session_id: str, path: str, content: str, **kwargs: Any) -> WriteTextFileResponse:
        root = self.session.root
        try:
            shown, old_text = await asyncio.to_thread(files.write_text, root, path, content, protected.paths())
        except (PathRefused, PathMissing, TooLarge) as exc:
            raise _refused(exc, path) from None
        absolute = os.path.join(root, shown)
        self.session.add_update(files.write_record(absolute, shown, old_text, content, f"t3site-write-{new_id()}"))
        return acp.schema.WriteTextFileResponse()

    async def create_terminal(
        self,
        session_id: str,
        command: str,
        args: list[str] | None = None,
        env: list[Any] | None = None,
        cwd: str | None = None,
        output_byte_limit: int | None = None,
        **kwargs: Any,
    ) -> CreateTerminalResponse:
        variables = {variable.name: variable.value for variable in env or []}
        try:
            terminal_id = self.session.terminals.create(command, args or [], variables, cwd, output_byte_limit)
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise acp.RequestError(INVALID_PARAMS, f"cannot run {command!r}: {reason}") from None
        return acp.schema.CreateTerminalResponse(terminal_id=terminal_id)

    async def terminal_output(self, session_id: str, terminal_id: str, **kwargs: Any) -> TerminalOutputResponse:
        with _known(terminal_id):
            return acp.schema.TerminalOutputResponse.model_validate(self.session.terminals.output(terminal_id))

    async def wait_for_terminal_exit(
        self, session_id: str, terminal_id: str, **kwargs: Any
    ) -> WaitForTerminalExitResponse:
        with _known(terminal_id):
            exited = await self.session.terminals.wait_for_exit(terminal_id)
        return acp.schema.WaitForTerminalExitResponse.model_validate(exited)

    async def kill_terminal(self, session_id: str, terminal_id: str, **kwargs: Any) -> KillTerminalResponse:
        with _known(terminal_id):
            await self.session.terminals.kill(terminal_id)
        return acp.schema.KillTerminalResponse()

    async def release_terminal(self, session_id: str, terminal_id: str, **kwargs: Any) -> ReleaseTerminalResponse:
        with _known(terminal_id):
            await self.session.terminals.release(terminal_id)
        return acp.schema.ReleaseTerminalResponse()


@contextmanager
def _known(terminal_id: str) -> Iterator[None]:
    """Turn an unknown terminal id into the error the agent reads."""
    try:
        yield
    except UnknownTerminal as exc:
        raise acp.RequestError(RESOURCE_NOT_FOUND, str(exc), {"terminalId": terminal_id}) from None
