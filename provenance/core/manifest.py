"""The attribution manifest: one canonical JSON document per order line.

The manifest is what the chain anchors (by its SHA-256), so it must serialise to the same bytes
everywhere: RFC 8785 (JCS) canonical JSON, integers only where they are small counts, and
anything that is an amount or may exceed 2^53 (basis points, seeds) written as a decimal string.
It names people only by public ids; personal data would become permanent the moment its hash is
on chain, so `validate_no_personal_data` refuses it.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import rfc8785

from provenance.core.hashing import sha256_bytes
from provenance.core.ids import check_record_id

SCHEMA_VERSION = "motif.attribution/1"
BASIS_POINTS_TOTAL = 10_000

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_HEX16 = re.compile(r"^[0-9a-f]{16}$")


class ManifestError(ValueError):
    """The input cannot become a valid attribution manifest."""


class PersonalDataError(ManifestError):
    """The manifest would put personal data on a permanent public record."""


def _sha256_hex(value: str, what: str) -> str:
    if not _HEX64.fullmatch(value):
        raise ManifestError(f"{what} must be a lowercase hex SHA-256, got {value!r}")
    return value


@dataclass(frozen=True)
class BasePatternRef:
    pattern_id: str
    sha256: str
    designer_public_id: str


@dataclass(frozen=True)
class LicenceVersion:
    """The exact licence terms the buyer accepted; the hash pins them even if the text is reissued."""

    version: str
    terms: Mapping[str, Any]
    terms_sha256: str | None = None  # given by the caller as a cross-check; computed when absent


@dataclass(frozen=True)
class LicencedStyleRef:
    style_id: str
    sha256: str
    artist_public_id: str
    licence: LicenceVersion


@dataclass(frozen=True)
class BuyerStyleImage:
    """A buyer's own style image: recorded only by hash, never stored or credited."""

    sha256: str


@dataclass(frozen=True)
class StylizationSettings:
    params: Mapping[str, Any]
    seed: int


@dataclass(frozen=True)
class EngineInfo:
    method: str
    encoder: str
    weights_sha256: str | None  # None for engines whose weights are derived from the seed
    library_versions: Mapping[str, str]
    device: str


@dataclass(frozen=True)
class OutputHashes:
    print_png_sha256: str
    print_sheet_sha256: str
    svg_sha256: str | None
    phash: str  # 16 hex chars, 64-bit perceptual hash of print_png
    dhash: str  # 16 hex chars, 64-bit gradient hash of print_png


@dataclass(frozen=True)
class OrderCommitment:
    """sha256(salt ‖ order id ‖ buyer id); the salt stays in Motif's database, never on chain."""

    commitment: str
    salt: str


@dataclass(frozen=True)
class AttributionInput:
    record_id: str
    created_at: dt.datetime
    base_pattern: BasePatternRef
    style: LicencedStyleRef | BuyerStyleImage
    stylization: StylizationSettings
    engine: EngineInfo
    outputs: OutputHashes
    royalty_split_bps: Mapping[str, int]  # payee public id -> basis points, summing to 10 000
    order_commitment: str
    extra: Mapping[str, Any] = field(default_factory=dict)


def canonical_json(document: Any) -> bytes:
    """RFC 8785 bytes: key order, whitespace and number formatting no longer matter."""
    return rfc8785.dumps(document)


def terms_hash(terms: Mapping[str, Any]) -> str:
    return sha256_bytes(canonical_json(dict(terms))).hex()


def make_order_commitment(*, order_id: str, buyer_id: str, salt: bytes | None = None) -> OrderCommitment:
    """Commit to (order, buyer) without revealing either.

    Each field is length-prefixed so ("12", "3") and ("1", "23") cannot collide; the 32-byte
    random salt stops anyone enumerating order and buyer ids to find a match.
    """
    salt = secrets.token_bytes(32) if salt is None else salt
    if len(salt) != 32:
        raise ManifestError("order commitment salt must be 32 bytes")
    payload = salt
    for value in (order_id, buyer_id):
        encoded = value.encode("utf-8")
        payload += len(encoded).to_bytes(4, "big") + encoded
    return OrderCommitment(commitment=sha256_bytes(payload).hex(), salt=salt.hex())


def _utc_timestamp(moment: dt.datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() != dt.timedelta(0):
        raise ManifestError("created_at must be timezone-aware UTC")
    return moment.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _style_section(style: LicencedStyleRef | BuyerStyleImage) -> dict[str, Any]:
    if isinstance(style, BuyerStyleImage):
        return {"kind": "buyer_upload", "sha256": _sha256_hex(style.sha256, "buyer style hash")}
    computed = terms_hash(style.licence.terms)
    if style.licence.terms_sha256 is not None and style.licence.terms_sha256 != computed:
        raise ManifestError("licence terms hash does not match the terms given")
    return {
        "kind": "licensed",
        "id": style.style_id,
        "sha256": _sha256_hex(style.sha256, "style hash"),
        "artist": style.artist_public_id,
        "licence": {
            "version": style.licence.version,
            "terms": dict(style.licence.terms),
            "terms_sha256": computed,
        },
    }


def _royalties(split: Mapping[str, int]) -> dict[str, str]:
    if not split:
        raise ManifestError("royalty split needs at least one payee")
    if any(not isinstance(bps, int) or bps <= 0 for bps in split.values()):
        raise ManifestError("royalty shares must be positive whole basis points")
    if sum(split.values()) != BASIS_POINTS_TOTAL:
        raise ManifestError(f"royalty split must sum to {BASIS_POINTS_TOTAL} bps, got {sum(split.values())}")
    return {payee: str(bps) for payee, bps in split.items()}


def build_manifest(attribution: AttributionInput) -> dict[str, Any]:
    """Turn typed inputs into the manifest document, validating it on the way out."""
    outputs = attribution.outputs
    for name, value in (("phash", outputs.phash), ("dhash", outputs.dhash)):
        if not _HEX16.fullmatch(value):
            raise ManifestError(f"{name} must be 16 lowercase hex characters")
    engine = attribution.engine
    manifest: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "record_id": check_record_id(attribution.record_id),
        "created_at": _utc_timestamp(attribution.created_at),
        "inputs": {
            "base_pattern": {
                "id": attribution.base_pattern.pattern_id,
                "sha256": _sha256_hex(attribution.base_pattern.sha256, "base pattern hash"),
                "designer": attribution.base_pattern.designer_public_id,
            },
            "style": _style_section(attribution.style),
        },
        "stylization": {
            "params": dict(attribution.stylization.params),
            "seed": str(attribution.stylization.seed),
        },
        "engine": {
            "method": engine.method,
            "encoder": engine.encoder,
            "weights_sha256": None
            if engine.weights_sha256 is None
            else _sha256_hex(engine.weights_sha256, "weights hash"),
            "library_versions": dict(engine.library_versions),
            "device": engine.device,
        },
        "outputs": {
            "print_png": {"sha256": _sha256_hex(outputs.print_png_sha256, "print PNG hash")},
            "print_sheet": {"sha256": _sha256_hex(outputs.print_sheet_sha256, "print sheet hash")},
            "svg": None
            if outputs.svg_sha256 is None
            else {"sha256": _sha256_hex(outputs.svg_sha256, "SVG hash")},
            "perceptual": {"of": "print_png", "phash": outputs.phash, "dhash": outputs.dhash},
        },
        "royalties": {"basis_points": _royalties(attribution.royalty_split_bps)},
        "order_commitment": _sha256_hex(attribution.order_commitment, "order commitment"),
    }
    if attribution.extra:
        manifest["extra"] = dict(attribution.extra)
    validate_no_personal_data(manifest)
    canonical_json(manifest)  # fails early on floats JCS cannot represent (NaN, inf)
    return manifest


def manifest_hash(manifest: Mapping[str, Any]) -> bytes:
    """The 32 bytes anchored on chain: SHA-256 of the manifest's JCS encoding."""
    return sha256_bytes(canonical_json(dict(manifest)))


# Keys are split into words (snake_case, kebab-case, camelCase), so "buyerEmail" and "user_name"
# are caught while "pattern_id" is not.
_PERSONAL_WORDS = frozenset(
    {
        "name",
        "names",
        "firstname",
        "lastname",
        "fullname",
        "surname",
        "email",
        "mail",
        "username",
        "address",
        "street",
        "city",
        "postcode",
        "zip",
        "zipcode",
        "phone",
        "mobile",
        "telephone",
        "birthday",
        "birthdate",
        "dob",
        "ip",
        "iban",
        "passport",
    }
)
_PERSONAL_KEYS = frozenset(
    {"e_mail", "user_name", "first_name", "last_name", "full_name", "date_of_birth", "ip_address"}
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_WORD_SPLIT = re.compile(r"[_\-\s.]+|(?<=[a-z0-9])(?=[A-Z])")


def _key_is_personal(key: str) -> bool:
    if key.lower() in _PERSONAL_KEYS:
        return True
    return any(word.lower() in _PERSONAL_WORDS for word in _WORD_SPLIT.split(key) if word)


def personal_data_findings(document: Any, path: str = "$") -> list[str]:
    """Where personal data appears in a JSON-like document (empty when clean)."""
    findings: list[str] = []
    if isinstance(document, Mapping):
        for key, value in document.items():
            child = f"{path}.{key}"
            if _key_is_personal(str(key)):
                findings.append(f"{child}: key looks like personal data")
            findings.extend(personal_data_findings(value, child))
    elif isinstance(document, list | tuple):
        for index, value in enumerate(document):
            findings.extend(personal_data_findings(value, f"{path}[{index}]"))
    elif isinstance(document, str) and _EMAIL.search(document):
        findings.append(f"{path}: value looks like an e-mail address")
    return findings


def validate_no_personal_data(document: Any) -> None:
    findings = personal_data_findings(document)
    if findings:
        raise PersonalDataError("; ".join(findings))
