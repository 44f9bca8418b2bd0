"""The designer studio's royalty per sold line comes from the ledger: accruals less refunds, per line."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from marketplace.royalties.models import EntryKind, RoyaltyEntry
from marketplace.royalties.selectors import royalty_totals_by_order_line
from tests.conftest import SHIP_TO

pytestmark = pytest.mark.django_db(transaction=True)


def test_royalty_totals_by_order_line_nets_refunds_per_line_and_the_designer_studio_shows_them(
    local_on: None, make_order: Any, buyer: Any, designer: Any, client_for: Any, client: Any
) -> None:
    order = make_order("swatch", "yard")  # 5.00 + 24.00
    api = client_for(buyer)
    payment = api.post(
        f"/api/v1/orders/{order.pk}/checkout/", {"shipping_address": SHIP_TO}, format="json"
    ).json()["payment"]
    api.post(f"/api/v1/payments/local/{payment}/confirm/", {"outcome": "succeeded"}, format="json")
    swatch, yard = order.lines.order_by("id")
    accrual = RoyaltyEntry.objects.get(order_line=swatch, kind=EntryKind.DESIGNER_ROYALTY)
    RoyaltyEntry.objects.create(
        payee=designer,
        order=order,
        order_line=swatch,
        kind=EntryKind.REFUND,
        amount=-accrual.amount / 2,
        currency=accrual.currency,
        source_entry=accrual,
    )

    totals = royalty_totals_by_order_line(payee=designer)

    assert totals == {
        swatch.pk: Decimal("0.12500"),  # 5 % of 5.00, half of it taken back
        yard.pk: Decimal("1.20000"),  # 5 % of 24.00
    }
    client.force_login(designer)
    page = client.get("/studio/designer/").content.decode()
    assert 'class="num">0.13<' in page and 'class="num">1.20<' in page  # each line's share, to the cent
    assert '<div class="v">1.33</div>' in page  # their total, 1.325, as the studio rounds it
