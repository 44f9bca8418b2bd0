"""The findings of the attacker's pass (issue 16), each tried again: every one must now be refused
cleanly or answered correctly."""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from PIL import Image, PngImagePlugin
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle

from marketplace.models import BasePattern, Style, User
from marketplace.services.accounts import user_register
from marketplace.uploads import UploadError, looks_like_svg, pattern_size_check, validate_image
from provenance.verification import VerifyInputError, verify_file
from tests.conftest import PASSWORD, SHIP_TO, image_bytes, pattern_bytes


def _png(width: int, height: int, **text: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        info.add_text(key, value)
    out = io.BytesIO()
    Image.new("RGB", (width, height), (120, 80, 40)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def _files_under(root: str) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()]


# --- statements ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("month", ["0000-01", "9999-12", "1969-12", "2101-01"])
def test_a_statement_month_outside_the_supported_years_is_a_400(
    month: str, artist: User, client_for: Callable[[User | None], APIClient]
) -> None:
    response = client_for(artist).get(f"/api/v1/royalties/statement.csv?month={month}")
    assert response.status_code == 400
    assert "1970-01" in response.json()["month"][0]


def test_a_statement_month_inside_the_range_is_a_csv(
    artist: User, client_for: Callable[[User | None], APIClient]
) -> None:
    response = client_for(artist).get("/api/v1/royalties/statement.csv?month=2026-11")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")


# --- throttles ----------------------------------------------------------------------------------------


def test_wrong_passwords_are_throttled_per_username_and_the_right_one_then_waits(
    buyer: User, monkeypatch: Any
) -> None:
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"login": "100/min", "login_username": "5/min"})
    client = APIClient()
    statuses = [
        client.post(
            "/api/v1/auth/token/",
            {"username": buyer.username, "password": f"wrong-{i}"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{i}",  # a forged header changes nothing
        ).status_code
        for i in range(6)
    ]
    assert statuses == [400] * 5 + [429]
    right = client.post(
        "/api/v1/auth/token/", {"username": buyer.username.upper(), "password": PASSWORD}, format="json"
    )
    assert right.status_code == 429
    assert "throttled" in right.json()["detail"].lower() and right["Retry-After"]


def test_token_requests_are_throttled_per_address_across_usernames(db: None, monkeypatch: Any) -> None:
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"login": "3/min", "login_username": "100/min"})
    client = APIClient()
    statuses = [
        client.post(
            "/api/v1/auth/token/", {"username": f"user{i}", "password": "x"}, format="json"
        ).status_code
        for i in range(4)
    ]
    assert statuses == [400, 400, 400, 429]


def test_the_login_page_shares_the_sign_in_limit(buyer: User, monkeypatch: Any) -> None:
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"login": "100/min", "login_username": "2/min"})
    client = Client()
    for _ in range(2):
        assert (
            client.post("/accounts/login/", {"username": buyer.username, "password": "nope"}).status_code
            == 200
        )
    refused = client.post("/accounts/login/", {"username": buyer.username, "password": PASSWORD})
    assert refused.status_code == 429
    assert "Too many attempts" in refused.content.decode()


def test_the_verify_throttle_ignores_a_rotated_x_forwarded_for(db: None, monkeypatch: Any) -> None:
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"verify": "3/min"})
    client = APIClient()
    statuses = [
        client.get(
            f"/api/v1/provenance/verify/?sha256={'0' * 64}", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}"
        ).status_code
        for i in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]


# --- accounts -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("lookalike", ["Ada", "ADA", "\uff21\uff44\uff41", "\u0430da"])
def test_a_username_that_looks_like_a_taken_one_is_refused(db: None, lookalike: str) -> None:
    user_register(username="ada", password=PASSWORD, email="ada@example.com", roles=["buyer"])
    with pytest.raises(ValidationError) as refused:
        user_register(username=lookalike, password=PASSWORD, email="x@example.com", roles=["buyer"])
    assert "username" in refused.value.message_dict
    assert User.objects.count() == 1


def test_a_full_width_username_is_stored_in_nfkc_and_signs_in_in_any_case(db: None) -> None:
    user = user_register(
        username="\uff21\uff44\uff41", password=PASSWORD, email="a@example.com", roles=["buyer"]
    )
    assert user.username == "Ada"
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "ada", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200 and response.json()["token"]


# --- uploads and input limits --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("width", "height", "repeat", "ok"),
    [
        (20000, 2000, "basic", False),
        (6000, 6000, "basic", False),
        (4096, 4096, "basic", True),
        (4096, 1024, "basic", True),
        (4096, 1000, "basic", False),
        (64, 64, "basic", True),
        (63, 200, "basic", False),
        (200, 201, "half_drop", False),
        (201, 200, "half_brick", False),
        (200, 201, "half_brick", True),
    ],
)
def test_the_pattern_size_rule(width: int, height: int, repeat: str, ok: bool) -> None:
    if ok:
        pattern_size_check(width, height, repeat_type=repeat)
    else:
        with pytest.raises(UploadError):
            pattern_size_check(width, height, repeat_type=repeat)


def test_an_unprintable_pattern_is_refused_by_the_api_and_leaves_no_file(
    designer: User, client_for: Callable[[User | None], APIClient]
) -> None:
    upload = io.BytesIO(_png(4200, 1100))
    upload.name = "wide.png"
    before = _files_under(settings.MEDIA_ROOT)
    response = client_for(designer).post(
        "/api/v1/patterns/", {"title": "Too wide", "image": upload, "dpi": "150"}, format="multipart"
    )
    assert response.status_code == 400 and "4096" in str(response.json()["image"])
    assert _files_under(settings.MEDIA_ROOT) == before


def test_a_png_with_svg_text_in_a_chunk_is_accepted_and_real_svg_is_refused() -> None:
    png = _png(96, 96, Comment="<svg onload=alert(1)>")
    assert b"<svg" in png[:512]
    assert validate_image(png, max_bytes=10**7, max_pixels=10**7).format == "PNG"
    assert looks_like_svg(b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>')
    assert looks_like_svg(b"\n  <svg xmlns='http://www.w3.org/2000/svg'></svg>")
    with pytest.raises(UploadError, match="SVG"):
        validate_image(b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", max_bytes=10**7, max_pixels=10**7)


@pytest.mark.parametrize("kind", ["style", "pattern"])
def test_a_listing_refused_for_too_many_tags_leaves_no_file(
    kind: str, artist: User, designer: User, client_for: Callable[[User | None], APIClient]
) -> None:
    before = _files_under(settings.MEDIA_ROOT)
    tags = ",".join(f"tag{i}" for i in range(13))
    if kind == "style":
        upload = io.BytesIO(image_bytes(128, 96, fmt="JPEG"))
        upload.name = "s.jpg"
        body = {
            "title": "T",
            "image": upload,
            "tags": tags,
            "allowed_uses": "personal",
            "fee_per_use": "1",
            "royalty_percent": "5",
        }
        response = client_for(artist).post("/api/v1/styles/", body, format="multipart")
    else:
        upload = io.BytesIO(pattern_bytes("basic", 96))
        upload.name = "p.png"
        response = client_for(designer).post(
            "/api/v1/patterns/",
            {"title": "T", "image": upload, "tags": tags, "dpi": "72"},
            format="multipart",
        )
    assert response.status_code == 400 and "tags" in response.json()
    assert _files_under(settings.MEDIA_ROOT) == before
    assert not Style.objects.exists() and not BasePattern.objects.exists()


def test_long_text_and_huge_numbers_are_refused(
    artist: User, style: Style, client_for: Callable[[User | None], APIClient]
) -> None:
    client = client_for(artist)
    assert (
        client.patch(f"/api/v1/styles/{style.pk}/", {"description": "x" * 5_001}, format="json").status_code
        == 400
    )
    # Past the body limit the body is not even read.
    assert (
        client.patch(
            f"/api/v1/styles/{style.pk}/", {"description": "x" * 5_000_001}, format="json"
        ).status_code
        == 413
    )
    assert client.patch(f"/api/v1/styles/{style.pk}/", {"max_uses": 2**40}, format="json").status_code == 400
    assert client.patch(f"/api/v1/styles/{style.pk}/", {"max_uses": 1000}, format="json").status_code == 200


def test_active_is_accepted_when_a_pattern_is_created(
    designer: User, client_for: Callable[[User | None], APIClient]
) -> None:
    upload = io.BytesIO(pattern_bytes("basic", 96))
    upload.name = "p.png"
    response = client_for(designer).post(
        "/api/v1/patterns/",
        {"title": "Draft", "image": upload, "dpi": "72", "active": "false"},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["active"] is False
    assert client_for(None).get(f"/api/v1/patterns/{response.json()['id']}/").status_code == 404


# --- id-existence oracles -------------------------------------------------------------------------------


def test_someone_elses_withdrawn_pattern_reads_as_a_missing_one(
    make_user: Callable[..., User],
    make_pattern: Callable[..., BasePattern],
    style: Style,
    client_for: Callable[[User | None], APIClient],
) -> None:
    hidden = make_pattern()
    hidden.active = False
    hidden.save(update_fields=["active"])
    buyer = make_user("buyer")
    client = client_for(buyer)

    def refusal(pk: int) -> Any:
        response = client.post("/api/v1/personalizations/", {"pattern": pk, "style": style.pk}, format="json")
        assert response.status_code == 400
        return response.json()["pattern"][0].replace(str(pk), "<pk>")

    assert refusal(hidden.pk) == refusal(hidden.pk + 1000)
    original = client.get(f"/api/v1/patterns/{hidden.pk}/image/")
    assert (
        original.status_code == client.get(f"/api/v1/patterns/{hidden.pk + 1000}/image/").status_code == 404
    )


# --- verification ---------------------------------------------------------------------------------------


def test_a_truncated_plain_png_is_not_called_an_altered_credential(db: None) -> None:
    png = _png(200, 200)
    truncated = png[: len(png) // 2]
    try:
        result = verify_file(truncated).as_dict()
    except VerifyInputError as exc:
        assert "credential" not in str(exc)
    else:
        assert result["credential"] in (None, "absent")
        assert not any("credential" in reason for reason in result["reasons"])


def test_an_image_whose_idat_is_damaged_but_has_no_credential_reads_absent() -> None:
    png = bytearray(_png(128, 128))
    start = png.index(b"IDAT") + 4
    png[start + 10 : start + 20] = zlib.compress(b"junk")[:10]
    from provenance.core.credentials import png_has_manifest_chunk

    assert not png_has_manifest_chunk(bytes(png))


# --- pages and headers ------------------------------------------------------------------------------------


def test_pages_carry_a_csp_that_admits_only_this_origins_scripts(db: None) -> None:
    response = Client().get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-eval'" in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_swagger_ui_comes_from_our_static_files_not_a_cdn(db: None) -> None:
    page = Client().get("/api/docs/").content.decode()
    assert "cdn.jsdelivr" not in page and "unpkg" not in page
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "<script>" not in page  # the split view: no inline script for the CSP to admit


def test_the_strength_field_cannot_inject_an_alpine_expression(buyer: User, pattern: BasePattern) -> None:
    client = Client()
    client.force_login(buyer)
    payload = "1, x: alert(document.domain) }"
    response = client.post(
        "/configure/preview/", {"pattern": pattern.pk, "strength": payload, "style_scale": "1"}
    )
    page = response.content.decode()
    assert 'x-data="motifConfigurator"' in page
    assert (
        "alert(document.domain)"
        not in page.split('x-data="motifConfigurator"')[1].split(">")[0].split("data-")[0]
    )


def test_checkout_links_follow_the_address_the_buyer_used(
    buyer: User, pattern: BasePattern, style: Style, products: Any, settings: Any
) -> None:
    from marketplace.models import JobStatus, Personalization

    settings.DEBUG = True  # the local test gateway
    settings.SITE_URL = "http://127.0.0.1:8000"

    personalization = Personalization.objects.create(
        buyer=buyer, base_pattern=pattern, style=style, status=JobStatus.DONE, progress=100
    )
    client = APIClient(HTTP_HOST="localhost:8123")
    client.force_authenticate(buyer)
    order = client.post(
        "/api/v1/orders/",
        {
            "lines": [
                {
                    "personalization": personalization.pk,
                    "product": products["swatch"].product_id,
                    "size": products["swatch"].slug,
                    "quantity": 1,
                }
            ]
        },
        format="json",
    )
    assert order.status_code == 201, order.json()
    checkout = client.post(
        f"/api/v1/orders/{order.json()['id']}/checkout/", {"shipping_address": SHIP_TO}, format="json"
    )
    assert checkout.status_code == 200, checkout.json()
    assert checkout.json()["checkout_url"].startswith("http://localhost:8123/payments/local/")


def test_a_null_tag_in_json_is_a_400_not_a_500(
    artist: User, client_for: Callable[[User | None], APIClient]
) -> None:
    """Found by schemathesis: `"tags": [null]` reached a string test."""
    body = {
        "allowed_uses": ["personal"],
        "fee_per_use": "1",
        "royalty_percent": "5",
        "title": "T",
        "tags": [None],
        "image": "",
    }
    response = client_for(artist).post("/api/v1/styles/", body, format="json")
    assert response.status_code == 400 and "tags" in response.json()


def test_an_unknown_api_path_is_a_json_404_for_every_method(db: None) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "x" * 32
    for method in ("get", "post", "delete"):
        response = getattr(client, method)("/api/v1/patterns/null,null/")
        assert response.status_code == 404 and response.json() == {"detail": "No such API endpoint."}


def test_the_verify_page_and_the_api_share_one_budget_whatever_x_forwarded_for_says(
    db: None, monkeypatch: Any
) -> None:
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"verify": "3/min"})
    api, page = APIClient(), Client()
    sha = "0" * 64
    assert (
        api.get(f"/api/v1/provenance/verify/?sha256={sha}", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code
        == 200
    )
    assert page.post("/verify/", {"sha256": sha}, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 200
    assert (
        api.get(f"/api/v1/provenance/verify/?sha256={sha}", HTTP_X_FORWARDED_FOR="198.51.100.3").status_code
        == 200
    )
    assert page.post("/verify/", {"sha256": sha}, HTTP_X_FORWARDED_FOR="198.51.100.4").status_code == 429
