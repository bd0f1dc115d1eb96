"""A fake `tailscale` on PATH (the real CLI cannot run here), driven through its state file.

tests/support/fake_tailscale answers as the real CLI documents; this is the test's side of
it: install it in a folder, read and change its state, and run it as a person would at a
shell to hold a port (a Text or Path handler, another proxy, a foreground session).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.browser import wait_for

FAKE_CLI = Path(__file__).resolve().parent / "fake_tailscale"
DNS_NAME = "box.tail1234.ts.net"
TAILNET_IP = "100.101.102.103"


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
        """Return where "/" of ``https_port`` is proxied to in the background config, if anywhere."""
        web = (self.state.get("serve") or {}).get("Web", {}).get(f"{DNS_NAME}:{https_port}")
        return ((web or {}).get("Handlers", {}).get("/") or {}).get("Proxy")

    def env(self) -> dict[str, str]:
        return {"PATH": f"{self.bin_dir}{os.pathsep}{os.environ['PATH']}", "FAKE_TAILSCALE_STATE": str(self.state_path)}

    def shell(self, *args: str) -> subprocess.CompletedProcess:
        """Run `tailscale ARGS` as a person at a shell would (e.g. `serve --bg --https=443 text:hi`)."""
        return subprocess.run(
            [sys.executable, str(FAKE_CLI), *args],
            env={**os.environ, **self.env()},
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )

    @contextmanager
    def foreground(self, *serve_args: str) -> Iterator[subprocess.Popen]:
        """Run `tailscale serve ARGS` (no --bg) in the foreground while the block runs, then Ctrl+C it."""
        process = subprocess.Popen(
            [sys.executable, str(FAKE_CLI), "serve", *serve_args],
            env={**os.environ, **self.env()},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(lambda: (self.state.get("serve") or {}).get("Foreground"), message="the foreground session")
            yield process
        finally:
            process.terminate()
            process.wait(timeout=10)


def install(folder: Path) -> FakeTailscale:
    """Put the fake `tailscale` in ``folder``/fake-bin, connected to a tailnet, serving nothing."""
    bin_dir = folder / "fake-bin"
    bin_dir.mkdir()
    (bin_dir / "tailscale").symlink_to(FAKE_CLI)
    fake = FakeTailscale(folder / "tailscale-state.json", bin_dir)
    fake.state_path.write_text(
        json.dumps({"backendState": "Running", "dnsName": DNS_NAME + ".", "ips": [TAILNET_IP], "serve": {}})
    )
    return fake
