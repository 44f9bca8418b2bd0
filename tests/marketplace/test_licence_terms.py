"""The licence terms an artist writes, and their enforcement when a line is added and at checkout."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from marketplace.models import OrderStatus, Product, ProductSize
from marketplace.royalties.services import royalty_accrue
from marketplace.services.catalogue import style_update
from marketplace.services.licence_terms import LicenceTerms
from marketplace.services.licensing import LicenceTermRefused, licence_check_territory, licence_fees_committed
from marketplace.services.orders import (
    order_checkout,
    order_mark_paid,
    order_payment_abandoned,
)
from marketplace.services.personalizations import personalization_create
from tests.conftest import SHIP_TO, image_bytes
from tests.factories import order_of_patterns_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def wallpaper(products: Any) -> ProductSize:
    product = Product.objects.create(
        slug="wallpaper", name="Wallpaper", substrate="wallpaper", use="personal"
    )
    return ProductSize.objects.create(
        product=product, slug="roll", name="Roll", width_in=8, height_in=8, price=Decimal("30.00")
    )


def _error(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_every_term_is_hashed_into_terms_and_a_change_makes_a_new_version(
    make_style: Any, artist: Any
) -> None:
    style = make_style(
        territories=("fr", "DE"),
        allowed_substrates=("wallpaper",),
        attribution_required=True,
        requires_approval=True,
        revenue_ceiling=Decimal("50"),
        valid_until=dt.date(2031, 1, 31),
    )
    terms = style.licence.terms()
    assert terms["territories"] == ["DE", "FR"] and terms["allowed_substrates"] == ["wallpaper"]
    assert terms["valid_until"] == "2031-01-31" and terms["revenue_ceiling"] == "50.00"
    assert terms["attribution_required"] is True and terms["requires_approval"] is True
    first = style.licence
    same = style_update(style=style, actor=artist, terms=LicenceTerms.of(first))
    assert same.licence_id == first.pk
    changed = style_update(
        style=style,
        actor=artist,
        terms=LicenceTerms(**{**LicenceTerms.of(first).__dict__, "territories": ("*",)}),
    )
    assert changed.licence.version == 2 and changed.licence.terms_sha256 != first.terms_sha256
    first.refresh_from_db()
    assert first.territories == ["DE", "FR"]  # the old version is never edited


@pytest.mark.parametrize(
    ("term", "value"),
    [
        ("territories", ["FRA"]),
        ("territories", []),
        ("allowed_substrates", ["velvet"]),
        ("revenue_ceiling", "0"),
        ("valid_until", "next week"),
    ],
)
def test_bad_terms_are_400_naming_the_term(
    artist: Any, client_for: Any, style: Any, term: str, value: Any
) -> None:
    response = client_for(artist).patch(f"/api/v1/styles/{style.pk}/", {term: value}, format="json")
    assert response.status_code == 400 and term in response.json(), response.json()


def test_the_api_takes_the_terms_and_lists_every_version(artist: Any, client_for: Any, style: Any) -> None:
    client = client_for(artist)
    response = client.patch(
        f"/api/v1/styles/{style.pk}/",
        {
            "territories": ["gb", "IE"],
            "valid_until": "2030-06-30",
            "allowed_substrates": ["wallpaper", "gift_wrap"],
            "attribution_required": True,
            "requires_approval": True,
            "revenue_ceiling": "100.00",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    licence = response.json()["licence"]
    assert licence["version"] == 2 and licence["territories"] == ["GB", "IE"]
    assert (
        licence["allowed_substrates"] == ["gift_wrap", "wallpaper"] and licence["revenue_ceiling"] == "100.00"
    )
    versions = client.get(f"/api/v1/styles/{style.pk}/licences/").json()
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[1]["territories"] == ["*"] and versions[0]["valid_until"] == "2030-06-30"
    assert versions[0]["document_urls"]["pdf"].endswith(f"/styles/{style.pk}/licences/2/licence.pdf")


def test_style_create_takes_the_terms(artist: Any, client_for: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("art.png", image_bytes(64, 64, seed=21), content_type="image/png")
    response = client_for(artist).post(
        "/api/v1/styles/",
        {
            "title": "Harbour",
            "image": upload,
            "allowed_uses": ["personal"],
            "fee_per_use": "1.00",
            "royalty_percent": "5",
            "territories": ["FR"],
            "allowed_substrates": ["wallpaper"],
            "attribution_required": "true",
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    licence = response.json()["licence"]
    assert licence["territories"] == ["FR"] and licence["allowed_substrates"] == ["wallpaper"]
    assert licence["attribution_required"] is True and licence["requires_approval"] is False


def test_a_line_on_an_excluded_substrate_is_refused(
    buyer: Any, pattern: Any, make_style: Any, products: Any, wallpaper: ProductSize, client_for: Any
) -> None:
    style = make_style(allowed_substrates=("wallpaper",))
    with pytest.raises(ValidationError) as refused:
        order_of_patterns_make(buyer=buyer, style=style, lines=[(pattern, products["swatch"], 1)])
    assert "does not allow printing on fabric" in _error(refused)["allowed_substrates"][0]
    assert (
        order_of_patterns_make(buyer=buyer, style=style, lines=[(pattern, wallpaper, 1)]).lines.count() == 1
    )
    personalization = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    body = {
        "lines": [
            {
                "personalization": personalization.pk,
                "product": products["swatch"].product_id,
                "size": "swatch-8x8",
                "quantity": 1,
            }
        ]
    }
    response = client_for(buyer).post("/api/v1/orders/", body, format="json")
    assert response.status_code == 400 and "allowed_substrates" in response.json()


def test_checkout_refuses_a_substrate_the_licence_in_force_no_longer_allows(
    buyer: Any, pattern: Any, style: Any, artist: Any, products: Any
) -> None:
    order = order_of_patterns_make(buyer=buyer, style=style, lines=[(pattern, products["swatch"], 1)])
    style_update(
        style=style,
        actor=artist,
        terms=LicenceTerms(
            **{**LicenceTerms.of(style.licence).__dict__, "allowed_substrates": ("gift_wrap",)}
        ),
    )
    with pytest.raises(ValidationError) as refused:
        order_checkout(order=order, actor=buyer, shipping_address=SHIP_TO)
    assert "allowed_substrates" in _error(refused)
    order.refresh_from_db()
    style.refresh_from_db()
    assert order.status == OrderStatus.DRAFT and style.uses_taken == 0  # nothing was reserved


def test_a_style_cannot_be_listed_under_a_licence_that_has_already_ended(
    artist: Any, make_style: Any, client_for: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from marketplace.models import Style

    upload = SimpleUploadedFile("art.png", image_bytes(64, 64, seed=22), content_type="image/png")
    response = client_for(artist).post(
        "/api/v1/styles/",
        {
            "title": "Harbour",
            "image": upload,
            "allowed_uses": ["personal"],
            "fee_per_use": "1.00",
            "royalty_percent": "5",
            "valid_until": "2020-01-01",
        },
        format="multipart",
    )
    assert response.status_code == 400 and "valid_until" in response.json(), response.json()
    assert not Style.objects.exists()
    # Nor listed again once its licence ended: the artist gives a new end date first.
    style = make_style(valid_until=timezone.localdate())
    ended = LicenceTerms(**{**LicenceTerms.of(style.licence).__dict__, "valid_until": dt.date(2020, 1, 1)})
    style_update(style=style, actor=artist, terms=ended, active=False)
    with pytest.raises(ValidationError) as refused:
        style_update(style=style, actor=artist, active=True)
    assert "valid_until" in refused.value.message_dict


def test_an_order_after_valid_until_is_refused_and_a_paid_one_keeps_its_rights(
    buyer: Any, pattern: Any, make_style: Any, artist: Any, products: Any
) -> None:
    today = timezone.localdate()
    expired = make_style(valid_until=today)
    style_update(
        style=expired,
        actor=artist,
        terms=LicenceTerms(
            **{**LicenceTerms.of(expired.licence).__dict__, "valid_until": today - dt.timedelta(days=1)}
        ),
    )
    with pytest.raises(ValidationError) as refused:
        order_of_patterns_make(buyer=buyer, style=expired, lines=[(pattern, products["swatch"], 1)])
    assert "valid_until" in _error(refused)

    style = make_style(valid_until=today)
    paid = order_of_patterns_make(buyer=buyer, style=style, lines=[(pattern, products["swatch"], 1)])
    order_checkout(order=paid, actor=buyer, shipping_address=SHIP_TO)
    order_mark_paid(order=paid)
    waiting = order_of_patterns_make(buyer=buyer, style=style, lines=[(pattern, products["swatch"], 1)])
    # The artist ends the licence: a new version that ran until yesterday.
    style_update(
        style=style,
        actor=artist,
        terms=LicenceTerms(
            **{**LicenceTerms.of(style.licence).__dict__, "valid_until": today - dt.timedelta(days=1)}
        ),
    )
    with pytest.raises(ValidationError) as at_checkout:
        order_checkout(order=waiting, actor=buyer, shipping_address=SHIP_TO)
    assert "valid_until" in _error(at_checkout)
    paid.refresh_from_db()
    assert paid.status == OrderStatus.PAID and paid.lines.get().stage == "queued"


def test_the_revenue_ceiling_counts_the_ledger_and_open_checkouts(
    buyer: Any, make_user: Any, pattern: Any, make_style: Any, products: Any
) -> None:
    style = make_style(fee_per_use=Decimal("2.00"), revenue_ceiling=Decimal("3.00"))
    first = order_of_patterns_make(buyer=buyer, style=style, lines=[(pattern, products["swatch"], 1)])
    order_checkout(order=first, actor=buyer, shipping_address=SHIP_TO)
    assert licence_fees_committed(style=style) == Decimal("2.00")  # an open checkout counts
    second = order_of_patterns_make(
        buyer=buyer, style=style, lines=[(pattern, products["swatch"], 1)]
    )  # 2.00 < 3.00: still selling
    order_mark_paid(order=first)
    royalty_accrue(order=first, paid=first.total)
    assert licence_fees_committed(style=style) == Decimal("2.00")  # now from the ledger
    order_checkout(
        order=second, actor=buyer, shipping_address=SHIP_TO
    )  # crosses the ceiling: this sale goes through
    with pytest.raises(ValidationError) as refused:
        order_of_patterns_make(
            buyer=make_user("buyer"), style=style, lines=[(pattern, products["swatch"], 1)]
        )
    assert "revenue_ceiling" in _error(refused)
    order_payment_abandoned(order=second)  # its fee is no longer committed
    assert licence_fees_committed(style=style) == Decimal("2.00")
    assert (
        order_of_patterns_make(
            buyer=buyer, style=style, lines=[(pattern, products["swatch"], 1)]
        ).lines.count()
        == 1
    )


def test_territory_check_takes_codes_or_worldwide(make_style: Any) -> None:
    eu = make_style(territories=("FR", "DE")).licence
    licence_check_territory(licence=eu, country="fr")
    with pytest.raises(LicenceTermRefused) as refused:
        licence_check_territory(licence=eu, country="US")
    assert refused.value.term == "territories" and "does not cover US" in refused.value.reason
    licence_check_territory(licence=make_style().licence, country="JP")


def test_checkout_refuses_a_destination_outside_the_territories(
    buyer: Any, pattern: Any, make_style: Any, products: Any, client_for: Any, settings: Any
) -> None:
    settings.DEBUG, settings.STRIPE_SECRET_KEY = True, ""  # the local gateway behind the checkout API
    style = make_style(territories=("FR", "DE"))
    order = order_of_patterns_make(buyer=buyer, style=style, lines=[(pattern, products["swatch"], 1)])
    with pytest.raises(ValidationError) as refused:
        order_checkout(order=order, actor=buyer, shipping_address=SHIP_TO)  # to the US
    assert "does not cover US" in _error(refused)["territories"][0]
    order.refresh_from_db()
    style.refresh_from_db()
    assert order.status == OrderStatus.DRAFT and style.uses_taken == 0
    response = client_for(buyer).post(
        f"/api/v1/orders/{order.pk}/checkout/",
        {"shipping_address": {**SHIP_TO, "country": "CA", "state": "ON", "postal_code": "M5V 2T6"}},
        format="json",
    )
    assert response.status_code == 400 and "territories" in response.json(), response.json()
    order_checkout(
        order=order, actor=buyer, shipping_address={**SHIP_TO, "country": "FR", "postal_code": "75001"}
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT and order.country == "FR"


def test_a_digital_file_is_checked_against_the_buyers_country(
    buyer: Any, pattern: Any, make_style: Any, products: Any
) -> None:
    product = Product.objects.create(slug="file", name="Digital file", substrate="digital", use="personal")
    size = ProductSize.objects.create(
        product=product, slug="file", name="File", width_in=8, height_in=8, price=Decimal("9.00")
    )
    style = make_style(territories=("GB",))
    with pytest.raises(ValidationError) as unknown:
        order_checkout(
            order=order_of_patterns_make(buyer=buyer, style=style, lines=[(pattern, size, 1)]), actor=buyer
        )
    assert "give your country" in _error(unknown)["territories"][0]
    with pytest.raises(ValidationError) as outside:
        order_checkout(
            order=order_of_patterns_make(buyer=buyer, style=style, lines=[(pattern, size, 1)]),
            actor=buyer,
            country="US",
        )
    assert "does not cover US" in _error(outside)["territories"][0]
    allowed = order_checkout(
        order=order_of_patterns_make(buyer=buyer, style=style, lines=[(pattern, size, 1)]),
        actor=buyer,
        country="gb",
    )
    assert allowed.status == OrderStatus.AWAITING_PAYMENT
    worldwide = make_style()
    assert (
        order_checkout(
            order=order_of_patterns_make(buyer=buyer, style=worldwide, lines=[(pattern, size, 1)]),
            actor=buyer,
        ).status
        == OrderStatus.AWAITING_PAYMENT
    )
