"""Workloads Jupyter has no counterpart for: pairing, `files.read`, revocation from the CLI, the relay."""

from __future__ import annotations

import asyncio
import time

from websockets.exceptions import ConnectionClosed

from bench import httpclient
from bench.targets import T3site
from bench.wsclient import RpcSocket

REVOKE_COMMAND_TIMEOUT_SECONDS = 120
# The contract allows 2 s; waiting longer only tells how late a close is.
CLOSE_TIMEOUT_SECONDS = 10
REVOKED = 4410


async def _pair_devices(t3site: T3site, count: int) -> tuple[list[httpclient.Answer], float]:
    """Make ``count`` client links through the API, then exchange each over 16 connections.

    Return the exchanges' answers and the seconds the exchanges alone took.
    """
    link = ("POST", "/api/auth/pairing-links", t3site.headers, {"ttl": "10m"})
    links, _ = await httpclient.send_all(t3site.port, [link] * count, httpclient.CONNECTIONS)
    exchanges = [("POST", "/api/auth/pair", {}, {"token": a.json()["token"], "mode": "bearer"}) for a in links]
    return await httpclient.send_all(t3site.port, exchanges, httpclient.CONNECTIONS)


async def pairing_rate(t3site: T3site, count: int) -> tuple[float, int]:
    """Return (successful pairing exchanges per second, failed exchanges)."""
    answers, seconds = await _pair_devices(t3site, count)
    succeeded = sum(answer.status == 200 for answer in answers)
    return succeeded / seconds, len(answers) - succeeded


async def add_project(t3site: T3site, path: str) -> str:
    rpc = await RpcSocket.open(t3site.ws_url, t3site.headers)
    try:
        return (await rpc.call("projects.add", path=path))["project"]["id"]
    finally:
        await rpc.close()


async def call_ms(rpc: RpcSocket, method: str, **params) -> float:
    """Return one request's round trip on ``rpc``, in ms."""
    started = time.perf_counter()
    await rpc.call(method, **params)
    return (time.perf_counter() - started) * 1000


async def files_read_ms(t3site: T3site, project_id: str, path: str, count: int) -> list[float]:
    """Read one file ``count`` times on one socket; return each round trip in ms."""
    rpc = await RpcSocket.open(t3site.ws_url, t3site.headers)
    try:
        return [await call_ms(rpc, "files.read", projectId=project_id, path=path) for _ in range(count)]
    finally:
        await rpc.close()


async def probe_ms_in_turns(targets: list[T3site], count: int, warm_up: int) -> list[list[float]]:
    """Time ``count`` `server.probe` round trips on one socket of each target, taking turns.

    Each socket answers ``warm_up`` untimed probes first. Then the sockets take turns, one probe
    each, and which goes first alternates, so every target meets the same moments of a busy
    machine. Return each target's samples in ms, in the order of ``targets``.
    """
    rpcs: list[RpcSocket] = []
    try:
        for target in targets:
            rpcs.append(await RpcSocket.open(target.ws_url, target.headers))
        for rpc in rpcs:
            for _ in range(warm_up):
                await rpc.call("server.probe")
        samples: list[list[float]] = [[] for _ in rpcs]
        for turn in range(count):
            order = range(len(rpcs)) if turn % 2 == 0 else reversed(range(len(rpcs)))
            for index in order:
                samples[index].append(await call_ms(rpcs[index], "server.probe"))
        return samples
    finally:
        await asyncio.gather(*(rpc.close() for rpc in rpcs))


async def _closed_at(rpc: RpcSocket) -> tuple[float, int | None] | None:
    """Wait (bounded) for the server's close frame; return when it came and its code, or None."""
    try:
        async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
            while True:
                await rpc.websocket.recv()
    except ConnectionClosed as closed:
        return time.perf_counter(), closed.rcvd.code if closed.rcvd else None
    except TimeoutError:
        return None


async def _revoke(t3site: T3site, session_id: str) -> tuple[float, float]:
    """Run `manage.py auth session revoke ID`; return when it confirmed the revocation, and when it exited.

    It prints its confirmation (unbuffered) right after the revocation is committed, and exits a
    few hundred ms later (interpreter teardown), so the confirmation is what "after the commit"
    is measured from.
    """
    command, env = t3site.manage_command("auth", "session", "revoke", session_id)
    process = await asyncio.create_subprocess_exec(
        *command, cwd=t3site.root, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        async with asyncio.timeout(REVOKE_COMMAND_TIMEOUT_SECONDS):
            line = await process.stdout.readline()
            confirmed = time.perf_counter()
            _, errors = await process.communicate()
            exited = time.perf_counter()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if process.returncode != 0 or not line.startswith(b"Revoked session"):
        raise RuntimeError(f"auth session revoke failed: {(line + errors).decode(errors='replace')}")
    return confirmed, exited


async def revocation_ms(t3site: T3site, revocations: int, sockets: int) -> tuple[list[float], list[float], int]:
    """Revoke sessions with `manage.py auth session revoke` while ``sockets`` of each are open.

    Return, for every socket closed with 4410, the ms from the command's confirmation to its close
    frame, and the same from the command's exit; and the number of sockets not closed with 4410
    within 10 s.
    """
    after_commit, after_exit, wrong = [], [], 0
    answers, _ = await _pair_devices(t3site, revocations)
    for session in (answer.json() for answer in answers):
        headers = {"Authorization": f"Bearer {session['sessionToken']}"}
        rpcs = [await RpcSocket.open(t3site.ws_url, headers) for _ in range(sockets)]
        waiting = []
        try:
            for rpc in rpcs:
                await rpc.call("server.probe")
            waiting = [asyncio.create_task(_closed_at(rpc)) for rpc in rpcs]
            confirmed, exited = await _revoke(t3site, session["sessionId"])
            for closed in await asyncio.gather(*waiting):
                if closed is None or closed[1] != REVOKED:
                    wrong += 1
                else:
                    after_commit.append((closed[0] - confirmed) * 1000)
                    after_exit.append((closed[0] - exited) * 1000)
        finally:
            for task in waiting:
                task.cancel()
            await asyncio.gather(*(rpc.close() for rpc in rpcs))
    return after_commit, after_exit, wrong
