"""C2PA content credentials for printed outputs.

A signed PNG carries who made it (Motif's signer), what it was made from (the base pattern as
`parentOf`, the style as `inputTo`) and a `com.motif.attribution` assertion pointing at the
attribution record and its manifest hash, so a file found in the wild leads back to the chain.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ATTRIBUTION_ASSERTION = "com.motif.attribution"

# Labels tie the c2pa.opened action to the base pattern ingredient inside the manifest.
_BASE_PATTERN_LABEL = "motif-base-pattern"
_STYLE_LABEL = "motif-style"

CredentialState = Literal["trusted", "valid", "invalid", "absent"]


@dataclass(frozen=True)
class CertPaths:
    root_cert: Path
    intermediate_cert: Path
    signer_cert: Path
    signer_key: Path

    def signer_chain_pem(self) -> bytes:
        # The reader only reaches the trust anchor when the chain includes the intermediate.
        return self.signer_cert.read_bytes() + self.intermediate_cert.read_bytes()


@dataclass(frozen=True)
class IngredientRef:
    """A source image credited in the credential; `thumbnail_png` is what the reader shows."""

    title: str
    sha256: str
    thumbnail_png: bytes


@dataclass(frozen=True)
class CredentialReport:
    state: CredentialState
    record_id: str | None = None
    manifest_hash: str | None = None
    errors: tuple[str, ...] = field(default_factory=tuple)
    nonce: str | None = None
    asset: str | None = None


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Motif (development)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _issue(
    *,
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    ca: bool,
    path_length: int | None,
    now: dt.datetime,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650 if ca else 825))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
    )
    if ca:
        usage = x509.KeyUsage(
            digital_signature=False,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=True,
            crl_sign=True,
            encipher_only=False,
            decipher_only=False,
        )
    else:
        usage = x509.KeyUsage(
            digital_signature=True,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=False,
            crl_sign=False,
            encipher_only=False,
            decipher_only=False,
        )
        # C2PA signers need an EKU from its allow-list; emailProtection is one of them.
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
    builder = builder.add_extension(usage, critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


def ensure_dev_certificates(directory: Path) -> CertPaths:
    """Create (once) an ES256 root -> intermediate -> signer chain for development and tests.

    Production uses a certificate from a C2PA-trusted CA; this chain only lets every environment
    sign and verify offline with the same code path.
    """
    directory = Path(directory)
    paths = CertPaths(
        root_cert=directory / "root-ca.pem",
        intermediate_cert=directory / "intermediate-ca.pem",
        signer_cert=directory / "signer.pem",
        signer_key=directory / "signer.key",
    )
    if all(
        p.exists() for p in (paths.root_cert, paths.intermediate_cert, paths.signer_cert, paths.signer_key)
    ):
        return paths
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name("Motif Dev Root CA")
    root = _issue(
        subject="Motif Dev Root CA",
        key=root_key,
        issuer=root_name,
        issuer_key=root_key,
        ca=True,
        path_length=1,
        now=now,
    )
    inter_key = ec.generate_private_key(ec.SECP256R1())
    inter = _issue(
        subject="Motif Dev Intermediate CA",
        key=inter_key,
        issuer=root.subject,
        issuer_key=root_key,
        ca=True,
        path_length=0,
        now=now,
    )
    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer = _issue(
        subject="Motif Content Credentials (dev)",
        key=signer_key,
        issuer=inter.subject,
        issuer_key=inter_key,
        ca=False,
        path_length=None,
        now=now,
    )
    pem = serialization.Encoding.PEM
    paths.root_cert.write_bytes(root.public_bytes(pem))
    paths.intermediate_cert.write_bytes(inter.public_bytes(pem))
    paths.signer_cert.write_bytes(signer.public_bytes(pem))
    paths.signer_key.write_bytes(
        signer_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    paths.signer_key.chmod(0o600)
    return paths


def _manifest_definition(
    *, title: str, record_id: str, manifest_hash_hex: str, software: str, nonce: str | None, asset: str
) -> dict:
    attribution = {"record_id": record_id, "manifest_hash": manifest_hash_hex, "asset": asset}
    if nonce is not None:
        attribution["nonce"] = nonce
    return {
        "claim_generator_info": [{"name": software}],
        "title": title,
        "format": "image/png",
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    # C2PA 2 wants the first action to say where the asset came from: the base
                    # pattern was opened (it is the parentOf ingredient), then restyled.
                    "actions": [
                        {
                            "action": "c2pa.opened",
                            "softwareAgent": {"name": software},
                            "parameters": {"ingredientIds": [_BASE_PATTERN_LABEL]},
                        },
                        {
                            "action": "c2pa.edited",
                            "softwareAgent": {"name": software},
                            "description": "Base pattern restyled with a licensed style",
                        },
                    ]
                },
            },
            {
                "label": ATTRIBUTION_ASSERTION,
                "data": attribution,
            },
        ],
    }


def sign_png(
    png_bytes: bytes,
    *,
    title: str,
    record_id: str,
    manifest_hash_hex: str,
    base_pattern: IngredientRef,
    style: IngredientRef,
    certs: CertPaths,
    software: str = "Motif",
    nonce: str | None = None,
    asset: str = "print_png",
) -> bytes:
    """Embed a signed C2PA manifest in a PNG and return the new file bytes. `asset` names which of
    the record's files this is (the print tile or the print sheet); `nonce` is the record's own."""
    definition = _manifest_definition(
        title=title,
        record_id=record_id,
        manifest_hash_hex=manifest_hash_hex,
        software=software,
        nonce=nonce,
        asset=asset,
    )
    signer_info = c2pa.C2paSignerInfo(
        alg=c2pa.C2paSigningAlg.ES256,
        sign_cert=certs.signer_chain_pem(),
        private_key=certs.signer_key.read_bytes(),
        ta_url=None,
    )
    with c2pa.Signer.from_info(signer_info) as signer, c2pa.Builder(definition) as builder:
        for ingredient, relationship, label in (
            (base_pattern, "parentOf", _BASE_PATTERN_LABEL),
            (style, "inputTo", _STYLE_LABEL),
        ):
            builder.add_ingredient(
                {
                    "title": ingredient.title,
                    "relationship": relationship,
                    "label": label,
                    # The thumbnail is only a preview; the sha256 names the full-resolution source.
                    "metadata": {"motif:sha256": ingredient.sha256},
                },
                "image/png",
                io.BytesIO(ingredient.thumbnail_png),
            )
        destination = io.BytesIO()
        builder.sign(signer, "image/png", io.BytesIO(png_bytes), destination)
        return destination.getvalue()


def _trust_context(trust_anchor_pem: bytes | str) -> c2pa.Context:
    anchors = trust_anchor_pem.decode() if isinstance(trust_anchor_pem, bytes) else trust_anchor_pem
    return c2pa.Context.from_dict({"verify": {"verify_trust": True}, "trust": {"trust_anchors": anchors}})


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_MANIFEST_CHUNK = b"caBX"  # the chunk that carries a C2PA manifest store (JUMBF) in a PNG


def png_has_manifest_chunk(data: bytes) -> bool:
    """Whether the PNG's chunks, as far as they can be read, include a C2PA manifest store. A
    truncated or damaged PNG without one has no credential at all: it is not an altered one."""
    pos = len(PNG_SIGNATURE)
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        if data[pos + 4 : pos + 8] == PNG_MANIFEST_CHUNK:
            return True
        pos += 12 + length
    return False


def read_credential(file_bytes: bytes, mime: str, *, trust_anchor_pem: bytes | str) -> CredentialReport:
    """Read and validate a file's content credential against the given trust anchor."""
    if (
        mime == "image/png"
        and file_bytes.startswith(PNG_SIGNATURE)
        and not png_has_manifest_chunk(file_bytes)
    ):
        return CredentialReport(state="absent")
    try:
        with (
            _trust_context(trust_anchor_pem) as context,
            c2pa.Reader(mime, io.BytesIO(file_bytes), context=context) as reader,
        ):
            store = json.loads(reader.json())
            state = (reader.get_validation_state() or "").lower()
    except c2pa.C2paError as exc:
        if (
            "ManifestNotFound" in type(exc).__name__
            or "no JUMBF" in str(exc)
            or "not found" in str(exc).lower()
        ):
            return CredentialReport(state="absent")
        return CredentialReport(state="invalid", errors=(f"{type(exc).__name__}: {exc}",))
    active = store.get("manifests", {}).get(store.get("active_manifest", ""), {})
    attribution: dict[str, Any] = next(
        (a.get("data", {}) for a in active.get("assertions", []) if a.get("label") == ATTRIBUTION_ASSERTION),
        {},
    )
    failures = store.get("validation_results", {}).get("activeManifest", {}).get("failure", [])
    errors = tuple(f"{f.get('code')}: {f.get('explanation', '')}".strip() for f in failures)
    if state == "trusted":
        verdict: CredentialState = "trusted"
    elif state == "valid":
        verdict = "valid"
    else:
        verdict = "invalid"
    return CredentialReport(
        state=verdict,
        record_id=attribution.get("record_id"),
        manifest_hash=attribution.get("manifest_hash"),
        errors=errors,
        nonce=attribution.get("nonce"),
        asset=attribution.get("asset"),
    )
