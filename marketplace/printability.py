"""Whether a base pattern can be printed: the one rule that upload, ordering and the renderer agree on.

The tile rule is `marketplace.uploads.pattern_size_check` (64–4096 px a side, at most 4:1, and a half
drop or half brick moving its neighbour by a whole pixel), inside what the renderer
(`stylization.engine.check_render_size`) takes. Every
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
from marketplace.uploads import MIN_SIDE_PX, PATTERN_MAX_SIDE_PX, UploadError, pattern_size_check

MIN_TILE_SIDE_PX = MIN_SIDE_PX
MAX_TILE_SIDE_PX = PATTERN_MAX_SIDE_PX  # within the engine's 8192 (stylization.engine.engine.FINAL_MAX_SIDE)


def check_tile(*, repeat_type: str, width_px: int, height_px: int) -> None:
    """Raise ValidationError unless the renderer can make a print tile of this size and repeat (the
    rule itself is `marketplace.uploads.pattern_size_check`)."""
    try:
        pattern_size_check(width_px, height_px, repeat_type=repeat_type)
    except UploadError as exc:
        raise ValidationError({"image": str(exc)}) from None


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
            {
                "dpi": f"At {dpi} DPI a {size.name} sheet would be {pixels / 1e6:.0f} megapixels; Motif prints at most "
                f"{limit / 1e6:.0f} megapixels. Upload this pattern at {fits} DPI or less."
            }
        )


def check_printable(
    *, repeat_type: str, width_px: int, height_px: int, dpi: int, sizes: Iterable[ProductSize] | None = None
) -> None:
    """The whole rule: the tile renders, and every product size (active ones by default) prints."""
    check_tile(repeat_type=repeat_type, width_px=width_px, height_px=height_px)
    if sizes is None:
        sizes = ProductSize.objects.filter(product__active=True).select_related("product")
    for size in sizes:
        check_sheet(size=size, dpi=dpi)
