"""Verification for legal teams: from a file or a hash to a verdict and the attribution chain.

The lookup tries, in order: the exact SHA-256 of any output, the C2PA credential inside the file,
the repeat-aware fingerprint (a photo or crop of the printed plane holding at least one period),
then the perceptual index (a *probable* match, with its distance). `match` says which matched
and how sure it is. The verdict itself is the pure
`provenance.core.verify.decide`; this module only gathers the facts."""

from __future__ import annotations

import io
import logging
import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from PIL import Image

from marketplace.uploads import looks_like_svg
from provenance.chain_access import chain_client, chain_lock
from provenance.core import manifest as mf
from provenance.core.chain import ChainError, ChainUnavailable, NotOurContract
from provenance.core.credentials import png_has_manifest_chunk, read_credential
from provenance.core.hashing import sha256_hex
from provenance.core.lattice_figure import lattice_figure
from provenance.core.perceptual import (
    band_probes,
    from_signed64,
    hamming,
    is_probable_match,
    perceptual_hashes,
)
from provenance.core.repeat_fingerprint import CELL, fingerprint_query
from provenance.core.revocation import UNSPECIFIED, reason_code_of
from provenance.core.verify import BatchEvidence, ChainFacts, DatabaseRecord, RecordState, Verdict, decide
from provenance.fingerprints import nearest_by_repeat_fingerprint
from provenance.models import AttributionRecord, ChainStatus
from provenance.services import dev_trust_anchor

log = logging.getLogger(__name__)

MAX_VERIFY_PIXELS = 80_000_000
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")

FoundBy = Literal["sha256", "credential", "repeat", "perceptual"]

# Which of a record's files a SHA-256 names. The delivered PNG and sheet carry the C2PA credential;
# the `_unsigned` ones are the same files before signing (what is left when a credential is stripped).
RECORD_FILES: dict[str, str] = {
    "print_png": "delivered_png_sha256",
    "print_sheet": "delivered_sheet_sha256",
    "svg": "svg_sha256",
    "print_png_unsigned": "rendered_png_sha256",
    "print_sheet_unsigned": "print_sheet_sha256",
}
SIGNED_FILES = frozenset({"print_png", "print_sheet"})


class VerifyInputError(ValueError):
    """The file or hash cannot be checked; the message says why."""


@dataclass
class Verification:
    verdict: str
    found_by: FoundBy | None = None
    record: AttributionRecord | None = None
    reasons: list[str] = field(default_factory=list)
    distance: int | None = None
    credential: str | None = None
    match: dict[str, Any] | None = None
    # For the /verify/ page, not the API: the lattice found in the query, in its own pixels.
    query_lattice: dict[str, list[float]] | None = None
    # A revoked record: when the chain revoked it and its reason code, as the chain's `Revoked` event says.
    revoked_at: str | None = None
    revocation_reason: str | None = None
    # The matched record's state (live, superseded, void_refunded, void_cancelled, revoked).
    state: str | None = None
    # Whether the checked file carries a content credential; None when no file was given.
    credential_present: bool | None = None
    # Every record the evidence points at, each with its state (several when files share a hash).
    matches: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "verdict": self.verdict,
            "found_by": self.found_by,
            "reasons": self.reasons,
            "credential": self.credential,
            "credential_present": self.credential_present,
            "match": self.match,
            "state": self.state,
            "matches": self.matches,
        }
        if self.distance is not None:
            body["perceptual_distance_bits"] = self.distance
        if self.verdict == Verdict.REVOKED:
            body["revoked_at"] = self.revoked_at
            body["reason"] = self.revocation_reason
        if self.record is not None:
            body["record_id"] = self.record.record_id
            body["attribution"] = attribution_chain(self.record)
            body["chain"] = chain_references(self.record)
        return body


def attribution_chain(record: AttributionRecord) -> dict[str, Any]:
    """Who and what a record credits, as a legal team reads it."""
    line = record.order_line
    personalization = line.personalization
    pattern = personalization.base_pattern
    style = personalization.style
    licence = line.licence_version
    return {
        "base_pattern": {
            "id": pattern.pk,
            "title": pattern.title,
            "repeat_type": pattern.repeat_type,
            "sha256": pattern.image_sha256,
            "designer": {"username": pattern.designer.username, "public_id": str(pattern.designer.public_id)},
        },
        "style": (
            {
                "id": style.pk,
                "title": style.title,
                "sha256": style.image_sha256,
                "artist": {"username": style.artist.username, "public_id": str(style.artist.public_id)},
            }
            if style is not None
            else {"kind": "buyer_upload", "sha256": personalization.style_image_sha256}
        ),
        "licence": (
            {
                "version": licence.version,
                "terms": licence.terms(),
                "terms_sha256": record.manifest["inputs"]["style"].get("licence", {}).get("terms_sha256"),
                # The exact version sold, as a person reads it.
                "document_url": settings.SITE_URL.rstrip("/")
                + reverse("frontend:licence", args=[style.pk, licence.version])
                if style is not None
                else None,
            }
            if licence is not None
            else {"use": "personal", "note": "the buyer's own image, licensed for personal use only"}
        ),
        "purchased_at": record.manifest["created_at"],
        "royalties_bps": record.manifest["royalties"]["basis_points"],
    }


def chain_references(record: AttributionRecord) -> dict[str, Any]:
    refs: dict[str, Any] = {
        "status": record.status,
        "chain_id": record.chain_id,
        "contract": record.contract_address or None,
        "tx_hash": record.tx_hash or None,
        "block_number": record.block_number,
        "block_time": record.block_time.isoformat() if record.block_time else None,
        "manifest_sha256": record.manifest_sha256,
    }
    if record.batch_id is not None:
        refs["merkle_root"] = record.batch.merkle_root if record.batch else None
        refs["merkle_proof"] = record.merkle_proof
    return refs


# What an anonymous verifier is told when the chain cannot be read. The node's address, the HTTP
# library's words and the contract address stay in the server log.
CHAIN_DOWN_PUBLIC = "the attribution registry is unreachable right now; try again later"


def chain_facts(record: AttributionRecord) -> ChainFacts:
    try:
        with chain_lock:
            client = chain_client()
            if record.batch_id is not None and record.batch is not None:
                root = bytes.fromhex(record.batch.merkle_root)
                return BatchEvidence(
                    batch=client.lookup_batch(root), revoked=client.is_revoked(record.record_id)
                )
            return client.lookup(record.record_id)
    except (ChainUnavailable, NotOurContract, ChainError) as exc:
        log.warning("Chain read for record %s failed: %s: %s", record.record_id, type(exc).__name__, exc)
        return ChainUnavailable(CHAIN_DOWN_PUBLIC)


def revocation_facts(record: AttributionRecord) -> tuple[str | None, str]:
    """When and why the chain revoked the record, from its `Revoked` event. A revocation that Motif
    recorded but the chain does not hold yet has no date, and Motif's reason code."""
    try:
        with chain_lock:
            revocation = chain_client().revocation(record.record_id)
    except (ChainUnavailable, NotOurContract, ChainError) as exc:
        log.warning("Chain read of the revocation of %s failed: %s", record.record_id, exc)
        revocation = None
    if revocation is None:
        return None, record.revocation_reason or UNSPECIFIED
    return revocation.block_time.isoformat(), reason_code_of(revocation.reason)


def judge(record: AttributionRecord, *, found_by: FoundBy) -> Verification:
    recomputed = mf.manifest_hash(record.manifest)
    db = DatabaseRecord(
        record_id=record.record_id,
        manifest_hash=bytes.fromhex(record.manifest_sha256),
        anchored=record.status == ChainStatus.CONFIRMED,
        merkle_root=bytes.fromhex(record.batch.merkle_root) if record.batch_id and record.batch else None,
        merkle_proof=tuple(bytes.fromhex(p) for p in record.merkle_proof),
        revoked=record.revoked,
        state=record.state,
    )
    result = decide(
        db=db,
        recomputed_manifest_hash=recomputed,
        chain=chain_facts(record),
        found_by="repeat" if found_by == "repeat" else "perceptual" if found_by == "perceptual" else "exact",
        required_confirmations=max(1, settings.CHAIN_CONFIRMATIONS),
    )
    exact = (
        {"method": found_by, "score": 1.0, "periods_seen": None}
        if found_by in ("sha256", "credential")
        else None
    )
    verification = Verification(
        verdict=str(result.verdict),
        found_by=found_by,
        record=record,
        reasons=list(result.reasons),
        match=exact,
        state=str(record.state),
        matches=[match_entry(record)],
    )
    if result.verdict == Verdict.REVOKED:
        verification.revoked_at, verification.revocation_reason = revocation_facts(record)
    return verification


def match_entry(record: AttributionRecord, file: str | None = None) -> dict[str, Any]:
    return {
        "record_id": record.record_id,
        "state": str(record.state),
        "file": file,
        "chain_status": record.status,
    }


def verify_record(record: AttributionRecord) -> Verification:
    """The verdict on a record itself (the certificate's), with no file to match."""
    result = judge(record, found_by="sha256")
    result.found_by, result.match = None, None
    return result


def _records() -> Any:
    return AttributionRecord.objects.select_related(
        "batch",
        "order_line__order",
        "order_line__licence_version",
        "order_line__personalization__base_pattern__designer",
        "order_line__personalization__style__artist",
    )


def records_by_sha256(digest: str) -> list[tuple[AttributionRecord, str]]:
    """Every record with a file of this SHA-256, and which file: files made before per-record
    stamping can be shared by every sale of the same design and seed."""
    digest = digest.lower()
    lookup = Q()
    for column in RECORD_FILES.values():
        lookup |= Q(**{column: digest})
    found = []
    for record in _records().filter(lookup).order_by("-created_at", "-pk"):
        file = next(name for name, column in RECORD_FILES.items() if getattr(record, column) == digest)
        found.append((record, file))
    return found


def _judge_by_sha256(
    found: list[tuple[AttributionRecord, str]], *, data: bytes | None, prefer: AttributionRecord | None = None
) -> Verification:
    """The verdict of an exact match: on `prefer` when it is among the matches, else on the live
    record (the newest when none is live); every match is listed with its state."""
    record, file = min(
        found,
        key=lambda pair: (prefer is None or pair[0].pk != prefer.pk, pair[0].state != RecordState.LIVE),
    )
    result = judge(record, found_by="sha256")
    result.matches = [match_entry(r, f) for r, f in found]
    if len(found) > 1:
        result.reasons.append(
            f"{len(found)} records have a file with this SHA-256, so it does not single out one sale; "
            "every one is listed under matches with its state"
        )
    if data is not None:
        result.credential_present = data.startswith(b"\x89PNG") and png_has_manifest_chunk(data)
        if result.credential_present:
            result.credential = read_credential(data, "image/png", trust_anchor_pem=dev_trust_anchor()).state
    else:
        # The hash of a signed file covers its credential.
        result.credential_present = file in SIGNED_FILES
    if not result.credential_present:
        result.reasons.append("matched by its hash (SHA-256) alone: the file carries no content credential")
    return result


def verify_sha256(digest: str) -> Verification:
    if not _SHA256.fullmatch(digest or ""):
        raise VerifyInputError("A SHA-256 is 64 hexadecimal characters.")
    found = records_by_sha256(digest)
    if not found:
        return Verification(verdict="not_found", reasons=["no output of any record has this SHA-256"])
    return _judge_by_sha256(found, data=None)


def _open_image(data: bytes) -> Image.Image | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_VERIFY_PIXELS:
                raise VerifyInputError(f"The image has more than {MAX_VERIFY_PIXELS:,} pixels.")
            image.load()
            return image.convert("RGB")
    except VerifyInputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise VerifyInputError(f"The image has more than {MAX_VERIFY_PIXELS:,} pixels.") from None
    except Exception:
        return None


def _nearest_by_perceptual_hash(image: Image.Image) -> tuple[AttributionRecord, int] | None:
    query = perceptual_hashes(image)
    probes = band_probes(query.phash)
    candidates = _records().filter(
        Q(phash_band0__in=probes[0])
        | Q(phash_band1__in=probes[1])
        | Q(phash_band2__in=probes[2])
        | Q(phash_band3__in=probes[3])
    )
    best: tuple[AttributionRecord, int] | None = None
    for record in candidates:
        stored_phash, stored_dhash = from_signed64(record.phash), from_signed64(record.dhash)
        if is_probable_match(query, stored_phash, stored_dhash):
            distance = hamming(query.phash, stored_phash)
            if best is None or distance < best[1]:
                best = (record, distance)
    return best


def verify_file(data: bytes, *, prefer: AttributionRecord | None = None) -> Verification:
    """`prefer`: the record a certificate is asked about, judged when the file matches it among others."""
    if not data:
        raise VerifyInputError("The file is empty.")
    if len(data) > settings.MOTIF_MAX_VERIFY_BYTES:
        raise VerifyInputError(
            f"The file is larger than {settings.MOTIF_MAX_VERIFY_BYTES // (1024 * 1024)} MB."
        )
    found = records_by_sha256(sha256_hex(data))
    if found:
        return _judge_by_sha256(found, data=data, prefer=prefer)

    credential_state = None
    reasons: list[str] = []
    if data.startswith(b"\x89PNG"):
        report = read_credential(data, "image/png", trust_anchor_pem=dev_trust_anchor())
        credential_state = report.state
        if report.state in ("trusted", "valid") and report.record_id:
            by_credential = _records().filter(record_id=report.record_id).first()
            if by_credential is not None:
                result = judge(by_credential, found_by="credential")
                result.credential, result.credential_present = report.state, True
                return result
        if report.state == "invalid":
            reasons.append(
                "the file carries a content credential that no longer matches it: it was altered after signing"
            )

    image = _open_image(data)
    is_svg = looks_like_svg(data)
    if image is None and not is_svg and credential_state in (None, "absent"):
        raise VerifyInputError("The file is neither one of Motif's outputs nor an image that can be read.")
    if image is not None:
        query = fingerprint_query(image)
        by_repeat = nearest_by_repeat_fingerprint(query) if query is not None else None
        if query is not None and by_repeat is not None:
            result = judge(_records().get(pk=by_repeat[0]), found_by="repeat")
            result.match = {
                "method": "repeat",
                "score": round(by_repeat[1].score, 4),
                "periods_seen": round(query.lattice.periods_seen, 2),
            }
            basis = query.bases[by_repeat[1].query_variant] * query.scale
            rows, cols = by_repeat[1].shift
            # The record's tile corner sits where the alignment moved the stored cell's origin.
            origin = (cols / CELL) * basis[0] + (rows / CELL) * basis[1]
            result.query_lattice = {
                "a": basis[0].tolist(),
                "b": basis[1].tolist(),
                "origin": origin.tolist(),
                "size": [image.width, image.height],
            }
            result.credential = credential_state
            result.credential_present = credential_state not in (None, "absent")
            result.reasons += reasons
            return result
        nearest = _nearest_by_perceptual_hash(image)
        if nearest is not None:
            result = judge(nearest[0], found_by="perceptual")
            result.distance, result.credential = nearest[1], credential_state
            result.credential_present = credential_state not in (None, "absent")
            result.match = {
                "method": "perceptual",
                "score": round(1 - nearest[1] / 64, 4),
                "periods_seen": round(query.lattice.periods_seen, 2) if query is not None else None,
            }
            result.reasons += reasons
            return result
    return Verification(
        verdict="not_found",
        credential=credential_state,
        reasons=reasons or ["no record matches this file"],
        credential_present=credential_state not in (None, "absent"),
    )


def match_figure(data: bytes, result: Verification) -> dict[str, Any] | None:
    """The verification page's picture of a repeat match (`provenance.core.lattice_figure`): the
    uploaded file beside the matched record's tile. None when the verdict was not found by the lattice."""
    if not result.query_lattice or result.record is None:
        return None
    with result.record.order_line.print_png.open("rb") as fh:
        tile = fh.read()
    return lattice_figure(query=data, tile=tile, lattice=result.query_lattice)
