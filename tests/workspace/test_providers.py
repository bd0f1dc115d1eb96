"""providers.list over /ws: agent CLIs found on the server's PATH, with their versions.

The CLIs here are the tests' own small programs on a temporary PATH, not fakes
of installed tools: what is tested is finding and asking them.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from django.db import connection

from pairing.models import DeviceSession
from tests.support.sockets import bearer, call, communicator
from workspace import providers

pytestmark = pytest.mark.django_db(transaction=True)


def run(scenario) -> None:
    try:
        asyncio.run(scenario())
    finally:
        connection.close()


def install(folder, name: str, script: str) -> str:
    """Put an executable ``name`` running the shell ``script`` into ``folder``; return its path."""
    program = folder / name
    program.write_text(f"#!/bin/sh\n{script}\n")
    program.chmod(0o755)
    return str(program)


async def list_providers(token: str) -> list[dict] | dict:
    comm = communicator(headers=bearer(token))
    connected, _ = await comm.connect()
    assert connected
    frame = await call(comm, "providers.list")
    await comm.disconnect()
    return frame["result"]["providers"] if "result" in frame else frame["error"]


@pytest.fixture
def bin_folder(tmp_path, monkeypatch):
    """An empty PATH of the tests' own: only the programs a test installs are found."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    monkeypatch.delenv(providers.PROVIDERS_ENV, raising=False)
    return folder


def test_it_lists_the_known_providers_as_unavailable_when_none_is_installed(client_device, bin_folder):
    async def scenario():
        listed = await list_providers(client_device.token)
        assert [(p["id"], p["available"], p["path"], p["version"]) for p in listed] == [
            ("codex", False, None, None),
            ("claude", False, None, None),
            ("gemini", False, None, None),
            ("opencode", False, None, None),
        ]

    run(scenario)


def test_it_finds_a_provider_on_the_path_and_reports_its_version(client_device, bin_folder):
    path = install(bin_folder, "claude", 'test "$1" = --version && echo "2.0.14 (Claude Code)"')

    async def scenario():
        claude = {p["id"]: p for p in await list_providers(client_device.token)}["claude"]
        assert claude == {
            "id": "claude",
            "name": "Claude Code",
            "command": "claude",
            "available": True,
            "path": path,
            "version": "2.0.14",
        }

    run(scenario)


def test_it_adds_the_providers_named_in_the_environment(client_device, bin_folder, monkeypatch):
    install(bin_folder, "aider", "echo 'aider 0.86.1'")
    monkeypatch.setenv(providers.PROVIDERS_ENV, "aider, claude,../evil, goose")

    async def scenario():
        listed = {p["id"]: p for p in await list_providers(client_device.token)}
        assert list(listed) == ["codex", "claude", "gemini", "opencode", "aider", "goose"]
        assert (listed["aider"]["name"], listed["aider"]["available"], listed["aider"]["version"]) == (
            "aider",
            True,
            "0.86.1",
        )
        assert listed["goose"]["available"] is False

    run(scenario)


def test_it_reports_no_version_for_a_cli_that_fails_to_give_one(client_device, bin_folder):
    install(bin_folder, "codex", "echo 'error: unknown option 9.9.9' >&2; exit 2")

    async def scenario():
        codex = {p["id"]: p for p in await list_providers(client_device.token)}["codex"]
        assert (codex["available"], codex["version"]) == (True, None)

    run(scenario)


def test_it_gives_up_on_a_version_that_does_not_come(client_device, bin_folder, monkeypatch):
    install(bin_folder, "gemini", "exec /bin/sleep 30")
    monkeypatch.setattr(providers, "VERSION_TIMEOUT_SECONDS", 0.3)

    async def scenario():
        started = time.monotonic()
        gemini = {p["id"]: p for p in await list_providers(client_device.token)}["gemini"]
        assert (gemini["available"], gemini["version"]) == (True, None)
        assert time.monotonic() - started < 3

    run(scenario)


def test_it_refuses_the_list_to_a_session_without_the_read_scope(db, bin_folder):
    _, token = DeviceSession.objects.issue(role="client", scopes=["terminal"], label="terminal only")

    async def scenario():
        error = await list_providers(token)
        assert error["code"] == -32001

    run(scenario)


@pytest.mark.parametrize(
    ("output", "version"),
    [
        ("codex-cli 0.46.0\n", "0.46.0"),
        ("2.0.14 (Claude Code)\n", "2.0.14"),
        ("v1.2.3-beta.1\n", "1.2.3-beta.1"),
        ("opencode dev build\nmore\n", "opencode dev build"),
        ("", None),
    ],
)
def test_it_reads_the_version_number_from_what_a_cli_prints(output, version):
    assert providers.parse_version(output) == version
