"""Approval of derivatives on the real worker: a style that requires approval holds each proof for its
artist; approve sends it to the buyer, decline and time-out cancel and refund the line, with the
edition use returned, the buyer told, and the royalty ledger balanced to the cent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import dramatiq
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from marketplace.errors import NotAllowed
from marketplace.models import (
    REFUNDED_STAGES,
    ApprovalStatus,
    DerivativeApproval,
    EmailMessageLog,
    LineStage,
    Order,
    OrderLine,
)
from marketplace.payments.models import PaymentStatus, Refund
from marketplace.payments.services import payment_checkout_start, payment_local_confirm
from marketplace.royalties.models import RoyaltyEntry
from marketplace.services.approvals import approval_approve, approval_decline, approvals_expire
from marketplace.services.orders import OrderLineRequest, order_create
from marketplace.services.personalizations import personalization_create
from tests.conftest import PURCHASE_QUEUES, SHIP_TO, embedded_worker, join_all

QUEUES = PURCHASE_QUEUES


@pytest.fixture
def approving_worker(transactional_db: None, settings: Any) -> Iterator[dramatiq.Worker]:
    settings.STRIPE_SECRET_KEY = ""
    settings.DEBUG = True
    with embedded_worker(PURCHASE_QUEUES) as running:
        yield running


def _paid_line(buyer: Any, style: Any, pattern: Any, products: Any) -> tuple[Order, OrderLine, Any]:
    personalization = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    order = order_create(buyer=buyer, lines=[OrderLineRequest(personalization, products["swatch"], 1)])
    payment = payment_checkout_start(order=order, actor=buyer, shipping_address=SHIP_TO)
    payment = payment_local_confirm(payment=payment, actor=buyer, outcome=PaymentStatus.SUCCEEDED)
    join_all(900_000, queues=QUEUES)
    return order, order.lines.get(), payment


def _ledger_balanced(order: Order, payment: Any) -> None:
    """To the cent: the ledger holds the goods of the lines that were kept (royalties are on goods,
    never on shipping), and the money kept is those goods plus their shipping."""
    payment.refresh_from_db()
    refunded = sum((r.amount for r in Refund.objects.filter(payment=payment, applied=True)), Decimal("0"))
    kept = [line for line in order.lines.all() if line.stage not in REFUNDED_STAGES]
    assert sum(e.amount for e in RoyaltyEntry.objects.filter(order=order)) == sum(
        line.line_total for line in kept
    )
    assert payment.amount - refunded == sum(line.line_total + line.shipping_amount for line in kept)


@pytest.fixture
def approving_style(make_style: Any) -> Any:
    return make_style(requires_approval=True)


def test_the_artist_approves_and_the_proof_goes_to_the_buyer(
    approving_worker: Any,
    buyer: Any,
    artist: Any,
    make_user: Any,
    approving_style: Any,
    make_pattern: Any,
    products: Any,
) -> None:
    order, line, payment = _paid_line(buyer, approving_style, make_pattern(), products)
    assert line.stage == LineStage.AWAITING_ARTIST_APPROVAL
    approval = DerivativeApproval.objects.get(order_line=line)
    assert approval.artist == artist and approval.status == ApprovalStatus.PENDING
    assert EmailMessageLog.objects.filter(to=artist.email).exists()  # the artist is asked
    with pytest.raises(NotAllowed):
        approval_approve(approval_id=approval.pk, artist=make_user("artist"))
    approval_approve(approval_id=approval.pk, artist=artist)
    join_all(900_000, queues=QUEUES)
    line.refresh_from_db()
    assert line.stage == LineStage.PROOF_READY and line.proof_ready_at is not None
    _ledger_balanced(order, payment)
    assert not Refund.objects.filter(order_line=line).exists()


def test_a_decline_refunds_the_line_returns_the_edition_use_and_tells_the_buyer(
    approving_worker: Any,
    buyer: Any,
    artist: Any,
    approving_style: Any,
    make_pattern: Any,
    products: Any,
) -> None:
    order, line, payment = _paid_line(buyer, approving_style, make_pattern(), products)
    approving_style.refresh_from_db()
    assert approving_style.uses_taken == 1
    approval = DerivativeApproval.objects.get(order_line=line)
    with pytest.raises(ValidationError):
        approval_decline(approval_id=approval.pk, artist=artist, reason="  ")
    approval_decline(approval_id=approval.pk, artist=artist, reason="the colours misrepresent my work")
    join_all(900_000, queues=QUEUES)
    line.refresh_from_db()
    approving_style.refresh_from_db()
    assert line.stage == LineStage.CANCELLED and "misrepresent" in line.failure_reason
    assert approving_style.uses_taken == 0
    refund = Refund.objects.get(order_line=line)
    assert refund.applied and refund.amount == line.line_total + line.shipping_amount
    assert sum(e.amount for e in RoyaltyEntry.objects.filter(order_line=line)) == 0
    _ledger_balanced(order, payment)
    mail = EmailMessageLog.objects.get(key=f"approval-declined:{approval.pk}")
    assert mail.to == buyer.email and "misrepresent" in mail.body and mail.sent_at is not None


def test_no_answer_within_the_delay_declines_and_refunds(
    approving_worker: Any,
    buyer: Any,
    approving_style: Any,
    make_pattern: Any,
    products: Any,
    settings: Any,
) -> None:
    order, line, payment = _paid_line(buyer, approving_style, make_pattern(), products)
    approval = DerivativeApproval.objects.get(order_line=line)
    assert settings.ARTIST_APPROVAL_TIMEOUT_S == 5 * 86400
    assert approvals_expire(now=timezone.now() + dt.timedelta(days=4, hours=23)) == 0
    assert approvals_expire(now=timezone.now() + dt.timedelta(days=5, minutes=1)) == 1
    join_all(900_000, queues=QUEUES)
    approval.refresh_from_db()
    line.refresh_from_db()
    assert approval.status == ApprovalStatus.EXPIRED and line.stage == LineStage.CANCELLED
    assert Refund.objects.get(order_line=line).applied
    _ledger_balanced(order, payment)
    assert approvals_expire(now=timezone.now() + dt.timedelta(days=6)) == 0  # once


def test_the_approvals_api(
    approving_worker: Any,
    buyer: Any,
    artist: Any,
    make_user: Any,
    approving_style: Any,
    make_pattern: Any,
    products: Any,
    client_for: Any,
) -> None:
    _, line, _ = _paid_line(buyer, approving_style, make_pattern(), products)
    approval = DerivativeApproval.objects.get(order_line=line)
    mine = client_for(artist)
    listed = mine.get("/api/v1/approvals/").json()
    assert [a["id"] for a in listed] == [approval.pk] and listed[0]["style"]["id"] == approving_style.pk
    assert mine.get(f"/api/v1/approvals/{approval.pk}/proof/").status_code == 200
    other = client_for(make_user("artist"))
    assert other.get("/api/v1/approvals/").json() == []
    assert other.post(f"/api/v1/approvals/{approval.pk}/approve/").status_code == 404
    assert client_for(buyer).get("/api/v1/approvals/").status_code == 403
    assert client_for(None).get("/api/v1/approvals/").status_code == 401
    assert mine.post(f"/api/v1/approvals/{approval.pk}/decline/", {}, format="json").status_code == 400
    answer = mine.post(f"/api/v1/approvals/{approval.pk}/approve/")
    assert answer.status_code == 200 and answer.json()["status"] == "approved"
    assert mine.post(f"/api/v1/approvals/{approval.pk}/approve/").status_code == 409


def test_a_line_the_buyer_cancelled_leaves_nothing_for_the_artist_to_approve(
    approving_worker: Any,
    buyer: Any,
    artist: Any,
    approving_style: Any,
    make_pattern: Any,
    products: Any,
    client_for: Any,
) -> None:
    from django.test import Client

    from marketplace.services.proofs import order_line_cancel

    _, line, _ = _paid_line(buyer, approving_style, make_pattern(), products)
    approval = DerivativeApproval.objects.get(order_line=line)
    order_line_cancel(order_line_id=line.pk, actor=buyer, reason="changed my mind")
    join_all(900_000, queues=QUEUES)
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.WITHDRAWN
    page = Client()
    page.force_login(artist)
    answer = page.post(f"/studio/artist/approvals/{approval.pk}/", {"decision": "approve"}, follow=True)
    assert answer.status_code == 200 and "withdrawn" in answer.content.decode()
    assert client_for(artist).post(f"/api/v1/approvals/{approval.pk}/approve/").status_code == 409
    assert client_for(artist).get("/api/v1/approvals/").json() == []
    line.refresh_from_db()
    assert line.stage == LineStage.CANCELLED


def test_the_periodic_watchdog_pass_expires_unanswered_approvals(
    approving_worker: Any,
    buyer: Any,
    approving_style: Any,
    make_pattern: Any,
    products: Any,
    settings: Any,
) -> None:
    """The fulfilment sweep knows nothing of approvals (they call into it); the worker's pass runs both."""
    from config.worker import watchdog_pass

    _, line, _ = _paid_line(buyer, approving_style, make_pattern(), products)
    assert watchdog_pass()["artist_approvals_expired"] == 0
    settings.ARTIST_APPROVAL_TIMEOUT_S = 0
    assert watchdog_pass()["artist_approvals_expired"] == 1
    join_all(900_000, queues=QUEUES)
    line.refresh_from_db()
    assert line.stage == LineStage.CANCELLED
    assert DerivativeApproval.objects.get(order_line=line).status == ApprovalStatus.EXPIRED
