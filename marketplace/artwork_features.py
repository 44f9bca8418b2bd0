"""Does an image contain a listed artwork? Local features (ORB keypoints, scikit-image) matched under
one similarity transform, so the answer holds whichever way the copy was turned, mirrored, inverted,
cropped, padded or tiled, where a global hash of the whole image changes.

- Rotations: ORB orients each keypoint, so a turned copy matches (90° steps and any angle between).
- Mirror and inversion: stored as their own keypoint sets (the artwork mirrored, inverted, both);
  with the rotations that covers the dihedral group and its negatives.
- Crops, borders and tiles: the artwork's keypoints are stored at four sizes, and the upload's at
  two (neither is ever enlarged), so a 50 % crop or one tile of a 2 × 2 sheet meets a stored set at
  a similar scale; a border or the other tiles only add keypoints that match nothing.
- The decision: enough matched keypoints agree on one transform (RANSAC inliers). Unrelated images
  give a few chance matches that no single transform explains.

No Django: the listing service stores `artwork_features(...).to_bytes()` per style and calls
`copied_inliers` at check time; `python -m tests.benchmarks.laundering` measures it.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from skimage.feature import ORB
from skimage.measure import ransac
from skimage.transform import SimilarityTransform

# Changing any parameter below changes what is stored: bump the method so stored sets are recomputed.
FEATURES_METHOD = "orb-v1"

# The upload's long side at each size it is matched at (a smaller upload is taken at its own size),
# and how many keypoints each keeps. ORB keeps its strongest keypoints, mostly from the finest levels
# of its pyramid, so its pyramid alone did not carry a crop to the stored scale (a 50 % crop matched
# nothing); matching the upload at half size as well does.
QUERY_SIZES: tuple[tuple[int, int], ...] = ((384, 500), (192, 250))
# The artwork's long side at each stored size (never enlarged past its own), in √2 steps, and how many
# keypoints each keeps; with the finer ORB pyramid below that covers any scale between them.
STORED_SIZES: tuple[tuple[int, int], ...] = ((192, 250), (272, 350), (384, 500), (544, 700))
ORB_DOWNSCALE = 1.15
# The query's pyramid spans 3.5× (how much smaller than the stored sizes the copy may be); each stored
# size's spans 1.5×, just past the √2 to the next stored size.
QUERY_ORB_SCALES = 10
STORED_ORB_SCALES = 4
# Higher finds fewer, stronger corners: 0.12 keeps every variant of the bench and lists a painting
# in half the time of 0.05; at 0.2 a low-contrast painting (the_scream) lost its 50 % crops.
ORB_FAST_THRESHOLD = 0.12
# A keypoint match: nearest stored descriptor within this many of 256 bits and clearly nearer than the
# second nearest (chance pairs of ORB descriptors sit near 128 bits apart).
MATCH_MAX_BITS = 64
MATCH_RATIO = 0.85
# Matches that one similarity transform explains to within this many pixels (at the query's size).
INLIER_PX = 5.0
# Inliers from which an image counts as containing the artwork (laundering_bench: copies give 50 or
# more, unrelated images none, since they rarely reach even this many candidate matches).
COPY_MIN_INLIERS = 12
RANSAC_TRIALS = 200
# Most uploads are no copy, so each stored set is first tried with the upload's strongest keypoints
# only (ORB lists them strongest first): an unrelated image matches none of them, a copy several. Only
# a set that passes gets the full match.
PREFILTER_KEYPOINTS = 100
PREFILTER_MIN_MATCHES = 2

VARIANTS = ("as is", "mirrored", "inverted", "mirrored inverted")

Grey = NDArray[np.float64]


@dataclass(frozen=True)
class Keypoints:
    """Keypoints as (row, col) at the image's working size, descriptors as 4 × 64-bit words, and the
    stored set (size × variant) each belongs to."""

    points: NDArray[np.float32]
    descriptors: NDArray[np.uint64]
    sets: NDArray[np.uint8]

    def __len__(self) -> int:
        return len(self.points)

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        np.savez_compressed(
            out, points=self.points, descriptors=self.descriptors.view(np.uint8), sets=self.sets
        )
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Keypoints:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            return cls(
                points=arrays["points"],
                descriptors=arrays["descriptors"].view(np.uint64).reshape(-1, 4),
                sets=arrays["sets"],
            )

    def subset(self, set_id: int) -> Keypoints:
        chosen = self.sets == set_id
        return Keypoints(self.points[chosen], self.descriptors[chosen], self.sets[chosen])


def _empty() -> Keypoints:
    return Keypoints(np.zeros((0, 2), np.float32), np.zeros((0, 4), np.uint64), np.zeros(0, np.uint8))


def grey(image: Image.Image, long_side: int) -> Grey:
    """Luminance in [0, 1] (transparency flattened onto white) with its long side at most `long_side`:
    luminance, unlike the HSV value, turns exactly into 1 − itself under inversion."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flattened = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        flattened.alpha_composite(rgba)
        image = flattened
    luminance = image.convert("L")
    scale = min(1.0, long_side / max(luminance.size))
    if scale < 1.0:
        size = (max(1, round(luminance.width * scale)), max(1, round(luminance.height * scale)))
        luminance = luminance.resize(size, Image.Resampling.LANCZOS)
    return np.asarray(luminance, dtype=np.float64) / 255.0


def keypoints(picture: Grey, count: int, *, scales: int, set_id: int = 0) -> Keypoints:
    """ORB keypoints of a greyscale picture; none where it is too small or too flat to have any."""
    if min(picture.shape) < 32:
        return _empty()
    orb = ORB(n_keypoints=count, fast_threshold=ORB_FAST_THRESHOLD, downscale=ORB_DOWNSCALE, n_scales=scales)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            orb.detect_and_extract(picture)
    except (RuntimeError, ValueError, IndexError):
        return _empty()
    if len(orb.keypoints) == 0:
        return _empty()
    words = np.packbits(orb.descriptors.astype(bool), axis=1).view(np.uint64).reshape(-1, 4)
    return Keypoints(orb.keypoints.astype(np.float32), words, np.full(len(words), set_id, np.uint8))


def artwork_features(artwork: Image.Image) -> Keypoints:
    """What a listing stores: the artwork's keypoints at each size, as is, mirrored, inverted and both."""
    parts: list[Keypoints] = []
    own_long_side = max(artwork.size)
    sizes = [size for size in STORED_SIZES if size[0] <= own_long_side] or [
        (own_long_side, STORED_SIZES[0][1])
    ]
    for size_index, (long_side, count) in enumerate(sizes):
        picture = grey(artwork, long_side)
        for variant_index, variant in enumerate(
            (picture, picture[:, ::-1], 1.0 - picture, 1.0 - picture[:, ::-1])
        ):
            parts.append(
                keypoints(
                    variant,
                    count,
                    scales=STORED_ORB_SCALES,
                    set_id=size_index * len(VARIANTS) + variant_index,
                )
            )
    return _joined(parts)


def _joined(parts: list[Keypoints]) -> Keypoints:
    parts = [part for part in parts if len(part)]
    if not parts:
        return _empty()
    return Keypoints(
        np.concatenate([p.points for p in parts]),
        np.concatenate([p.descriptors for p in parts]),
        np.concatenate([p.sets for p in parts]),
    )


def query_features(image: Image.Image) -> Keypoints:
    """The image's keypoints at each query size it reaches (its `sets` number the sizes)."""
    own_long_side = max(image.size)
    parts = [
        keypoints(grey(image, long_side), count, scales=QUERY_ORB_SCALES, set_id=index)
        for index, (long_side, count) in enumerate(QUERY_SIZES)
        if index == 0 or long_side < own_long_side
    ]
    return _joined(parts)


def _matches(query: NDArray[np.uint64], stored: NDArray[np.uint64]) -> NDArray[np.intp]:
    """(query index, stored index) of each query descriptor's clear nearest stored descriptor."""
    if len(query) == 0 or len(stored) < 2:
        return np.zeros((0, 2), np.intp)
    distances = np.bitwise_count(query[:, None, :] ^ stored[None, :, :]).sum(axis=2, dtype=np.int16)
    two_nearest = np.partition(distances, 1, axis=1)
    nearest = distances.argmin(axis=1)
    clear = (two_nearest[:, 0] <= MATCH_MAX_BITS) & (two_nearest[:, 0] < MATCH_RATIO * two_nearest[:, 1])
    rows = np.flatnonzero(clear)
    return np.stack([rows, nearest[rows]], axis=1)


def _inliers(query: Keypoints, stored: Keypoints, matches: NDArray[np.intp]) -> int:
    source = stored.points[matches[:, 1]][:, ::-1].astype(np.float64)  # (x, y) for the transform
    target = query.points[matches[:, 0]][:, ::-1].astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # degenerate samples (collinear points) are skipped by RANSAC
        _, inliers = ransac(
            (source, target),
            SimilarityTransform,
            min_samples=3,
            residual_threshold=INLIER_PX,
            max_trials=RANSAC_TRIALS,
            stop_sample_num=2 * COPY_MIN_INLIERS,
            rng=0,
        )
    return 0 if inliers is None else int(inliers.sum())


def copied_inliers(query: Keypoints, stored: Keypoints) -> int:
    """The most query keypoints that one similarity transform maps onto one stored set of the artwork;
    at least COPY_MIN_INLIERS means the query contains the artwork. Stops at the first set that shows it."""
    candidates: list[tuple[int, Keypoints, Keypoints, NDArray[np.intp]]] = []
    for query_set in np.unique(query.sets):
        seen = query.subset(int(query_set))
        strongest = seen.descriptors[:PREFILTER_KEYPOINTS]
        for stored_set in np.unique(stored.sets):
            part = stored.subset(int(stored_set))
            if len(_matches(strongest, part.descriptors)) < PREFILTER_MIN_MATCHES:
                continue
            found = _matches(seen.descriptors, part.descriptors)
            if len(found) >= COPY_MIN_INLIERS:
                candidates.append((len(found), seen, part, found))
    best = 0
    for _, seen, part, found in sorted(candidates, key=lambda c: -c[0]):
        best = max(best, _inliers(seen, part, found))
        if best >= COPY_MIN_INLIERS:
            break
    return best
