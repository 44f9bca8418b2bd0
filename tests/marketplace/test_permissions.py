"""The permission matrix: each endpoint × each role × owner or not."""

import io
from typing import Any

import pytest

from tests.conftest import SHIP_TO, image_bytes

ROLES = ["anonymous", "artist", "designer", "buyer", "verifier"]


def _upload() -> io.BytesIO:
    upload = io.BytesIO(image_bytes())
    upload.name = "x.png"
    return upload


@pytest.fixture
def people(make_user: Any) -> dict[str, Any]:
    return {role: None if role == "anonymous" else make_user(role) for role in ROLES}


def _style_body() -> dict[str, Any]:
    return {
        "title": "S",
        "image": _upload(),
        "allowed_uses": ["personal"],
        "fee_per_use": "1",
        "royalty_percent": "5",
    }


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 401), ("artist", 201), ("designer", 403), ("buyer", 403), ("verifier", 403)],
)
def test_only_artists_list_styles(role: str, expected: int, people: Any, client_for: Any) -> None:
    assert (
        client_for(people[role]).post("/api/v1/styles/", _style_body(), format="multipart").status_code
        == expected
    )


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 401), ("artist", 403), ("designer", 201), ("buyer", 403), ("verifier", 403)],
)
def test_only_designers_list_patterns(role: str, expected: int, people: Any, client_for: Any) -> None:
    body = {"title": "P", "image": _upload()}
    assert (
        client_for(people[role]).post("/api/v1/patterns/", body, format="multipart").status_code == expected
    )


@pytest.mark.parametrize("role", ROLES)
def test_nobody_but_the_owner_edits_or_downloads_a_style(
    role: str, people: Any, style: Any, client_for: Any
) -> None:
    client = client_for(people[role])
    expected = 401 if role == "anonymous" else 403
    assert (
        client.patch(f"/api/v1/styles/{style.pk}/", {"title": "Mine"}, format="json").status_code == expected
    )
    assert client.delete(f"/api/v1/styles/{style.pk}/").status_code == expected
    assert client.get(f"/api/v1/styles/{style.pk}/image/").status_code == expected
    assert client.get(f"/api/v1/styles/{style.pk}/").json()["image_url"] is None
    assert client.get(f"/api/v1/styles/{style.pk}/thumbnail/").status_code == 200
    owner = client_for(style.artist)
    assert owner.get(f"/api/v1/styles/{style.pk}/image/").status_code == 200
    assert owner.patch(f"/api/v1/styles/{style.pk}/", {"title": "Mine"}, format="json").status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_nobody_but_the_owner_edits_or_downloads_a_pattern(
    role: str, people: Any, pattern: Any, client_for: Any
) -> None:
    client = client_for(people[role])
    expected = 401 if role == "anonymous" else 403
    assert (
        client.patch(f"/api/v1/patterns/{pattern.pk}/", {"title": "Mine"}, format="json").status_code
        == expected
    )
    assert client.delete(f"/api/v1/patterns/{pattern.pk}/").status_code == expected
    assert client.get(f"/api/v1/patterns/{pattern.pk}/image/").status_code == expected
    assert client.get(f"/api/v1/patterns/{pattern.pk}/thumbnail/").status_code == 200
    assert client_for(pattern.designer).get(f"/api/v1/patterns/{pattern.pk}/image/").status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_a_buyer_sees_only_their_own_personalizations_and_orders(
    role: str, people: Any, buyer: Any, pattern: Any, style: Any, products: Any, client_for: Any
) -> None:
    from marketplace.services.orders import OrderLineRequest, order_create
    from marketplace.services.personalizations import personalization_create

    personalization = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    order = order_create(
        buyer=buyer,
        lines=[
            OrderLineRequest(personalization=personalization, product_size=products["swatch"], quantity=1)
        ],
    )
    client = client_for(people[role])
    expected = 401 if role == "anonymous" else 404
    for url in (
        f"/api/v1/personalizations/{personalization.pk}/",
        f"/api/v1/personalizations/{personalization.pk}/preview/",
        f"/api/v1/orders/{order.pk}/",
    ):
        assert client.get(url).status_code == expected, url
    assert (
        client.post(
            f"/api/v1/orders/{order.pk}/checkout/", {"shipping_address": SHIP_TO}, format="json"
        ).status_code
        == expected
    )
    if role != "anonymous":
        assert client.get("/api/v1/orders/").json()["count"] == 0
        assert client.get("/api/v1/personalizations/").json()["count"] == 0
    own = client_for(buyer)
    assert own.get(f"/api/v1/orders/{order.pk}/").status_code == 200
    assert own.get("/api/v1/personalizations/").json()["count"] == 1
