"""The verify page and the verdict words: a verdict names the evidence as it was found, in plain
words; identifiers are shortened with the full value kept; the public page leaves the shares of the
sale to the parties; and a signed-in verifier stays signed in on the result."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from marketplace.models import User
from provenance.core.evidence import evidence_sentence, verdict_heading
from provenance.core.verify import Verdict
from tests.conftest import PASSWORD


@pytest.mark.parametrize("verdict", list(Verdict))
def test_every_verdict_has_a_heading_in_words(verdict: Verdict) -> None:
    heading = verdict_heading(verdict.value)
    assert "_" not in heading and heading[0].isupper()


def test_a_photo_match_says_how_it_was_found_and_how_sure() -> None:
    sentence = evidence_sentence(
        verdict="probable_match", found_by="repeat", match={"score": 0.97512, "periods_seen": 2.66}
    )
    assert sentence == "Probable match, by the repeat fingerprint, score 0.975, 2.7 periods seen"


@pytest.mark.parametrize("found_by", ["repeat", "perceptual"])
def test_verified_is_never_said_of_a_resemblance(found_by: str) -> None:
    assert verdict_heading("verified", found_by) == "Probable match"
    assert not evidence_sentence(verdict="verified", found_by=found_by, match={"score": 1.0}).startswith(
        "Verified"
    )


@pytest.mark.parametrize("found_by", ["sha256", "credential"])
def test_verified_is_said_of_an_exact_file_or_a_credential(found_by: str) -> None:
    assert evidence_sentence(verdict="verified", found_by=found_by).startswith("Verified, by ")


def _photo_result(designer: User, artist: User) -> dict[str, Any]:
    return {
        "verdict": "probable_match",
        "found_by": "repeat",
        "reasons": [],
        "match": {"method": "repeat", "score": 0.97512, "periods_seen": 2.66},
        "state": "live",
        "record_id": "ab" * 16,
        "matches": [],
        "attribution": {
            "base_pattern": {
                "title": "Leaves",
                "repeat_type": "half_drop",
                "sha256": "1" * 64,
                "designer": {"username": designer.username, "public_id": str(designer.public_id)},
            },
            "style": {
                "title": "Harbour",
                "sha256": "2" * 64,
                "artist": {"username": artist.username, "public_id": str(artist.public_id)},
            },
            "licence": {
                "version": 1,
                "terms": {
                    "allowed_uses": ["personal"],
                    "fee_per_use": "2.00",
                    "currency": "USD",
                    "royalty_percent": "10",
                },
            },
            "purchased_at": "2026-12-05T10:00:00Z",
            "royalties_bps": {
                str(artist.public_id): 3875,
                "motif-platform": 5125,
                str(designer.public_id): 1000,
            },
        },
        "chain": {"status": "confirmed", "tx_hash": "0x" + "9" * 64, "block_number": 7},
    }


def test_the_verify_page_names_a_photo_match_and_keeps_the_shares_to_the_parties(
    client: Client, monkeypatch: pytest.MonkeyPatch, artist: User, designer: User
) -> None:
    monkeypatch.setattr(
        "frontend.views.verify.verify_submission", lambda **_: _photo_result(designer, artist)
    )
    page = client.post("/verify/", {"sha256": "ab" * 32}).content.decode()
    heading = re.search(r'data-testid="verdict-heading">([^<]*)<', page)
    assert heading and heading.group(1) == "Probable match"
    assert "Probable match, by the repeat fingerprint, score 0.975, 2.7 periods seen." in page
    assert "Probable_match" not in page and "probable_match<" not in page and ">Verified<" not in page
    # The licence and the chain are public; what each party took of the sale is not.
    assert "Version 1: personal use" in page
    assert "51.25" not in page and "Shares of the sale" not in page and "5125" not in page
    # Identifiers read short, and the full value is kept for copying.
    tx = "0x" + "9" * 64
    assert f'data-copy="{tx}"' in page and f'<code title="{tx}">{tx[:10]}…</code>' in page
    assert f">{'1' * 64}<" not in page and f'data-copy="{"1" * 64}"' in page
    # The certificate of a photo match carries that photo: it is asked for with the image, and the
    # record's own certificate (which compares no file) is not offered in its place.
    assert 'data-testid="photo-certificate"' in page
    assert not re.search(r'<a [^>]*href="[^"]*certificate\.pdf"', page)


def test_an_exact_match_offers_the_records_certificate(
    client: Client, monkeypatch: pytest.MonkeyPatch, artist: User, designer: User
) -> None:
    exact = _photo_result(designer, artist) | {"verdict": "verified", "found_by": "sha256", "match": None}
    monkeypatch.setattr("frontend.views.verify.verify_submission", lambda **_: exact)
    page = client.post("/verify/", {"sha256": "ab" * 32}).content.decode()
    assert re.search(r'data-testid="verdict-heading">Verified<', page)
    assert "Verified, by the exact file hash (SHA-256)." in page
    assert re.search(r'<a [^>]*href="[^"]*certificate\.pdf"', page) and "photo-certificate" not in page


def test_a_signed_in_verifier_stays_signed_in_on_the_result(
    client: Client, monkeypatch: pytest.MonkeyPatch, artist: User, designer: User
) -> None:
    monkeypatch.setattr(
        "frontend.views.verify.verify_submission", lambda **_: _photo_result(designer, artist)
    )
    assert client.login(username=designer.username, password=PASSWORD)
    form = client.get("/verify/").content.decode()
    assert "Log out" in form  # signed in on the form
    page = client.post("/verify/", {"sha256": "ab" * 32}).content.decode()
    assert "Log out" in page and f'<span class="muted small">{designer.username}</span>' in page


def test_a_page_throttle_leaves_the_signed_in_user_signed_in(rf: Any, designer: User) -> None:
    from django.contrib.auth.models import AnonymousUser
    from rest_framework.throttling import ScopedRateThrottle

    from marketplace.api.throttles import page_request

    class Scope:
        throttle_scope = "verify"

    request = rf.post("/verify/")
    request.user = designer
    assert ScopedRateThrottle().allow_request(page_request(request), Scope())  # type: ignore[arg-type]
    assert request.user == designer
    anonymous = rf.post("/verify/")
    anonymous.user = AnonymousUser()
    assert ScopedRateThrottle().allow_request(page_request(anonymous), Scope())  # type: ignore[arg-type]
    assert not anonymous.user.is_authenticated
