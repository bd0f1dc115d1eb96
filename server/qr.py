"""Render a QR code for a terminal. No Django imports."""

from __future__ import annotations

import io

import qrcode


def terminal_qr(text: str) -> str:
    """Return ``text`` as a QR code drawn with half-block characters.

    Inverted (light modules printed, dark left as background) because most
    terminals are dark; a 2-module quiet zone keeps it scannable.
    """
    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    code.make(fit=True)
    out = io.StringIO()
    code.print_ascii(out=out, invert=True)
    return out.getvalue()
