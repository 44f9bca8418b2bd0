"""What cannot be undone asks first: the server refuses to cancel, approve, withdraw or decline
without `confirm=yes`, and answers a confirmation page saying what will happen instead."""

from __future__ import annotations

from typing import Any

import pytest

from marketplace.models import (
    ApprovalStatus,
    DerivativeApproval,
    LineStage,
    Order,
    OrderStatus,
    ProductionJob,
    Style,
    User,
)
from tests.frontend.test_pages import logged_in, sold_order  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _local_gateway(settings: Any) -> None:
    settings.DEBUG = True  # `sold_order` pays through the local test gateway, as in `make run`


def _order_with_two_proofs(order: Order) -> tuple[Any, Any]:
    first = order.lines.get()
    first.pk = None
    first.save()  # a second proof-ready line, a copy of the first
    return tuple(order.lines.order_by("pk"))  # type: ignore[return-value]


def test_cancelling_a_line_asks_first_with_the_refund_and_refunds_only_once_confirmed(
    sold_order: Order,  # noqa: F811
    buyer: User,
) -> None:
    client = logged_in(buyer)
    line = sold_order.lines.get()
    refund = line.line_total + line.shipping_amount
    order_page = client.get(f"/orders/{sold_order.pk}/").content.decode()
    assert (
        f'data-confirm="confirm-cancel-{line.pk}"' in order_page and f"{refund} USD is refunded" in order_page
    )

    url = f"/orders/{sold_order.pk}/lines/{line.pk}/cancel/"
    asked = client.post(url)
    page = asked.content.decode()
    assert asked.status_code == 200 and 'data-testid="confirm-page"' in page
    assert f"{refund} {sold_order.currency} is refunded to your card" in page
    assert 'name="confirm" value="yes"' in page and f'action="{url}"' in page
    line.refresh_from_db()
    assert line.stage == LineStage.PROOF_READY

    assert client.post(url, {"confirm": "yes"}).status_code == 302
    line.refresh_from_db()
    assert line.stage == LineStage.CANCELLED


def test_approving_one_proof_asks_first_then_approves_that_line_only(
    sold_order: Order,  # noqa: F811
    buyer: User,
) -> None:
    first, second = _order_with_two_proofs(sold_order)
    client = logged_in(buyer)
    url = f"/orders/{sold_order.pk}/lines/{first.pk}/approve/"
    assert f'action="{url}"' in client.get(f"/orders/{sold_order.pk}/").content.decode()

    asked = client.post(url).content.decode()
    assert "printing can start at once" in asked
    first.refresh_from_db()
    assert first.stage == LineStage.PROOF_READY

    assert client.post(url, {"confirm": "yes"}).status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.stage, second.stage) == (LineStage.APPROVED, LineStage.PROOF_READY)
    assert ProductionJob.objects.filter(order_line=first).exists()
    assert not ProductionJob.objects.filter(order_line=second).exists()
    # Approving it again changes nothing and is not an error.
    assert client.post(url, {"confirm": "yes"}).status_code == 302
    first.refresh_from_db()
    assert first.stage == LineStage.APPROVED


def test_approving_all_proofs_asks_first_naming_how_many(sold_order: Order, buyer: User) -> None:  # noqa: F811
    _order_with_two_proofs(sold_order)
    client = logged_in(buyer)
    url = f"/orders/{sold_order.pk}/approve/"
    asked = client.post(url).content.decode()
    assert "Approve all 2 proofs for printing?" in asked
    assert set(sold_order.lines.values_list("stage", flat=True)) == {LineStage.PROOF_READY}
    client.post(url, {"confirm": "yes"})
    assert set(sold_order.lines.values_list("stage", flat=True)) == {LineStage.APPROVED}
    sold_order.refresh_from_db()
    assert sold_order.status == OrderStatus.APPROVED


def test_another_buyers_line_is_missing_even_to_the_confirmation(
    sold_order: Order,  # noqa: F811
    make_user: Any,
) -> None:
    line = sold_order.lines.get()
    stranger = logged_in(make_user("buyer"))
    assert stranger.post(f"/orders/{sold_order.pk}/lines/{line.pk}/cancel/").status_code == 404
    assert stranger.post(f"/orders/{sold_order.pk}/lines/{line.pk}/approve/").status_code == 404


def test_withdrawing_a_style_asks_first_saying_buyers_lose_access(artist: User, style: Style) -> None:
    client = logged_in(artist)
    url = f"/studio/artist/styles/{style.pk}/listing/"
    assert f'data-confirm="confirm-withdraw-{style.pk}"' in client.get("/studio/artist/").content.decode()
    asked = client.post(url, {"active": "0"}).content.decode()
    assert "Buyers lose access to it at once" in asked and 'name="active" value="0"' in asked
    style.refresh_from_db()
    assert style.active
    client.post(url, {"active": "0", "confirm": "yes"})
    style.refresh_from_db()
    assert not style.active
    # Listing it again can be undone, so it does not ask.
    assert client.post(url, {"active": "1"}).status_code == 302
    style.refresh_from_db()
    assert style.active


def test_declining_a_derivative_asks_first_with_the_buyers_refund(
    sold_order: Order,  # noqa: F811
    artist: User,
) -> None:
    line = sold_order.lines.get()
    line.stage = LineStage.AWAITING_ARTIST_APPROVAL
    line.save(update_fields=["stage"])
    approval = DerivativeApproval.objects.create(order_line=line, artist=artist)
    client = logged_in(artist)
    url = f"/studio/artist/approvals/{approval.pk}/"
    asked = client.post(url, {"decision": "decline", "reason": "Not my palette"}).content.decode()
    assert f"The buyer is refunded {line.line_total + line.shipping_amount} USD in full" in asked
    assert 'name="reason" value="Not my palette"' in asked
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.PENDING

    client.post(url, {"decision": "decline", "reason": "Not my palette", "confirm": "yes"})
    approval.refresh_from_db()
    line.refresh_from_db()
    assert approval.status == ApprovalStatus.DECLINED and line.stage == LineStage.CANCELLED
