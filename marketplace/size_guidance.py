"""Repeat and size guidance: where a product cannot show a whole repeat across its width, and where
the design prints too coarse to look sharp.

The rule is one function over a pattern and the product sizes it may be printed on; the studio tells
the designer at upload and the configurator tells the buyer, both from `size_warnings`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from marketplace.models import SHARP_PRINT_DPI, BasePattern, ProductSize, RepeatType


@dataclass(frozen=True)
class SizeWarning:
    kind: str  # "repeat_too_wide" or "low_dpi"
    message: str
    product: str | None = None  # the product's slug, for a warning about one product


def repeat_period_in(pattern: BasePattern) -> Decimal:
    """How wide the design runs before it repeats exactly across: the tile, or two tiles for a
    mirror repeat (its right half is the left half flipped)."""
    width = Decimal(pattern.repeat_width_in)
    return 2 * width if pattern.repeat_type == RepeatType.MIRROR else width


def printed_dpi(pattern: BasePattern) -> Decimal:
    """The pixels per printed inch of the repeat at its physical size."""
    return Decimal(pattern.width_px) / Decimal(pattern.repeat_width_in)


def size_warnings(*, pattern: BasePattern, sizes: Iterable[ProductSize]) -> list[SizeWarning]:
    """What a buyer or designer should know before printing `pattern` on these sizes. A product's
    width is its widest size: a swatch of a wallpaper is a cut-out of the panel, not a narrower panel."""
    warnings: list[SizeWarning] = []
    dpi = printed_dpi(pattern)
    if dpi < SHARP_PRINT_DPI:
        warnings.append(
            SizeWarning(
                "low_dpi",
                f"At {_inches(pattern.repeat_width_in)} wide this design prints at {dpi:.0f} DPI, below "
                f"the {SHARP_PRINT_DPI} DPI that prints sharply; it may look soft or show its pixels.",
            )
        )
    widest: dict[int, ProductSize] = {}
    for size in sizes:
        current = widest.get(size.product_id)
        if current is None or size.width_in > current.width_in:
            widest[size.product_id] = size
    period = repeat_period_in(pattern)
    for size in widest.values():
        if period > size.width_in:
            repeat_name = RepeatType(pattern.repeat_type).label.lower()
            warnings.append(
                SizeWarning(
                    "repeat_too_wide",
                    f"The {_inches(period)} {repeat_name} repeat is wider than {size.product.name} "
                    f"({_inches(size.width_in)} wide): it cannot show one whole repeat across.",
                    product=size.product.slug,
                )
            )
    return warnings


def _inches(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}″"
