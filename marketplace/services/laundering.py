"""No style laundering: an image that is a copy of a listed style's artwork is refused, whether a
buyer uploads it as their "own image" (it would print the painting without its licence and its
artist's fee) or another artist lists it as a new style.

Two checks, against every style's artwork, withdrawn and suspended ones included (a copy of a
withdrawn painting is no more the uploader's own), and never against the uploader's own styles:

1. Perceptual hashes (`provenance.core.perceptual`: pHash and dHash of the HSV value channel, so
   recolourings hash alike) of the artwork whole and cropped (`StyleFingerprint`, a dozen views),
   with the pHash in indexed 16-bit bands: a few indexed lookups catch resized, re-encoded and
   recoloured copies however many styles are listed.
2. Local features (`marketplace.artwork_features`, stored per style in `StyleArtworkFeatures`): ORB
   keypoints that one similarity transform must explain, which a global hash cannot do for a copy
   that is mirrored, turned, inverted, cropped to half, framed in a border or tiled.

Only listed artwork is compared. Another buyer's uploaded image is not: it is no one's listing, so
an image that an earlier personalization used is never blocked.

Thresholds: `python -m marketplace.bench --laundering` (the hashes) and
`python -m marketplace.laundering_bench` (both checks on 20 variants of each demo painting against
200 unrelated images); the tables are in marketplace/EXPERIMENTS.md.
"""

from __future__ import annotations

import io
import warnings

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from PIL import Image

from marketplace.artwork_features import (
    COPY_MIN_INLIERS,
    FEATURES_METHOD,
    Keypoints,
    artwork_features,
    copied_inliers,
    query_features,
)
from marketplace.models import Style, StyleArtworkFeatures, StyleFingerprint, User

# The one seam from the marketplace into provenance: its perceptual hashing is an engine (no
# Django, no models), so this import cannot form a cycle.
from provenance.core.perceptual import (
    PerceptualHashes,
    band_probes,
    bands,
    from_signed64,
    hamming,
    perceptual_hashes,
    to_signed64,
)

# pHash bits and dHash bits within which a buyer's image counts as a copy of a listed artwork.
LAUNDERING_PHASH_BITS = 12
LAUNDERING_DHASH_BITS = 16


# A cropped copy hashes far from the whole painting (a 90 % centre crop moved pHash by up to 16 bits on
# the bench), so each artwork is also hashed cropped: centred, and from each corner.
ARTWORK_CROPS: tuple[tuple[str, float], ...] = (
    ("centre", 0.9),
    ("centre", 0.8),
    ("centre", 0.7),
    ("top-left", 0.9),
    ("top-right", 0.9),
    ("bottom-left", 0.9),
    ("bottom-right", 0.9),
    ("top-left", 0.8),
    ("top-right", 0.8),
    ("bottom-left", 0.8),
    ("bottom-right", 0.8),
)


def artwork_views(image: Image.Image) -> dict[str, Image.Image]:
    """The artwork whole and cropped, as a launderer might crop it: the views whose hashes are stored."""
    views = {"whole": image}
    for anchor, keep in ARTWORK_CROPS:
        w, h = round(image.width * keep), round(image.height * keep)
        left = {"centre": (image.width - w) // 2, "top-left": 0, "bottom-left": 0}.get(
            anchor, image.width - w
        )
        top = {"centre": (image.height - h) // 2, "top-left": 0, "top-right": 0}.get(anchor, image.height - h)
        views[f"{anchor} {round(keep * 100)} %"] = image.crop((left, top, left + w, top + h))
    return views


class StyleLaundered(ValidationError):
    """A buyer's own image is a listed style's artwork; `style` is that style, whose licence is offered."""

    def __init__(self, style: Style) -> None:
        offer = (
            f"Personalize with “{style.title}” under its licence instead."
            if style.active and style.licence is not None
            else "That style is not offered now, so its artwork cannot be used."
        )
        super().__init__(
            {"style_image": [f"This image is the artwork of the listed style “{style.title}”. {offer}"]}
        )
        self.style = style


class ArtworkListedByAnother(ValidationError):
    """A new style's image is the artwork of another artist's style."""

    def __init__(self, style: Style) -> None:
        super().__init__(
            {
                "image": [
                    f"This image is the artwork of “{style.title}”, a style another artist listed: "
                    "only its own artist may list it. If it is your work, report that listing instead."
                ]
            }
        )
        self.style = style


def _decoded(data: bytes) -> Image.Image | None:
    """None when the bytes are not an image Pillow can read (the upload check refuses those)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                return image.copy()
    except Exception:
        return None


def is_copy(query: PerceptualHashes, phash: int, dhash: int) -> bool:
    return (
        hamming(query.phash, phash) <= LAUNDERING_PHASH_BITS
        and hamming(query.dhash, dhash) <= LAUNDERING_DHASH_BITS
    )


def artwork_fingerprints(artwork: Image.Image) -> list[dict[str, object]]:
    """StyleFingerprint's columns for each view of the artwork (also used by the backfill migration)."""
    rows: list[dict[str, object]] = []
    for view, picture in artwork_views(artwork).items():
        hashes = perceptual_hashes(picture)
        band = bands(hashes.phash)
        rows.append(
            {
                "view": view,
                "phash": to_signed64(hashes.phash),
                "dhash": to_signed64(hashes.dhash),
                "phash_band0": band[0],
                "phash_band1": band[1],
                "phash_band2": band[2],
                "phash_band3": band[3],
            }
        )
    return rows


def style_fingerprints_store(*, style: Style, image: bytes) -> int:
    """Hash every view of the style's artwork and store its local features, replacing what was
    stored; returns how many views were hashed."""
    try:
        with Image.open(io.BytesIO(image)) as opened:
            artwork = opened.convert("RGB")
    except Exception:
        return 0  # the upload check refuses what Pillow cannot read before this is reached
    rows = [StyleFingerprint(style=style, **fields) for fields in artwork_fingerprints(artwork)]
    features = artwork_features(artwork).to_bytes()
    with transaction.atomic():
        StyleFingerprint.objects.filter(style=style).delete()
        StyleFingerprint.objects.bulk_create(rows)
        StyleArtworkFeatures.objects.update_or_create(
            style=style, defaults={"method": FEATURES_METHOD, "keypoints": features}
        )
    return len(rows)


def listed_style_copied(*, image: bytes, user: User) -> Style | None:
    """The listed style whose artwork `image` is a copy of; None when it is no copy. An artist using
    their own artwork, as their own image or in another listing, is not laundering it."""
    picture = _decoded(image)
    if picture is None:
        return None
    style_id = _copied_by_hashes(perceptual_hashes(picture), user=user) or _copied_by_features(
        picture, user=user
    )
    return Style.objects.select_related("licence").get(pk=style_id) if style_id else None


def _copied_by_features(picture: Image.Image, *, user: User) -> int | None:
    query = query_features(picture)
    if len(query) < COPY_MIN_INLIERS:
        return None
    stored = (
        StyleArtworkFeatures.objects.filter(method=FEATURES_METHOD)
        .exclude(style__artist=user)
        .values_list("style_id", "keypoints")
    )
    for style_id, keypoints in stored.iterator(chunk_size=50):
        if copied_inliers(query, Keypoints.from_bytes(bytes(keypoints))) >= COPY_MIN_INLIERS:
            return int(style_id)
    return None


def _copied_by_hashes(query: PerceptualHashes, *, user: User) -> int | None:
    probes = band_probes(query.phash, LAUNDERING_PHASH_BITS)
    candidates = (
        StyleFingerprint.objects.filter(
            Q(phash_band0__in=probes[0])
            | Q(phash_band1__in=probes[1])
            | Q(phash_band2__in=probes[2])
            | Q(phash_band3__in=probes[3])
        )
        .exclude(style__artist=user)
        .values_list("style_id", "phash", "dhash")
    )
    best: tuple[int, int] | None = None
    for style_id, phash, dhash in candidates:
        stored_phash, stored_dhash = from_signed64(phash), from_signed64(dhash)
        if is_copy(query, stored_phash, stored_dhash):
            distance = hamming(query.phash, stored_phash)
            if best is None or distance < best[0]:
                best = (distance, style_id)
    return best[1] if best else None
