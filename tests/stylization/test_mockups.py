"""The Pillow mockups: every product draws, and the printed face shows the pattern at true scale
(counted from the drawing's autocorrelation, not from the code's own arithmetic)."""

from __future__ import annotations

import pytest
from PIL import Image

from stylization.engine.mockups import MOCKUP_PRODUCTS, mockup_image, translation_cell
from tests.repeat_count import repeat_period_px, repeats_across, two_colour_noise


@pytest.mark.parametrize("repeat_in", [2.0, 4.0])
def test_a_cushion_shows_its_size_over_the_repeat_in_repeats(repeat_in: float) -> None:
    cushion = MOCKUP_PRODUCTS["cushion"]
    image = mockup_image(
        two_colour_noise(),
        repeat="basic",
        repeat_width_in=repeat_in,
        repeat_height_in=repeat_in,
        product="cushion",
    )
    expected = cushion.width_in / repeat_in  # 8 repeats of 2″ on a 16″ cushion
    assert repeats_across(image) == pytest.approx(expected, rel=0.05)


def test_a_half_drop_repeats_by_its_translation_cell_two_tiles_wide() -> None:
    tile = two_colour_noise()
    cell = translation_cell(tile, "half_drop")
    assert cell.size == (2 * tile.width, tile.height)
    image = mockup_image(tile, repeat="half_drop", repeat_width_in=2, repeat_height_in=2, product="cushion")
    ppi = image.width / MOCKUP_PRODUCTS["cushion"].scene_in[0]
    # Along a row a half drop comes back after two tiles (4″), not one.
    assert repeat_period_px(image) == pytest.approx(4 * ppi, rel=0.05)


@pytest.mark.parametrize(
    ("repeat", "cell"), [("basic", (1, 1)), ("half_brick", (1, 2)), ("mirror", (2, 2)), ("center", (1, 1))]
)
def test_translation_cells(repeat: str, cell: tuple[int, int]) -> None:
    tile = two_colour_noise(48)
    assert translation_cell(tile, repeat).size == (48 * cell[0], 48 * cell[1])


@pytest.mark.parametrize("product", sorted(MOCKUP_PRODUCTS))
def test_every_product_draws_the_pattern(product: str) -> None:
    image = mockup_image(
        two_colour_noise(), repeat="basic", repeat_width_in=3, repeat_height_in=3, product=product
    )
    assert image.mode == "RGB" and image.width == 800
    colours = image.convert("RGB").getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 50  # pattern, shading and scene, not a flat fill


def test_unknown_product_and_empty_repeat_are_refused() -> None:
    tile = Image.new("RGB", (8, 8))
    with pytest.raises(KeyError):
        mockup_image(tile, repeat="basic", repeat_width_in=1, repeat_height_in=1, product="sofa")
    with pytest.raises(ValueError):
        mockup_image(tile, repeat="basic", repeat_width_in=0, repeat_height_in=1, product="cushion")
