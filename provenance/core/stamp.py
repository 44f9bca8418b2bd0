"""A record's stamp in its files: the record id and a random per-record nonce, written into the PNG
tile, the print sheet and the SVG before they are hashed into the manifest.

The same inputs and seed render the same pixels, so without it two sales of one design share their
files' bytes, and a file found in the wild would match every such sale. The stamp makes every
delivered file unique to its record, and it survives a stripped C2PA credential (a PNG tool that
drops the `caBX` chunk keeps `tEXt`)."""

from __future__ import annotations

import re
import secrets
import zlib

from provenance.core.ids import check_record_id

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
STAMP_KEYWORD = b"motif:attribution"
NONCE_BYTES = 16

_NONCE = re.compile(r"^[0-9a-f]{32}$")


class StampError(ValueError):
    """The file cannot carry a stamp (not a PNG, no IEND chunk, or a bad id or nonce)."""


def new_nonce() -> str:
    return secrets.token_hex(NONCE_BYTES)


def _stamp_text(record_id: str, nonce: str) -> str:
    if not _NONCE.fullmatch(nonce):
        raise StampError("the nonce must be 32 lowercase hex characters")
    return f"record={check_record_id(record_id)} nonce={nonce}"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")


def stamp_png(png: bytes, *, record_id: str, nonce: str) -> bytes:
    """The PNG with a `tEXt` chunk naming the record and its nonce, placed before `IEND`."""
    if not png.startswith(PNG_SIGNATURE):
        raise StampError("not a PNG")
    end = png.rfind(b"IEND")
    if end < len(PNG_SIGNATURE) + 4:
        raise StampError("the PNG has no IEND chunk")
    chunk = _chunk(b"tEXt", STAMP_KEYWORD + b"\x00" + _stamp_text(record_id, nonce).encode("latin-1"))
    start = end - 4  # the IEND chunk's length field
    return png[:start] + chunk + png[start:]


def stamp_svg(svg: bytes, *, record_id: str, nonce: str) -> bytes:
    """The SVG with a closing XML comment naming the record and its nonce (a comment after the
    root element is well-formed XML and changes nothing that is drawn)."""
    text = _stamp_text(record_id, nonce)
    return svg.rstrip() + f"\n<!-- {STAMP_KEYWORD.decode()} {text} -->\n".encode()
