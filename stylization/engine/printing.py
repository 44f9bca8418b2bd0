"""Print files: PNG with its physical resolution and an sRGB profile the printer can honour."""

from __future__ import annotations

import io

from PIL import Image, ImageCms

_SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def print_png_bytes(image: Image.Image, *, dpi: int) -> bytes:
    if not isinstance(dpi, int) or not 30 <= dpi <= 2400:
        raise ValueError(f"dpi must be an integer between 30 and 2400, got {dpi!r}")
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG", dpi=(dpi, dpi), icc_profile=_SRGB_ICC, optimize=False)
    return buffer.getvalue()
