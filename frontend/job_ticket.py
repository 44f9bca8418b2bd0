"""What a printed job ticket shows besides its text: a thumbnail of the print sheet, a crop of it at
true scale, the colour profile the sheet embeds, and a Code 128 barcode of the job id.

The pictures are data: URIs, so the ticket prints from one HTML response with nothing to fetch."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Any

import barcode
from barcode.writer import SVGWriter
from PIL import Image, ImageCms

# A true-scale crop this many inches square: printed at this size in CSS inches, it shows the shop
# the pattern's real scale and detail next to the proof the buyer approved.
TRUE_SCALE_CROP_IN = 2
THUMBNAIL_PX = 480
# A sheet is a render of known size, but a corrupted file must not make Pillow allocate without end.
MAX_SHEET_PIXELS = 400_000_000
_SRGB = ImageCms.createProfile("sRGB")


@dataclass(frozen=True)
class SheetPictures:
    thumbnail: str
    crop: str
    crop_in: int
    icc_profile: str | None


def _png_uri(image: Image.Image) -> str:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _on_screen(image: Image.Image, icc: bytes | None) -> Image.Image:
    """The sheet's colours in sRGB, the space a browser assumes for an untagged picture. A profile
    that cannot take RGB in (a Lab or CMYK one on an RGB sheet) leaves the values as they are."""
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
            if converted is not None:
                image = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass
    image.info.pop("icc_profile", None)  # Pillow would copy the sheet's profile into each picture
    return image


def icc_profile_name(icc: bytes | None) -> str | None:
    """The description an ICC profile gives itself ("sRGB IEC61966-2.1", "FOGRA39"), or None."""
    if not icc:
        return None
    try:
        name = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc)))
    except (OSError, ImageCms.PyCMSError):
        return "an unreadable profile"
    return name.strip() or "an unnamed profile"


def sheet_pictures(sheet: bytes, *, dpi: int) -> SheetPictures:
    """The thumbnail, the true-scale crop from the sheet's top-left corner (where the repeat starts)
    and the name of the embedded colour profile."""
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = MAX_SHEET_PIXELS
    try:
        with Image.open(io.BytesIO(sheet)) as image:
            icc = image.info.get("icc_profile")
            rgb = _on_screen(image.convert("RGB"), icc)
    finally:
        Image.MAX_IMAGE_PIXELS = previous
    side = min(TRUE_SCALE_CROP_IN * dpi, rgb.width, rgb.height)
    crop = rgb.crop((0, 0, side, side))
    thumb = rgb.copy()
    thumb.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
    return SheetPictures(
        thumbnail=_png_uri(thumb),
        crop=_png_uri(crop),
        crop_in=TRUE_SCALE_CROP_IN,
        icc_profile=icc_profile_name(icc),
    )


def job_barcode_value(job_pk: int) -> str:
    return f"JOB-{job_pk}"


def job_barcode(job_pk: int) -> str:
    """A Code 128 barcode of the job id as an SVG data: URI (SVG stays sharp on any printer)."""
    svg = io.BytesIO()
    options: dict[str, Any] = {"module_width": 0.3, "module_height": 12, "quiet_zone": 3, "font_size": 9}
    barcode.Code128(job_barcode_value(job_pk), writer=SVGWriter()).write(svg, options=options)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.getvalue()).decode()
