"""Fixtures of the agent tests: the scripted agents configured, and a project for them to work in."""

from __future__ import annotations

import pytest

from tests.agents.support import agents_setting


@pytest.fixture
def scripted_agents(monkeypatch, tmp_path):
    """Configure T3SITE_AGENTS with every scripted scenario; return the folder where ``chat`` keeps sessions."""
    store = tmp_path / "agent-store"
    store.mkdir()
    monkeypatch.setenv("T3SITE_AGENTS", agents_setting(store))
    return store


@pytest.fixture
def project(db, tmp_path):
    from workspace.models import Project

    folder = tmp_path / "app"
    folder.mkdir()
    (folder / "notes.txt").write_text("old text\n")
    return Project.objects.add(str(folder))
