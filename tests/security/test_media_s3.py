"""Media on S3 (django-storages) against moto's server on loopback: uploads land in a private
bucket, downloads keep the entitlement check and then redirect to a presigned URL that works, an
unsigned URL is refused, and the copy command moves existing local media across."""

from __future__ import annotations

import io
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from marketplace.models import BasePattern, User
from tests.conftest import pattern_bytes
from tests.security.s3 import client, moto_s3


@pytest.fixture
def s3_media(settings: Any, tmp_path: Path) -> Iterator[dict[str, str]]:
    with moto_s3(tmp_path / "moto.log") as config:
        for key, value in config.items():
            setattr(settings, key, value)
        settings.AWS_S3_ADDRESSING_STYLE = "path"
        settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage"}}
        yield config


def _get(url: str) -> tuple[int, bytes, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers


def test_an_original_on_s3_is_private_and_its_owner_gets_a_presigned_redirect(
    s3_media: dict[str, str],
    designer: User,
    make_user: Callable[..., User],
    client_for: Callable[[User | None], APIClient],
) -> None:
    data = pattern_bytes("basic", 96)
    upload = io.BytesIO(data)
    upload.name = "tile.png"
    created = client_for(designer).post(
        "/api/v1/patterns/", {"title": "On S3", "image": upload, "dpi": "72"}, format="multipart"
    )
    assert created.status_code == 201, created.json()
    pattern = BasePattern.objects.get(pk=created.json()["id"])
    keys = [
        o["Key"]
        for o in client(s3_media).list_objects_v2(Bucket=s3_media["AWS_STORAGE_BUCKET_NAME"])["Contents"]
    ]
    assert pattern.image.name in keys and pattern.thumbnail.name in keys

    # A stranger is refused before any URL is made; the owner is redirected to a signed one.
    assert client_for(make_user("buyer")).get(f"/api/v1/patterns/{pattern.pk}/image/").status_code == 403
    response = client_for(designer).get(f"/api/v1/patterns/{pattern.pk}/image/")
    assert response.status_code == 302 and response["Cache-Control"] == "private, no-store"
    signed = response["Location"]
    assert signed.startswith(s3_media["AWS_S3_ENDPOINT_URL"]) and "X-Amz-Signature=" in signed
    assert "X-Amz-Expires=300" in signed
    status, body, headers = _get(signed)
    assert status == 200 and body == data
    assert headers["Content-Disposition"] == 'inline; filename="on-s3.png"'
    assert headers["Cache-Control"] == "private, no-store"

    # Nothing in the bucket answers without a signature.
    unsigned = signed.split("?", 1)[0]
    assert _get(unsigned)[0] == 403

    # Thumbnails are public by design, and are still served through the site.
    thumb = client_for(None).get(f"/api/v1/patterns/{pattern.pk}/thumbnail/")
    assert thumb.status_code == 200 and b"".join(thumb.streaming_content)[:4] == b"RIFF"


def test_the_copy_command_moves_local_media_into_the_bucket(
    s3_media: dict[str, str], tmp_path: Path, capsys: Any
) -> None:
    local = tmp_path / "old-media"
    (local / "patterns" / "abc").mkdir(parents=True)
    (local / "patterns" / "abc" / "tile.png").write_bytes(b"png-bytes")
    (local / "styles").mkdir()
    (local / "styles" / "s.jpg").write_bytes(b"jpeg-bytes")
    call_command("media_copy_to_s3", "--from", str(local))
    assert "Copied 2 file(s)" in capsys.readouterr().out
    s3 = client(s3_media)
    bucket = s3_media["AWS_STORAGE_BUCKET_NAME"]
    assert s3.get_object(Bucket=bucket, Key="patterns/abc/tile.png")["Body"].read() == b"png-bytes"
    call_command("media_copy_to_s3", "--from", str(local))  # a second run copies nothing
    assert "Copied 0 file(s)" in (out := capsys.readouterr().out) and "2 already there" in out
