import numpy as np
import pytest

from stylization.engine import generate_pattern
from tests.benchmarks.stylization import distance_table, extend_row, judge_style_distance, painting_crops
from tests.stylization.conftest import brush_style


def test_style_distance_is_one_for_the_base_and_its_group_shares_add_up_to_its_square():
    distance = judge_style_distance(128)
    base = generate_pattern("basic", size=128, seed=1, kind="ditsy")
    other = generate_pattern("basic", size=128, seed=2, kind="blobs")
    style = brush_style(160)

    base_distance, base_shares = distance(base, base, style)
    other_distance, other_shares = distance(other, base, style)

    assert base_distance == pytest.approx(1.0)
    assert sum(base_shares.values()) == pytest.approx(1.0, rel=1e-4)
    assert other_distance != pytest.approx(1.0)
    assert sum(other_shares.values()) == pytest.approx(other_distance**2, rel=1e-4)
    assert all(share >= 0 for share in other_shares.values())
    assert "ps:std_reconstructed" in other_shares


def test_distance_table_lists_every_group_per_method_and_their_sum():
    rows = [{"method": "a", "ps:x": 0.01, "ps:y": 0.02}, {"method": "b", "ps:x": 0.1, "ps:y": 0.0}]

    table = distance_table(rows).splitlines()

    assert table[0] == "| statistic group | a | b |"
    assert table[2] == "| x | 0.0100 | 0.1000 |"
    assert table[-1] == "| **sum (mean of distance²)** | 0.0300 | 0.1000 |"


def test_painting_crops_are_judge_sized_squares_away_from_the_centre_the_judge_compares_with():
    from PIL import Image, ImageOps

    distance = judge_style_distance(128)
    base = generate_pattern("basic", size=128, seed=1, kind="ditsy")
    style = brush_style(320).crop((0, 0, 320, 200))  # a landscape painting
    centre = ImageOps.fit(style, (128, 128), Image.Resampling.LANCZOS)

    crops = painting_crops(style, 128)

    assert [c.size for c in crops] == [(128, 128)] * 4
    # The centre square is the judge's own reference (up to the order of cropping and greying).
    assert distance(centre, base, style)[0] < 0.01
    assert all(distance(crop, base, style)[0] > 0.05 for crop in crops)


def test_palette_distance_is_zero_for_the_same_colours_and_grows_with_a_colour_shift():
    from PIL import Image

    from tests.benchmarks.stylization import palette_distance

    style = brush_style(96)
    shuffled = Image.fromarray(
        np.random.default_rng(0).permutation(np.asarray(style).reshape(-1, 3)).reshape(96, 96, 3)
    )
    warmer = Image.fromarray(np.clip(np.asarray(style).astype(int) + [60, 20, -40], 0, 255).astype(np.uint8))
    assert palette_distance(style, style) == pytest.approx(0.0, abs=1e-9)
    assert palette_distance(shuffled, style) == pytest.approx(0.0, abs=1e-6)  # the palette ignores layout
    assert palette_distance(warmer, style) > 5.0


def test_patch_distance_tells_the_painting_from_noise_of_its_own_colours():
    from PIL import Image

    from tests.benchmarks.stylization import patch_distance

    style = brush_style(96)
    shuffled = Image.fromarray(
        np.random.default_rng(0).permutation(np.asarray(style).reshape(-1, 3)).reshape(96, 96, 3)
    )
    assert patch_distance(style, style) < 0.5 * patch_distance(shuffled, style)


def test_gate_table_compares_the_model_with_the_optimiser():
    from tests.benchmarks.stylization import gate_table

    common = {"seam": 1.0, "seconds": 6.0, "inference_ms": float("nan")}
    rows = [
        {"method": "painting-crops-reference", "distance": 0.1, **common},
        {"method": "ours-random", "distance": 0.2, "ssim": 0.5, "palette": 10.0, "patch": 8.0, **common},
        {
            "method": "feedforward-model",
            "distance": 0.25,
            "ssim": 0.47,
            "palette": 11.0,
            "patch": 8.0,
            **{**common, "inference_ms": 40.0, "seam": 1.05},
        },
    ]
    table = gate_table(rows).splitlines()
    assert table[2] == "| style distance | 0.200 | 0.250 | 1.25 | ≤ 1.15× | no |"
    assert table[3].endswith("| ≥ opt − 0.05 | yes |")
    assert table[6] == "| mean seam ratio | 1.000 | 1.050 | — | ≤ 1.10 | yes |"
    assert table[-1] == "| model style distance × painting-crops floor | — | — | 2.50 | ≤ 2.2 | no |"


def test_a_cached_row_extended_by_later_patterns_is_the_mean_over_all_of_them():
    def run(values: list[float], peak: float) -> dict:
        per_pattern = [{"lite2": v, "seam": 2 * v} for v in values]
        return {
            "method": "ours-lite0",
            "patterns": len(values),
            "peak_rss_mb": peak,
            "per_pattern": per_pattern,
            "images": [b"x"] * len(values),
            "lite2": float(np.mean(values)),
            "seam": float(np.mean(values)) * 2,
        }

    row = extend_row(run([0.1, 0.2], 900.0), run([0.6], 1200.0))

    assert row["patterns"] == 3 and len(row["images"]) == 3
    assert row["lite2"] == pytest.approx(0.3) and row["seam"] == pytest.approx(0.6)
    assert row["peak_rss_mb"] == 1200.0
