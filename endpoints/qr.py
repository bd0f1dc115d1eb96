"""Render a QR code as SVG for the Connections page. No Django imports."""

from __future__ import annotations

import qrcode
import qrcode.image.svg

# Four modules of quiet zone, as the QR standard asks: phone cameras need the margin.
QUIET_ZONE_MODULES = 4
QR_TEXT_MAX_CHARS = 2000


def svg_qr(text: str) -> bytes:
    """Return ``text`` as a QR code in SVG: dark modules on a white background, whatever the page theme."""
    code = qrcode.QRCode(
        border=QUIET_ZONE_MODULES,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        image_factory=qrcode.image.svg.SvgPathFillImage,
    )
    code.add_data(text)
    code.make(fit=True)
    return code.make_image().to_string(encoding="utf-8")
