"""Terminal workloads: the same shell and the same keystrokes through three paths.

Each path runs `bash --norc --noprofile` (no rc file, so nothing differs between servers) on a
120x40 PTY: on this machine, read by this process through its event loop (the limit); in a Jupyter
terminal (terminado's JSON messages); in a t3site terminal (JSON-RPC). The workloads only write
text and read output, so one function measures all three.
"""

from __future__ import annotations

import asyncio
import codecs
import fcntl
import json
import os
import struct
import subprocess
import sys
import termios
import time
from typing import Protocol

from websockets.asyncio.client import ClientConnection

from bench import httpclient
from bench.wsclient import RpcSocket, open_socket

SHELL = ["bash", "--norc", "--noprofile"]
COLS, ROWS = 120, 40
STEP_TIMEOUT_SECONDS = 15
CAT_TIMEOUT_SECONDS = 120
READ_SIZE_BYTES = 65536
# The prompt is set to '> ' first, so between keystrokes the shell prints only the echo, a backspace
# (BS, then a space or ESC [ K) and bracketed-paste switches (ESC [ ? 2004 h/l): none of these letters.
KEYS = "qwxzjkvuoy"
# A marker printed by printf as 'A_B': the command line the terminal echoes says 'A B', so only
# the command's output matches.
READY = "BENCH_READY"
DONE = "BENCH_DONE"
# Make stdin the controlling terminal of a new session, then become the shell (no preexec_fn:
# running Python between fork and exec is unsafe in a process with threads).
TAKE_TERMINAL = (
    "import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); os.execvp(sys.argv[1], sys.argv[1:])"
)


class Channel(Protocol):
    async def write(self, text: str) -> None: ...

    async def read(self) -> str:
        """Return the next piece of output; EOFError when the terminal has ended."""


def marker_command(marker: str) -> str:
    first, second = marker.split("_")
    return f"printf '%s_%s\\n' {first} {second}"


async def read_until(channel: Channel, marker: str, seconds: float = STEP_TIMEOUT_SECONDS) -> None:
    tail = ""
    async with asyncio.timeout(seconds):
        while True:
            data = await channel.read()
            if marker in data or marker in tail + data[: len(marker)]:
                return
            tail = (tail + data)[-len(marker) :]


async def ready(channel: Channel) -> None:
    """Wait until the shell runs commands, and give it a prompt of known characters."""
    await channel.write(f"PS1='> '; {marker_command(READY)}\r")
    await read_until(channel, READY)


async def cat_rate(channel: Channel, path: str, size_bytes: int) -> float:
    """Return MB/s (10^6 bytes) of `cat PATH` typed into the shell, from the Enter to the last byte."""
    await ready(channel)
    started = time.perf_counter()
    await channel.write(f"cat {path}; {marker_command(DONE)}\r")
    await read_until(channel, DONE, CAT_TIMEOUT_SECONDS)
    return size_bytes / 1e6 / (time.perf_counter() - started)


async def echo_ms(channel: Channel, count: int) -> list[float]:
    """Type ``count`` keys one at a time; return each key's round trip to its echo, in ms."""
    await ready(channel)
    samples = []
    for index in range(count):
        key = KEYS[index % len(KEYS)]
        started = time.perf_counter()
        await channel.write(key)
        await read_until(channel, key)
        samples.append((time.perf_counter() - started) * 1000)
        await channel.write("\x7f")  # erase it (the shell answers with a backspace), so the line stays short
        await read_until(channel, "\b")
    return samples


def raw_cat_rate(path: str, size_bytes: int) -> float:
    """Return MB/s of `cat PATH` into a PTY read by a tight loop: what the machine's PTY layer gives."""
    master, slave = os.openpty()
    started = time.perf_counter()
    process = subprocess.Popen(["cat", path], stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    try:
        received = 0
        deadline = started + CAT_TIMEOUT_SECONDS
        # Every read returns at least one byte, so the count bounds the loop as the deadline does.
        for _ in range(2 * size_bytes):
            try:
                data = os.read(master, READ_SIZE_BYTES)
            except OSError:  # EIO: every writer of the PTY has gone
                break
            if not data or time.perf_counter() > deadline:
                break
            received += len(data)
        seconds = time.perf_counter() - started
    finally:
        process.kill()
        process.wait()
        os.close(master)
    if received < size_bytes:
        raise RuntimeError(f"raw PTY: {received} of {size_bytes} bytes")
    return size_bytes / 1e6 / seconds


class PtyChannel:
    """The shell on a PTY of this machine, read by this process's event loop like a socket."""

    def __init__(self, process: subprocess.Popen, master: int) -> None:
        self.process = process
        self.master = master
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")

    @classmethod
    def start(cls, env: dict[str, str]) -> PtyChannel:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        command = [sys.executable, "-c", TAKE_TERMINAL, *SHELL]
        process = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, start_new_session=True, env=env)
        os.close(slave)
        os.set_blocking(master, False)
        return cls(process, master)

    async def write(self, text: str) -> None:
        os.write(self.master, text.encode())

    async def read(self) -> str:
        loop = asyncio.get_running_loop()
        while True:
            try:
                data = os.read(self.master, READ_SIZE_BYTES)
            except BlockingIOError:
                readable = loop.create_future()
                loop.add_reader(self.master, readable.set_result, None)
                try:
                    await readable
                finally:
                    loop.remove_reader(self.master)
                continue
            except OSError:
                raise EOFError from None
            if not data:
                raise EOFError
            return self.decoder.decode(data)

    async def close(self) -> None:
        self.process.kill()
        self.process.wait()
        os.close(self.master)


class T3siteChannel:
    """A t3site terminal: `terminal.write` requests in, `terminal.output` notifications out."""

    def __init__(self, rpc: RpcSocket, terminal_id: str) -> None:
        self.rpc = rpc
        self.terminal_id = terminal_id

    @classmethod
    async def open(cls, ws_url: str, headers: dict[str, str]) -> T3siteChannel:
        rpc = await RpcSocket.open(ws_url, headers)
        opened = await rpc.call("terminal.open", command=SHELL, cols=COLS, rows=ROWS)
        return cls(rpc, opened["terminalId"])

    async def write(self, text: str) -> None:
        await self.rpc.send("terminal.write", terminalId=self.terminal_id, data=text)

    async def read(self) -> str:
        while True:
            frame = await self.rpc.notification()
            params = frame.get("params", {})
            if params.get("terminalId") != self.terminal_id:
                continue
            if frame["method"] == "terminal.output":
                return params["data"]
            if frame["method"] == "terminal.exit":
                raise EOFError

    async def close(self) -> None:
        await self.rpc.call("terminal.close", terminalId=self.terminal_id)
        await self.rpc.close()


class JupyterChannel:
    """A Jupyter terminal: `POST /api/terminals`, then terminado's ["stdin", ...] / ["stdout", ...] messages."""

    def __init__(self, port: int, headers: dict[str, str], name: str, websocket: ClientConnection) -> None:
        self.port = port
        self.headers = headers
        self.name = name
        self.websocket = websocket

    @classmethod
    async def open(cls, port: int, headers: dict[str, str]) -> JupyterChannel:
        name = (await httpclient.request(port, "POST", "/api/terminals", headers)).json()["name"]
        websocket = await open_socket(f"ws://{httpclient.HOST}:{port}/terminals/websocket/{name}", headers)
        await websocket.send(json.dumps(["set_size", ROWS, COLS]))
        return cls(port, headers, name, websocket)

    async def write(self, text: str) -> None:
        await self.websocket.send(json.dumps(["stdin", text]))

    async def read(self) -> str:
        while True:
            kind, *content = json.loads(await self.websocket.recv())
            if kind == "stdout":
                return content[0]
            if kind == "disconnect":
                raise EOFError

    async def close(self) -> None:
        await self.websocket.close()
        await httpclient.request(self.port, "DELETE", f"/api/terminals/{self.name}", self.headers)
