"""The attribution certificate as data; the web layer renders it, anyone can re-check it.

Everything needed to verify without trusting Motif is in here: the manifest hash and how it is
computed, the contract and chain, the transaction, and ready-to-run commands for a generic EVM
client.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from provenance.core.chain import OnChainBatch, OnChainRecord
from provenance.core.ids import record_id_to_bytes32
from provenance.core.merkle import record_leaf

HASHING_RULE = "SHA-256 over the RFC 8785 (JCS) canonical JSON of the manifest"


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def build_certificate(
    *,
    manifest: Mapping[str, Any],
    manifest_hash: bytes,
    on_chain: OnChainRecord | None = None,
    batch: OnChainBatch | None = None,
    merkle_proof: Sequence[bytes] = (),
    contract_address: str,
    chain_id: int,
    rpc_url_hint: str = "$RPC_URL",
    explorer_tx_url: str | None = None,  # e.g. "https://explorer.example/tx/{tx_hash}"
) -> dict[str, Any]:
    record_id = str(manifest["record_id"])
    record_id32 = _hex(record_id_to_bytes32(record_id))
    inputs = manifest["inputs"]
    style = inputs["style"]
    certificate: dict[str, Any] = {
        "record_id": record_id,
        "record_id_bytes32": record_id32,
        "issued_at": manifest["created_at"],
        "manifest_hash": _hex(manifest_hash),
        "manifest_hashing": HASHING_RULE,
        "base_pattern": {
            "id": inputs["base_pattern"]["id"],
            "sha256": inputs["base_pattern"]["sha256"],
            "designer": inputs["base_pattern"]["designer"],
        },
        "style": {k: style[k] for k in ("kind", "id", "sha256", "artist") if k in style}
        | (
            {
                "licence_version": style["licence"]["version"],
                "licence_terms_sha256": style["licence"]["terms_sha256"],
            }
            if "licence" in style
            else {}
        ),
        "outputs": {
            name: value["sha256"]
            for name, value in manifest["outputs"].items()
            if isinstance(value, Mapping) and "sha256" in value
        },
        "royalties_bps": dict(manifest["royalties"]["basis_points"]),
        "chain": {"chain_id": chain_id, "contract": contract_address},
    }
    if on_chain is not None:
        certificate["chain"] |= {
            "mode": "single",
            "tx_hash": on_chain.tx_hash,
            "block_number": on_chain.block_number,
            "block_time": on_chain.block_time.isoformat().replace("+00:00", "Z"),
            "revoked": on_chain.revoked,
        }
    elif batch is not None:
        certificate["chain"] |= {
            "mode": "batch",
            "merkle_root": _hex(batch.merkle_root),
            "batch_size": batch.count,
            "leaf": _hex(record_leaf(record_id_to_bytes32(record_id), manifest_hash)),
            "proof": [_hex(p) for p in merkle_proof],
            "tx_hash": batch.tx_hash,
            "block_number": batch.block_number,
            "block_time": batch.block_time.isoformat().replace("+00:00", "Z"),
        }
    if explorer_tx_url and "tx_hash" in certificate["chain"]:
        certificate["chain"]["explorer_url"] = explorer_tx_url.format(tx_hash=certificate["chain"]["tx_hash"])
    certificate["how_to_verify"] = _how_to_verify(
        record_id32=record_id32,
        manifest_hash=manifest_hash,
        contract=contract_address,
        rpc=rpc_url_hint,
        batch_root=None if batch is None or on_chain is not None else _hex(batch.merkle_root),
    )
    return certificate


def _how_to_verify(
    *, record_id32: str, manifest_hash: bytes, contract: str, rpc: str, batch_root: str | None
) -> dict[str, Any]:
    steps = [
        "Download the manifest JSON from this certificate.",
        "Canonicalise it with any RFC 8785 (JCS) library and take SHA-256; it must equal manifest_hash.",
    ]
    if batch_root is None:
        steps.append("Call manifestOf(record_id_bytes32) on the contract; it must return the same hash.")
        cast = f"cast call {contract} 'manifestOf(bytes32)(bytes32)' {record_id32} --rpc-url {rpc}"
        web3_py = (
            "from web3 import Web3\n"
            f"w3 = Web3(Web3.HTTPProvider('{rpc}'))\n"
            "abi = [{'name': 'manifestOf', 'type': 'function', 'stateMutability': 'view',\n"
            "        'inputs': [{'name': 'recordId', 'type': 'bytes32'}], 'outputs': [{'name': '', 'type': 'bytes32'}]}]\n"
            f"print(w3.eth.contract('{contract}', abi=abi).functions.manifestOf('{record_id32}').call().hex()"
            f" == '{manifest_hash.hex()}')"
        )
    else:
        steps += [
            "leaf = keccak256(keccak256(record_id_bytes32 ‖ manifest_hash)); fold the proof with sorted-pair "
            "keccak256 (OpenZeppelin MerkleProof); the result must equal merkle_root.",
            "Call batchAnchored(merkle_root) on the contract; it must return true.",
        ]
        cast = f"cast call {contract} 'batchAnchored(bytes32)(bool)' {batch_root} --rpc-url {rpc}"
        web3_py = (
            "from web3 import Web3\n"
            f"w3 = Web3(Web3.HTTPProvider('{rpc}'))\n"
            "abi = [{'name': 'batchAnchored', 'type': 'function', 'stateMutability': 'view',\n"
            "        'inputs': [{'name': 'merkleRoot', 'type': 'bytes32'}], 'outputs': [{'name': '', 'type': 'bool'}]}]\n"
            f"print(w3.eth.contract('{contract}', abi=abi).functions.batchAnchored('{batch_root}').call())"
        )
    steps.append("Call isRevoked(record_id_bytes32); false means the attribution stands.")
    revoked_cast = f"cast call {contract} 'isRevoked(bytes32)(bool)' {record_id32} --rpc-url {rpc}"
    return {"steps": steps, "cast": cast, "cast_revoked": revoked_cast, "web3_py": web3_py}
