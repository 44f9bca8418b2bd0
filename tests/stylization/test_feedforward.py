"""The feed-forward style model: it learns, it is stored and verified, and its tiles repeat."""

import numpy as np
import pytest
import torch
from PIL import Image

from stylization.engine import REPEAT_TYPES, EngineError, StyleParams, generate_pattern, seam_ratio
from stylization.engine.colour import rgb_to_yiq
from stylization.engine.feedforward import (
    Generator,
    ModelConfig,
    TrainingBase,
    load_model,
    load_model_file,
    model_identity,
    save_model,
    train,
)
from stylization.engine.images import to_image, to_tensor
from stylization.engine.layout import layout_repeat
from stylization.engine.metrics import interior_cut_ratio
from stylization.engine.repeat import plane_window

TINY = ModelConfig(channels=6, residual_blocks=1, crop=64, target_side=64, batch=2, iterations=40, lr=1e-2)


@pytest.fixture(scope="module")
def trained(engine, style_image):
    bases = [
        TrainingBase(generate_pattern(r, size=64, seed=10 + i, kind="ditsy"), r)
        for i, r in enumerate(("basic", "half_drop", "half_brick"))
    ]
    return train(style_image, bases, encoder=engine.encoder, style_sha256="s" * 64, config=TINY)


def test_training_on_a_tiny_config_lowers_the_loss(trained):
    curve = trained.curve
    assert len(curve) == TINY.iterations
    assert np.mean(curve[-8:]) < 0.7 * np.mean(curve[:4])
    assert set(trained.judge) == {"seam_ratio", "ssim", "style_loss"}
    assert trained.training_seconds > 0


def test_a_stored_model_loads_verified_and_makes_the_same_tile(trained, tmp_path):
    path = tmp_path / "style.pt"
    checksum = save_model(trained, path)
    loaded = load_model_file(path)
    assert loaded.checksum == checksum
    assert loaded.identity == trained.identity
    base = generate_pattern("half_drop", size=64, seed=5)
    params = StyleParams(seed=3)
    first = trained.stylize(base, repeat="half_drop", params=params, long_side=64).image
    again = loaded.stylize(base, repeat="half_drop", params=params, long_side=64).image
    assert np.array_equal(np.asarray(first), np.asarray(again))
    assert path.stat().st_size < 3 * 2**20


def test_a_corrupted_or_unexpected_model_file_is_refused(trained, tmp_path):
    path = tmp_path / "style.pt"
    checksum = save_model(trained, path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    with pytest.raises(EngineError, match="checksum"):
        load_model(bytes(data), expected_checksum=checksum)
    path.write_bytes(bytes(data))
    with pytest.raises(EngineError, match="checksum"):
        load_model_file(path)
    with pytest.raises(EngineError, match="cannot be read"):
        import hashlib

        junk = b"not a model"
        load_model(junk, expected_checksum=hashlib.sha256(junk).hexdigest())


def test_the_identity_changes_with_each_of_its_three_parts():
    base = model_identity(style_sha256="a", encoder_sha256="b", config=TINY)
    assert model_identity(style_sha256="a2", encoder_sha256="b", config=TINY) != base
    assert model_identity(style_sha256="a", encoder_sha256="b2", config=TINY) != base
    assert model_identity(style_sha256="a", encoder_sha256="b", config=ModelConfig(channels=7)) != base
    assert model_identity(style_sha256="a", encoder_sha256="b", config=TINY) == base


def _lively_generator(**shape) -> Generator:
    """An untrained generator whose output differs from its input a lot, so tiling is really tested."""
    torch.manual_seed(0)
    generator = Generator(6, 1, **shape).eval()
    with torch.no_grad():
        generator.out.conv.weight.mul_(20.0)
    return generator


SHAPES = [{}, {"levels": 3}, {"noise_level": 2, "noise_amplitude": 0.5}]


@pytest.mark.parametrize("shape", SHAPES, ids=["two-levels", "three-levels", "coarse-noise"])
@pytest.mark.parametrize("repeat", ["basic", "half_drop", "half_brick", "center"])
def test_the_generator_commutes_with_moving_along_the_printed_plane(repeat, shape):
    # Taking another window of the printed plane as the tile, the output is the same window of the
    # output's plane: the model's tile is one piece of a continuous plane, so it repeats without a seam.
    # (A centred motif is printed on a plain grid.) Coarse noise moves by the shift at its own scale.
    plane = layout_repeat(repeat)
    generator = _lively_generator(**shape)
    x = torch.rand(1, 3, 64, 96)
    noise = torch.randn(1, 1, *generator.noise_shape(64, 96))
    step = 64 // noise.shape[-2]
    with torch.inference_mode():
        y = generator(x, noise, plane)
        moved_noise = plane_window(noise, plane, 24 // step, 40 // step, *noise.shape[-2:])
        moved = generator(plane_window(x, plane, 24, 40, 64, 96), moved_noise, plane)
    assert float((y - x).abs().mean()) > 0.05
    assert torch.allclose(moved, plane_window(y, plane, 24, 40, 64, 96), atol=1e-5)


@pytest.mark.parametrize("shape", SHAPES, ids=["two-levels", "three-levels", "coarse-noise"])
@pytest.mark.parametrize("repeat", REPEAT_TYPES)
def test_model_tiles_are_seamless_for_every_repeat_type(repeat, shape):
    # The seam across the tile's edge is no bigger than the same metric at cuts through its inside
    # (both 0 for a mirror, whose edge meets its own reflection).
    base = to_tensor(generate_pattern(repeat, size=96, seed=21, kind="geometric"))
    generator = _lively_generator(**shape)
    with torch.inference_mode():
        tile = to_image(
            generator(base, torch.randn(1, 1, *generator.noise_shape(96, 96)), layout_repeat(repeat))
        )
    assert seam_ratio(tile, repeat) <= 1.25 * interior_cut_ratio(tile, repeat) + 1e-9


def test_the_controls_act_on_the_model_output(trained):
    # 128 px: at style scale 2 the network sees 64 px, the smallest tile a three-level model takes.
    base = generate_pattern("basic", size=128, seed=8)
    # Mid-tones, away from the gamut's edge, where only clipping could move a preserved chroma.
    content = 0.2 + 0.6 * to_tensor(base)

    def tile(**params):
        return trained.apply(content, repeat="basic", params=StyleParams(**params))

    assert torch.equal(tile(strength=0.0), content)
    weak, strong = tile(strength=0.2), tile(strength=0.7)
    assert float((weak - content).abs().mean()) < float((strong - content).abs().mean())
    assert not torch.equal(tile(seed=1), tile(seed=2))
    assert not torch.allclose(tile(style_scale=2.0), tile(style_scale=1.0))
    kept = tile(preserve_colors=True)

    chroma_change = (rgb_to_yiq(kept)[:, 1:] - rgb_to_yiq(content)[:, 1:]).abs().mean()
    luma_change = (rgb_to_yiq(kept)[:, :1] - rgb_to_yiq(content)[:, :1]).abs().mean()
    assert float(chroma_change) < 0.2 * float(luma_change)  # only clipping at the gamut's edge moves it


def test_the_style_palette_match_keeps_the_controls_and_moves_the_colours(trained, style_image):
    from stylization.engine.colour import lab_palette

    matched = trained.with_style_palette(style_image)
    assert trained.palette is None and matched.palette == lab_palette(style_image)
    base = generate_pattern("half_drop", size=64, seed=8)
    content = to_tensor(base)
    assert torch.equal(matched.apply(content, repeat="half_drop", params=StyleParams(strength=0.0)), content)
    plain = trained.stylize(base, repeat="half_drop", params=StyleParams(), long_side=64).image
    tile = matched.stylize(base, repeat="half_drop", params=StyleParams(), long_side=64).image
    from tests.benchmarks.stylization import palette_distance

    reference = style_image.convert("RGB").resize((64, 64))
    assert palette_distance(tile, reference) < palette_distance(plain, reference)
    # Pointwise, with the tile's own statistics: moving the pixels around moves the result with them,
    # so a tile that repeats still repeats.
    from stylization.engine.colour import reinhard_match

    x, order = torch.rand(1, 3, 16, 16), torch.randperm(256)
    shuffled = x.flatten(2)[:, :, order].view(1, 3, 16, 16)
    matched_x = reinhard_match(x, matched.palette, 0.7)
    # (float32: the tile's mean and spread are summed in another order, so equal to rounding.)
    assert torch.allclose(
        reinhard_match(shuffled, matched.palette, 0.7),
        matched_x.flatten(2)[:, :, order].view(1, 3, 16, 16),
        atol=1e-5,
    )


def test_training_needs_a_base_pattern(engine, style_image):
    with pytest.raises(EngineError, match="base pattern"):
        train(style_image, [], encoder=engine.encoder, style_sha256="x", config=TINY)


def test_a_feedforward_preview_says_how_it_was_made(trained):
    result = trained.stylize(
        Image.new("RGB", (80, 64), (200, 100, 50)), repeat="mirror", params=StyleParams(), long_side=80
    )
    assert result.info["method"] == "feedforward"
    assert result.info["engine_ms"] > 0
    assert result.image.size == (80, 64)


def test_the_bf16_pass_paints_the_fp32_tile_and_says_which_it_ran(trained):
    """bf16 autocast is the live path's speed lever where the CPU has it natively: it must not
    change the picture a buyer sees, and the result records which precision made it."""
    from dataclasses import replace

    from stylization.engine.feedforward import native_bf16

    base = generate_pattern("half_brick", size=64, seed=8, kind="motifs")
    params = StyleParams(seed=2, strength=0.9)
    full = replace(trained, bf16=False).stylize(base, repeat="half_brick", params=params, long_side=64)
    half = replace(trained, bf16=True).stylize(base, repeat="half_brick", params=params, long_side=64)
    assert (full.info["precision"], half.info["precision"]) == ("fp32", "bf16")
    difference = np.abs(np.asarray(full.image, float) - np.asarray(half.image, float))
    assert difference.mean() < 2.0 and np.percentile(difference, 99) < 12
    assert seam_ratio(half.image, "half_brick") < 1.10 * max(seam_ratio(full.image, "half_brick"), 1.0)
    assert trained.bf16 == native_bf16()


def test_bf16_can_be_turned_off(monkeypatch):
    from stylization.engine.feedforward import native_bf16

    monkeypatch.setenv("STYLIZATION_LIVE_BF16", "0")
    assert native_bf16() is False
