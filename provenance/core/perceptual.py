"""Perceptual hashes of printed outputs, and a search for "this file looks like record X".

SHA-256 proves a file is byte-identical; a screenshot, a JPEG re-save or a resized copy found in
the wild is not. For those we keep two 64-bit hashes of each print PNG, computed on the same
normalised greyscale: the HSV value channel, max(R, G, B), which a hue rotation leaves untouched
(plain luminance moved pHash by up to 18 bits under a hue shift in the bench): pHash (DCT of a 32x32 thumbnail, robust to
resizing and compression) and dHash (signs of horizontal gradients, a second, independent opinion
that keeps false matches down). A candidate is a *probable match* only when both are close;
the thresholds come from `python -m tests.benchmarks.provenance`, not from guesswork.

Search scales like this: the 64-bit pHash is split into 4 bands of 16 bits. If two hashes differ
in at most t bits, at least one band differs in at most t // 4 bits (pigeonhole). So candidates
are the records whose band i equals one of the values within t // 4 bits of the query's band i —
four indexed integer-column lookups in SQL — and only those candidates get an exact distance.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

import imagehash
from PIL import Image

BANDS = 4
BAND_BITS = 16
_BAND_MASK = (1 << BAND_BITS) - 1

# Chosen by `python -m tests.benchmarks.provenance` on generated tileable patterns: every copy the brief
# names (50 % resize, JPEG q80, hue/brightness/saturation shifts, 1280-wide screenshot crops)
# stayed within 8 pHash bits, unrelated patterns never came closer than 16, but another output
# of the *same base pattern* came as close as 10 — so 8, not 10. dHash barely separates such
# siblings (they share the layout); it is a cheap second veto against unrelated images, where it
# never fell below 15, with benign copies at most 9 (saturation halved).
PHASH_MATCH_BITS = 8
DHASH_MATCH_BITS = 12


@dataclass(frozen=True)
class PerceptualHashes:
    phash: int
    dhash: int

    @property
    def phash_hex(self) -> str:
        return f"{self.phash:016x}"

    @property
    def dhash_hex(self) -> str:
        return f"{self.dhash:016x}"


@dataclass(frozen=True)
class PerceptualMatch:
    record_id: str
    phash_distance: int
    dhash_distance: int | None  # None when the stored record had no dHash to compare


def normalised_greyscale(image: Image.Image) -> Image.Image:
    """Flatten transparency onto white and keep only the HSV value, so recolourings hash alike."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flattened = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        flattened.alpha_composite(rgba)
        image = flattened
    return image.convert("RGB").convert("HSV").getchannel("V")


def _as_int(value: imagehash.ImageHash) -> int:
    return int(str(value), 16)


def perceptual_hashes(image: Image.Image) -> PerceptualHashes:
    grey = normalised_greyscale(image)
    return PerceptualHashes(phash=_as_int(imagehash.phash(grey)), dhash=_as_int(imagehash.dhash(grey)))


def perceptual_hashes_of_file(data: bytes) -> PerceptualHashes:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return perceptual_hashes(image)


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def bands(phash: int) -> tuple[int, ...]:
    """The four 16-bit bands, most significant first: the columns a SQL table indexes."""
    return tuple((phash >> (BAND_BITS * (BANDS - 1 - i))) & _BAND_MASK for i in range(BANDS))


def band_probes(phash: int, threshold: int = PHASH_MATCH_BITS) -> list[list[int]]:
    """For each band, every value within threshold // 4 bits of the query's band.

    A stored hash within `threshold` bits of the query has at least one band in its probe list,
    so `band0 IN probes[0] OR ... OR band3 IN probes[3]` never misses one. With the default
    threshold (8 bits, radius 2) that is 137 values per band.
    """
    radius = threshold // BANDS
    probes: list[list[int]] = []
    for value in bands(phash):
        values = [value]
        for flips in range(1, radius + 1):
            for positions in combinations(range(BAND_BITS), flips):
                flipped = value
                for bit in positions:
                    flipped ^= 1 << bit
                values.append(flipped)
        probes.append(values)
    return probes


def to_signed64(value: int) -> int:
    """A 64-bit hash as the signed integer a SQL BIGINT column can hold."""
    return value - (1 << 64) if value >= 1 << 63 else value


def from_signed64(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def is_probable_match(query: PerceptualHashes, stored_phash: int, stored_dhash: int | None) -> bool:
    if hamming(query.phash, stored_phash) > PHASH_MATCH_BITS:
        return False
    return stored_dhash is None or hamming(query.dhash, stored_dhash) <= DHASH_MATCH_BITS


class PerceptualIndex:
    """In-memory band index with the same candidate rule a SQL query would use."""

    def __init__(self, stored: Iterable[tuple[str, int] | tuple[str, int, int | None]] = ()) -> None:
        self._hashes: dict[str, tuple[int, int | None]] = {}
        self._bands: list[defaultdict[int, set[str]]] = [defaultdict(set) for _ in range(BANDS)]
        for entry in stored:
            record_id, phash, *rest = entry
            self.add(record_id, phash, rest[0] if rest else None)

    def __len__(self) -> int:
        return len(self._hashes)

    def add(self, record_id: str, phash: int, dhash: int | None = None) -> None:
        self._hashes[record_id] = (phash, dhash)
        for band, value in zip(self._bands, bands(phash), strict=True):
            band[value].add(record_id)

    def candidates(self, phash: int, threshold: int = PHASH_MATCH_BITS) -> set[str]:
        found: set[str] = set()
        for band, probe_values in zip(self._bands, band_probes(phash, threshold), strict=True):
            for value in probe_values:
                found |= band.get(value, set())
        return found

    def search(self, query: PerceptualHashes) -> list[PerceptualMatch]:
        """Probable matches, nearest first."""
        matches = []
        for record_id in self.candidates(query.phash):
            phash, dhash = self._hashes[record_id]
            if is_probable_match(query, phash, dhash):
                matches.append(
                    PerceptualMatch(
                        record_id=record_id,
                        phash_distance=hamming(query.phash, phash),
                        dhash_distance=None if dhash is None else hamming(query.dhash, dhash),
                    )
                )
        return sorted(matches, key=lambda m: (m.phash_distance, m.dhash_distance or 0, m.record_id))

    def nearest(self, query: PerceptualHashes) -> PerceptualMatch | None:
        matches = self.search(query)
        return matches[0] if matches else None
