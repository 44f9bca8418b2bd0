"""The repeat check warns when the tile's edge cuts motifs, and not when the tile is seamless."""

import pytest

from stylization.engine.edge_cuts import edge_cuts
from stylization.engine.patterns import generate_pattern, pattern_plane


@pytest.mark.parametrize("repeat", ["basic", "half_drop", "half_brick"])
@pytest.mark.parametrize("kind", ["motifs", "ditsy"])
def test_a_seamless_pattern_raises_no_warning(repeat, kind):
    cuts = edge_cuts(generate_pattern(repeat, size=160, seed=41, kind=kind), repeat)
    assert not cuts.warns, cuts


@pytest.mark.parametrize("kind", ["motifs", "ditsy"])
def test_a_tile_cropped_short_of_its_period_warns(kind):
    # The same design painted over 2x2 tiles, cropped to 80 % of one period: motifs break at the edge.
    plane = pattern_plane("basic", size=160, seed=41, kind=kind, cols=2, rows=2)
    cropped = plane.crop((0, 0, 128, 128))
    cuts = edge_cuts(cropped, "basic")
    assert cuts.warns, cuts


def test_a_mirrored_tile_cannot_be_cut_at_its_edge():
    plane = pattern_plane("basic", size=160, seed=41, kind="motifs", cols=2, rows=2)
    assert edge_cuts(plane.crop((0, 0, 128, 128)), "mirror").border_fraction == 0.0
