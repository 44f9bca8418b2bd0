"""Region control: masks from the design's flat colours, kept at its repeat; a masked Gram loss; and
every method paints only the region the buyer chose."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from stylization.engine import StyleParams
from stylization.engine.feedforward import FeedForwardModel, ModelConfig, generator_for
from stylization.engine.images import to_tensor
from stylization.engine.regions import ground_mask, region_mask
from stylization.engine.transfer import gram, masked_gram

GROUND = (236, 224, 200)


def motifs_on_ground(side: int = 96) -> Image.Image:
    """Two flat-colour motifs on a cream ground, one of them across the tile's right edge."""
    image = Image.new("RGB", (side, side), GROUND)
    draw = ImageDraw.Draw(image)
    draw.ellipse((20, 20, 44, 44), fill=(180, 40, 60))
    draw.rectangle((side - 10, 50, side + 10, 70), fill=(30, 90, 60))
    draw.rectangle((-10, 50, 10, 70), fill=(30, 90, 60))  # the same motif's other half, wrapped
    return image


def test_regions_refuses_an_unknown_value() -> None:
    with pytest.raises(ValueError, match="regions must be one of all, motifs, ground"):
        StyleParams(regions="sky")


def test_the_ground_is_the_dominant_flat_colour_and_its_mask_moves_with_the_tile() -> None:
    tile = to_tensor(motifs_on_ground())
    mask = ground_mask(tile, "basic")[0, 0].numpy()
    expected = (np.asarray(motifs_on_ground()) == GROUND).all(-1)
    assert (mask.astype(bool) == expected).mean() > 0.98
    # A tile of the same plane cut elsewhere has the same mask, cut in the same place: the mask is kept
    # at the repeat, not at the tile's edges.
    shifted = ground_mask(torch.roll(tile, shifts=(13, 29), dims=(-2, -1)), "basic")[0, 0].numpy()
    assert (np.roll(mask, (13, 29), (0, 1)) == shifted).mean() > 0.98
    motifs = region_mask(tile, "motifs", "basic")
    assert motifs is not None and torch.allclose(motifs, 1 - ground_mask(tile, "basic"))
    assert region_mask(tile, "all", "basic") is None


def test_a_masked_gram_sees_only_the_features_inside_its_mask() -> None:
    features = torch.rand(1, 5, 8, 8)
    assert torch.allclose(masked_gram(features, torch.ones(1, 1, 32, 32)), gram(features), atol=1e-6)
    left = torch.zeros(1, 1, 32, 32)
    left[..., :16] = 1.0
    changed = features.clone()
    changed[..., 4:] = torch.rand(1, 5, 8, 4)  # only the unmasked half changes
    assert torch.allclose(masked_gram(features, left), masked_gram(changed, left), atol=1e-6)
    assert torch.allclose(masked_gram(features, left), gram(features[..., :4]), atol=1e-6)


def _changed(base: Image.Image, out: Image.Image) -> np.ndarray:
    return np.abs(np.asarray(base, dtype=np.float64) - np.asarray(out, dtype=np.float64)).mean(-1) > 12


def _inside(side: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixels well inside the ground and well inside the motifs (the mask's soft edge excluded)."""
    ground = (np.asarray(motifs_on_ground(side)) == GROUND).all(-1)
    eroded = ground.copy()
    motif = ~ground
    eroded_motif = motif.copy()
    for dy, dx in ((3, 0), (-3, 0), (0, 3), (0, -3)):
        eroded &= np.roll(ground, (dy, dx), (0, 1))
        eroded_motif &= np.roll(motif, (dy, dx), (0, 1))
    return eroded, eroded_motif


@pytest.mark.parametrize("regions", ["motifs", "ground", "all"])
def test_the_optimiser_paints_only_the_chosen_region(
    engine, style_image, short_schedule, regions: str
) -> None:
    base = motifs_on_ground()
    result = engine.preview(
        base, style_image, repeat="basic", params=StyleParams(strength=0.9, regions=regions), long_side=96
    )
    changed = _changed(base, result.image)
    ground, motifs = _inside(96)
    assert changed[ground].mean() > 0.5 if regions in ("ground", "all") else changed[ground].mean() == 0
    assert changed[motifs].mean() > 0.5 if regions in ("motifs", "all") else changed[motifs].mean() == 0


def test_the_live_model_paints_only_the_chosen_region() -> None:
    config = ModelConfig(channels=4, residual_blocks=1, levels=2)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        generator = generator_for(config).eval()
        # A model whose change is large everywhere, so a region it leaves alone is plainly left.
        torch.nn.init.normal_(generator.out.conv.weight, std=0.5)
    model = FeedForwardModel(
        generator=generator, config=config, style_sha256="s", encoder_name="random", encoder_sha256="e"
    )
    base = motifs_on_ground()
    ground, motifs = _inside(96)
    for regions, painted, kept in (("motifs", motifs, ground), ("ground", ground, motifs)):
        out = model.stylize(
            base, repeat="basic", params=StyleParams(strength=0.7, regions=regions), long_side=96
        )
        changed = _changed(base, out.image)
        assert changed[painted].mean() > 0.5 and changed[kept].mean() == 0, regions
