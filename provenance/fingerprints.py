"""The repeat-aware fingerprint of a record: stored at record time, searched by verification.

Kept apart from `services.attribution_record_create` (one hook line in `order_line_attribute`)
so the attribution pipeline can change without touching the fingerprint."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from provenance.core.repeat_fingerprint import (
    DESCRIPTOR_SIZE,
    QueryFingerprint,
    RepeatFingerprint,
    RepeatMatch,
    confirm,
    fingerprint_tile,
)
from provenance.models import AttributionRecord, RepeatFingerprintEntry


def repeat_fingerprint_create(*, record: AttributionRecord) -> RepeatFingerprintEntry:
    """Idempotent: fingerprint the record's print tile as its base pattern's repeat lays it out,
    with the base pattern's own cells for the style score."""
    existing = RepeatFingerprintEntry.objects.filter(record=record).first()
    if existing is not None:
        return existing
    line = record.order_line
    pattern = line.personalization.base_pattern
    with line.print_png.open("rb") as fh, Image.open(io.BytesIO(fh.read())) as image:
        tile = image.convert("RGB")
    base = None
    if pattern.image:  # a record whose base pattern lost its image is fingerprinted without the style score
        with pattern.image.open("rb") as fh, Image.open(io.BytesIO(fh.read())) as image:
            base = image.convert("RGB")
    repeat = pattern.repeat_type
    fingerprint = fingerprint_tile(tile, repeat, base=base)
    entry, _ = RepeatFingerprintEntry.objects.get_or_create(
        record=record,
        defaults={
            "repeat_type": repeat,
            "descriptors": fingerprint.descriptors.astype(np.float16).tobytes(),
            "fingerprint": fingerprint.to_bytes(),
        },
    )
    return entry


def nearest_by_repeat_fingerprint(
    query: QueryFingerprint, *, candidates: int = 8
) -> tuple[int, RepeatMatch] | None:
    """The record (pk) whose aligned cell best matches the photo's among the probable matches
    (the bench's thresholds on the aligned score and the style score). Every stored descriptor
    is scored in one matrix product; only the best few records' cells are loaded and aligned."""
    rows = list(RepeatFingerprintEntry.objects.values_list("record_id", "descriptors"))
    if not rows:
        return None
    owners = np.concatenate([np.full(len(d) // (2 * DESCRIPTOR_SIZE), pk) for pk, d in rows])
    matrix = np.frombuffer(b"".join(bytes(d) for _, d in rows), np.float16).reshape(-1, DESCRIPTOR_SIZE)
    similarity = (query.descriptors @ matrix.astype(np.float32).T).max(axis=0)
    best_per_record: dict[int, float] = {}
    for pk, value in zip(owners.tolist(), similarity.tolist(), strict=True):
        best_per_record[pk] = max(value, best_per_record.get(pk, -1.0))
    shortlist = sorted(best_per_record, key=lambda pk: -best_per_record[pk])[:candidates]
    best: tuple[int, RepeatMatch] | None = None
    for pk, data in RepeatFingerprintEntry.objects.filter(record_id__in=shortlist).values_list(
        "record_id", "fingerprint"
    ):
        match = confirm(query, str(pk), RepeatFingerprint.from_bytes(bytes(data)))
        if match.probable and (best is None or match.score > best[1].score):
            best = (pk, match)
    return best
