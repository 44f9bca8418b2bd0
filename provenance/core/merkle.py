"""Merkle batches: many attribution records anchored by one `anchorBatch(root, count)`.

Compatible with OpenZeppelin's StandardMerkleTree / MerkleProof for (bytes32, bytes32) leaves,
so a contract or any EVM tool can check a proof without Motif's code:
  leaf = keccak256(keccak256(recordId ‖ manifestHash))   (double hash: a leaf can never pass for
                                                          an inner node, whose preimage is 64 bytes)
  node = keccak256(min(a, b) ‖ max(a, b))                (sorted pairs: proofs need no left/right bits)
An odd node at the end of a level is carried up unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from provenance.core.hashing import keccak256


def record_leaf(record_id32: bytes, manifest_hash: bytes) -> bytes:
    if len(record_id32) != 32 or len(manifest_hash) != 32:
        raise ValueError("record id and manifest hash must both be 32 bytes")
    return keccak256(keccak256(record_id32 + manifest_hash))


def hash_pair(a: bytes, b: bytes) -> bytes:
    return keccak256(a + b) if a <= b else keccak256(b + a)


@dataclass(frozen=True)
class MerkleTree:
    leaves: tuple[bytes, ...]
    levels: tuple[tuple[bytes, ...], ...]  # levels[0] = leaves, levels[-1] = (root,)

    @classmethod
    def build(cls, leaves: Sequence[bytes]) -> MerkleTree:
        if not leaves:
            raise ValueError("a batch needs at least one record")
        if len(set(leaves)) != len(leaves):
            raise ValueError("duplicate leaves: each record may appear in a batch only once")
        level = tuple(leaves)
        levels = [level]
        while len(level) > 1:
            paired = [hash_pair(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                paired.append(level[-1])
            level = tuple(paired)
            levels.append(level)
        return cls(leaves=tuple(leaves), levels=tuple(levels))

    @property
    def root(self) -> bytes:
        return self.levels[-1][0]

    def proof(self, index: int) -> list[bytes]:
        """Sibling hashes from the leaf up; a carried-up odd node contributes no sibling."""
        if not 0 <= index < len(self.leaves):
            raise IndexError(index)
        path: list[bytes] = []
        for level in self.levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                path.append(level[sibling])
            index //= 2
        return path


def verify(proof: Sequence[bytes], leaf: bytes, root: bytes) -> bool:
    node = leaf
    for sibling in proof:
        node = hash_pair(node, sibling)
    return node == root
