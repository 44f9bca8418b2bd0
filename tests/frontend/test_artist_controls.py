"""The artist's studio: every licence term in the form, and withdrawing a style."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _studio(artist: Any) -> Client:
    client = Client()
    client.force_login(artist)
    return client


def test_the_studio_form_sets_every_term_as_a_new_version(artist: Any, style: Any) -> None:
    client = _studio(artist)
    prefix = f"licence-{style.pk}"
    response = client.post(
        f"/studio/artist/styles/{style.pk}/licence/",
        {
            f"{prefix}-allowed_uses": ["personal"],
            f"{prefix}-fee_per_use": "3.00",
            f"{prefix}-royalty_percent": "10",
            f"{prefix}-territories": "fr, de",
            f"{prefix}-allowed_substrates": ["wallpaper"],
            f"{prefix}-valid_until": "2031-05-01",
            f"{prefix}-revenue_ceiling": "250",
            f"{prefix}-attribution_required": "on",
            f"{prefix}-requires_approval": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    style.refresh_from_db()
    terms = style.licence.terms()
    assert style.licence.version == 2
    assert (terms["territories"], terms["allowed_substrates"]) == (["DE", "FR"], ["wallpaper"])
    assert (terms["valid_until"], terms["revenue_ceiling"]) == ("2031-05-01", "250.00")
    assert terms["attribution_required"] and terms["requires_approval"]
    page = client.get("/studio/artist/").content.decode()
    assert 'value="FR, DE"' in page or 'value="DE, FR"' in page  # the form shows the terms in force
    bad = client.post(
        f"/studio/artist/styles/{style.pk}/licence/",
        {
            f"{prefix}-allowed_uses": ["personal"],
            f"{prefix}-fee_per_use": "3.00",
            f"{prefix}-royalty_percent": "10",
            f"{prefix}-territories": "France",
        },
    )
    assert bad.status_code == 400 and "ISO 3166-1" in bad.content.decode()


def test_the_artist_withdraws_and_lists_again_from_the_studio(artist: Any, style: Any) -> None:
    client = _studio(artist)
    assert 'data-testid="withdraw"' in client.get("/studio/artist/").content.decode()
    client.post(f"/studio/artist/styles/{style.pk}/listing/", {"active": "0", "confirm": "yes"})
    style.refresh_from_db()
    assert not style.active and style.withdrawn_at is not None
    client.post(f"/studio/artist/styles/{style.pk}/listing/", {"active": "1"})
    style.refresh_from_db()
    assert style.active
