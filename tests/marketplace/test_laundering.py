"""No style laundering: a listed style's artwork, uploaded as a buyer's own image, is refused."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageEnhance, ImageOps

from marketplace.models import Personalization, Style, StyleArtworkFeatures, StyleFingerprint
from marketplace.services.catalogue import style_create, style_withdraw
from marketplace.services.laundering import StyleLaundered
from marketplace.services.licence_terms import LicenceTerms
from marketplace.services.personalizations import personalization_create
from tests.conftest import image_bytes

pytestmark = pytest.mark.django_db

DEMO = "marketplace/demo_data/styles/starry_night.jpg"


def _painting() -> bytes:
    """The demo painting at 320 px wide: its features are stored in a fraction of the full size's time."""
    with Image.open(DEMO) as image:
        return _jpeg(image.convert("RGB").resize((320, 200), Image.Resampling.LANCZOS), quality=90)


def _jpeg(image: Image.Image, *, quality: int = 85) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def _tiled(image: Image.Image) -> Image.Image:
    sheet = Image.new("RGB", (image.width * 2, image.height * 2))
    for left in (0, image.width):
        for top in (0, image.height):
            sheet.paste(image, (left, top))
    return sheet


def _centre_crop(image: Image.Image, keep: float) -> Image.Image:
    w, h = round(image.width * keep), round(image.height * keep)
    left, top = (image.width - w) // 2, (image.height - h) // 2
    return image.crop((left, top, left + w, top + h))


# What the issue found accepted as a buyer's "own image": each must be refused as the painting.
VARIANTS = {
    "mirror": ImageOps.mirror,
    "rot90": lambda im: im.rotate(90, expand=True),
    "60 % centre crop": lambda im: _centre_crop(im, 0.6),
    "2 × 2 tile": _tiled,
}


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
    assert StyleArtworkFeatures.objects.get(style=listed).keypoints


def test_mirrored_turned_cropped_and_tiled_copies_are_refused_as_own_images(
    listed: Any, buyer: Any, pattern: Any, client_for: Any
) -> None:
    painting = Image.open(io.BytesIO(_painting())).convert("RGB")
    client = client_for(buyer)
    for name, variant in VARIANTS.items():
        upload = SimpleUploadedFile("mine.jpg", _jpeg(variant(painting)), content_type="image/jpeg")
        response = client.post(
            "/api/v1/personalizations/", {"pattern": pattern.pk, "style_image": upload}, format="multipart"
        )
        assert response.status_code == 400, f"{name}: {response.status_code}"
        assert response.json()["listed_style"] == listed.pk, name
    assert not Personalization.objects.exists()


def test_another_artists_listed_painting_cannot_be_listed_as_a_new_style(
    listed: Any, make_user: Any, client_for: Any
) -> None:
    mirrored = ImageOps.mirror(Image.open(io.BytesIO(_painting())).convert("RGB"))
    for image in (_painting(), _jpeg(mirrored)):
        response = client_for(make_user("artist")).post(
            "/api/v1/styles/",
            {
                "title": "My night",
                "image": SimpleUploadedFile("art.jpg", image, content_type="image/jpeg"),
                "allowed_uses": ["personal"],
                "fee_per_use": "1",
                "royalty_percent": "5",
            },
            format="multipart",
        )
        assert response.status_code == 400, response.json()
        assert "another artist listed" in response.json()["image"][0]
    assert Style.objects.count() == 1


def test_a_copy_of_a_listed_painting_is_refused_and_its_licence_offered(
    listed: Any, buyer: Any, pattern: Any, client_for: Any
) -> None:
    upload = SimpleUploadedFile("mine.jpg", _copy(_painting()), content_type="image/jpeg")
    response = client_for(buyer).post(
        "/api/v1/personalizations/", {"pattern": pattern.pk, "style_image": upload}, format="multipart"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["listed_style"] == listed.pk and "Starry night" in body["style_image"][0]
    assert body["licences_url"] == f"/api/v1/styles/{listed.pk}/licences/"
    assert not Personalization.objects.exists()


def test_a_withdrawn_style_still_blocks_its_artwork(
    listed: Any, artist: Any, buyer: Any, pattern: Any
) -> None:
    style_withdraw(style=listed, actor=artist)
    with pytest.raises(StyleLaundered) as refused:
        personalization_create(
            buyer=buyer, base_pattern=pattern, style_image=_copy(_painting(), hue_shift=False)
        )
    assert refused.value.style.pk == listed.pk
    assert "not offered now" in refused.value.message_dict["style_image"][0]


def test_another_buyers_earlier_image_is_not_blocked(
    listed: Any, buyer: Any, make_user: Any, pattern: Any
) -> None:
    own = image_bytes(160, 120, fmt="PNG", seed=99)
    personalization_create(buyer=make_user("buyer"), base_pattern=pattern, style_image=own)
    again = personalization_create(buyer=buyer, base_pattern=pattern, style_image=own)
    assert again.uses_own_image


def test_unrelated_images_and_the_artist_own_painting_are_not_refused(
    listed: Any, artist: Any, buyer: Any, pattern: Any
) -> None:
    import skimage.data

    from stylization.engine import generate_pattern

    unrelated = [image_bytes(200, 150, seed=seed) for seed in range(3)]
    unrelated += [
        _jpeg(Image.fromarray(skimage.data.astronaut())),
        _jpeg(Image.fromarray(skimage.data.coffee())),
    ]
    unrelated += [
        _jpeg(generate_pattern("basic", size=256, seed=3, kind=kind).convert("RGB"))
        for kind in ("motifs", "checks")
    ]
    for image in unrelated:
        personalization_create(buyer=buyer, base_pattern=pattern, style_image=image)
    # The artist may use their own artwork as their own image, and list it again.
    personalization_create(buyer=artist, base_pattern=pattern, style_image=_copy(_painting()))
    style_create(artist=artist, title="Starry night, again", image=_painting(), terms=LicenceTerms())
    assert Personalization.objects.count() == len(unrelated) + 1


def test_bad_image_is_still_a_clear_400(listed: Any, buyer: Any, pattern: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        personalization_create(buyer=buyer, base_pattern=pattern, style_image=b"not an image")
    assert "style_image" in refused.value.message_dict


def test_the_migration_backfills_styles_listed_before_fingerprints(
    listed: Any, buyer: Any, pattern: Any
) -> None:
    import importlib

    from django.apps import apps

    StyleFingerprint.objects.all().delete()
    StyleArtworkFeatures.objects.all().delete()
    personalization_create(
        buyer=buyer, base_pattern=pattern, style_image=_copy(_painting())
    )  # not blocked yet
    migration = importlib.import_module("marketplace.migrations.0006_style_fingerprints_backfill")
    migration.backfill(apps, None)
    assert StyleFingerprint.objects.filter(style=listed).count() == 12
    with pytest.raises(StyleLaundered):
        personalization_create(buyer=buyer, base_pattern=pattern, style_image=_copy(_painting()))


def test_the_migration_stores_the_features_of_styles_listed_before_them(
    listed: Any, buyer: Any, pattern: Any
) -> None:
    import importlib

    from django.apps import apps

    mirrored = _jpeg(ImageOps.mirror(Image.open(io.BytesIO(_painting())).convert("RGB")))
    StyleArtworkFeatures.objects.all().delete()
    migration = importlib.import_module(
        "marketplace.migrations.0010_style_artwork_features_and_withdrawn_approvals"
    )
    migration.features_backfill(apps, None)
    with pytest.raises(StyleLaundered):
        personalization_create(buyer=buyer, base_pattern=pattern, style_image=mirrored)
