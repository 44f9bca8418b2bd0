from __future__ import annotations

import dataclasses
import datetime as dt
import os

import pytest

from provenance.core.chain import ChainClient, ChainUnavailable, OnChainBatch, OnChainRecord
from provenance.core.ids import new_record_id, record_id_to_bytes32
from provenance.core.manifest import AttributionInput, build_manifest, manifest_hash
from provenance.core.merkle import MerkleTree, record_leaf
from provenance.core.verify import BatchEvidence, DatabaseRecord, RecordState, Verdict, decide

from .conftest import random_record

NOW = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
HASH = os.urandom(32)
RID = new_record_id()


def on_chain(manifest: bytes = HASH, *, revoked: bool = False, confirmations: int = 5) -> OnChainRecord:
    return OnChainRecord(
        RID,
        manifest,
        os.urandom(32),
        os.urandom(32),
        os.urandom(32),
        "0xab",
        7,
        NOW,
        confirmations,
        revoked,
        "0x" + "11" * 20,
        31337,
    )


def db(**changes) -> DatabaseRecord:
    return dataclasses.replace(DatabaseRecord(record_id=RID, manifest_hash=HASH, anchored=True), **changes)


@pytest.mark.parametrize(
    ("database", "recomputed", "chain", "found_by", "expected"),
    [
        (db(), HASH, on_chain(), "exact", Verdict.VERIFIED),
        (db(), HASH, on_chain(), "perceptual", Verdict.PROBABLE_MATCH),
        (None, None, None, "exact", Verdict.NOT_FOUND),
        (db(), os.urandom(32), on_chain(), "exact", Verdict.TAMPERED),  # manifest JSON edited in our DB
        (db(), HASH, on_chain(os.urandom(32)), "exact", Verdict.TAMPERED),  # DB and chain disagree
        (db(), HASH, None, "exact", Verdict.TAMPERED),  # DB claims anchored, chain has nothing
        (db(anchored=False), HASH, None, "exact", Verdict.PENDING),
        (db(anchored=False), HASH, on_chain(confirmations=0), "exact", Verdict.PENDING),
        (db(), HASH, on_chain(revoked=True), "exact", Verdict.REVOKED),
        (db(revoked=True), HASH, on_chain(), "exact", Verdict.REVOKED),
        (db(), HASH, on_chain(revoked=True), "perceptual", Verdict.REVOKED),
        (db(), HASH, ChainUnavailable("timed out"), "exact", Verdict.CHAIN_UNREACHABLE),
        (db(), HASH, ChainUnavailable("timed out"), "perceptual", Verdict.CHAIN_UNREACHABLE),
    ],
)
def test_verdicts(database, recomputed, chain, found_by, expected) -> None:
    assert (
        decide(db=database, recomputed_manifest_hash=recomputed, chain=chain, found_by=found_by).verdict
        == expected
    )


@pytest.mark.parametrize(
    ("state", "exact", "photo"),
    [
        (RecordState.LIVE, Verdict.VERIFIED, Verdict.PROBABLE_MATCH),
        (RecordState.SUPERSEDED, Verdict.SUPERSEDED, Verdict.PROBABLE_MATCH),
        (RecordState.VOID_REFUNDED, Verdict.VOID_REFUNDED, Verdict.PROBABLE_MATCH),
        (RecordState.VOID_CANCELLED, Verdict.VOID_CANCELLED, Verdict.PROBABLE_MATCH),
    ],
)
def test_a_record_that_is_not_live_never_verifies_as_verified(state, exact, photo) -> None:
    found = decide(db=db(state=state), recomputed_manifest_hash=HASH, chain=on_chain(), found_by="exact")
    assert found.verdict == exact
    seen = decide(db=db(state=state), recomputed_manifest_hash=HASH, chain=on_chain(), found_by="repeat")
    assert seen.verdict == photo
    if state != RecordState.LIVE:
        assert any(word in " ".join(found.reasons + seen.reasons) for word in ("void", "superseded"))


def test_a_timeout_is_never_reported_as_tampering() -> None:
    for database in (db(), db(anchored=False), db(revoked=True)):
        result = decide(db=database, recomputed_manifest_hash=HASH, chain=ChainUnavailable("read timed out"))
        assert result.verdict == Verdict.CHAIN_UNREACHABLE


def _batch(root: bytes, confirmations: int = 3) -> OnChainBatch:
    return OnChainBatch(root, 4, "0xcd", 9, NOW, confirmations, "0x" + "11" * 20, 31337)


def test_batch_record_verdicts_follow_the_inclusion_proof() -> None:
    others = [os.urandom(32) for _ in range(3)]
    leaf = record_leaf(record_id_to_bytes32(RID), HASH)
    tree = MerkleTree.build([leaf, *others])
    record = db(merkle_root=tree.root, merkle_proof=tuple(tree.proof(0)))
    good = BatchEvidence(batch=_batch(tree.root), revoked=False)
    assert decide(db=record, recomputed_manifest_hash=HASH, chain=good).verdict == Verdict.VERIFIED
    bad_proof = dataclasses.replace(record, merkle_proof=tuple(tree.proof(1)))
    assert decide(db=bad_proof, recomputed_manifest_hash=HASH, chain=good).verdict == Verdict.TAMPERED
    other_root = BatchEvidence(batch=_batch(os.urandom(32)), revoked=False)
    assert decide(db=record, recomputed_manifest_hash=HASH, chain=other_root).verdict == Verdict.TAMPERED
    not_anchored = BatchEvidence(batch=None, revoked=False)
    assert (
        decide(
            db=dataclasses.replace(record, anchored=False), recomputed_manifest_hash=HASH, chain=not_anchored
        ).verdict
        == Verdict.PENDING
    )
    assert (
        decide(
            db=record,
            recomputed_manifest_hash=HASH,
            chain=BatchEvidence(batch=_batch(tree.root), revoked=True),
        ).verdict
        == Verdict.REVOKED
    )


def test_end_to_end_manifest_to_verdict(attribution_input: AttributionInput) -> None:
    """Build a manifest, anchor it, then verify it, as the Django layer will."""
    chain = ChainClient.in_process()
    chain.deploy()
    manifest = build_manifest(attribution_input)
    digest = manifest_hash(manifest)
    record = dataclasses.replace(random_record(attribution_input.record_id), manifest_hash=digest)
    chain.attribute(record)
    stored = DatabaseRecord(record_id=attribution_input.record_id, manifest_hash=digest, anchored=True)
    found = chain.lookup(attribution_input.record_id)
    assert (
        decide(db=stored, recomputed_manifest_hash=manifest_hash(manifest), chain=found).verdict
        == Verdict.VERIFIED
    )
    edited = {**manifest, "royalties": {"basis_points": {"des_9k2": "9000", "art_4q8": "1000"}}}
    assert (
        decide(db=stored, recomputed_manifest_hash=manifest_hash(edited), chain=found).verdict
        == Verdict.TAMPERED
    )
