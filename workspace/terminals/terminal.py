"""One running terminal on the event loop: its program, its output to sockets, its input and size.

Output: the PTY master is read with ``loop.add_reader`` into a pending buffer,
and one pump task per terminal turns that buffer into ``terminal.output``
frames in each attached socket's outbox. Output that does not follow a burst
(a keystroke's echo, a prompt) goes out at once; after a frame of at least
``OUTPUT_BURST_BYTES`` within ``OUTPUT_COALESCE_SECONDS``, more is likely to
follow, and the pump waits ``OUTPUT_COALESCE_SECONDS`` after the first byte
so a burst of small reads (``cat`` of a big file) becomes a few large frames,
and flushes at once at ``OUTPUT_FRAME_LIMIT_BYTES``. A small read that finds
the pump idle, with nothing pending, no burst just before and every socket
keeping up, is framed where it is read instead (a keystroke's echo, without a
turn of the loop to wake the pump). Either way output is queued in the order
it was read, and ``terminal.exit`` comes after the last output.

Back-pressure, so a fast program and a slow reader cannot grow the server:
before each frame the pump waits for every attached socket to have less than
``SOCKET_PAUSE_CHARS`` unsent (see workspace.outbox); meanwhile the pending
buffer fills, and past ``PENDING_LIMIT_BYTES`` the PTY is no longer read, so the
program blocks in its write, as it would on a slow real terminal. A socket that
sends nothing for ``SOCKET_STALL_SECONDS`` while behind, or whose backlog passes
``SOCKET_BACKLOG_LIMIT_CHARS``, is detached with ``terminal.detached`` and its
queued output dropped: it may attach again and get the scrollback.

The terminal ends when its program has exited and the PTY has reached EOF (or
``EXIT_DRAIN_SECONDS`` after the exit, when a background job still holds the PTY).
"""

from __future__ import annotations

import asyncio
import codecs
import logging
import os
import signal
import subprocess
import threading
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import Protocol

from t3site import clock
from workspace.outbox import Outbox
from workspace.terminals import process
from workspace.terminals.scrollback import Scrollback

logger = logging.getLogger("t3site.terminals")

READ_SIZE_BYTES = 64 * 1024
OUTPUT_COALESCE_SECONDS = 0.005
OUTPUT_FRAME_LIMIT_BYTES = 64 * 1024
# A frame this large means a program is streaming output: what follows it is coalesced. An echo or
# a prompt is smaller, and goes out at once even when typed fast.
OUTPUT_BURST_BYTES = 1024
# Output read from the PTY and not yet framed; past this the PTY is not read until it drains.
PENDING_LIMIT_BYTES = 1024 * 1024
# A socket this far behind paces the program; one that sends nothing this long while behind is dropped.
SOCKET_PAUSE_CHARS = 1024 * 1024
SOCKET_STALL_SECONDS = 5.0
# Unsent output a socket may hold (several terminals can feed one socket) before it is dropped.
SOCKET_BACKLOG_LIMIT_CHARS = 8 * 1024 * 1024
TOO_FAR_BEHIND = "too far behind"
# Input the program has not read yet; past this, writes are refused rather than buffered without end.
INPUT_BACKLOG_LIMIT_BYTES = 4 * 1024 * 1024
EXIT_DRAIN_SECONDS = 0.5
# Between SIGHUP and SIGKILL when a terminal is closed.
CLOSE_GRACE_SECONDS = 1.0
# After SIGKILL the PTY reaches EOF at once; this only bounds a wait that should not happen.
KILL_WAIT_SECONDS = 5.0


class Socket(Protocol):
    outbox: Outbox


class TerminalExited(Exception):
    """The terminal's program has exited: it takes no more input or resizes."""


class InputBacklogFull(Exception):
    """The program is not reading its input fast enough to take more."""


class Terminal:
    """A program on a PTY, and the sockets that watch it."""

    def __init__(
        self,
        terminal_id: str,
        argv: list[str],
        cwd: Path,
        cols: int,
        rows: int,
        project_id: str | None,
        on_exit: Callable[[Terminal], Awaitable[None]],
    ) -> None:
        self.id = terminal_id
        self.argv = argv
        self.cwd = cwd
        self.cols = cols
        self.rows = rows
        self.project_id = project_id
        self.created_at: datetime = clock.now()
        self.exited = False
        self.exit_code: int | None = None
        self.scrollback = Scrollback()
        self.loop = asyncio.get_running_loop()
        self._on_exit = on_exit
        self._sockets: set[Socket] = set()
        self._pending = bytearray()
        self._input = bytearray()
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._wake = asyncio.Event()
        self._finished = asyncio.Event()
        self._eof = False
        self._drain_over = False
        self._returncode: int | None = None
        self._process: subprocess.Popen | None = None
        self._master = -1
        self._pump_task: asyncio.Task | None = None
        # When the pump last framed a burst (loop time); output that follows no burst is not coalesced.
        self._last_burst = float("-inf")
        self._reading = False
        self._closing = False
        # The pump waits for output with nothing pending: a small read can be framed where it is read.
        self._pump_idle = False
        # What went wrong framing output outside the pump; the pump ends the terminal with it.
        self._failure: Exception | None = None

    @property
    def pid(self) -> int:
        return self._process.pid

    def start(self) -> None:
        """Start the program on a new PTY and begin relaying its output. Raise OSError if it cannot start."""
        self._process, self._master = process.spawn(self.id, self.argv, self.cwd, self.cols, self.rows)
        self.loop.add_reader(self._master, self._on_readable)
        self._reading = True
        self._pump_task = self.loop.create_task(self._pump())
        # A thread blocked in waitpid: the exit is seen at once, without polling, on any platform.
        threading.Thread(target=self._wait_for_exit, name=f"terminal-{self.id}", daemon=True).start()

    def as_dict(self) -> dict:
        return {
            "terminalId": self.id,
            "projectId": self.project_id,
            "cwd": str(self.cwd),
            "command": self.argv,
            "cols": self.cols,
            "rows": self.rows,
            "createdAt": clock.iso(self.created_at),
            "exited": self.exited,
            "exitCode": self.exit_code,
        }

    def attach(self, socket: Socket) -> dict:
        """Send this terminal's live output to ``socket`` from now on; return the output so far.

        No await between reading the scrollback and joining the sockets: the
        socket gets every byte once, either in the scrollback or live.
        """
        if not self.exited:
            self._sockets.add(socket)
        # Output still queued for this socket is in the scrollback: sent again, it would show twice.
        socket.outbox.drop(self.id)
        return {
            "terminalId": self.id,
            "scrollback": self.scrollback.text(),
            "exited": self.exited,
            "exitCode": self.exit_code,
        }

    def detach(self, socket: Socket) -> None:
        self._sockets.discard(socket)

    def write(self, data: bytes) -> None:
        """Queue ``data`` as keyboard input for the program."""
        if self.exited:
            raise TerminalExited(self.id)
        if len(self._input) + len(data) > INPUT_BACKLOG_LIMIT_BYTES:
            raise InputBacklogFull(self.id)
        self._input += data
        self._write_input()

    def resize(self, cols: int, rows: int) -> None:
        """Set the window size; the program sees SIGWINCH."""
        if self.exited:
            raise TerminalExited(self.id)
        process.set_size(self._master, cols, rows)
        self.cols, self.rows = cols, rows

    async def close(self) -> int | None:
        """Stop every process of the terminal and wait for its exit; return the exit code.

        SIGHUP first, as closing a terminal window does; SIGKILL after
        ``CLOSE_GRACE_SECONDS`` for whatever ignored it, background jobs included.
        """
        if self.exited:
            return self.exit_code
        # The last output is queued without waiting for slow readers: nobody waits for a closed terminal.
        self._closing = True
        self._wake.set()
        hung_up = await asyncio.to_thread(process.hang_up, self.pid, self.id)
        if await self._finished_within(CLOSE_GRACE_SECONDS):
            return self.exit_code
        survivors = await asyncio.to_thread(process.session_processes, self.pid, self.id)
        process.send_signal(hung_up + survivors, signal.SIGKILL)
        if not await self._finished_within(KILL_WAIT_SECONDS):
            # The output never ended (a PTY held open, a stuck pump): end the terminal here all the same.
            logger.warning("terminal %s did not finish after SIGKILL; releasing it", self.id)
            watchers = set(self._sockets)
            self.release(self._returncode if self._returncode is not None else self.wait_for_program(0))
            self._finished.set()
            self._announce_exit(watchers)
            with suppress(Exception):
                await self._on_exit(self)
        return self.exit_code

    async def _finished_within(self, seconds: float) -> bool:
        with suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._finished.wait()), seconds)
        return self._finished.is_set()

    def release(self, exit_code: int | None) -> None:
        """Give up the PTY and stop relaying at once (the server is stopping; no notifications)."""
        self._stop_io()
        if self._pump_task is not None:
            self._pump_task.cancel()
        self.exited, self.exit_code = True, exit_code
        self._sockets.clear()

    def wait_for_program(self, timeout_seconds: float) -> int | None:
        """Block until the program exits, up to ``timeout_seconds``; return its exit code or None."""
        try:
            return process.exit_code(self._process.wait(timeout=timeout_seconds))
        except subprocess.TimeoutExpired:
            return None

    # Input and output, on the event loop.

    def _on_readable(self) -> None:
        try:
            data = os.read(self._master, READ_SIZE_BYTES)
        except BlockingIOError:
            return
        except OSError:  # EIO: every holder of the PTY's slave side has closed it
            data = b""
        if (
            data
            and len(data) < OUTPUT_BURST_BYTES
            and self._pump_idle
            and not self._wake.is_set()
            and self._can_emit_now()
        ):
            # An echo or a prompt after a quiet spell: sent from here, without a turn of the loop to wake the pump.
            try:
                self._emit(self._decoder.decode(data))
            except Exception as exc:  # ended by the pump, as a failure of its own would be
                self._failure = exc
                self._wake.set()
            return
        if data:
            self._pending += data
            if len(self._pending) >= PENDING_LIMIT_BYTES:
                # Nobody is taking output as fast as it comes: let the program block on its PTY.
                self.loop.remove_reader(self._master)
                self._reading = False
        else:
            self.loop.remove_reader(self._master)
            self._eof = True
        self._wake.set()

    def _write_input(self) -> None:
        try:
            written = os.write(self._master, self._input)
        except BlockingIOError:
            written = 0
        except OSError:  # the PTY is gone: the input has nowhere to go
            written = len(self._input)
        del self._input[:written]
        if self._input:
            self.loop.add_writer(self._master, self._write_input)
        else:
            self.loop.remove_writer(self._master)

    def _stop_io(self) -> None:
        if self._master < 0:
            return
        if not self.loop.is_closed():
            self.loop.remove_reader(self._master)
            self.loop.remove_writer(self._master)
        os.close(self._master)
        self._master = -1
        self._reading = False

    def _resume_reading(self) -> None:
        if not self._reading and not self._eof and self._master >= 0 and len(self._pending) < PENDING_LIMIT_BYTES:
            self.loop.add_reader(self._master, self._on_readable)
            self._reading = True

    def _wait_for_exit(self) -> None:
        returncode = self._process.wait()
        # The loop is gone when the server stopped first; then nobody is waiting for this exit.
        with suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self._on_program_exit, returncode)

    def _on_program_exit(self, returncode: int) -> None:
        self._returncode = process.exit_code(returncode)
        if not self._eof:
            self.loop.call_later(EXIT_DRAIN_SECONDS, self._end_drain)
        self._wake.set()

    def _end_drain(self) -> None:
        if not self._reading and not self._eof and self._master >= 0:
            # Reading is paused for slow readers: the drain time counts only while the PTY is read.
            self.loop.call_later(EXIT_DRAIN_SECONDS, self._end_drain)
            return
        self._drain_over = True
        self._wake.set()

    def _output_done(self) -> bool:
        return self._returncode is not None and (self._eof or self._drain_over)

    async def _pump(self) -> None:
        try:
            while not self._output_done():
                self._pump_idle = not self._pending
                try:
                    await self._wake.wait()
                finally:
                    self._pump_idle = False
                self._wake.clear()
                if self._failure is not None:
                    raise self._failure
                if self._is_streaming() and len(self._pending) < OUTPUT_FRAME_LIMIT_BYTES and not self._output_done():
                    await asyncio.sleep(OUTPUT_COALESCE_SECONDS)
                burst = len(self._pending) >= OUTPUT_BURST_BYTES
                await self._flush()
                if burst:
                    self._last_burst = self.loop.time()
            await self._flush()
            self._emit(self._decoder.decode(b"", final=True))
            self._stop_io()
            self.exited, self.exit_code = True, self._returncode
            watchers, self._sockets = self._sockets, set()
            # Recorded first, so a client that sees the exit finds it in the database too.
            await self._on_exit(self)
            self._announce_exit(watchers)
        except Exception:
            logger.exception("terminal %s stopped relaying output", self.id)
            self.exited, self.exit_code = True, self._returncode
            self._sockets.clear()
        finally:
            # However the pump ends, the PTY master goes with it: the program sees a hang-up, not a stuck PTY.
            self._stop_io()
            self._finished.set()

    def _can_emit_now(self) -> bool:
        """Return whether output may go out at once: no burst just before, nobody to wait for."""
        if self._closing or self._is_streaming():
            return False
        return all(socket.outbox.backlog_chars < SOCKET_PAUSE_CHARS for socket in self._sockets)

    def _is_streaming(self) -> bool:
        """Return whether a burst went out within the coalescing time (more is likely to follow at once)."""
        return self.loop.time() - self._last_burst < OUTPUT_COALESCE_SECONDS

    async def _flush(self) -> None:
        while self._pending:
            await self._pace()
            chunk = bytes(self._pending[:OUTPUT_FRAME_LIMIT_BYTES])
            del self._pending[:OUTPUT_FRAME_LIMIT_BYTES]
            self._resume_reading()
            self._emit(self._decoder.decode(chunk))

    async def _pace(self) -> None:
        """Wait until every attached socket has taken most of what it was sent; drop those that stopped."""
        for socket in list(self._sockets):
            if self._closing:
                return
            if not await socket.outbox.drained(SOCKET_PAUSE_CHARS, SOCKET_STALL_SECONDS):
                self._drop_behind(socket)

    def _emit(self, text: str) -> None:
        if not text:
            return
        # The scrollback and the set of receivers change together, with no await between (see attach).
        self.scrollback.append(text)
        for socket in list(self._sockets):
            socket.outbox.notify("terminal.output", {"terminalId": self.id, "data": text}, tag=self.id)
            if socket.outbox.backlog_chars > SOCKET_BACKLOG_LIMIT_CHARS:
                self._drop_behind(socket)

    def _drop_behind(self, socket: Socket) -> None:
        if socket not in self._sockets:
            return
        self._sockets.discard(socket)
        socket.outbox.drop(self.id)
        socket.outbox.notify("terminal.detached", {"terminalId": self.id, "reason": TOO_FAR_BEHIND})

    def _announce_exit(self, watchers: set[Socket]) -> None:
        for socket in watchers:
            socket.outbox.notify("terminal.exit", {"terminalId": self.id, "exitCode": self.exit_code})
