"""The ACP agents this server can start (docs/contract.md §9).

Known agents are found on the server's PATH under the program that speaks ACP;
``T3SITE_AGENTS`` adds entries or overrides known ones:
``"mine=/opt/agent --stdio;gemini=gemini --experimental-acp"``, read by
t3site.config.parse_agents (which also stops the server or a command that starts
with a bad value, in one line). Each command line is split as a POSIX shell would
(``shlex``), so quotes work, but no shell ever runs it: the agent is started with
exactly those arguments.
"""

from __future__ import annotations

import os
import shlex
import shutil
from dataclasses import dataclass

from t3site import config

# id -> (name, command line). Each one's ACP mode, as its documentation gives it.
KNOWN_AGENTS: dict[str, tuple[str, list[str]]] = {
    "gemini": ("Gemini CLI", ["gemini", "--acp"]),
    "claude-code-acp": ("Claude Code", ["claude-code-acp"]),
    "codex-acp": ("Codex", ["codex-acp"]),
    "opencode": ("OpenCode", ["opencode", "acp"]),
    "goose": ("goose", ["goose", "acp"]),
}


@dataclass(frozen=True)
class AgentSpec:
    id: str
    name: str
    argv: tuple[str, ...]

    @property
    def path(self) -> str | None:
        """Return where the program is (a path as given, else found on PATH), or None when it is missing."""
        program = self.argv[0]
        if "/" in program:
            return program if os.path.isfile(program) and os.access(program, os.X_OK) else None
        return shutil.which(program)

    def as_dict(self) -> dict:
        """Return the agent as agents.list shows it."""
        return {"id": self.id, "name": self.name, "command": shlex.join(self.argv), "available": self.path is not None}


def configured(environ: dict[str, str] | None = None) -> list[AgentSpec]:
    """Return every agent: the known ones (a T3SITE_AGENTS entry of the same id overrides), then the added ones.

    Raise ImproperlyConfigured naming T3SITE_AGENTS when it cannot be read.
    """
    extra = config.parse_agents((os.environ if environ is None else environ).get(config.AGENTS, ""))
    agents = [
        AgentSpec(agent_id, name, tuple(extra.pop(agent_id, argv))) for agent_id, (name, argv) in KNOWN_AGENTS.items()
    ]
    agents += [AgentSpec(agent_id, agent_id, tuple(argv)) for agent_id, argv in extra.items()]
    return agents


def find(agent_id: str) -> AgentSpec | None:
    """Return the agent ``agent_id``, or None."""
    return next((spec for spec in configured() if spec.id == agent_id), None)
