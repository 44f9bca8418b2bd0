from __future__ import annotations

import datetime as dt
import os

from provenance.core.certificate import build_certificate
from provenance.core.chain import OnChainBatch, OnChainRecord
from provenance.core.ids import record_id_to_bytes32
from provenance.core.manifest import AttributionInput, build_manifest, manifest_hash
from provenance.core.merkle import MerkleTree, record_leaf, verify

CONTRACT = "0x" + "ab" * 20
NOW = dt.datetime(2026, 11, 25, 13, 0, tzinfo=dt.UTC)


def test_single_record_certificate_says_how_to_recheck(attribution_input: AttributionInput) -> None:
    manifest = build_manifest(attribution_input)
    digest = manifest_hash(manifest)
    record = OnChainRecord(
        attribution_input.record_id,
        digest,
        os.urandom(32),
        os.urandom(32),
        os.urandom(32),
        "0x" + "cd" * 32,
        42,
        NOW,
        12,
        False,
        CONTRACT,
        8453,
    )
    cert = build_certificate(
        manifest=manifest,
        manifest_hash=digest,
        on_chain=record,
        contract_address=CONTRACT,
        chain_id=8453,
        explorer_tx_url="https://explorer.example/tx/{tx_hash}",
    )
    rid32 = "0x" + record_id_to_bytes32(attribution_input.record_id).hex()
    assert cert["manifest_hash"] == "0x" + digest.hex()
    assert cert["chain"]["mode"] == "single" and cert["chain"]["block_time"] == "2026-11-25T13:00:00Z"
    assert cert["chain"]["explorer_url"] == "https://explorer.example/tx/0x" + "cd" * 32
    assert (
        cert["how_to_verify"]["cast"]
        == f"cast call {CONTRACT} 'manifestOf(bytes32)(bytes32)' {rid32} --rpc-url $RPC_URL"
    )
    assert digest.hex() in cert["how_to_verify"]["web3_py"]
    assert cert["style"]["licence_terms_sha256"] == manifest["inputs"]["style"]["licence"]["terms_sha256"]
    assert cert["outputs"]["print_png"] == "c3" * 32


def test_batch_certificate_carries_a_checkable_proof(attribution_input: AttributionInput) -> None:
    manifest = build_manifest(attribution_input)
    digest = manifest_hash(manifest)
    leaf = record_leaf(record_id_to_bytes32(attribution_input.record_id), digest)
    tree = MerkleTree.build([leaf, *(os.urandom(32) for _ in range(6))])
    batch = OnChainBatch(tree.root, 7, "0x" + "ef" * 32, 50, NOW, 3, CONTRACT, 8453)
    cert = build_certificate(
        manifest=manifest,
        manifest_hash=digest,
        batch=batch,
        merkle_proof=tree.proof(0),
        contract_address=CONTRACT,
        chain_id=8453,
    )
    chain = cert["chain"]
    proof = [bytes.fromhex(p[2:]) for p in chain["proof"]]
    assert verify(proof, bytes.fromhex(chain["leaf"][2:]), bytes.fromhex(chain["merkle_root"][2:]))
    assert "batchAnchored(bytes32)(bool)" in cert["how_to_verify"]["cast"]
