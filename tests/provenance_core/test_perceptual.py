from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from provenance.core.perceptual import (
    PHASH_MATCH_BITS,
    PerceptualIndex,
    band_probes,
    bands,
    from_signed64,
    perceptual_hashes,
    perceptual_hashes_of_file,
    to_signed64,
)
from tests.benchmarks.provenance import COPIES, tileable_pattern

PATTERNS = 6


@pytest.fixture(scope="module")
def originals() -> list[Image.Image]:
    return [tileable_pattern(i, size=512, render_size=1536) for i in range(PATTERNS)]


@pytest.fixture(scope="module")
def index(originals: list[Image.Image]) -> PerceptualIndex:
    return PerceptualIndex(
        (f"rec-{i}", h.phash, h.dhash) for i, h in enumerate(map(perceptual_hashes, originals))
    )


@pytest.mark.parametrize(
    "copy",
    [
        "resized to 50 %",
        "JPEG q80",
        "hue rotated 120°",
        "brightness +20 %",
        "screenshot (1280 w, cropped, JPEG q85)",
        "50 % + hue 72° + JPEG q80",
    ],
)
def test_benign_copies_are_found_as_probable_matches(copy: str, originals, index: PerceptualIndex) -> None:
    for i, image in enumerate(originals):
        match = index.nearest(perceptual_hashes(COPIES[copy](image)))
        assert match is not None and match.record_id == f"rec-{i}", (copy, i)


def test_unrelated_patterns_do_not_match(index: PerceptualIndex) -> None:
    for seed in range(500, 500 + PATTERNS):
        assert index.search(perceptual_hashes(tileable_pattern(seed, size=512, render_size=1536))) == []


def test_transparent_png_hashes_like_its_flattened_copy(originals) -> None:
    rgba = originals[0].convert("RGBA")
    buffer = io.BytesIO()
    rgba.save(buffer, "PNG")
    assert perceptual_hashes_of_file(buffer.getvalue()) == perceptual_hashes(originals[0])


@settings(max_examples=200, deadline=None)
@given(phash=st.integers(0, 2**64 - 1), flips=st.sets(st.integers(0, 63), max_size=PHASH_MATCH_BITS))
def test_band_probes_never_miss_a_hash_within_the_threshold(phash: int, flips: set[int]) -> None:
    near = phash
    for bit in flips:
        near ^= 1 << bit
    probes = band_probes(phash)
    assert any(band in probe for band, probe in zip(bands(near), probes, strict=True))
    index = PerceptualIndex([("stored", near)])
    assert "stored" in index.candidates(phash)


@given(value=st.integers(0, 2**64 - 1))
def test_signed64_round_trip_fits_a_bigint(value: int) -> None:
    signed = to_signed64(value)
    assert -(2**63) <= signed < 2**63 and from_signed64(signed) == value
