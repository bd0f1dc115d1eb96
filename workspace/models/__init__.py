"""Workspace models: projects on this machine, and the terminals running in them.

A terminal's record lives with the terminals (workspace.terminals.record), which the models import,
never the other way round.
"""

from workspace.models.project import Project
from workspace.terminals.record import TerminalRecord

__all__ = ["Project", "TerminalRecord"]
