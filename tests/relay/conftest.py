"""Fixtures for the relay: a real backend (`manage.py serve`) with a project, saved here with its credential."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from environments import backend_pairing
from environments.hosts import ws_base_url

# Fixtures shared with environments' tests: a refused port, the suite's real sshd and a remote t3site folder.
from tests.environments.conftest import remote, sshd, unused_port  # noqa: F401
from tests.support.e2e import pair_bearer
from tests.support.http import request
from tests.support.server import RunningServer, manage, start_server
from tests.support.ssh_environments import client_env_for


@pytest.fixture
def client_env(sshd, tmp_path):  # noqa: F811 (the sshd fixture imported above)
    """Make a function returning the environment of a local command that reaches the suite's sshd."""
    return client_env_for(sshd, tmp_path)


@dataclass
class Backend:
    """A real server the relay carries sockets to, and an owner session on it to look and revoke with."""

    server: RunningServer
    owner_token: str
    project_id: str

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def api(self, method: str, path: str, body=None):
        return request(method, self.base_url + path, body, headers={"Authorization": f"Bearer {self.owner_token}"})

    def new_credential(self, label: str = "relay test") -> backend_pairing.Pairing:
        """Pair as `environments add` does, with a client link (read, write, terminal) made on the backend."""
        link = self.api("POST", "/api/auth/pairing-links", {"label": label}).json
        return backend_pairing.pair(self.base_url, link["token"], device_label=label)


@pytest.fixture(scope="module")
def backend(tmp_path_factory) -> Backend:
    """One backend per module: tests that need it gone or changed start their own."""
    root = tmp_path_factory.mktemp("backend")
    project = root / "backend-project"
    project.mkdir()
    (project / "README.md").write_text("on the backend\n")
    server = start_server(root / "home")
    try:
        added = manage(server.home, "project", "add", str(project), "--title", "Backend project")
        assert added.returncode == 0, added.stderr
        project_id = added.stdout.split()[2].rstrip(":")  # "Added project ID: TITLE (PATH)"
        yield Backend(server, pair_bearer(server, label="backend owner")["sessionToken"], project_id)
    finally:
        server.stop()


@dataclass
class Saved:
    """A backend saved on this server: its row, and the session this server holds there."""

    environment: object
    credential: backend_pairing.Pairing

    @property
    def path(self) -> str:
        return f"/via/{self.environment.environment_id}/ws"


@pytest.fixture
def relayed(backend, settings, tmp_path) -> Saved:
    """The backend saved on this (in-process) server with a fresh credential, as `environments add` leaves it."""
    from environments.models import Environment

    settings.T3SITE_HOME = tmp_path
    paired = backend.new_credential()
    environment, _ = Environment.objects.save_paired(
        environment_id=paired.environment_id,
        label="Backend",
        http_base_url=backend.base_url,
        ws_base_url=ws_base_url(backend.base_url),
        session_token=paired.session_token,
        session_id=paired.session_id,
    )
    return Saved(environment, paired)


@pytest.fixture
def browser_only() -> str:
    """An environment a browser saved on this server without a credential: nothing this server can relay."""
    from environments.models import Environment

    Environment.objects.save_paired(
        environment_id="browser-only", http_base_url="http://127.0.0.1:9", ws_base_url="ws://127.0.0.1:9"
    )
    return "browser-only"


@pytest.fixture
def gone(settings, tmp_path, unused_port) -> str:  # noqa: F811 (the unused_port fixture imported above)
    """An environment saved with a credential, whose backend no longer answers (a refused port)."""
    from environments.models import Environment

    settings.T3SITE_HOME = tmp_path
    Environment.objects.save_paired(
        environment_id="gone",
        http_base_url=f"http://127.0.0.1:{unused_port}",
        ws_base_url=f"ws://127.0.0.1:{unused_port}",
        session_token="t3s_" + "a" * 43,
    )
    return "gone"
