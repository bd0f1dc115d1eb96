"""A fake `tailscale` on PATH (the real one cannot run here), driven through a state file."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

FAKE_CLI = Path(__file__).resolve().parents[1] / "support" / "fake_tailscale"
DNS_NAME = "box.tail1234.ts.net"


@dataclass
class FakeTailscale:
    state_path: Path
    bin_dir: Path

    @property
    def state(self) -> dict:
        return json.loads(self.state_path.read_text())

    def set(self, **fields) -> None:
        self.state_path.write_text(json.dumps({**self.state, **fields}))

    def front(self, https_port: int, target: str) -> None:
        """Make ``https_port`` front ``target``, as another program's `tailscale serve` would."""
        self.set(
            serve={
                "TCP": {str(https_port): {"HTTPS": True}},
                "Web": {f"{DNS_NAME}:{https_port}": {"Handlers": {"/": {"Proxy": target}}}},
            }
        )

    def target(self, https_port: int = 443) -> str | None:
        web = (self.state.get("serve") or {}).get("Web", {}).get(f"{DNS_NAME}:{https_port}")
        return web["Handlers"]["/"]["Proxy"] if web else None

    def env(self) -> dict[str, str]:
        return {"PATH": f"{self.bin_dir}{os.pathsep}{os.environ['PATH']}", "FAKE_TAILSCALE_STATE": str(self.state_path)}


@pytest.fixture
def fake_tailscale(tmp_path, monkeypatch) -> FakeTailscale:
    from endpoints import tailscale, verification

    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    (bin_dir / "tailscale").symlink_to(FAKE_CLI)
    fake = FakeTailscale(tmp_path / "tailscale-state.json", bin_dir)
    fake.state_path.write_text(
        json.dumps({"backendState": "Running", "dnsName": DNS_NAME + ".", "ips": ["100.101.102.103"], "serve": {}})
    )
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
