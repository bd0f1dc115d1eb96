"""A developer reads a build log too large to send whole, on their phone, piece by piece."""

from __future__ import annotations

from tests.support.server import add_project

PIECE_BYTES = 256 * 1024  # what the viewer asks for at a time


def build_log() -> str:
    """Return 3 MB of log (over the 2 MiB whole-read limit) with a three-byte "€" cut by the first piece's end."""
    head = "first line\n" + ("." * 63 + "\n") * 4000
    head += "." * (PIECE_BYTES - 1 - len(head))
    tail = "".join(f"later line {n:07d}\n" for n in range(150_000))
    return head + "€ across the cut\n" + tail


def test_a_phone_reads_a_large_log_piece_by_piece(server, people, tmp_path):
    add_project(server.home, tmp_path / "service", {"build.log": build_log()})

    phone = people("phone")
    phone.opens(server.printed["Pairing URL"])
    phone.taps("#project-list [data-project-id]")
    phone.taps('#file-tree [data-path="build.log"]')
    phone.sees("Showing the first 256.0 KB of 3.0 MB.")
    phone.sees_in("#viewer-content", "first line")
    phone.does_not_see("later line 0000001")

    phone.taps_text("Show more")
    phone.sees("Showing the first 512.0 KB of 3.0 MB.")
    phone.sees_in("#viewer-content", "€ across the cut")
    phone.sees_in("#viewer-content", "later line 0000001")
