"""The agent's fs/read_text_file and fs/write_text_file, confined to its project like files.*. No Django imports.

ACP gives absolute paths. One outside the project folder is refused before
anything is opened; one inside goes through workspace.files, which resolves
every symlink, keeps out the protected places and ``.git``, caps the size and
writes atomically: the agent reaches exactly what a ``write`` device reaches.
"""

from __future__ import annotations

import os
from collections.abc import Collection

from workspace import files
from workspace.paths import PathMissing, PathRefused, confine, is_inside

# A write is shown in the record as a diff of the whole old and new text, up to this much of both.
DIFF_RECORD_LIMIT_CHARS = 512 * 1024


def relative(root: str, path: str) -> str:
    """Return ``path`` (absolute, or relative to the project) relative to ``root``; refuse one outside it."""
    if not os.path.isabs(path):
        return path
    real_root = os.path.realpath(root)
    # Lexically first (a clear message for /etc/passwd); confine() then follows the symlinks.
    for base in (os.path.normpath(root), real_root):
        candidate = os.path.normpath(path)
        if is_inside(base, candidate):
            return os.path.relpath(candidate, base)
    raise PathRefused(f"{path} is outside the project folder {root}; the agent can only reach files inside it")


def read_text(root: str, path: str, line: int | None, limit: int | None, protected: Collection[str] = ()) -> str:
    """Return the text of ``path``, from 1-based ``line`` for ``limit`` lines when given."""
    found = files.read_file(root, relative(root, path), protected)
    if found["binary"]:
        raise PathRefused(f"{path} is not a UTF-8 text file")
    text = found["content"]
    if line is None and limit is None:
        return text
    lines = text.splitlines(keepends=True)
    start = max(0, (line or 1) - 1)
    end = None if limit is None else start + max(0, limit)
    return "".join(lines[start:end])


def write_text(root: str, path: str, content: str, protected: Collection[str] = ()) -> tuple[str, str | None]:
    """Write ``content`` to ``path``, making missing folders inside the project; return its shown path and old text.

    The old text is None for a new file or one that was not UTF-8 text.
    """
    shown = relative(root, path)
    try:
        old = files.read_file(root, shown, protected)
        old_text = None if old["binary"] else old["content"]
    except PathMissing:
        old_text = None
    data = content.encode("utf-8")
    try:
        written = files.write_file(root, shown, data, None, protected)
    except PathMissing:
        # Only once the path passed every other check (.git included): make its folders, confined, and retry.
        _, real_folder = confine(root, os.path.dirname(shown), protected)
        os.makedirs(real_folder, exist_ok=True)
        written = files.write_file(root, shown, data, None, protected)
    return written["path"], old_text


def write_record(absolute: str, shown: str, old_text: str | None, new_text: str, tool_call_id: str) -> dict:
    """Return the session update t3site records for a write: a completed ``edit`` tool call with the diff."""
    if len(old_text or "") + len(new_text) <= DIFF_RECORD_LIMIT_CHARS:
        content = [{"type": "diff", "path": absolute, "oldText": old_text, "newText": new_text}]
    else:
        note = f"{len(new_text)} characters written: too large to keep as a diff"
        content = [{"type": "content", "content": {"type": "text", "text": note}}]
    return {
        "sessionUpdate": "tool_call",
        "toolCallId": tool_call_id,
        "title": f"Wrote {shown}",
        "kind": "edit",
        "status": "completed",
        "content": content,
        "locations": [{"path": absolute}],
        "_meta": {"t3site": {"source": "fs/write_text_file"}},
    }
