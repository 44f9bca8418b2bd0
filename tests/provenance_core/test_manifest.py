from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json

import pytest

from provenance.core.manifest import (
    SCHEMA_VERSION,
    AttributionInput,
    BuyerStyleImage,
    LicenceVersion,
    ManifestError,
    PersonalDataError,
    build_manifest,
    canonical_json,
    make_order_commitment,
    manifest_hash,
    personal_data_findings,
    terms_hash,
    validate_no_personal_data,
)


def _leaf_paths(document, prefix=()):
    if isinstance(document, dict):
        for key, value in document.items():
            yield from _leaf_paths(value, (*prefix, key))
    else:
        yield prefix


def _mutated(document, path):
    changed = copy.deepcopy(document)
    target = changed
    for key in path[:-1]:
        target = target[key]
    value = target[path[-1]]
    target[path[-1]] = (
        (not value)
        if isinstance(value, bool)
        else (value + 1 if isinstance(value, int | float) else f"{value}x")
    )
    return changed


def test_canonical_json_is_independent_of_key_order(attribution_input: AttributionInput) -> None:
    manifest = build_manifest(attribution_input)
    reordered = json.loads(json.dumps(manifest, sort_keys=True))
    reversed_order = dict(reversed(list(manifest.items())))
    assert canonical_json(manifest) == canonical_json(reordered) == canonical_json(reversed_order)
    assert manifest_hash(manifest) == manifest_hash(reversed_order)
    assert b" " not in canonical_json({"a": 1, "b": [1, 2]})


def test_manifest_hash_changes_when_any_field_changes(attribution_input: AttributionInput) -> None:
    manifest = build_manifest(attribution_input)
    original = manifest_hash(manifest)
    paths = [p for p in _leaf_paths(manifest) if manifest_value(manifest, p) is not None]
    assert len(paths) > 25
    hashes = {manifest_hash(_mutated(manifest, path)) for path in paths}
    assert original not in hashes
    assert len(hashes) == len(paths)


def manifest_value(manifest, path):
    for key in path:
        manifest = manifest[key]
    return manifest


def test_manifest_shape_and_amounts_as_strings(attribution_input: AttributionInput) -> None:
    manifest = build_manifest(attribution_input)
    assert manifest["schema"] == SCHEMA_VERSION
    assert manifest["created_at"] == "2026-11-25T12:00:05Z"
    assert manifest["royalties"]["basis_points"] == {"des_9k2": "6000", "art_4q8": "3000", "motif": "1000"}
    assert manifest["stylization"]["seed"] == str(2**63 + 11)  # beyond 2^53: a JSON number would lose it
    licence = manifest["inputs"]["style"]["licence"]
    assert licence["terms_sha256"] == terms_hash(licence["terms"])
    assert len(manifest_hash(manifest)) == 32


def test_buyer_style_image_is_recorded_only_by_hash(attribution_input: AttributionInput) -> None:
    manifest = build_manifest(dataclasses.replace(attribution_input, style=BuyerStyleImage(sha256="f6" * 32)))
    assert manifest["inputs"]["style"] == {"kind": "buyer_upload", "sha256": "f6" * 32}


@pytest.mark.parametrize(
    "document",
    [
        {"buyer": {"email": "x"}},
        {"name": "Ada"},
        {"params": {"customerName": "Ada"}},
        {"shipping_address": "1 Loom St"},
        {"user_name": "ada"},
        {"username": "ada"},
        {"phone": "x"},
        {"inputs": [{"note": "contact ada.lovelace@example.org"}]},
    ],
)
def test_personal_data_validator_rejects_personal_keys_and_emails(document) -> None:
    with pytest.raises(PersonalDataError):
        validate_no_personal_data(document)


def test_personal_data_validator_accepts_public_ids(attribution_input: AttributionInput) -> None:
    assert personal_data_findings(build_manifest(attribution_input)) == []
    assert personal_data_findings({"designer": "des_9k2", "pattern_id": "p", "at": "a@b"}) == []


def test_build_manifest_refuses_personal_data_in_licence_terms(attribution_input: AttributionInput) -> None:
    style = dataclasses.replace(
        attribution_input.style,
        licence=LicenceVersion(version="4", terms={"licensor_contact": "legal@studio.example"}),
    )
    with pytest.raises(PersonalDataError, match="e-mail"):
        build_manifest(dataclasses.replace(attribution_input, style=style))


def test_licence_terms_hash_must_match_terms(attribution_input: AttributionInput) -> None:
    style = dataclasses.replace(
        attribution_input.style,
        licence=LicenceVersion(version="3", terms={"commercial_use": True}, terms_sha256="00" * 32),
    )
    with pytest.raises(ManifestError, match="terms hash"):
        build_manifest(dataclasses.replace(attribution_input, style=style))


@pytest.mark.parametrize("split", [{}, {"a": 5000}, {"a": 5000, "b": 5001}, {"a": 10_000, "b": 0}])
def test_royalty_split_must_be_positive_and_total_10000_bps(
    attribution_input: AttributionInput, split
) -> None:
    with pytest.raises(ManifestError):
        build_manifest(dataclasses.replace(attribution_input, royalty_split_bps=split))


def test_created_at_must_be_utc(attribution_input: AttributionInput) -> None:
    for moment in (
        dt.datetime(2026, 1, 1),
        dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    ):
        with pytest.raises(ManifestError, match="UTC"):
            build_manifest(dataclasses.replace(attribution_input, created_at=moment))


def test_order_commitment_binds_order_and_buyer_without_revealing_them() -> None:
    salt = bytes(32)
    first = make_order_commitment(order_id="12", buyer_id="3", salt=salt)
    assert first == make_order_commitment(order_id="12", buyer_id="3", salt=salt)
    # length prefixes keep ("12","3") and ("1","23") apart
    assert first.commitment != make_order_commitment(order_id="1", buyer_id="23", salt=salt).commitment
    fresh = make_order_commitment(order_id="12", buyer_id="3")
    assert fresh.salt != first.salt and fresh.commitment != first.commitment
    assert "12" not in first.commitment
