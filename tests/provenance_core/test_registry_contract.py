"""AttributionRegistry behaviour through the client, in-process and (when installed) on anvil."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from provenance.core.chain import ChainClient, ChainRejected
from provenance.core.ids import new_record_id, record_id_to_bytes32
from provenance.core.merkle import MerkleTree, record_leaf

from .conftest import nonzero_hash, random_record

GAS_BUDGET_SINGLE = 50_000
GAS_BUDGET_BATCHED_PER_RECORD = 1_000


def test_attribute_stores_manifest_hash_and_emits_event(chain: ChainClient) -> None:
    record = random_record()
    receipt = chain.attribute(record)
    assert not receipt.already_on_chain
    assert (
        chain.contract.functions.manifestOf(record_id_to_bytes32(record.record_id)).call()
        == record.manifest_hash
    )
    found = chain.lookup(record.record_id)
    assert found is not None
    assert (found.manifest_hash, found.output_hash, found.base_pattern_hash, found.style_hash) == (
        record.manifest_hash,
        record.output_hash,
        record.base_pattern_hash,
        record.style_hash,
    )
    assert (found.tx_hash, found.block_number, found.revoked) == (
        receipt.tx_hash,
        receipt.block_number,
        False,
    )
    assert found.chain_id == chain.chain_id and found.contract_address == chain.address
    assert chain.lookup(new_record_id()) is None


def test_records_can_be_found_by_output_hash(chain: ChainClient) -> None:
    record, other = random_record(), random_record()
    chain.attribute(record)
    chain.attribute(other)
    chain.revoke(other.record_id, nonzero_hash())  # a named event sharing the contract's logs
    assert [r.record_id for r in chain.find_by_output(record.output_hash)] == [record.record_id]
    assert chain.find_by_output(nonzero_hash()) == []


def test_duplicate_record_id_is_refused_by_the_contract(chain: ChainClient) -> None:
    record = random_record()
    chain.attribute(record)
    duplicate = chain.contract.functions.attribute(
        record_id_to_bytes32(record.record_id),
        record.manifest_hash,
        nonzero_hash(),
        nonzero_hash(),
        nonzero_hash(),
    )
    with pytest.raises(ChainRejected, match="RecordAlreadyAttributed"):
        chain._send(duplicate)


def test_zero_manifest_hash_is_refused(chain: ChainClient) -> None:
    call = chain.contract.functions.attribute(
        record_id_to_bytes32(new_record_id()), bytes(32), nonzero_hash(), nonzero_hash(), nonzero_hash()
    )
    with pytest.raises(ChainRejected, match="ZeroHash"):
        chain._send(call)


def test_non_registrar_cannot_attribute_revoke_or_anchor(
    chain: ChainClient, other_client: Callable[[], ChainClient]
) -> None:
    outsider = other_client()
    with pytest.raises(ChainRejected, match="NotRegistrar"):
        outsider.attribute(random_record())
    with pytest.raises(ChainRejected, match="NotRegistrar"):
        outsider.anchor_batch(nonzero_hash(), 3)
    record = random_record()
    chain.attribute(record)
    with pytest.raises(ChainRejected, match="NotRegistrar"):
        outsider.revoke(record.record_id, nonzero_hash())


def test_owner_manages_registrars(chain: ChainClient, other_client: Callable[[], ChainClient]) -> None:
    registrar, outsider = other_client(), other_client()
    with pytest.raises(ChainRejected, match="NotOwner"):
        outsider.add_registrar(outsider.sender)
    chain.add_registrar(registrar.sender)
    assert registrar.is_registrar(registrar.sender)
    registrar.attribute(random_record())
    with pytest.raises(ChainRejected, match="NotOwner"):
        registrar.add_registrar(outsider.sender)  # registrars cannot grow their own ranks
    chain.remove_registrar(registrar.sender)
    assert not chain.is_registrar(registrar.sender)
    with pytest.raises(ChainRejected, match="NotRegistrar"):
        registrar.attribute(random_record())


def test_owner_can_hand_over_ownership(chain: ChainClient, other_client: Callable[[], ChainClient]) -> None:
    successor = other_client()
    chain.transfer_ownership(successor.sender)
    assert chain.owner() == successor.sender
    with pytest.raises(ChainRejected, match="NotOwner"):
        chain.add_registrar(successor.sender)
    successor.add_registrar(successor.sender)
    successor.attribute(random_record())
    chain.attribute(random_record())  # the deployer stays a registrar until someone removes it


def test_revoke_marks_record_and_cannot_repeat(chain: ChainClient) -> None:
    record = random_record()
    chain.attribute(record)
    assert not chain.is_revoked(record.record_id)
    chain.revoke(record.record_id, nonzero_hash())
    assert chain.is_revoked(record.record_id)
    assert chain.lookup(record.record_id).revoked  # type: ignore[union-attr]
    with pytest.raises(ChainRejected):
        chain.revoke(record.record_id, nonzero_hash())
    call = chain.contract.functions.revoke(record_id_to_bytes32(record.record_id), nonzero_hash())
    with pytest.raises(ChainRejected, match="AlreadyRevoked"):
        chain._send(call)


def test_anchor_batch_stores_root_and_is_idempotent(chain: ChainClient) -> None:
    records = [random_record() for _ in range(5)]
    tree = MerkleTree.build(
        [record_leaf(record_id_to_bytes32(r.record_id), r.manifest_hash) for r in records]
    )
    first = chain.anchor_batch(tree.root, len(records))
    assert chain.contract.functions.batchAnchored(tree.root).call()
    batch = chain.lookup_batch(tree.root)
    assert batch is not None and (batch.count, batch.tx_hash) == (5, first.tx_hash)
    again = chain.anchor_batch(tree.root, len(records))
    assert again.already_on_chain and again.tx_hash == first.tx_hash
    with pytest.raises(ChainRejected, match="BatchAlreadyAnchored"):
        chain._send(chain.contract.functions.anchorBatch(tree.root, 5))
    with pytest.raises(ChainRejected, match="EmptyBatch"):
        chain._send(chain.contract.functions.anchorBatch(nonzero_hash(), 0))
    assert chain.lookup_batch(nonzero_hash()) is None


def test_single_attribute_stays_within_gas_budget(chain: ChainClient) -> None:
    # Hashes with no zero byte are the calldata worst case; gas is deterministic, not a timing.
    used = [chain.attribute(random_record()).gas_used for _ in range(5)]
    assert max(used) <= GAS_BUDGET_SINGLE, used


def test_batched_records_cost_under_1000_gas_each(chain: ChainClient) -> None:
    count = 100
    receipt = chain.anchor_batch(os.urandom(32), count)
    assert receipt.gas_used / count <= GAS_BUDGET_BATCHED_PER_RECORD
