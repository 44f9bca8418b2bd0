from decimal import Decimal

import pytest

from marketplace.models import SHARP_PRINT_DPI, BasePattern, Product, ProductSize
from marketplace.size_guidance import size_warnings

pytestmark = pytest.mark.django_db


def _wallpaper() -> ProductSize:
    product = Product.objects.create(slug="wallpaper", name="Wallpaper", substrate="wallpaper")
    ProductSize.objects.create(
        product=product, slug="swatch", name="Swatch", width_in=8, height_in=8, price=Decimal("6")
    )
    return ProductSize.objects.create(
        product=product,
        slug="panel",
        name="Panel",
        width_in=Decimal("20.5"),
        height_in=108,
        price=Decimal("85"),
    )


def _pattern(*, repeat_type: str, width_in: str, width_px: int) -> BasePattern:
    # Unsaved: the rule reads only the pattern's repeat and size.
    return BasePattern(
        repeat_type=repeat_type, repeat_width_in=Decimal(width_in), width_px=width_px, height_px=width_px
    )


def test_a_24_inch_half_drop_is_too_wide_for_a_20_5_inch_panel():
    panel = _wallpaper()
    warnings = size_warnings(
        pattern=_pattern(repeat_type="half_drop", width_in="24", width_px=3600),
        sizes=panel.product.sizes.all(),
    )
    assert [w.kind for w in warnings] == ["repeat_too_wide"]
    assert warnings[0].product == "wallpaper"
    assert "24″ half drop repeat" in warnings[0].message and "20.5″" in warnings[0].message


def test_a_repeat_that_fits_the_widest_size_is_not_flagged_for_the_narrow_swatch():
    panel = _wallpaper()
    pattern = _pattern(repeat_type="half_drop", width_in="12", width_px=1800)
    assert size_warnings(pattern=pattern, sizes=panel.product.sizes.all()) == []


def test_a_mirror_repeat_runs_two_tiles_before_it_repeats():
    panel = _wallpaper()
    pattern = _pattern(repeat_type="mirror", width_in="12", width_px=1800)
    assert [w.kind for w in size_warnings(pattern=pattern, sizes=[panel])] == ["repeat_too_wide"]


def test_dpi_below_the_sharp_print_threshold_is_flagged_and_at_it_is_not():
    at_threshold = _pattern(repeat_type="basic", width_in="4", width_px=4 * SHARP_PRINT_DPI)
    below = _pattern(repeat_type="basic", width_in="4", width_px=4 * SHARP_PRINT_DPI - 4)
    assert size_warnings(pattern=at_threshold, sizes=[]) == []
    warnings = size_warnings(pattern=below, sizes=[])
    assert [w.kind for w in warnings] == ["low_dpi"]
    assert f"{SHARP_PRINT_DPI} DPI" in warnings[0].message
