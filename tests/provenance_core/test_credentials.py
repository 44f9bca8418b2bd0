from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from provenance.core.credentials import (
    CertPaths,
    IngredientRef,
    ensure_dev_certificates,
    read_credential,
    sign_png,
)
from provenance.core.hashing import sha256_hex

RECORD_ID = "5e" * 16
MANIFEST_HASH = "9c" * 32


def _png(colour: tuple[int, int, int], size: int = 96) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", (size, size), colour)
    image.putpixel((3, 5), (255 - colour[0], 0, 0))
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> CertPaths:
    return ensure_dev_certificates(tmp_path_factory.mktemp("c2pa"))


@pytest.fixture(scope="module")
def signed(certs: CertPaths) -> bytes:
    base, style = _png((20, 90, 160), 48), _png((200, 40, 60), 48)
    return sign_png(
        _png((120, 180, 90), 160),
        title="Ferns in indigo",
        record_id=RECORD_ID,
        manifest_hash_hex=MANIFEST_HASH,
        base_pattern=IngredientRef("Ferns", sha256_hex(base), base),
        style=IngredientRef("Indigo wash", sha256_hex(style), style),
        certs=certs,
    )


def test_dev_certificates_are_created_once(certs: CertPaths) -> None:
    before = certs.signer_cert.read_bytes()
    assert ensure_dev_certificates(certs.root_cert.parent).signer_cert.read_bytes() == before


def test_signed_png_is_trusted_and_names_the_record(signed: bytes, certs: CertPaths) -> None:
    report = read_credential(signed, "image/png", trust_anchor_pem=certs.root_cert.read_bytes())
    assert report.state == "trusted", report.errors
    assert (report.record_id, report.manifest_hash) == (RECORD_ID, MANIFEST_HASH)


def test_signed_png_without_our_trust_anchor_is_only_valid(signed: bytes, tmp_path: Path) -> None:
    stranger = ensure_dev_certificates(tmp_path / "other-root")
    assert (
        read_credential(signed, "image/png", trust_anchor_pem=stranger.root_cert.read_bytes()).state
        == "valid"
    )


def test_one_changed_image_byte_makes_the_credential_invalid(signed: bytes, certs: CertPaths) -> None:
    tampered = bytearray(signed)
    tampered[signed.index(b"IDAT") + 12] ^= 0x01
    report = read_credential(bytes(tampered), "image/png", trust_anchor_pem=certs.root_cert.read_bytes())
    assert report.state == "invalid"
    assert any("dataHash.mismatch" in e for e in report.errors)


def test_plain_png_has_no_credential(certs: CertPaths) -> None:
    report = read_credential(_png((1, 2, 3)), "image/png", trust_anchor_pem=certs.root_cert.read_bytes())
    assert report.state == "absent"
