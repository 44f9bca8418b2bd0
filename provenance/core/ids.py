"""Attribution record ids.

A record id is 128 random bits written as 32 hex characters (the size of a UUID). On chain it is
the `bytes32` left-aligned and zero-padded, like Solidity's `bytes32(bytes16(id))`. The 16 zero
bytes cost 4 gas each in calldata instead of 16, which is part of what keeps a single `attribute`
under 50 000 gas; 128 bits still make an accidental collision practically impossible
(birthday bound ~2^64 records).
"""

from __future__ import annotations

import re
import secrets

_RECORD_ID = re.compile(r"^[0-9a-f]{32}$")


def new_record_id() -> str:
    return secrets.token_hex(16)


def check_record_id(record_id: str) -> str:
    if not _RECORD_ID.fullmatch(record_id):
        raise ValueError(f"record id must be 32 lowercase hex characters, got {record_id!r}")
    return record_id


def record_id_to_bytes32(record_id: str) -> bytes:
    return bytes.fromhex(check_record_id(record_id)) + bytes(16)


def record_id_from_bytes32(value: bytes) -> str:
    if len(value) != 32 or any(value[16:]):
        raise ValueError("not a Motif record id: expected 16 id bytes followed by 16 zero bytes")
    return value[:16].hex()
