"""Each licence version reads as a page, a PDF and a JSON document; orders link the version sold."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from marketplace.services.catalogue import style_update, style_withdraw
from marketplace.services.licence_terms import LicenceTerms
from marketplace.services.orders import OrderLineRequest, order_create
from marketplace.services.personalizations import personalization_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def versioned(make_style: Any, artist: Any) -> Any:
    style = make_style(
        territories=("FR",),
        allowed_substrates=("wallpaper",),
        revenue_ceiling=Decimal("500"),
        valid_until=dt.date(2030, 12, 31),
        attribution_required=True,
    )
    style_update(
        style=style,
        actor=artist,
        terms=LicenceTerms(**{**LicenceTerms.of(style.licence).__dict__, "territories": ("*",)}),
    )
    return style


def test_the_json_document_carries_the_exact_terms_and_the_clauses(versioned: Any, client_for: Any) -> None:
    first = versioned.licence_versions.get(version=1)
    body = client_for(None).get(f"/api/v1/styles/{versioned.pk}/licences/1/").json()
    assert body["terms"] == first.terms() and body["terms_sha256"] == first.terms_sha256
    assert body["version"] == 1 and body["in_force"] is False
    clauses = {c["term"]: c["text"] for c in body["clauses"]}
    assert "FR" in clauses["territories"] and "wallpaper" in clauses["allowed_substrates"]
    assert "2030-12-31" in clauses["valid_until"] and "500.00 USD" in clauses["revenue_ceiling"]
    assert "selvedge" in clauses["attribution_required"]
    assert client_for(None).get(f"/api/v1/styles/{versioned.pk}/licences/2/").json()["in_force"] is True
    assert client_for(None).get(f"/api/v1/styles/{versioned.pk}/licences/9/").status_code == 404


def test_the_page_and_the_pdf_read_the_same_version(versioned: Any, client_for: Any, artist: Any) -> None:
    style_withdraw(style=versioned, actor=artist)  # bought rights stay readable after a withdrawal
    page = client_for(None).get(f"/licences/{versioned.pk}/v1/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Licence for the style" in html and "superseded" in html and "FR" in html
    pdf = client_for(None).get(f"/api/v1/styles/{versioned.pk}/licences/1/licence.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and len(pdf.content) > 2000


def test_the_order_links_the_exact_version_sold(
    versioned: Any, artist: Any, buyer: Any, pattern: Any, make_style: Any, products: Any, client_for: Any
) -> None:
    from marketplace.models import Product, ProductSize

    product = Product.objects.create(
        slug="wallpaper", name="Wallpaper", substrate="wallpaper", use="personal"
    )
    size = ProductSize.objects.create(
        product=product, slug="roll", name="Roll", width_in=8, height_in=8, price=Decimal("30.00")
    )
    personalization = personalization_create(buyer=buyer, base_pattern=pattern, style=versioned)
    order = order_create(
        buyer=buyer, lines=[OrderLineRequest(personalization=personalization, product_size=size, quantity=1)]
    )
    style_update(
        style=versioned,
        actor=artist,
        terms=LicenceTerms(
            **{**LicenceTerms.of(versioned.licence).__dict__, "royalty_percent": Decimal("20")}
        ),
    )
    client = client_for(buyer)
    line = client.get(f"/api/v1/orders/{order.pk}/").json()["lines"][0]
    assert line["licence_version"] == 2 and line["licence_url"].endswith(f"/licences/{versioned.pk}/v2/")
    client.force_login(buyer)
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert f'href="/licences/{versioned.pk}/v2/"' in page


def test_an_id_no_column_can_hold_is_404_not_500(client_for: Any) -> None:
    for url in (
        "/api/v1/styles/17828785044870129664/licences/1/",
        "/api/v1/styles/1/licences/99999999999/licence.pdf",
        "/licences/17828785044870129664/v1/",
    ):
        assert client_for(None).get(url).status_code == 404
