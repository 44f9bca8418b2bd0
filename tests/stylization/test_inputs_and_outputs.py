import io
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image, ImageCms

from stylization.engine import (
    Engine,
    EngineError,
    ImageError,
    StyleParams,
    fit_style,
    generate_pattern,
    load_image,
    print_png_bytes,
    print_sheet,
    reinhard_transfer,
    seam_ratio,
    tile_layout,
    vectorize_tile,
)
from stylization.engine.colour import srgb_to_lab
from stylization.engine.encoders import encoder_identity, sha256_file
from stylization.engine.metrics import interior_cut_ratio
from tests.stylization.conftest import periodic_texture


def _png(image: Image.Image, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=kwargs.pop("format", "PNG"), **kwargs)
    return buffer.getvalue()


def test_non_image_bytes_are_refused_readably():
    with pytest.raises(ImageError, match="not an image"):
        load_image(b"%PDF-1.7 definitely not a picture")


def test_truncated_png_is_refused():
    data = _png(generate_pattern("basic", size=128, seed=1))
    with pytest.raises(ImageError, match="damaged or truncated"):
        load_image(data[: len(data) // 2])


def test_tiny_image_is_refused():
    with pytest.raises(ImageError, match="at least 64"):
        load_image(_png(Image.new("RGB", (40, 200))))


def test_decompression_bomb_is_refused_before_decoding():
    with pytest.raises(ImageError, match="limit"):
        load_image(_png(Image.new("1", (7000, 7000))))  # 49 Mpx of 1-bit compresses to a few KB


@pytest.mark.parametrize("mode", ["L", "CMYK", "P", "1"])
def test_other_colour_modes_become_rgb(mode):
    source = generate_pattern("basic", size=96, seed=2).convert(mode)
    image = load_image(_png(source, format="TIFF" if mode == "CMYK" else "PNG"))
    assert image.mode == "RGB" and image.size == (96, 96)


def test_transparency_is_composited_on_white():
    rgba = Image.new("RGBA", (80, 80), (255, 0, 0, 0))
    rgba.paste((0, 0, 255, 255), (0, 0, 40, 80))
    image = load_image(_png(rgba))
    assert image.getpixel((60, 40)) == (255, 255, 255)
    assert image.getpixel((10, 40)) == (0, 0, 255)
    la = load_image(_png(Image.new("LA", (80, 80), (0, 0))))
    assert la.getpixel((5, 5)) == (255, 255, 255)


def test_sixteen_bit_greyscale_is_scaled_not_clipped():
    ramp = (np.linspace(0, 65535, 100 * 100).reshape(100, 100)).astype(np.uint16)
    source = Image.new("I;16", (100, 100))
    source.frombytes(ramp.astype("<u2").tobytes(), "raw", "I;16")
    image = load_image(_png(source))
    array = np.asarray(image)[..., 0]
    assert array.min() == 0 and array.max() == 255
    assert 120 < array[50, 50] < 135  # the middle of the ramp, not clipped to white


def test_embedded_icc_profile_is_converted_to_srgb():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = generate_pattern("basic", size=96, seed=3)
    image = load_image(_png(source, icc_profile=srgb))
    assert np.abs(np.asarray(image, dtype=int) - np.asarray(source, dtype=int)).max() <= 2


def test_fit_style_shrinks_only_large_images():
    assert fit_style(Image.new("RGB", (3000, 1500)), max_side=1024).size == (1024, 512)
    assert fit_style(Image.new("RGB", (300, 150))).size == (300, 150)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"strength": 1.5},
        {"strength": -0.1},
        {"style_scale": 0.1},
        {"style_scale": 5},
        {"seed": -1},
        {"seed": 1.5},
        {"seed": 2**31},
        {"strength": float("nan")},
    ],
)
def test_style_params_refuse_out_of_range_values(kwargs):
    with pytest.raises(ValueError):
        StyleParams(**kwargs)


def test_style_params_take_the_ends_of_their_ranges():
    """The ranges the marketplace validates against are the engine's own, ends included."""
    from stylization.engine.params import SEED_MAX, STRENGTH_RANGE, STYLE_SCALE_RANGE

    for strength in STRENGTH_RANGE:
        for style_scale in STYLE_SCALE_RANGE:
            StyleParams(strength=strength, style_scale=style_scale, seed=SEED_MAX)


def test_reinhard_moves_colours_towards_the_style_and_stays_seamless():
    base = generate_pattern("basic", size=96, seed=4, kind="ditsy")
    style = Image.new("RGB", (64, 64), (30, 40, 120))
    out = reinhard_transfer(base, style)
    lab = srgb_to_lab(np.asarray(out) / 255.0).reshape(-1, 3).mean(0)
    target = srgb_to_lab(np.asarray(style) / 255.0).reshape(-1, 3).mean(0)
    assert np.abs(lab - target).max() < 3.0
    # Pointwise: transferring the laid-out sheet equals laying out the transferred tile.
    sheet = tile_layout(base, "basic", 2, 2)
    assert (
        np.abs(
            np.asarray(reinhard_transfer(sheet, style), dtype=int)
            - np.asarray(tile_layout(out, "basic", 2, 2), dtype=int)
        ).max()
        <= 1
    )


def test_print_png_carries_dpi_icc_and_pixel_size():
    tile = generate_pattern("half_drop", size=(150, 120), seed=1)
    data = print_png_bytes(tile, dpi=300)
    image = Image.open(io.BytesIO(data))
    assert image.size == (150, 120)
    assert tuple(round(v) for v in image.info["dpi"]) == (300, 300)
    profile = ImageCms.ImageCmsProfile(io.BytesIO(image.info["icc_profile"]))
    assert "sRGB" in ImageCms.getProfileDescription(profile)


def test_print_sheet_lays_the_half_drop_out_to_the_product_size():
    tile = generate_pattern("half_drop", size=(64, 80), seed=2)
    sheet = print_sheet(tile, repeat="half_drop", width_px=200, height_px=150)
    assert sheet.size == (200, 150)
    tile_a, sheet_a = np.asarray(tile), np.asarray(sheet)
    assert np.array_equal(sheet_a[:80, :64], tile_a)
    # The second column starts half a tile (40 px) down the tile.
    assert np.array_equal(sheet_a[:40, 64:128], tile_a[40:, :])
    assert np.array_equal(sheet_a[80:150, :64], tile_a[:70, :])


def test_svg_is_faithful_to_the_tile():
    tile = generate_pattern("basic", size=128, seed=6, kind="ditsy")
    result = vectorize_tile(tile, repeat="basic")
    assert result.svg.startswith("<svg") and 'viewBox="0 0 128 128"' in result.svg
    assert result.ssim > 0.7
    assert result.paths > 10 and result.bytes == len(result.svg.encode())


def test_svg_render_tiles_seamlessly_and_needs_its_wrap_context():
    from stylization.engine.vectorize import render_svg

    tiles = [periodic_texture(128, seed) for seed in range(3)]
    rendered = [render_svg(vectorize_tile(tile, repeat="basic").svg, 128, 128) for tile in tiles]
    seams = np.mean([seam_ratio(image, "basic") for image in rendered])
    assert seams <= 1.10 * np.mean([interior_cut_ratio(image, "basic") for image in rendered])
    # Traced without the neighbours around it, the same tile shows its edge.
    bare = [render_svg(vectorize_tile(tile, repeat="basic", margin=0).svg, 128, 128) for tile in tiles]
    assert np.mean([seam_ratio(image, "basic") for image in bare]) > 1.5 * seams


def test_svg_keeps_only_paths_that_reach_the_tile():
    import re

    tile = periodic_texture(96, seed=5)
    result = vectorize_tile(tile, repeat="basic")
    margin = 48
    for path in re.findall(r"<path\b[^>]*/>", result.svg):
        numbers = [float(n) for n in re.findall(r"-?\d+\.?\d*", re.search(r'd="([^"]*)"', path).group(1))]
        dx, dy = (float(v) for v in re.search(r"translate\(([-\d.]+),([-\d.]+)\)", path).groups())
        xs, ys = [x + dx - margin for x in numbers[0::2]], [y + dy - margin for y in numbers[1::2]]
        assert max(xs) > 0 and min(xs) < 96 and max(ys) > 0 and min(ys) < 96
    assert result.ssim > 0.8


def _plane_seam_ratio(plane: Image.Image, width: int, height: int) -> float:
    """The seam metric across the tile edges of a laid-out plane (worse of the two directions)."""
    from stylization.engine.metrics import _ratio

    array = np.asarray(plane.convert("RGB"), dtype=np.float64)
    return max(_ratio(array[:, : 2 * width], width), _ratio(array[: 2 * height].transpose(1, 0, 2), height))


@pytest.mark.parametrize("repeat", ["basic", "half_drop", "half_brick", "mirror", "center"])
def test_svg_is_one_tile_in_a_pattern_that_fills_3x3_repeats_seamlessly(repeat):
    from stylization.engine.metrics import ssim_luma
    from stylization.engine.vectorize import fill_area, render_svg

    tile = generate_pattern(repeat, size=(96, 80), seed=4, kind="blobs")
    result = vectorize_tile(tile, repeat=repeat)
    assert result.svg.count("<pattern") == 1 and f'data-repeat="{repeat}"' in result.svg
    assert result.svg.count('id="motif-tile"') == 1  # the tile's paths are written once
    rendered = render_svg(fill_area(result.svg, 3 * 96, 3 * 80), 3 * 96, 3 * 80)
    raster = tile_layout(tile, repeat, 3, 3)
    assert ssim_luma(raster, rendered) > 0.85  # the offsets and flips are the repeat's
    assert _plane_seam_ratio(rendered, 96, 80) <= 1.25 * _plane_seam_ratio(raster, 96, 80) + 0.1
    assert (
        len(fill_area(result.svg, 960, 800)) - len(result.svg) < 10
    )  # a bigger area changes sizes, not content


@pytest.fixture(scope="module")
def random_vgg_weights(tmp_path_factory):
    from torchvision.models import vgg19

    torch.manual_seed(0)
    directory = tmp_path_factory.mktemp("weights")
    raw = directory / "raw.pth"
    torch.save(vgg19().state_dict(), raw)
    digest = sha256_file(raw)
    named = directory / f"vgg19-{digest[:8]}.pth"
    raw.rename(named)
    return named, digest


def test_vgg19_loads_weights_in_torchvision_layout_and_stylizes(random_vgg_weights, style_image):
    path, digest = random_vgg_weights
    engine = Engine(device="cpu", encoder="vgg19", weights_path=str(path))
    assert engine.encoder_name == "vgg19" and engine.weights_sha256 == digest
    result = engine.preview(
        generate_pattern("basic", size=64, seed=1),
        style_image,
        repeat="basic",
        params=StyleParams(),
        long_side=64,
    )
    assert result.info["encoder"] == "vgg19" and result.info["weights_sha256"] == digest
    assert result.image.size == (64, 64)
    # What a web process keys style models by, without loading the network, is the same identity.
    assert encoder_identity("vgg19", str(path)) == encoder_identity("auto", str(path)) == ("vgg19", digest)
    assert encoder_identity("auto", str(path.with_name("absent.pth")))[0] == "efficientnet_lite0"
    with pytest.raises(EngineError, match="refusing"):
        encoder_identity("vgg19", str(path), "0" * 64)


def test_vgg19_refuses_weights_with_the_wrong_sha256(random_vgg_weights, tmp_path):
    path, digest = random_vgg_weights
    with pytest.raises(EngineError, match="refusing"):
        Engine(device="cpu", encoder="vgg19", weights_path=str(path), expected_sha256="0" * 64)
    misnamed = tmp_path / "vgg19-dcbb9e9d.pth"
    misnamed.symlink_to(path)
    with pytest.raises(EngineError, match="refusing"):
        Engine(device="cpu", encoder="vgg19", weights_path=str(misnamed))
    assert (
        Engine(
            device="cpu", encoder="vgg19", weights_path=str(misnamed), expected_sha256=digest
        ).weights_sha256
        == digest
    )


def test_auto_picks_the_packaged_efficientnet_when_vgg19_weights_are_absent(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    with caplog.at_level("INFO"):
        engine = Engine(device="cpu", encoder="auto")
    assert engine.encoder_name == "efficientnet_lite0"
    assert "EfficientNet-Lite0" in caplog.text


def test_cli_generates_a_pattern_and_reports_bad_input_without_a_traceback(tmp_path):
    out = tmp_path / "p.png"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "stylization",
            "pattern",
            "--repeat",
            "half_drop",
            "--size",
            "128",
            "--seed",
            "3",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert Image.open(out).size == (128, 128)
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    failed = subprocess.run(
        [
            sys.executable,
            "-m",
            "stylization",
            "render",
            "--content",
            str(out),
            "--style",
            str(bad),
            "--out",
            str(tmp_path / "o.png"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert failed.returncode == 2
    assert "not an image" in failed.stderr and "Traceback" not in failed.stderr
