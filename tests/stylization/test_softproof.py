import io

import numpy as np
import pytest
from PIL import Image, ImageCms

from marketplace.icc import DEFAULT_PROFILE_FILES, default_profile_bytes
from marketplace.models import Substrate
from stylization.engine.patterns import generate_pattern
from stylization.engine.softproof import (
    GAMUT_WARNING_COLOUR,
    ProfileError,
    colours_out_of_gamut,
    gamut_warning_overlay,
    print_file_bytes,
    profile_info,
    soft_proof,
)

SRGB_PROFILE = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
SWOP = default_profile_bytes("fabric")


def saturated_primaries_chart(patch: int = 32) -> Image.Image:
    """Red, green, blue, cyan, magenta, yellow patches, then white and a mid grey."""
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (0, 255, 255), (255, 0, 255), (255, 255, 0)]
    colours += [(255, 255, 255), (128, 128, 128)]
    chart = np.zeros((patch, patch * len(colours), 3), dtype=np.uint8)
    for i, colour in enumerate(colours):
        chart[:, i * patch : (i + 1) * patch] = colour
    return Image.fromarray(chart, "RGB")


def test_every_printed_substrate_has_a_shipped_cmyk_profile():
    printed = {value for value in Substrate.values if value != Substrate.DIGITAL}
    assert set(DEFAULT_PROFILE_FILES) == printed
    for substrate in printed:
        info = profile_info(default_profile_bytes(substrate))
        assert info.colour_space == "CMYK"
        assert info.name == "Artifex CMYK SWOP Profile"
        assert len(info.sha256) == 64


def test_saturated_primaries_fall_out_of_a_cmyk_gamut_and_none_out_of_srgb():
    chart = saturated_primaries_chart()
    cmyk = soft_proof(chart, SWOP)
    srgb = soft_proof(chart, SRGB_PROFILE)
    assert cmyk.out_of_gamut_fraction > 0
    assert srgb.out_of_gamut_fraction == 0
    # The six primaries are out of SWOP's gamut; white paper and a mid grey are in it.
    per_patch = cmyk.out_of_gamut.reshape(32, 8, 32).any(axis=(0, 2))
    assert per_patch.tolist() == [True] * 6 + [False, False]
    assert cmyk.max_delta_e > 10
    assert srgb.max_delta_e < 1


def test_proof_keeps_size_and_moves_only_colours_the_printer_cannot_reach_far():
    tile = generate_pattern("half_drop", size=256, seed=4)
    proof = soft_proof(tile, SWOP)
    assert proof.image.size == tile.size and proof.image.mode == "RGB"
    assert proof.out_of_gamut.shape == (256, 256)
    assert 0 <= proof.out_of_gamut_fraction <= 1
    error = np.abs(np.asarray(proof.image, dtype=int) - np.asarray(tile, dtype=int)).max(axis=-1)
    assert error[~proof.out_of_gamut].mean() < error[proof.out_of_gamut].mean()


def test_gamut_overlay_paints_exactly_the_out_of_gamut_pixels():
    proof = soft_proof(saturated_primaries_chart(), SWOP)
    overlay = np.asarray(gamut_warning_overlay(proof))
    painted = (overlay == GAMUT_WARNING_COLOUR).all(axis=-1)
    assert (painted == proof.out_of_gamut).all()
    with pytest.raises(ValueError):
        gamut_warning_overlay(proof, opacity=2)


def test_colour_flags_match_the_proof():
    flags = colours_out_of_gamut(["#FF0000", "#808080", "#f4efe6"], SWOP)
    assert flags == {"#ff0000": True, "#808080": False, "#f4efe6": False}
    with pytest.raises(ValueError):
        colours_out_of_gamut(["red"], SWOP)


def test_cmyk_print_file_embeds_the_profile_it_was_made_for():
    tile = generate_pattern("basic", size=128, seed=2)
    printed = print_file_bytes(tile, SWOP, dpi=150)
    assert printed.media_type == "image/tiff"
    with Image.open(io.BytesIO(printed.data)) as image:
        assert image.mode == "CMYK"
        assert image.info["icc_profile"] == SWOP
        assert tuple(round(value) for value in image.info["dpi"]) == (150, 150)
        assert image.size == tile.size


def test_rgb_print_file_is_a_png_with_its_profile():
    printed = print_file_bytes(generate_pattern("basic", size=64, seed=2), SRGB_PROFILE, dpi=300)
    with Image.open(io.BytesIO(printed.data)) as image:
        assert image.format == "PNG" and image.info["icc_profile"] == SRGB_PROFILE


def test_bytes_that_are_not_a_profile_are_refused():
    with pytest.raises(ProfileError):
        profile_info(b"not an icc profile")
    with pytest.raises(ProfileError):
        soft_proof(generate_pattern("basic", size=64, seed=2), b"\x00" * 200)
    with pytest.raises(ValueError):
        print_file_bytes(generate_pattern("basic", size=64, seed=2), SWOP, dpi=10)


def test_worst_delta_e_equals_the_exhaustive_search_over_every_distinct_colour():
    """The grid search with refinement must find the same worst colour as CIEDE2000 over all colours."""
    from skimage.color import deltaE_ciede2000, rgb2lab

    rng = np.random.default_rng(7)
    # Textured, with saturated corners: many distinct colours, some far out of a CMYK gamut.
    tile = np.asarray(generate_pattern("half_drop", size=256, seed=4), dtype=np.int16)
    tile = np.clip(tile + rng.integers(-40, 41, tile.shape), 0, 255).astype(np.uint8)
    tile[:16, :16] = (0, 0, 255)
    image = Image.fromarray(tile, "RGB")
    profile = default_profile_bytes("fabric")

    distinct = np.unique(tile.reshape(-1, 3), axis=0)
    swatch = Image.fromarray(distinct.reshape(1, -1, 3), "RGB")
    sRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    transform = ImageCms.buildProofTransform(
        sRGB,
        sRGB,
        ImageCms.ImageCmsProfile(io.BytesIO(profile)),
        "RGB",
        "RGB",
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
        proofRenderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
        flags=ImageCms.Flags.SOFTPROOFING,
    )
    proofed = np.asarray(ImageCms.applyTransform(swatch, transform)).reshape(-1, 3)
    exhaustive = deltaE_ciede2000(
        rgb2lab(distinct.astype(np.float32) / 255.0), rgb2lab(proofed.astype(np.float32) / 255.0)
    ).max()

    assert len(distinct) > 20_000
    proof = soft_proof(image, profile)
    assert proof.max_delta_e == pytest.approx(float(exhaustive), abs=1e-4)
    # The proof looked up per distinct colour is the transform of the whole image, pixel for pixel.
    assert np.array_equal(np.asarray(proof.image), np.asarray(ImageCms.applyTransform(image, transform)))
