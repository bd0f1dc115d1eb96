"""A fake `tailscale` on PATH (the real one cannot run here), driven through a state file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.tailscale import FakeTailscale, install


@pytest.fixture
def fake_tailscale(tmp_path, monkeypatch) -> FakeTailscale:
    from endpoints import tailscale, verification

    fake = install(tmp_path)
    for name, value in fake.env().items():
        monkeypatch.setenv(name, value)
    tailscale.forget_cache()
    verification.forget_cache()
    yield fake
    tailscale.forget_cache()
    verification.forget_cache()


@pytest.fixture
def no_tailscale(tmp_path, monkeypatch):
    """A PATH with no `tailscale` on it, whatever this machine has installed."""
    from endpoints import tailscale

    kept = [d for d in os.environ["PATH"].split(os.pathsep) if not (Path(d) / "tailscale").exists()]
    monkeypatch.setenv("PATH", os.pathsep.join(kept))
    tailscale.forget_cache()
