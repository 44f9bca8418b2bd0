"""Content hashes used across attribution: SHA-256 for files and documents, Keccak for the chain."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import BinaryIO

from eth_utils import keccak as _keccak

_CHUNK = 1 << 20


def sha256_bytes(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_stream(stream: BinaryIO) -> bytes:
    """Hash a file-like object in 1 MiB chunks, so print-size outputs never sit in memory twice."""
    digest = hashlib.sha256()
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    return digest.digest()


def sha256_file(path: str | Path) -> bytes:
    with open(path, "rb") as stream:
        return sha256_stream(stream)


def keccak256(data: bytes) -> bytes:
    return _keccak(data)
