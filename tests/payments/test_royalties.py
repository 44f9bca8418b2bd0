"""The royalty ledger: discounts, sub-cent carries, and the statements payees read."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from marketplace.models import Order, Product, ProductSize
from marketplace.royalties.models import EntryKind, RoyaltyEntry
from tests.conftest import SHIP_TO
from tests.fakes.stripe_server import FakeStripe

from .conftest import deliver, ledger_total, onboard, run_payouts, stripe_checkout

pytestmark = pytest.mark.django_db(transaction=True)


def test_discount_is_shared_by_lines_in_proportion_and_the_ledger_adds_up_to_what_was_paid(
    local_on: None, make_order: Any, buyer: Any, artist: Any, designer: Any, client_for: Any
) -> None:
    order = make_order("swatch", "yard")  # 5.00 + 24.00
    Order.objects.filter(pk=order.pk).update(discount=Decimal("2.90"), total=Decimal("26.10"))
    client = client_for(buyer)
    payment = client.post(
        f"/api/v1/orders/{order.pk}/checkout/", {"shipping_address": SHIP_TO}, format="json"
    ).json()["payment"]
    client.post(f"/api/v1/payments/local/{payment}/confirm/", {"outcome": "succeeded"}, format="json")
    royalties = RoyaltyEntry.objects.filter(kind=EntryKind.ARTIST_ROYALTY).order_by("order_line_id")
    assert [e.amount for e in royalties] == [Decimal("0.45000"), Decimal("2.16000")]  # 10 % of 4.50, 21.60
    assert ledger_total(payee=designer) == Decimal("1.30500")  # 5 % of 26.10, kept to 5 places
    assert ledger_total(payee=artist) == Decimal("6.61000")
    assert ledger_total(order=order) == Decimal("26.10")


def test_sub_cent_remainders_carry_into_the_payees_next_transfer(
    stripe_on: FakeStripe, make_user: Any, make_style: Any, pattern: Any, artist: Any, designer: Any
) -> None:
    fake = stripe_on
    artist_account = onboard(artist, fake)
    onboard(designer, fake)
    style = make_style(fee_per_use=Decimal("0"), royalty_percent=Decimal("3.33"))
    product = Product.objects.create(slug="sample", name="Sample", substrate="fabric", use="personal")
    size = ProductSize.objects.create(
        product=product, slug="one", name="One", width_in=4, height_in=4, price=Decimal("1.00")
    )
    from marketplace.services.orders import OrderLineRequest, order_create
    from marketplace.services.personalizations import personalization_create

    amounts = []
    for _ in range(4):
        buyer = make_user("buyer")
        order = order_create(
            buyer=buyer,
            lines=[
                OrderLineRequest(
                    personalization=personalization_create(buyer=buyer, base_pattern=pattern, style=style),
                    product_size=size,
                    quantity=1,
                )
            ],
        )
        _, session_id = stripe_checkout(order, fake)
        assert deliver(fake.complete_checkout(session_id)).status_code == 200
        run_payouts()
        amounts += [
            t["amount"] for t in fake.transfers_for(f"order-{order.pk}") if t["destination"] == artist_account
        ]
    # 3.33 % of 1.00 is 0.0333 a sale: 3, 3, 3 cents, then the carried 0.0099 makes the fourth 4.
    assert amounts == [3, 3, 3, 4]
    assert ledger_total(payee=artist) == Decimal("0.13320")


def test_statement_shows_entries_and_position_and_exports_a_monthly_csv(
    local_on: None, make_order: Any, buyer: Any, artist: Any, client_for: Any
) -> None:
    order = make_order("swatch")
    client = client_for(buyer)
    payment = client.post(
        f"/api/v1/orders/{order.pk}/checkout/", {"shipping_address": SHIP_TO}, format="json"
    ).json()["payment"]
    client.post(f"/api/v1/payments/local/{payment}/confirm/", {"outcome": "succeeded"}, format="json")

    artist_client = client_for(artist)
    statement = artist_client.get("/api/v1/royalties/").json()
    assert [e["kind"] for e in statement["results"]] == ["artist_royalty", "style_fee"]
    assert statement["balance"] == "2.50000" and statement["held"] == "2.50000"

    month = timezone.now().strftime("%Y-%m")
    exported = artist_client.get(f"/api/v1/royalties/statement.csv?month={month}")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    assert rows[0][:2] == ["date", "type"]
    assert sorted(r[1] for r in rows[1:3]) == ["artist_royalty", "style_fee"]
    assert rows[-1][5] == "2.50000"
    empty = list(
        csv.reader(
            io.StringIO(artist_client.get("/api/v1/royalties/statement.csv?month=1999-01").content.decode())
        )
    )
    assert empty[-1][5] == "0.00000" and len(empty) == 3

    for bad in ("2026-13", "26-01", "2026-1", "", "2026-01-01", "abcd-ef"):
        assert artist_client.get(f"/api/v1/royalties/statement.csv?month={bad}").status_code == 400, bad
    assert client.get("/api/v1/royalties/").status_code == 403  # buyers have no royalties
    assert client_for(None).get("/api/v1/royalties/").status_code == 401
