"""No style laundering: a listed style's artwork, uploaded as a buyer's own image, is refused."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageEnhance

from marketplace.models import Personalization, StyleFingerprint
from marketplace.services.catalogue import LicenceTerms, style_create, style_withdraw
from marketplace.services.laundering import StyleLaundered
from marketplace.services.personalizations import personalization_create
from tests.conftest import image_bytes

pytestmark = pytest.mark.django_db

DEMO = "marketplace/demo_data/styles/starry_night.jpg"


def _painting() -> bytes:
    with open(DEMO, "rb") as fh:
        return fh.read()


def _copy(data: bytes, *, scale: float = 0.5, crop: float = 0.9, hue_shift: bool = True) -> bytes:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    image = image.resize((round(image.width * scale), round(image.height * scale)))
    w, h = round(image.width * crop), round(image.height * crop)
    image = image.crop((image.width - w, 0, image.width, h))
    if hue_shift:
        image = ImageEnhance.Color(image).enhance(1.4)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=70)
    return out.getvalue()


@pytest.fixture
def listed(artist: Any) -> Any:
    return style_create(artist=artist, title="Starry night", image=_painting(), terms=LicenceTerms())


def test_listing_a_style_stores_the_hashes_of_its_artwork_whole_and_cropped(listed: Any) -> None:
    views = set(StyleFingerprint.objects.filter(style=listed).values_list("view", flat=True))
    assert "whole" in views and "centre 80 %" in views and len(views) == 12


def test_a_copy_of_a_listed_painting_is_refused_and_its_licence_offered(
    listed: Any, buyer: Any, pattern: Any, client_for: Any
) -> None:
    upload = SimpleUploadedFile("mine.jpg", _copy(_painting()), content_type="image/jpeg")
    response = client_for(buyer).post("/api/v1/personalizations/", {"pattern": pattern.pk, "style_image": upload},
                                      format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert body["listed_style"] == listed.pk and "Starry night" in body["style_image"][0]
    assert body["licences_url"] == f"/api/v1/styles/{listed.pk}/licences/"
    assert not Personalization.objects.exists()


def test_a_withdrawn_style_still_blocks_its_artwork(listed: Any, artist: Any, buyer: Any, pattern: Any) -> None:
    style_withdraw(style=listed, actor=artist)
    with pytest.raises(StyleLaundered) as refused:
        personalization_create(buyer=buyer, base_pattern=pattern, style_image=_copy(_painting(), hue_shift=False))
    assert refused.value.style.pk == listed.pk
    assert "not offered now" in refused.value.message_dict["style_image"][0]


def test_another_buyers_earlier_image_is_not_blocked(listed: Any, buyer: Any, make_user: Any, pattern: Any) -> None:
    own = image_bytes(160, 120, fmt="PNG", seed=99)
    personalization_create(buyer=make_user("buyer"), base_pattern=pattern, style_image=own)
    again = personalization_create(buyer=buyer, base_pattern=pattern, style_image=own)
    assert again.uses_own_image


def test_unrelated_images_and_the_artist_own_painting_are_not_refused(
    listed: Any, artist: Any, buyer: Any, pattern: Any
) -> None:
    for seed in range(5):
        personalization_create(buyer=buyer, base_pattern=pattern, style_image=image_bytes(200, 150, seed=seed))
    # The artist may use their own artwork as their own image.
    personalization_create(buyer=artist, base_pattern=pattern, style_image=_copy(_painting()))
    assert Personalization.objects.count() == 6


def test_bad_image_is_still_a_clear_400(listed: Any, buyer: Any, pattern: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        personalization_create(buyer=buyer, base_pattern=pattern, style_image=b"not an image")
    assert "style_image" in refused.value.message_dict


def test_the_migration_backfills_styles_listed_before_fingerprints(listed: Any, buyer: Any, pattern: Any) -> None:
    import importlib

    from django.apps import apps

    StyleFingerprint.objects.all().delete()
    personalization_create(buyer=buyer, base_pattern=pattern, style_image=_copy(_painting()))  # not blocked yet
    migration = importlib.import_module("marketplace.migrations.0006_style_fingerprints_backfill")
    migration.backfill(apps, None)
    assert StyleFingerprint.objects.filter(style=listed).count() == 12
    with pytest.raises(StyleLaundered):
        personalization_create(buyer=buyer, base_pattern=pattern, style_image=_copy(_painting()))
