"""Colourways through the marketplace: the palette kept at upload, the swap validated against it, and
the base pattern that preview and print both start from carrying the swap."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from marketplace.models import BasePattern
from marketplace.services.colour import pattern_palette
from marketplace.services.personalizations import personalization_create
from stylization.engine.colourway import MERGE_DELTA_E, palette_distance
from stylization.runtime import base_pattern_image_of

pytestmark = pytest.mark.django_db


def _hexes_ok(palette: list[str]) -> bool:
    return all(len(c) == 7 and c.startswith("#") and int(c[1:], 16) >= 0 for c in palette)


def test_an_uploaded_pattern_keeps_its_flat_colours(pattern: BasePattern) -> None:
    pattern.refresh_from_db()
    assert 2 <= len(pattern.palette) <= 8 and _hexes_ok(pattern.palette)


def test_a_pattern_listed_before_palettes_gets_one_on_first_use(pattern: BasePattern) -> None:
    kept = list(pattern.palette)
    BasePattern.objects.filter(pk=pattern.pk).update(palette=[])
    pattern.refresh_from_db()
    assert pattern_palette(pattern=pattern) == kept
    pattern.refresh_from_db()
    assert pattern.palette == kept


@pytest.mark.parametrize(
    ("colourway", "named"),
    [
        ({"#123456": "#000000"}, 'colourway["#123456"]'),  # not in the palette
        ({"blue": "#000000"}, 'colourway["blue"]'),
        ("#000000", "colourway"),
    ],
)
def test_a_bad_colourway_entry_is_refused_naming_it(
    buyer: Any, pattern: BasePattern, style: Any, colourway: Any, named: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        personalization_create(buyer=buyer, base_pattern=pattern, style=style, colourway=colourway)
    assert named in refused.value.message_dict["colourway"][0]


def test_a_bad_new_colour_is_refused_naming_its_palette_colour(
    buyer: Any, pattern: BasePattern, style: Any
) -> None:
    with pytest.raises(ValidationError) as refused:
        personalization_create(
            buyer=buyer, base_pattern=pattern, style=style, colourway={pattern.palette[0]: "red"}
        )
    assert f'colourway["{pattern.palette[0]}"]' in refused.value.message_dict["colourway"][0]


def test_the_styled_base_pattern_changes_only_the_swapped_cluster(
    buyer: Any, make_pattern: Any, style: Any
) -> None:
    pattern = make_pattern(repeat_type="half_drop", side=256)
    palette = pattern.palette
    colour = palette[1]
    personalization = personalization_create(
        buyer=buyer, base_pattern=pattern, style=style, colourway={colour.upper(): "#00ff00"}
    )
    assert personalization.colourway == {colour: "#00ff00"}  # canonical lower case
    with pattern.image.open("rb") as fh:
        original = np.asarray(Image.open(io.BytesIO(fh.read())).convert("RGB"))
    swapped = np.asarray(base_pattern_image_of(personalization))
    changed = (swapped != original).any(axis=-1)

    entries = np.array([bytearray.fromhex(c[1:]) for c in palette], dtype=np.float32)
    nearest, distance = palette_distance(original.reshape(-1, 3), entries)
    cluster = ((nearest == 1) & (distance < MERGE_DELTA_E)).reshape(changed.shape)
    assert cluster.mean() > 0.01
    assert changed[cluster].mean() == 1.0
    # Outside the cluster only its anti-aliased rim may move.
    assert changed[~cluster].mean() < 0.01


def test_no_colourway_leaves_the_base_pattern_and_the_params_as_they_were(
    buyer: Any, pattern: BasePattern, style: Any
) -> None:
    personalization = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    assert "colourway" not in personalization.params()
    with pattern.image.open("rb") as fh:
        original = np.asarray(Image.open(io.BytesIO(fh.read())).convert("RGB"))
    assert np.array_equal(np.asarray(base_pattern_image_of(personalization)), original)
