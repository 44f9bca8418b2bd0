"""The repeat-aware fingerprint on small generated tiles: the lattice of a photo for every repeat
type, phase invariance, the print-and-scan simulator, and the fallback below one period."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from provenance.core import print_scan as ps
from provenance.core import repeat_fingerprint as rf
from provenance.core.plane import plane_view
from stylization.engine import generate_pattern
from stylization.engine.layout import plane_array

REPEATS = ("basic", "half_drop", "half_brick", "mirror", "center")


def _tile(repeat: str, seed: int = 3, size: int | tuple[int, int] = 128) -> Image.Image:
    return generate_pattern(repeat, size=size, seed=seed, kind="motifs")


def _in_lattice_coordinates(vectors: np.ndarray, basis: np.ndarray) -> np.ndarray:
    return vectors @ np.linalg.inv(basis)


@pytest.mark.parametrize("repeat", REPEATS)
def test_the_lattice_of_a_rotated_resized_photo_is_the_repeats_lattice(repeat: str) -> None:
    tile = _tile(repeat, size=(128, 96))
    capture = ps.Capture(periods=2.5, long_side=420, rotation_deg=3.0)
    photo = ps.photograph(tile, repeat, capture, np.random.default_rng(1))
    estimate = rf.estimate_lattice(np.asarray(photo, dtype=np.float64).mean(axis=2))
    assert estimate is not None
    # Photo pixels = R(-θ) · plane pixels / (plane pixels per photo pixel).
    per_pixel = capture.periods * ps.period_length(repeat, 128, 96) / capture.long_side
    theta = np.radians(-capture.rotation_deg)
    rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    expected = rf.repeat_lattice(repeat, 128, 96) @ rotation.T / per_pixel
    coordinates = _in_lattice_coordinates(estimate.basis, expected)
    assert np.abs(coordinates - np.rint(coordinates)).max() < 0.02, coordinates
    assert abs(np.linalg.det(estimate.basis)) == pytest.approx(abs(np.linalg.det(expected)), rel=0.03)
    assert estimate.periods_seen == pytest.approx(2.5, rel=0.1)


def test_the_tile_of_a_half_drop_gives_both_of_its_short_bases() -> None:
    variants = rf.basis_variants(rf.repeat_lattice("half_drop", 100, 100), rf.RECORD_ANGLE_DEG)
    assert {tuple(v[0]) for v in variants} == {(100.0, 50.0), (100.0, -50.0)}
    assert all(tuple(v[1]) == (0.0, 100.0) for v in variants)


def test_the_descriptor_ignores_a_cyclic_shift_and_the_alignment_finds_it() -> None:
    cell = rf.fingerprint_tile(_tile("basic"), "basic").cells[0]
    shifted = np.roll(cell, (17, -9), axis=(1, 2))
    np.testing.assert_allclose(
        rf.phase_invariant_descriptor(shifted), rf.phase_invariant_descriptor(cell), atol=1e-5
    )
    score, shift = rf.align(shifted, cell)
    assert score == pytest.approx(1.0, abs=1e-6) and shift == (17, rf.CELL - 9)


@pytest.mark.parametrize("repeat", ["basic", "half_drop", "mirror"])
def test_views_at_any_phase_match_the_record(repeat: str) -> None:
    tile = np.asarray(_tile(repeat))
    record = rf.fingerprint_tile(tile, repeat)
    side = 2 * int(ps.period_length(repeat, 128, 128))
    scores = []
    for top, left in ((0, 0), (37, 201), (555, 90)):
        view = Image.fromarray(plane_array(tile, repeat, top, left, side, side))
        query = rf.fingerprint_query(view)
        assert query is not None
        scores.append(rf.confirm(query, "record", record).score)
    assert min(scores) > 0.95, scores


def test_an_unrelated_pattern_scores_below_the_threshold() -> None:
    record = rf.fingerprint_tile(_tile("basic", seed=3), "basic")
    photo = ps.photograph(
        _tile("basic", seed=4), "basic", ps.Capture(periods=2.5, long_side=400), np.random.default_rng(2)
    )
    query = rf.fingerprint_query(photo)
    assert query is not None
    assert rf.confirm(query, "record", record).score < rf.REPEAT_MATCH_SCORE


def test_a_print_and_scan_photo_is_found_in_the_index() -> None:
    index = rf.RepeatIndex()
    tiles = {f"{repeat}-{seed}": (repeat, _tile(repeat, seed=seed)) for repeat in REPEATS for seed in (5, 6)}
    for key, (repeat, tile) in tiles.items():
        index.add(key, rf.fingerprint_tile(tile, repeat))
    rng = np.random.default_rng(3)
    repeat, tile = tiles["half_brick-6"]
    photo = ps.photograph(tile, repeat, ps.print_and_scan_capture(rng, periods=3.0), rng)
    query = rf.fingerprint_query(photo)
    assert query is not None
    best = index.search(query)[0]
    assert best.key == "half_brick-6" and best.score >= rf.REPEAT_MATCH_SCORE


def test_the_style_score_tells_an_output_from_another_output_of_its_base_pattern() -> None:
    from tests.benchmarks.photo import cheap_stylize

    base = _tile("half_drop", seed=8, size=160)
    output, sibling = cheap_stylize(base, 1), cheap_stylize(base, 2)
    record = rf.fingerprint_tile(output, "half_drop", base=base)
    rng = np.random.default_rng(5)
    photos = [
        ps.photograph(image, "half_drop", ps.print_and_scan_capture(rng, periods=2.5), rng)
        for image in (output, sibling)
    ]
    queries = [rf.fingerprint_query(photo) for photo in photos]
    assert queries[0] is not None and queries[1] is not None
    genuine, other = (rf.confirm(query, "record", record) for query in queries)
    assert (
        genuine.probable and genuine.style_score is not None and genuine.style_score >= rf.REPEAT_STYLE_SCORE
    )
    # The shared layout carries the aligned score of the sibling; what its style changed does not agree.
    assert other.style_score is not None and other.style_score < rf.REPEAT_STYLE_SCORE and not other.probable


def test_without_a_base_pattern_there_is_no_style_score() -> None:
    tile = _tile("basic", seed=9)
    assert rf.fingerprint_tile(tile, "basic").base_cells == ()
    # A record that is its base pattern (nothing stylized) leaves nothing for the style score to compare.
    record = rf.fingerprint_tile(tile, "basic", base=tile)
    query = rf.fingerprint_query(
        ps.photograph(tile, "basic", ps.Capture(periods=2.5, long_side=400), np.random.default_rng(6))
    )
    assert query is not None
    match = rf.confirm(query, "record", record)
    assert match.style_score is None and match.probable


def test_less_than_one_period_falls_back() -> None:
    tile = _tile("basic")
    photo = ps.photograph(tile, "basic", ps.Capture(periods=0.8, long_side=300), np.random.default_rng(4))
    assert rf.fingerprint_query(photo) is None
    assert (
        rf.fingerprint_query(tile.resize((200, 200))) is None
    )  # the file itself: one period, no repeat seen


def test_a_fingerprint_survives_storage() -> None:
    fingerprint = rf.fingerprint_tile(_tile("half_drop"), "half_drop")
    stored = rf.RepeatFingerprint.from_bytes(fingerprint.to_bytes())
    assert stored.repeat == "half_drop" and stored.tile_size == (128, 128)
    assert len(stored.cells) == len(fingerprint.cells) == 2
    # int8 at 1/40 of a standard deviation; the rare bins beyond 6.35 sigma are clipped.
    np.testing.assert_allclose(
        stored.cells[0], np.clip(fingerprint.cells[0], -6.35, 6.35), atol=1 / 40 + 1e-9
    )
    np.testing.assert_allclose(stored.descriptors, fingerprint.descriptors, atol=2e-3)
    assert stored.base_cells == ()
    with_base = rf.fingerprint_tile(_tile("half_drop"), "half_drop", base=_tile("half_drop", seed=4, size=96))
    restored = rf.RepeatFingerprint.from_bytes(with_base.to_bytes())
    assert len(restored.base_cells) == len(restored.cells) == 2
    np.testing.assert_allclose(
        restored.base_cells[1], np.clip(with_base.base_cells[1], -6.35, 6.35), atol=1 / 40 + 1e-9
    )


# ---- the simulator ------------------------------------------------------------------------------


def test_the_simulated_plane_follows_the_repeat_geometry() -> None:
    tile = np.asarray(_tile("half_drop"))
    # The core's plane and the engine's layout agree pixel for pixel, including the dropped columns.
    np.testing.assert_array_equal(
        plane_view(tile, "half_drop", -70, -200, 300, 400),
        plane_array(tile, "half_drop", -70, -200, 300, 400),
    )
    mirror = plane_view(tile, "mirror", 0, 0, 256, 256)
    np.testing.assert_array_equal(mirror[:128, 128:], tile[:, ::-1])


def test_the_photo_has_the_asked_size_and_is_reproducible() -> None:
    tile = _tile("basic")
    capture = ps.Capture(periods=2.0, long_side=300, aspect=1.5)
    first = ps.photograph(tile, "basic", capture, np.random.default_rng(7))
    again = ps.photograph(tile, "basic", capture, np.random.default_rng(7))
    assert first.size == (300, 200)
    assert np.array_equal(np.asarray(first), np.asarray(again))


def test_the_colour_cast_noise_blur_and_jpeg_change_the_photo_as_asked() -> None:
    tile = _tile("basic")
    clean = ps.Capture(periods=2.0, long_side=256)
    base = np.asarray(ps.photograph(tile, "basic", clean, np.random.default_rng(8)), dtype=np.float64)
    cast = ps.Capture(periods=2.0, long_side=256, colour_cast=(1.0, 0.8, 1.0))
    tinted = np.asarray(ps.photograph(tile, "basic", cast, np.random.default_rng(8)), dtype=np.float64)
    assert tinted[..., 1].mean() / base[..., 1].mean() == pytest.approx(0.8, abs=0.02)
    assert np.abs(tinted[..., 0] - base[..., 0]).mean() < 1.0
    blurred = ps.Capture(periods=2.0, long_side=256, blur_sigma=2.0)
    soft = np.asarray(ps.photograph(tile, "basic", blurred, np.random.default_rng(8)), dtype=np.float64)
    assert np.abs(np.diff(soft, axis=1)).mean() < 0.7 * np.abs(np.diff(base, axis=1)).mean()
    noisy = ps.Capture(periods=2.0, long_side=256, noise_sigma=5.0, jpeg_quality=60)
    grainy = np.asarray(ps.photograph(tile, "basic", noisy, np.random.default_rng(8)), dtype=np.float64)
    assert 2.0 < np.abs(grainy - base).mean() < 12.0


def test_folds_displace_the_plane_and_perspective_bends_its_lattice() -> None:
    tile = _tile("basic")
    flat = ps.Capture(periods=3.0, long_side=360)
    base = np.asarray(ps.photograph(tile, "basic", flat, np.random.default_rng(9)), dtype=np.float64)
    folded = ps.Capture(periods=3.0, long_side=360, fold_amplitude=4.0, fold_wavelength=120.0)
    draped = np.asarray(ps.photograph(tile, "basic", folded, np.random.default_rng(9)), dtype=np.float64)
    assert np.abs(draped - base).mean() > 10  # moved by up to 4 px, and shaded
    keystone = ps.Capture(periods=3.0, long_side=360, perspective=0.05)
    warped = ps.photograph(tile, "basic", keystone, np.random.default_rng(9))
    estimate = rf.estimate_lattice(np.asarray(warped, dtype=np.float64).mean(axis=2))
    assert estimate is not None and estimate.periods_seen == pytest.approx(3.0, rel=0.15)
