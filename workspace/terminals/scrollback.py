"""The recent output of a terminal, replayed to a socket that attaches. No Django imports.

Output is kept as decoded text, so trimming the oldest part can never split a
UTF-8 sequence; the replay starts at a line boundary where one is near, so it
does not begin in the middle of a line or an escape sequence.
"""

from __future__ import annotations

from collections import deque

SCROLLBACK_LIMIT_CHARS = 256 * 1024
# How far into the kept text to look for a newline to start the replay at.
LINE_START_SEARCH_CHARS = 4 * 1024


class Scrollback:
    """The last ``limit_chars`` characters of output, at most."""

    def __init__(self, limit_chars: int = SCROLLBACK_LIMIT_CHARS) -> None:
        self.limit_chars = limit_chars
        self._chunks: deque[str] = deque()
        self._size_chars = 0

    def __len__(self) -> int:
        return self._size_chars

    def append(self, text: str) -> None:
        """Keep ``text`` and forget the oldest output beyond the limit."""
        if not text:
            return
        self._chunks.append(text)
        self._size_chars += len(text)
        excess = self._size_chars - self.limit_chars
        if excess <= 0:
            return
        while excess >= len(self._chunks[0]):
            excess -= len(self._chunks[0])
            self._size_chars -= len(self._chunks.popleft())
        head = self._chunks[0]
        newline = head.find("\n", excess, excess + LINE_START_SEARCH_CHARS)
        cut = newline + 1 if newline != -1 else excess
        self._chunks[0] = head[cut:]
        self._size_chars -= cut
        if not self._chunks[0]:
            self._chunks.popleft()

    def text(self) -> str:
        """Return the kept output, oldest first."""
        return "".join(self._chunks)
