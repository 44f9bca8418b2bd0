"""The buyer's controls each make a visible change in the direction they name (issue 26)."""

import numpy as np
import pytest
import torch

from stylization.engine import StyleParams, generate_pattern
from stylization.engine.colour import blend_in_lab, srgb_to_lab, with_content_chroma
from stylization.engine.feedforward import FeedForwardModel, Generator, ModelConfig, seed_noise
from stylization.engine.images import to_tensor
from stylization.engine.repeat import plane_window

CONFIG = ModelConfig(channels=6, residual_blocks=1, levels=2)


def _lab(x: torch.Tensor) -> np.ndarray:
    return srgb_to_lab(x[0].permute(1, 2, 0).double().numpy())


def mean_delta_e(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(np.linalg.norm(_lab(a) - _lab(b), axis=-1).mean())


@pytest.fixture(scope="module")
def model() -> FeedForwardModel:
    # An untrained generator that changes its input a lot, so every control has something to act on.
    torch.manual_seed(0)
    generator = Generator(CONFIG.channels, CONFIG.residual_blocks, levels=CONFIG.levels).eval()
    with torch.no_grad():
        generator.out.conv.weight.mul_(20.0)
    return FeedForwardModel(
        generator=generator,
        config=CONFIG,
        style_sha256="s" * 64,
        encoder_name="random",
        encoder_sha256="e" * 64,
    )


@pytest.fixture(scope="module")
def content() -> torch.Tensor:
    return to_tensor(generate_pattern("half_drop", size=128, seed=8))


def test_strength_zero_is_the_base_and_the_change_grows_in_proportion(model, content):
    def change(strength: float) -> float:
        tile = model.apply(content, repeat="half_drop", params=StyleParams(strength=strength))
        return mean_delta_e(tile, content)

    assert torch.equal(model.apply(content, repeat="half_drop", params=StyleParams(strength=0.0)), content)
    changes = [change(s) for s in (0.25, 0.5, 0.75, 1.0)]
    assert changes == sorted(changes) and changes[-1] > 5.0
    # Proportional in Lab: a quarter of the strength is a quarter of the colour difference, so 0.3 is mild.
    assert changes[0] == pytest.approx(changes[-1] / 4, rel=0.08)


def test_blending_in_lab_is_proportional_pixel_by_pixel():
    base, styled = torch.rand(1, 3, 16, 16) * 0.6 + 0.2, torch.rand(1, 3, 16, 16) * 0.6 + 0.2
    full = mean_delta_e(styled, base)
    assert mean_delta_e(blend_in_lab(base, styled, 0.3), base) == pytest.approx(0.3 * full, rel=0.05)
    assert torch.equal(blend_in_lab(base, styled, 0.0), base)


def test_seeds_give_visibly_different_tiles(model, content):
    tiles = {s: model.apply(content, repeat="half_drop", params=StyleParams(seed=s)) for s in (0, 7, 42)}
    assert mean_delta_e(tiles[0], tiles[7]) > 3.0
    assert mean_delta_e(tiles[7], tiles[42]) > 3.0
    assert torch.equal(tiles[7], model.apply(content, repeat="half_drop", params=StyleParams(seed=7)))


@pytest.mark.parametrize("repeat", ["basic", "half_drop", "half_brick"])
def test_the_seed_noise_is_coarse_and_wraps_as_the_tile_does(repeat):
    noise = seed_noise(7, (64, 96), repeat)
    assert noise.shape == (1, 1, 64, 96)
    # Coarse: neighbouring pixels are close, unlike white noise.
    assert float((noise[..., 1:] - noise[..., :-1]).abs().mean()) < 0.5 * float(noise.std())
    # A window of the plane across the tile's edge continues it: no seam in the noise.
    window = plane_window(noise, repeat, 60, 90, 8, 12)
    assert float((window[..., 1:] - window[..., :-1]).abs().max()) < 1.0


def test_style_scale_changes_the_picture_more_the_further_it_goes(model, content):
    def tile(scale: float) -> torch.Tensor:
        return model.apply(content, repeat="half_drop", params=StyleParams(style_scale=scale))

    one = tile(1.0)
    assert mean_delta_e(tile(2.0), one) > 3.0
    assert mean_delta_e(tile(0.5), one) > 3.0


def test_preserve_colours_keeps_a_mint_ground_mint():
    # A mint ground with a darker motif, painted olive-grey: preserve-colours must give the mint back.
    mint = torch.tensor([0.67, 0.90, 0.78])
    base = mint.view(1, 3, 1, 1).expand(1, 3, 64, 64).clone()
    base[..., 20:40, 20:40] = torch.tensor([0.85, 0.35, 0.45]).view(1, 3, 1, 1)
    olive = torch.tensor([0.45, 0.45, 0.35]).view(1, 3, 1, 1).expand(1, 3, 64, 64).clone()
    olive[..., 20:40, 20:40] = 0.25  # the painting keeps the motif's darker shape
    olive += 0.05 * torch.rand(1, 3, 64, 64)
    kept = with_content_chroma(olive.clamp(0, 1), base)
    ground = (slice(None), slice(None), slice(0, 16), slice(0, 16))
    lab_kept, lab_base = _lab(kept[ground]), _lab(base[ground])
    # Hue and chroma are the base's; the painting's texture stays, in lightness only, around mint's own.
    assert float(np.linalg.norm(lab_kept[..., 1:] - lab_base[..., 1:], axis=-1).mean()) < 3.0
    assert abs(float(lab_kept[..., 0].mean() - lab_base[..., 0].mean())) < 8.0
    # The motif keeps its own hue too.
    motif = (slice(None), slice(None), slice(24, 36), slice(24, 36))
    hue = np.degrees(np.arctan2(_lab(kept[motif])[..., 2], _lab(kept[motif])[..., 1])).mean()
    base_hue = np.degrees(np.arctan2(_lab(base[motif])[..., 2], _lab(base[motif])[..., 1])).mean()
    assert abs(hue - base_hue) < 5.0
