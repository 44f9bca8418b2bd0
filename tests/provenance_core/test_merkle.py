from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.core.merkle import MerkleTree, hash_pair, record_leaf, verify

leaves_strategy = st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=70, unique=True)


@settings(max_examples=60, deadline=None)
@given(leaves=leaves_strategy)
def test_every_inclusion_proof_verifies(leaves: list[bytes]) -> None:
    tree = MerkleTree.build(leaves)
    for index, leaf in enumerate(leaves):
        assert verify(tree.proof(index), leaf, tree.root)


@settings(max_examples=60, deadline=None)
@given(leaves=leaves_strategy, data=st.data())
def test_tampered_leaf_proof_or_root_fails(leaves: list[bytes], data: st.DataObject) -> None:
    tree = MerkleTree.build(leaves)
    index = data.draw(st.integers(0, len(leaves) - 1))
    proof = tree.proof(index)
    flip = data.draw(st.integers(0, 255))

    def flipped(value: bytes) -> bytes:
        return value[: flip // 8] + bytes([value[flip // 8] ^ (1 << (flip % 8))]) + value[flip // 8 + 1 :]

    assert not verify(proof, flipped(leaves[index]), tree.root)
    assert not verify(proof, leaves[index], flipped(tree.root))
    if proof:
        position = data.draw(st.integers(0, len(proof) - 1))
        tampered = [*proof[:position], flipped(proof[position]), *proof[position + 1 :]]
        assert not verify(tampered, leaves[index], tree.root)


def test_proof_does_not_prove_a_leaf_outside_the_batch() -> None:
    leaves = [os.urandom(32) for _ in range(9)]
    tree = MerkleTree.build(leaves)
    assert not any(verify(tree.proof(i), os.urandom(32), tree.root) for i in range(9))


def test_sorted_pair_hashing_and_leaf_layout() -> None:
    a, b = os.urandom(32), os.urandom(32)
    assert hash_pair(a, b) == hash_pair(b, a)
    tree = MerkleTree.build([a])
    assert tree.root == a and tree.proof(0) == []
    assert record_leaf(a, b) != record_leaf(b, a)  # record id and manifest hash are not interchangeable


def test_empty_and_duplicate_batches_are_refused() -> None:
    with pytest.raises(ValueError):
        MerkleTree.build([])
    leaf = os.urandom(32)
    with pytest.raises(ValueError, match="duplicate"):
        MerkleTree.build([leaf, leaf])
