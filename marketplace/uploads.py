"""Validation of uploaded images: only PNG, JPEG or WebP that Pillow fully decodes, within a byte and
a pixel budget. The pixel budget is checked from the header, before any decoding, so a
decompression bomb is refused without being expanded."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
MIN_SIDE_PX = 64
THUMBNAIL_SIDE_PX = 480
# A base pattern is rendered at its own pixel size and tiled onto the print sheet. The engine takes
# 64..8192 px a side (stylization.engine.engine.FINAL_MAX_SIDE); 4096 px a side is 27 in at 150 DPI,
# and keeps one final render to minutes, not hours, on the CPU. A repeat longer than 4:1 is a
# border or a stripe, not a tile, and its short side would be starved of style.
PATTERN_MAX_SIDE_PX = 4096
PATTERN_MAX_ASPECT = 4.0


class UploadError(ValueError):
    """A message that can be shown to the person who uploaded the file."""


@dataclass(frozen=True)
class ValidatedImage:
    data: bytes
    format: str
    width: int
    height: int
    sha256: str

    @property
    def content_type(self) -> str:
        return ACCEPTED_FORMATS[self.format]

    @property
    def extension(self) -> str:
        return {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}[self.format]


RASTER_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"RIFF")


def looks_like_svg(data: bytes) -> bool:
    """An XML or SVG document, judged by how it starts. A PNG, JPEG or WebP starts with its own
    signature, so text in its metadata (a PNG tEXt chunk that says "<svg") is no sign of SVG."""
    if data.startswith(RASTER_SIGNATURES):
        return False
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in head


def validate_image(
    data: bytes, *, max_bytes: int, max_pixels: int, min_side: int = MIN_SIDE_PX
) -> ValidatedImage:
    if not data:
        raise UploadError("The file is empty.")
    if len(data) > max_bytes:
        raise UploadError(f"The file is {len(data):,} bytes; the limit is {max_bytes:,} bytes.")
    if looks_like_svg(data):
        raise UploadError("SVG files are not accepted: upload a PNG, JPEG or WebP image.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            fmt = probe.format or ""
            width, height = probe.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadError(
            f"The image has more pixels than the limit of {max_pixels:,} pixels in all."
        ) from None
    except UnidentifiedImageError:
        raise UploadError("The file is not a PNG, JPEG or WebP image that can be read.") from None
    except Exception as exc:  # Pillow raises assorted errors on corrupt headers
        raise UploadError(f"The image header cannot be read ({exc.__class__.__name__}).") from None
    if fmt not in ACCEPTED_FORMATS:
        raise UploadError(f"{fmt or 'This'} images are not accepted: upload a PNG, JPEG or WebP image.")
    if width * height > max_pixels:
        raise UploadError(f"The image is {width}×{height} pixels; the limit is {max_pixels:,} pixels in all.")
    if min(width, height) < min_side:
        raise UploadError(f"The image is {width}×{height} pixels; each side must be at least {min_side} px.")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # a full decode: truncated files fail here, not later in a worker
            upright = _upright(image, fmt)
    except Exception:
        raise UploadError("The image is truncated or corrupt and cannot be decoded.") from None
    if upright is not None:
        data, (width, height) = upright
    return ValidatedImage(
        data=data, format=fmt, width=width, height=height, sha256=hashlib.sha256(data).hexdigest()
    )


def pattern_size_check(width: int, height: int, *, repeat_type: str = "basic") -> None:
    """THE rule for a base pattern's pixel size, so that every accepted pattern can be rendered and
    printed: each side MIN_SIDE_PX..PATTERN_MAX_SIDE_PX, at most PATTERN_MAX_ASPECT:1, and a half
    drop (half brick) moves its neighbour by half the height (width), so that side must be even."""
    if min(width, height) < MIN_SIDE_PX or max(width, height) > PATTERN_MAX_SIDE_PX:
        raise UploadError(
            f"The pattern is {width}×{height} pixels; each side must be {MIN_SIDE_PX}–{PATTERN_MAX_SIDE_PX} px."
        )
    if max(width, height) > PATTERN_MAX_ASPECT * min(width, height):
        raise UploadError(
            f"The pattern is {width}×{height} pixels; a repeat may be at most {PATTERN_MAX_ASPECT:g} times "
            "as long as it is wide."
        )
    if repeat_type == "half_drop" and height % 2:
        raise UploadError(f"A half-drop repeat needs an even height in pixels; this one is {height} px.")
    if repeat_type == "half_brick" and width % 2:
        raise UploadError(f"A half-brick repeat needs an even width in pixels; this one is {width} px.")


EXIF_ORIENTATION = 0x0112


def _upright(image: Image.Image, fmt: str) -> tuple[bytes, tuple[int, int]] | None:
    """A photo whose EXIF says "rotate me" is rotated once, here, so the stored image, its
    thumbnail, the preview and the print all agree on which way is up (and on width and height).
    Returns the re-encoded upright file, or None when the image is upright already."""
    if image.getexif().get(EXIF_ORIENTATION, 1) in (0, 1):
        return None
    turned = ImageOps.exif_transpose(image)
    options: dict[str, Any] = {"format": fmt}
    if image.info.get("icc_profile"):
        options["icc_profile"] = image.info["icc_profile"]
    if fmt in ("JPEG", "WEBP"):
        options["quality"] = 95
    out = io.BytesIO()
    turned.save(out, **options)  # the rest of the EXIF (camera, GPS) is dropped with the tag
    return out.getvalue(), turned.size


def thumbnail_webp(data: bytes, *, side: int = THUMBNAIL_SIDE_PX) -> bytes:
    """The public face of an upload: small enough that it is no substitute for the original."""
    with Image.open(io.BytesIO(data)) as original:
        thumb = original.convert("RGB")
    thumb.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    thumb.save(out, format="WEBP", quality=82)
    return out.getvalue()
