"""The verdict for "is this file / record genuinely attributed?", as a pure function.

Inputs are facts already gathered: the manifest hash recomputed from the stored manifest JSON,
what Motif's database says about the record, and what the chain says (or that it could not be
asked). Keeping the decision free of I/O makes every branch testable and keeps one rule for the
API, the `verify_file` command and the certificate page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from provenance.core.chain import ChainUnavailable, OnChainBatch, OnChainRecord
from provenance.core.ids import record_id_to_bytes32
from provenance.core.merkle import record_leaf
from provenance.core.merkle import verify as verify_proof


class Verdict(StrEnum):
    VERIFIED = "verified"
    PROBABLE_MATCH = "probable_match"  # a perceptual, not byte-exact, match to a verified record
    TAMPERED = "tampered"  # Motif's copy and the chain disagree
    REVOKED = "revoked"
    PENDING = "pending"  # known to Motif, not yet (deep enough) on chain
    NOT_FOUND = "not_found"
    CHAIN_UNREACHABLE = "chain_unreachable"  # could not ask the chain: no judgement either way
    # An exact match of a record that is no longer live: the file is Motif's, but not a live sale's.
    SUPERSEDED = "superseded"  # the buyer's re-render replaced this output before printing
    VOID_REFUNDED = "void_refunded"  # the sale was refunded: its licence is void
    VOID_CANCELLED = "void_cancelled"  # the line was cancelled (and refunded): its licence is void


class RecordState(StrEnum):
    """What became of the sale a record attributes, beside whatever the chain says."""

    LIVE = "live"
    SUPERSEDED = "superseded"
    VOID_REFUNDED = "void_refunded"
    VOID_CANCELLED = "void_cancelled"
    REVOKED = "revoked"


_NOT_LIVE_REASONS = {
    RecordState.SUPERSEDED: "this output was superseded by a re-render before printing; it is not the sold output",
    RecordState.VOID_REFUNDED: "the sale was refunded: the licence is void",
    RecordState.VOID_CANCELLED: "the order line was cancelled and refunded: the licence is void",
}


@dataclass(frozen=True)
class DatabaseRecord:
    """What Motif's database holds for an attribution record."""

    record_id: str
    manifest_hash: bytes  # the hash stored when the record was created
    anchored: bool  # the worker saw the transaction (or batch anchor) confirmed
    merkle_root: bytes | None = None  # set for batch-anchored records
    merkle_proof: tuple[bytes, ...] = ()
    revoked: bool = False
    state: RecordState = RecordState.LIVE


@dataclass(frozen=True)
class BatchEvidence:
    batch: OnChainBatch | None  # None: the root is not anchored
    revoked: bool  # isRevoked(recordId) also covers batch records


ChainFacts = OnChainRecord | BatchEvidence | ChainUnavailable | None


@dataclass(frozen=True)
class VerificationResult:
    verdict: Verdict
    record_id: str | None
    reasons: tuple[str, ...] = field(default_factory=tuple)


def decide(
    *,
    db: DatabaseRecord | None,
    recomputed_manifest_hash: bytes | None,
    chain: ChainFacts,
    found_by: Literal["exact", "perceptual", "repeat"] = "exact",
    required_confirmations: int = 1,
) -> VerificationResult:
    if db is None:
        return VerificationResult(Verdict.NOT_FOUND, None, ("no attribution record for this file",))
    rid = db.record_id

    def result(verdict: Verdict, *reasons: str) -> VerificationResult:
        return VerificationResult(verdict, rid, reasons)

    # Checked before the chain: an edited manifest in our own database is tampering whatever the
    # node says, and needs no network to see.
    if recomputed_manifest_hash is not None and recomputed_manifest_hash != db.manifest_hash:
        return result(Verdict.TAMPERED, "stored manifest no longer hashes to the recorded manifest hash")
    manifest_hash = recomputed_manifest_hash or db.manifest_hash

    if isinstance(chain, ChainUnavailable):
        return result(Verdict.CHAIN_UNREACHABLE, f"chain could not be read: {chain}")

    if isinstance(chain, BatchEvidence):
        on_chain_ok, confirmations, revoked, problem = _check_batch(db, manifest_hash, chain)
    else:
        on_chain_ok, confirmations, revoked, problem = _check_single(manifest_hash, chain)

    if problem is not None:
        return result(Verdict.TAMPERED, problem)
    if not on_chain_ok:
        if db.anchored:
            return result(Verdict.TAMPERED, "database says anchored, but the chain has no such record")
        return result(Verdict.PENDING, "not yet on chain")
    if revoked or db.revoked:
        return result(
            Verdict.REVOKED, "attribution revoked" + ("" if revoked else " (on-chain revocation pending)")
        )
    if confirmations < required_confirmations:
        return result(Verdict.PENDING, f"{confirmations} of {required_confirmations} confirmations")
    # A record that is anchored but no longer live is never "verified": the verdict is its state.
    not_live = _NOT_LIVE_REASONS.get(db.state)
    if found_by == "perceptual":
        return result(
            Verdict.PROBABLE_MATCH,
            "file is perceptually close to a recorded output, not byte-identical",
            *([not_live] if not_live else []),
        )
    if found_by == "repeat":
        return result(
            Verdict.PROBABLE_MATCH,
            "the image shows the repeat of a recorded output (a photo or crop of the print)",
            *([not_live] if not_live else []),
        )
    if not_live is not None:
        return result(Verdict(db.state.value), not_live)
    return result(Verdict.VERIFIED)


def _check_single(manifest_hash: bytes, chain: OnChainRecord | None) -> tuple[bool, int, bool, str | None]:
    if chain is None:
        return False, 0, False, None
    if chain.manifest_hash != manifest_hash:
        return True, chain.confirmations, chain.revoked, "manifest hash on chain differs from Motif's record"
    return True, chain.confirmations, chain.revoked, None


def _check_batch(
    db: DatabaseRecord, manifest_hash: bytes, evidence: BatchEvidence
) -> tuple[bool, int, bool, str | None]:
    if db.merkle_root is None:
        return False, 0, evidence.revoked, "record has batch evidence but no Merkle root in the database"
    leaf = record_leaf(record_id_to_bytes32(db.record_id), manifest_hash)
    if not verify_proof(db.merkle_proof, leaf, db.merkle_root):
        return False, 0, evidence.revoked, "inclusion proof does not lead to the recorded Merkle root"
    if evidence.batch is None:
        return False, 0, evidence.revoked, None
    if evidence.batch.merkle_root != db.merkle_root:
        return (
            True,
            evidence.batch.confirmations,
            evidence.revoked,
            "anchored root differs from the recorded root",
        )
    return True, evidence.batch.confirmations, evidence.revoked, None
