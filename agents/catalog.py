"""The ACP agents this server can start (docs/contract.md §9). No Django imports.

Known agents are found on the server's PATH under the program that speaks ACP;
``T3SITE_AGENTS`` adds entries or overrides known ones:
``"mine=/opt/agent --stdio;gemini=gemini --experimental-acp"``. Each command
line is split as a POSIX shell would (``shlex``), so quotes work, but no shell
ever runs it: the agent is started with exactly those arguments.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from dataclasses import dataclass

AGENTS_ENV = "T3SITE_AGENTS"
# id -> (name, command line). Each one's ACP mode, as its documentation gives it.
KNOWN_AGENTS: dict[str, tuple[str, list[str]]] = {
    "gemini": ("Gemini CLI", ["gemini", "--acp"]),
    "claude-code-acp": ("Claude Code", ["claude-code-acp"]),
    "codex-acp": ("Codex", ["codex-acp"]),
    "opencode": ("OpenCode", ["opencode", "acp"]),
    "goose": ("goose", ["goose", "acp"]),
}
# An id is a name in URLs and lists, never a path or an option.
_AGENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class BadAgentsSetting(ValueError):
    """T3SITE_AGENTS has an entry that cannot be read; the message names it."""


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


def parse_setting(value: str) -> dict[str, list[str]]:
    """Return the ``id -> argv`` entries of a T3SITE_AGENTS value; raise BadAgentsSetting naming a bad one.

    Split as a shell splits a line of commands: a ``;`` inside quotes belongs to
    the command (``sh -c 'a; b'``), one outside them ends the entry.
    """
    lexer = shlex.shlex(value, posix=True, punctuation_chars=";")
    lexer.whitespace_split = True
    lexer.commenters = ""  # a '#' is part of a word, as in shlex.split
    try:
        tokens = list(lexer)
    except ValueError as exc:  # an unclosed quote
        raise BadAgentsSetting(f"{AGENTS_ENV}: cannot split {value!r}: {exc}") from None
    entries: dict[str, list[str]] = {}
    words: list[str] = []
    for token in [*tokens, ";"]:
        if token.strip(";"):
            words.append(token)
            continue
        if words:
            agent_id, equals, program = words[0].partition("=")
            if not equals or not _AGENT_ID.match(agent_id):
                raise BadAgentsSetting(f"{AGENTS_ENV}: {shlex.join(words)!r} is not id=command line")
            argv = [program, *words[1:]] if program else words[1:]
            if not argv:
                raise BadAgentsSetting(f"{AGENTS_ENV}: {agent_id!r} has no command")
            entries[agent_id] = argv
        words = []
    return entries


def configured(environ: dict[str, str] | None = None) -> list[AgentSpec]:
    """Return every agent: the known ones (a T3SITE_AGENTS entry of the same id overrides), then the added ones."""
    extra = parse_setting((os.environ if environ is None else environ).get(AGENTS_ENV, ""))
    agents = [
        AgentSpec(agent_id, name, tuple(extra.pop(agent_id, argv))) for agent_id, (name, argv) in KNOWN_AGENTS.items()
    ]
    agents += [AgentSpec(agent_id, agent_id, tuple(argv)) for agent_id, argv in extra.items()]
    return agents


def find(agent_id: str) -> AgentSpec | None:
    """Return the agent ``agent_id``, or None."""
    return next((spec for spec in configured() if spec.id == agent_id), None)
