"""The relay over SSH (docs/contract.md §8): a phone paired only with this server uses a machine only it reaches.

`environments ssh` launches t3site on the "remote" (this machine behind the suite's real sshd,
its server on the remote's loopback), `serve` keeps the forward open, and the phone's relayed
socket is carried through it.
"""

from __future__ import annotations

import json
import time

from websockets.sync.client import connect

from tests.support.e2e import pair_bearer, rpc
from tests.support.http import request
from tests.support.server import start_server
from tests.support.ssh_environments import FORWARD_OPENS_WITHIN_SECONDS, answers, launch
from tests.support.waiting import eventually


def test_a_phone_paired_only_here_runs_a_program_on_an_ssh_environment_through_the_relay(
    sshd, remote, client_env, tmp_path
):
    home = tmp_path / "local"
    environment = launch(sshd, home, remote, client_env)
    server = start_server(home, env=client_env(home))
    try:
        assert eventually(lambda: answers(environment), FORWARD_OPENS_WITHIN_SECONDS), server.output
        phone = {"Authorization": f"Bearer {pair_bearer(server, label='phone')['sessionToken']}"}
        [listed] = request("GET", f"{server.base_url}/api/environments", headers=phone).json["environments"]
        assert listed["kind"] == "ssh" and listed["relay"] == f"/via/{environment['environmentId']}/ws"

        with connect(server.base_url.replace("http://", "ws://", 1) + listed["relay"], additional_headers=phone) as ws:
            assert rpc(ws, "server.info")["result"]["environmentId"] == environment["environmentId"]
            command = ["sh", "-c", "echo remote-$((6*7)); sleep 30"]
            opened = rpc(ws, "terminal.open", {"cols": 80, "rows": 24, "command": command}, request_id=2)
            terminal_id = opened["result"]["terminalId"]
            seen, deadline = "", time.monotonic() + 10
            while "remote-42" not in seen:
                frame = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
                if frame.get("method") == "terminal.output":
                    seen += frame["params"]["data"]
            rpc(ws, "terminal.close", {"terminalId": terminal_id}, request_id=3)
    finally:
        assert server.stop() == 0, server.output
