"""The reason code sent on chain with a revocation.

The registry's `revoke(recordId, reasonHash)` takes any non-zero bytes32. Motif sends the reason
code itself, ASCII, left-aligned and zero-padded, as Solidity's `bytes32("copyright")`, so anyone
reading the `Revoked` event learns why without asking Motif; the reasoning in words stays in
Motif's audit log. A bytes32 that is not such a code (an older revocation that sent a hash of
its reason text) reads as `unspecified`."""

from __future__ import annotations

import re

_CODE = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
UNSPECIFIED = "unspecified"


def reason_word(code: str) -> bytes:
    if not _CODE.fullmatch(code):
        raise ValueError(f"a reason code is 1-31 lowercase letters, digits or underscores, got {code!r}")
    return code.encode("ascii").ljust(32, b"\0")


def reason_code_of(word: bytes) -> str:
    text = bytes(word).rstrip(b"\0")
    try:
        code = text.decode("ascii")
    except UnicodeDecodeError:
        return UNSPECIFIED
    return code if _CODE.fullmatch(code) and not any(bytes(word)[len(text) :]) else UNSPECIFIED
