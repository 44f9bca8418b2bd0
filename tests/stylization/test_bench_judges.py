import pytest

from stylization.bench import _distance_table, _judge_style_distance, painting_crops
from stylization.engine import generate_pattern
from tests.stylization.conftest import brush_style


def test_style_distance_is_one_for_the_base_and_its_group_shares_add_up_to_its_square():
    distance = _judge_style_distance(128)
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

    table = _distance_table(rows).splitlines()

    assert table[0] == "| statistic group | a | b |"
    assert table[2] == "| x | 0.0100 | 0.1000 |"
    assert table[-1] == "| **sum (mean of distance²)** | 0.0300 | 0.1000 |"


def test_painting_crops_are_judge_sized_squares_away_from_the_centre_the_judge_compares_with():
    from PIL import Image, ImageOps

    distance = _judge_style_distance(128)
    base = generate_pattern("basic", size=128, seed=1, kind="ditsy")
    style = brush_style(320).crop((0, 0, 320, 200))  # a landscape painting
    centre = ImageOps.fit(style, (128, 128), Image.Resampling.LANCZOS)

    crops = painting_crops(style, 128)

    assert [c.size for c in crops] == [(128, 128)] * 4
    # The centre square is the judge's own reference (up to the order of cropping and greying).
    assert distance(centre, base, style)[0] < 0.01
    assert all(distance(crop, base, style)[0] > 0.05 for crop in crops)
