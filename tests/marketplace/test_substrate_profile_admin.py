"""A print shop's staff install their own ICC profile per substrate in the admin; a file that is not a
usable output profile is a form error and the installed profile stays."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ImageCms

from marketplace.icc import default_profile_bytes
from marketplace.models import SubstrateProfile, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(make_user: Any) -> User:
    user = make_user("buyer")
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user


def _change(client: Any, substrate: str, data: bytes, name: str = "shop.icc") -> Any:
    row = SubstrateProfile.objects.get(substrate=substrate)
    return client.post(
        f"/admin/marketplace/substrateprofile/{row.pk}/change/",
        {"substrate": substrate, "profile_file": SimpleUploadedFile(name, data)},
    )


def test_the_shipped_defaults_are_installed_for_every_printed_substrate() -> None:
    rows = {row.substrate: row for row in SubstrateProfile.objects.all()}
    assert set(rows) == {"fabric", "wallpaper", "gift_wrap"}
    assert rows["fabric"].sha256 == hashlib.sha256(default_profile_bytes("fabric")).hexdigest()


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"not an icc profile at all", "not a usable ICC output profile"),
        (ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes(), "must output CMYK or RGB"),
    ],
)
def test_a_bad_profile_upload_is_a_form_error_and_changes_nothing(
    staff: User, client: Any, data: bytes, why: str
) -> None:
    client.force_login(staff)
    before = SubstrateProfile.objects.get(substrate="fabric").sha256
    response = _change(client, "fabric", data)
    assert response.status_code == 200 and why in response.content.decode()
    assert SubstrateProfile.objects.get(substrate="fabric").sha256 == before


def test_a_shops_profile_replaces_the_default(staff: User, client: Any) -> None:
    client.force_login(staff)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    response = _change(client, "wallpaper", srgb)
    assert response.status_code == 302
    row = SubstrateProfile.objects.get(substrate="wallpaper")
    assert bytes(row.profile) == srgb and row.sha256 == hashlib.sha256(srgb).hexdigest()
    assert row.name and SubstrateProfile.objects.count() == 3
