import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy.ndimage import binary_dilation
from skimage.color import deltaE_ciede2000, rgb2lab

from marketplace.icc import default_profile_bytes
from stylization.engine.colourway import (
    MERGE_DELTA_E,
    ColourwayError,
    colourway_apply,
    colourway_out_of_gamut,
    extract_palette,
    validate_colourway,
)
from stylization.engine.patterns import generate_pattern

GROUND, RED, BLUE, OCHRE = "#f4efe6", "#e63946", "#1d3557", "#f1c453"


def drawn_artwork(size: int = 256) -> Image.Image:
    """Flat shapes on a ground, drawn at twice the size and reduced, so every edge is anti-aliased."""
    canvas = Image.new("RGB", (size * 2, size * 2), GROUND)
    draw = ImageDraw.Draw(canvas)
    draw.ellipse((40, 40, 260, 260), fill=RED)
    draw.polygon([(300, 60), (480, 120), (360, 300)], fill=BLUE)
    draw.rectangle((80, 330, 440, 470), fill=OCHRE)
    return canvas.reduce(2)


def nearest_palette_index(image: Image.Image, palette: list[str]) -> np.ndarray:
    pixels = np.asarray(image, dtype=float)
    colours = np.array([[int(hex_[i : i + 2], 16) for i in (1, 3, 5)] for hex_ in palette], dtype=float)
    return np.argmin(((pixels[:, :, None, :] - colours[None, None]) ** 2).sum(axis=-1), axis=-1)


def test_palette_of_drawn_artwork_is_its_flat_colours_by_area():
    # The anti-aliased edges are mixes of two colours, not colours of their own.
    assert extract_palette(drawn_artwork()) == [GROUND, OCHRE, RED, BLUE]


def test_palette_of_generated_patterns_holds_their_main_colours():
    for kind in ("motifs", "geometric", "blobs"):
        tile = generate_pattern("half_drop", size=256, seed=1, kind=kind)
        palette = extract_palette(tile)
        assert 2 <= len(palette) <= 8
        pixels = np.asarray(tile).reshape(-1, 3)
        colours, counts = np.unique(pixels, axis=0, return_counts=True)
        largest = ["#{:02x}{:02x}{:02x}".format(*colour) for colour in colours[np.argsort(-counts)[:3]]]
        assert set(largest) <= set(palette), kind


def colour_cluster(image: Image.Image, palette: list[str], colour: str) -> np.ndarray:
    """The pixels the palette counts as `colour`: nearest to it (CIEDE2000), within MERGE_DELTA_E."""
    pixels = np.asarray(image, dtype=float).reshape(-1, 3)
    entries = np.array([bytearray.fromhex(entry[1:]) for entry in palette], dtype=float)
    lab, entries_lab = rgb2lab(pixels / 255.0), rgb2lab(entries / 255.0)
    distances = np.stack([deltaE_ciede2000(lab, np.broadcast_to(e, lab.shape)) for e in entries_lab], axis=1)
    member = (np.argmin(distances, axis=1) == palette.index(colour)) & (distances.min(axis=1) < MERGE_DELTA_E)
    return member.reshape(image.height, image.width)


def test_swapping_one_colour_changes_its_cluster_and_leaves_the_rest():
    """Measured on a generated pattern: every pixel of the swapped colour's cluster changes, and
    under 1 % of the rest outside the cluster's one-pixel anti-aliased rim (the rim is a mix of
    the swapped colour and its neighbour, so it changes by the swapped colour's share)."""
    # Seed 2 draws two pinks closer than MERGE_DELTA_E: one palette colour, so both must move.
    tile = generate_pattern("half_drop", size=512, seed=2, kind="motifs")
    palette = extract_palette(tile)
    before = np.asarray(tile)
    for colour in palette:
        new = "#00ff00" if colour != "#00ff00" else "#ff00ff"
        after = np.asarray(colourway_apply(tile, palette, {colour: new}))
        changed = (after != before).any(axis=-1)
        inside = colour_cluster(tile, palette, colour)
        rim = binary_dilation(inside) & ~inside
        assert changed[inside].mean() == 1.0, colour
        assert changed[~inside & ~rim].mean() < 0.01, colour
        # A flat pixel of the swapped colour becomes the new colour exactly.
        flat = (before == np.array(bytearray.fromhex(colour[1:]))).all(axis=-1)
        assert (after[flat] == np.array(bytearray.fromhex(new[1:]))).all()


def test_a_colour_not_bordering_the_swap_is_untouched_byte_for_byte():
    artwork = drawn_artwork()
    after = np.asarray(colourway_apply(artwork, [GROUND, OCHRE, RED, BLUE], {RED: "#2a9d8f"}))
    before = np.asarray(artwork)
    # The ochre band and the blue triangle never touch the red disc.
    far_from_red = ~binary_dilation(
        nearest_palette_index(artwork, [GROUND, OCHRE, RED, BLUE]) == 2, iterations=3
    )
    assert (after[far_from_red] == before[far_from_red]).all()
    # The disc's anti-aliased edge keeps its coverage, now in the new colour: its pixels lie on
    # the mix of the ground and the new colour, and as far along it as they were along the old.
    ground, red, teal = (np.array(bytearray.fromhex(c[1:]), dtype=float) for c in (GROUND, RED, "#2a9d8f"))
    near_disc = binary_dilation(nearest_palette_index(artwork, [GROUND, OCHRE, RED, BLUE]) == 2, iterations=2)
    flat = (before == ground).all(axis=-1) | (before == red).all(axis=-1)
    edge = near_disc & ~flat
    assert edge.sum() > 100
    coverage = ((before[edge] - ground) @ (red - ground)) / ((red - ground) @ (red - ground))
    expected = ground + coverage[:, None] * (teal - ground)
    assert np.abs(after[edge] - expected).max() <= 3


def test_an_empty_colourway_returns_the_design():
    artwork = drawn_artwork()
    assert np.array_equal(np.asarray(colourway_apply(artwork, [GROUND, RED], {})), np.asarray(artwork))


@pytest.mark.parametrize(
    ("colourway", "field"),
    [
        (["#ffffff"], "colourway"),
        ({"#123456": "#ffffff"}, 'colourway["#123456"]'),
        ({"red": "#ffffff"}, 'colourway["red"]'),
        ({RED: "blue"}, f'colourway["{RED}"]'),
        ({RED: "#12345"}, f'colourway["{RED}"]'),
        ({RED: None}, f'colourway["{RED}"]'),
        ({RED: "#000000", RED.upper(): "#ffffff"}, f'colourway["{RED.upper()}"]'),
    ],
)
def test_a_bad_colourway_entry_is_named(colourway, field):
    with pytest.raises(ColourwayError) as error:
        validate_colourway(colourway, [GROUND, RED, BLUE])
    assert error.value.field == field
    assert isinstance(error.value, ValueError)


def test_a_valid_colourway_is_normalised_to_lower_case():
    assert validate_colourway({RED.upper(): "#ABCDEF"}, [GROUND, RED]) == {RED: "#abcdef"}


def test_chosen_colours_are_flagged_against_the_substrate_gamut():
    swop = default_profile_bytes("fabric")
    flags = colourway_out_of_gamut([GROUND, RED, OCHRE], {RED: "#00ff00"}, swop)
    assert flags == {GROUND: False, "#00ff00": True, OCHRE: False}
    # A deep navy is beyond SWOP's darkest ink too; swapping it for a mid blue brings it in.
    assert colourway_out_of_gamut([GROUND, BLUE], {}, swop)[BLUE] is True
    assert colourway_out_of_gamut([GROUND, BLUE], {BLUE: "#457b9d"}, swop)["#457b9d"] is False
