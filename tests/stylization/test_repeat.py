import numpy as np
import pytest
import torch
import torch.nn.functional as F

from stylization.engine import REPEAT_TYPES, pad
from stylization.engine.repeat import plane_window, pool2, resample


@pytest.mark.parametrize("repeat", REPEAT_TYPES)
@pytest.mark.parametrize("size", [(12, 10), (16, 16), (8, 14)])
def test_pad_puts_the_true_neighbours_around_the_tile(repeat, size):
    x = torch.randn(1, 3, *size)
    for p in (1, 3, min(size), max(size) + 5):
        assert torch.equal(
            pad(x, repeat, p), plane_window(x, repeat, -p, -p, size[0] + 2 * p, size[1] + 2 * p)
        )


def test_half_drop_neighbour_column_is_shifted_by_half_the_height():
    x = torch.arange(8 * 4, dtype=torch.float32).reshape(1, 1, 8, 4)
    padded = pad(x, "half_drop", 1)
    # Right neighbour column is tile column 0 moved down by 4 rows: row 0 shows tile row 4.
    assert padded[0, 0, 1, -1] == x[0, 0, 4, 0]
    assert padded[0, 0, 1, 0] == x[0, 0, 4, 3]


def _half_drop_field(height: int, width: int) -> torch.Tensor:
    # Frequencies compatible with the half-drop lattice (0, H) and (W, H/2).
    y = (torch.arange(height, dtype=torch.float64) + 0.5) / height
    x = (torch.arange(width, dtype=torch.float64) + 0.5) / width
    yy, xx = torch.meshgrid(y, x, indexing="ij")
    field = torch.cos(2 * np.pi * (0.5 * xx + yy)) + 0.5 * torch.sin(2 * np.pi * (xx + 2 * yy))
    return field[None, None]


def test_resample_follows_the_half_drop_across_the_edge():
    fine = _half_drop_field(128, 96)
    coarse = _half_drop_field(64, 48)
    ours = resample(fine, "half_drop", (64, 48))
    naive = F.interpolate(fine, size=(64, 48), mode="bilinear", antialias=True, align_corners=False)
    edge_error = (ours - coarse)[..., :, [0, -1]].abs().max()
    naive_edge_error = (naive - coarse)[..., :, [0, -1]].abs().max()
    assert edge_error < 0.01
    assert naive_edge_error > 3 * edge_error


def test_resample_on_the_torus_commutes_with_a_wrap_around_shift():
    x = torch.rand(1, 3, 64, 48)
    down = resample(torch.roll(x, shifts=(8, 4), dims=(-2, -1)), "basic", (16, 12))
    assert torch.allclose(
        down, torch.roll(resample(x, "basic", (16, 12)), shifts=(2, 1), dims=(-2, -1)), atol=1e-6
    )
    up = resample(torch.roll(x, shifts=(1, 1), dims=(-2, -1)), "basic", (128, 96))
    assert torch.allclose(
        up, torch.roll(resample(x, "basic", (128, 96)), shifts=(2, 2), dims=(-2, -1)), atol=1e-6
    )


def test_pool_keeps_a_half_drop_tile_a_half_drop_tile():
    x = _half_drop_field(64, 32).float()
    pooled = pool2(x, "half_drop")
    expected = _half_drop_field(32, 16).float()
    # 2x2 averaging of a smooth field equals sampling it at half resolution up to curvature.
    assert (pad(pooled, "half_drop", 2) - pad(expected, "half_drop", 2)).abs().max() < 0.02


def test_unknown_repeat_is_refused():
    with pytest.raises(ValueError):
        pad(torch.zeros(1, 3, 8, 8), "diagonal", 1)
