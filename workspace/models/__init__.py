"""Workspace models: projects on this machine, and the terminals running in them."""

from workspace.models.project import Project
from workspace.models.terminal import TerminalRecord

__all__ = ["Project", "TerminalRecord"]
