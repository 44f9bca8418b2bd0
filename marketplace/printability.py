"""Whether a base pattern can be printed: the one rule that upload, ordering and the renderer agree on.

The renderer (`stylization.engine.check_render_size`) takes print tiles of 64 to 8192 px a side, and
a half drop (half brick) moves its neighbour by half the tile, which must be a whole pixel. Every
product is printed as a sheet of the tile in its repeat at the pattern's DPI, which must stay within
`MOTIF_MAX_SHEET_PIXELS`. An upload that breaks any of these is refused with the reason, instead of
being accepted and failing after payment. (This module imports no torch, so the web process does
not load it; a property test holds it to the engine's own checks.)"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError

from marketplace.models import ProductSize

MIN_TILE_SIDE_PX = 64
MAX_TILE_SIDE_PX = 8192  # stylization.engine.engine.FINAL_MAX_SIDE
MAX_ASPECT_RATIO = 8


def check_tile(*, repeat_type: str, width_px: int, height_px: int) -> None:
    """Raise ValidationError unless the renderer can make a print tile of this size and repeat."""
    for field, value in (("width", width_px), ("height", height_px)):
        if not MIN_TILE_SIDE_PX <= value <= MAX_TILE_SIDE_PX:
            raise ValidationError(
                {"image": f"The tile is {width_px}×{height_px} px; each side must be between "
                 f"{MIN_TILE_SIDE_PX} and {MAX_TILE_SIDE_PX} px (its {field} is not)."}
            )
    if max(width_px, height_px) > MAX_ASPECT_RATIO * min(width_px, height_px):
        raise ValidationError(
            {"image": f"The tile is {width_px}×{height_px} px; a repeat may be at most {MAX_ASPECT_RATIO} times "
             "as long as it is wide."}
        )
    if repeat_type == "half_drop" and height_px % 2:
        raise ValidationError(
            {"image": f"A half-drop repeat moves each column down by half the tile, so its height must be an "
             f"even number of pixels; this one is {height_px} px."}
        )
    if repeat_type == "half_brick" and width_px % 2:
        raise ValidationError(
            {"image": f"A half-brick repeat moves each row across by half the tile, so its width must be an "
             f"even number of pixels; this one is {width_px} px."}
        )


def sheet_pixels(size: ProductSize, dpi: int) -> int:
    width, height = size.print_pixels(dpi)
    return width * height


def check_sheet(*, size: ProductSize, dpi: int) -> None:
    """Raise ValidationError unless the product's print sheet at this DPI is within the limit."""
    limit = settings.MOTIF_MAX_SHEET_PIXELS
    pixels = sheet_pixels(size, dpi)
    if pixels > limit:
        # The highest DPI at which this product still fits.
        area_in2 = size.width_in * size.height_in
        fits = int((Decimal(limit) / area_in2).sqrt())
        raise ValidationError(
            {"dpi": f"At {dpi} DPI a {size.name} sheet would be {pixels / 1e6:.0f} megapixels; Motif prints at most "
             f"{limit / 1e6:.0f} megapixels. Upload this pattern at {fits} DPI or less."}
        )


def check_printable(*, repeat_type: str, width_px: int, height_px: int, dpi: int,
                    sizes: Iterable[ProductSize] | None = None) -> None:
    """The whole rule: the tile renders, and every product size (active ones by default) prints."""
    check_tile(repeat_type=repeat_type, width_px=width_px, height_px=height_px)
    if sizes is None:
        sizes = ProductSize.objects.filter(product__active=True).select_related("product")
    for size in sizes:
        check_sheet(size=size, dpi=dpi)
