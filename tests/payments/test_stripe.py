"""The Stripe gateway against the loopback fake: checkout, signed webhooks, one transfer per payee,
refunds with reversals, held balances, and webhooks treated as hostile input."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import pytest

from marketplace.models import Order, OrderStatus, Style
from marketplace.payments.models import Payment, PaymentStatus, Refund, WebhookEvent
from marketplace.payments.refunds import payment_refund
from marketplace.royalties.models import (
    EntryKind,
    RoyaltyEntry,
    Transfer,
    TransferReversal,
    TransferStatus,
)
from marketplace.royalties.services import royalty_transfer_send
from tests.fakes.stripe_server import FakeStripe

from .conftest import deliver, ledger_total, onboard, run_payouts, stripe_checkout

pytestmark = pytest.mark.django_db(transaction=True)


def _pay(order: Order, fake: FakeStripe) -> tuple[Payment, dict[str, Any]]:
    payment_id, session_id = stripe_checkout(order, fake)
    event = fake.complete_checkout(session_id)
    assert deliver(event).status_code == 200
    return Payment.objects.get(pk=payment_id), event


def _net_transferred(fake: FakeStripe, order: Order, account: str) -> int:
    return sum(
        t["amount"] - t["amount_reversed"]
        for t in fake.transfers_for(f"order-{order.pk}")
        if t["destination"] == account
    )


def test_stripe_checkout_then_signed_webhook_makes_one_transfer_per_payee(
    stripe_on: FakeStripe, make_order: Any, artist: Any, designer: Any
) -> None:
    fake = stripe_on
    artist_account, designer_account = onboard(artist, fake), onboard(designer, fake)
    order = make_order("swatch", "yard")  # 29.00: artist 2 × 2.00 + 2.90, designer 1.45
    payment, event = _pay(order, fake)

    create = fake.requests_to("POST", "/v1/checkout/sessions")[0].params
    assert create["client_reference_id"] == str(order.pk)
    assert create["metadata"] == {"order": str(order.pk), "payment": str(payment.pk)}
    assert create["payment_intent_data"]["transfer_group"] == f"order-{order.pk}"
    assert [(i["price_data"]["unit_amount"], i["quantity"]) for i in create["line_items"]] == [
        ("500", "1"),
        ("2400", "1"),
    ]

    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.stripe_charge_id.startswith("ch_")
    assert order.status == OrderStatus.PAID
    assert run_payouts() == 2
    transfers = fake.transfers_for(f"order-{order.pk}")
    assert sorted((t["destination"], t["amount"]) for t in transfers) == sorted(
        [(artist_account, 690), (designer_account, 145)]
    )
    assert all(t["source_transaction"] == payment.stripe_charge_id for t in transfers)

    # The same event again, and the same messages again: nothing new.
    again = deliver(event)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    for transfer in Transfer.objects.all():
        royalty_transfer_send(transfer_id=transfer.pk)
    assert run_payouts() == 0
    assert len(fake.transfers_for(f"order-{order.pk}")) == 2
    assert WebhookEvent.objects.filter(stripe_event_id=event["id"]).count() == 1
    assert all(r.idempotency_key for r in fake.requests if r.method == "POST")


def test_partial_then_full_refund_reverses_transfers_in_proportion_and_returns_the_edition_use(
    stripe_on: FakeStripe, make_order: Any, artist: Any, designer: Any, style: Style
) -> None:
    fake = stripe_on
    artist_account, designer_account = onboard(artist, fake), onboard(designer, fake)
    order = make_order("swatch")  # 5.00: artist 2.50, designer 0.25, platform 2.25
    payment, _ = _pay(order, fake)
    run_payouts()

    refund = payment_refund(payment=payment, amount=Decimal("2.00"))  # the admin action's service: 40 %
    assert refund.applied and refund.stripe_refund_id
    assert deliver(fake.events_of_type("charge.refunded")[-1]).status_code == 200  # matched, not booked twice
    run_payouts()
    assert Refund.objects.count() == 1
    assert _net_transferred(fake, order, artist_account) == 150
    assert _net_transferred(fake, order, designer_account) == 15
    assert ledger_total(payee=artist) == Decimal("1.50") and ledger_total(payee=designer) == Decimal("0.15")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID

    # The rest is refunded in the Dashboard: Stripe tells us through charge.refunded.
    assert deliver(fake.refund_charge(payment.stripe_charge_id)).status_code == 200
    run_payouts()
    assert _net_transferred(fake, order, artist_account) == 0
    assert _net_transferred(fake, order, designer_account) == 0
    assert ledger_total(order=order) == 0
    assert RoyaltyEntry.objects.filter(kind=EntryKind.REFUND).count() == 8  # 4 accruals × 2 refunds
    order.refresh_from_db()
    style.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED and style.uses_taken == 0
    # Our own reversals come back as transfer.reversed events: adopted, not booked as losses.
    for event in fake.events_of_type("transfer.reversed"):
        assert deliver(event).status_code == 200
    assert not RoyaltyEntry.objects.filter(kind=EntryKind.TRANSFER_REVERSED).exists()
    assert TransferReversal.objects.count() == 4


def test_held_balance_is_paid_in_one_transfer_once_onboarding_completes(
    stripe_on: FakeStripe, make_order: Any, artist: Any, designer: Any, client_for: Any
) -> None:
    fake = stripe_on
    onboard(artist, fake)
    designer_account = onboard(designer, fake, finish=False)
    order = make_order("swatch")
    _pay(order, fake)
    run_payouts()
    assert len(fake.transfers_for(f"order-{order.pk}")) == 1  # only the artist
    held = client_for(designer).get("/api/v1/royalties/").json()
    assert held["held"] == "0.25000" and held["payouts_enabled"] is False

    assert deliver(fake.complete_onboarding(designer_account)).status_code == 200
    run_payouts()
    paid = [t for t in fake.transfers_for(f"order-{order.pk}") if t["destination"] == designer_account]
    assert [t["amount"] for t in paid] == [25]
    statement = client_for(designer).get("/api/v1/royalties/").json()
    assert statement["held"] == "0.00000" and statement["paid"] == "0.25000" and statement["payouts_enabled"]


def test_refund_before_the_held_payee_onboards_lowers_what_is_released(
    stripe_on: FakeStripe, make_order: Any, artist: Any, designer: Any
) -> None:
    fake = stripe_on
    onboard(artist, fake)
    designer_account = onboard(designer, fake, finish=False)
    order = make_order("yard")  # designer: 5 % of 24.00 = 1.20
    payment, _ = _pay(order, fake)
    assert deliver(fake.refund_charge(payment.stripe_charge_id, amount=600)).status_code == 200  # 25 %
    deliver(fake.complete_onboarding(designer_account))
    run_payouts()
    paid = [t for t in fake.transfers_for(f"order-{order.pk}") if t["destination"] == designer_account]
    assert [t["amount"] for t in paid] == [90]
    assert ledger_total(payee=designer) == Decimal("0.90")


@pytest.mark.parametrize("tamper", ["unsigned", "wrong secret", "stale", "malformed JSON", "not an event"])
def test_webhook_rejects_what_stripe_did_not_send_and_changes_nothing(
    tamper: str, stripe_on: FakeStripe, make_order: Any, artist: Any
) -> None:
    fake = stripe_on
    order = make_order()
    _, session_id = stripe_checkout(order, fake)
    event = fake.complete_checkout(session_id)
    if tamper == "unsigned":
        response = deliver(event, signature=None)
    elif tamper == "wrong secret":
        response = deliver(event, secret="whsec_someone_else")
    elif tamper == "stale":
        response = deliver(event, timestamp=int(time.time()) - 3600)
    elif tamper == "malformed JSON":
        response = deliver(json.dumps(event).encode()[:-5])
    else:
        response = deliver(json.dumps({"hello": "world"}).encode())
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert not RoyaltyEntry.objects.exists()
    assert deliver(event).status_code == 200  # the genuine delivery still works
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID


def test_events_out_of_order_are_resolved_by_refetching(
    stripe_on: FakeStripe, make_order: Any, artist: Any, designer: Any
) -> None:
    fake = stripe_on
    onboard(artist, fake)
    onboard(designer, fake)
    order = make_order("swatch")
    payment_id, session_id = stripe_checkout(order, fake)
    completed = fake.complete_checkout(session_id)
    charge = fake.get(fake.get(fake.get(session_id)["payment_intent"])["latest_charge"])
    refunded = fake.refund_charge(charge["id"])
    # The refund arrives first: the charge proves the payment, then the refund is booked.
    assert deliver(refunded).status_code == 200
    assert deliver(completed).status_code == 200
    run_payouts()
    payment = Payment.objects.get(pk=payment_id)
    assert payment.status == PaymentStatus.SUCCEEDED and payment.amount_refunded == payment.amount
    assert Order.objects.get(pk=order.pk).status == OrderStatus.REFUNDED
    assert ledger_total(order=order) == 0
    # The artist's transfer was decided before the refund was booked, so it shrank before sending.
    assert fake.transfers_for(f"order-{order.pk}") == []
    assert set(Transfer.objects.values_list("status", flat=True)) == {TransferStatus.SKIPPED}


def test_declined_attempt_keeps_the_session_open_and_expiry_releases_the_edition(
    stripe_on: FakeStripe, make_order: Any, style: Style
) -> None:
    fake = stripe_on
    order = make_order()
    payment_id, session_id = stripe_checkout(order, fake)
    assert deliver(fake.fail_payment(session_id)).status_code == 200
    payment = Payment.objects.get(pk=payment_id)
    assert payment.status == PaymentStatus.PENDING and "declined" in payment.failure_message
    assert Order.objects.get(pk=order.pk).status == OrderStatus.AWAITING_PAYMENT
    expired = fake.expire_checkout(session_id)
    assert deliver(expired).status_code == 200
    assert deliver(expired).json()["duplicate"] is True
    payment.refresh_from_db()
    style.refresh_from_db()
    assert payment.status == PaymentStatus.EXPIRED
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DRAFT and style.uses_taken == 0


def test_a_crash_after_stripe_made_the_transfer_is_recovered_without_a_second_one(
    stripe_on: FakeStripe, make_order: Any, artist: Any, designer: Any
) -> None:
    fake = stripe_on
    onboard(artist, fake)
    onboard(designer, fake)
    order = make_order("swatch")
    _pay(order, fake)
    run_payouts()
    transfer = Transfer.objects.get(payee=artist)
    made = transfer.stripe_transfer_id
    # The state a crash right after Stripe's answer leaves: Stripe has it, our row does not know.
    for lost_state in (TransferStatus.SENDING, TransferStatus.PENDING):
        Transfer.objects.filter(pk=transfer.pk).update(status=lost_state, stripe_transfer_id=None)
        royalty_transfer_send(transfer_id=transfer.pk)
        transfer.refresh_from_db()
        assert transfer.status == TransferStatus.SENT and transfer.stripe_transfer_id == made
    assert len([t for t in fake.transfers_for(f"order-{order.pk}") if t["amount"] == 250]) == 1
    replays = [
        r for r in fake.requests_to("POST", "/v1/transfers") if r.idempotency_key == transfer.idempotency_key
    ]
    assert replays[-1].replayed  # the retry replayed the first request instead of making a transfer


def test_a_reversal_made_at_stripe_is_booked_as_the_payees_loss_and_the_platforms_gain(
    stripe_on: FakeStripe, make_order: Any, artist: Any, designer: Any
) -> None:
    fake = stripe_on
    onboard(artist, fake)
    onboard(designer, fake)
    order = make_order("swatch")
    _pay(order, fake)
    run_payouts()
    transfer = Transfer.objects.get(payee=artist)
    event = fake.reverse_transfer(str(transfer.stripe_transfer_id), amount=100)
    assert deliver(event).status_code == 200
    assert deliver(event).status_code == 200
    assert ledger_total(payee=artist) == Decimal("1.50")
    assert ledger_total(order=order) == Decimal("5.00")  # the platform holds what the artist lost
    assert RoyaltyEntry.objects.filter(kind=EntryKind.TRANSFER_REVERSED).count() == 2


def test_onboarding_is_for_payees_and_reuses_the_account(
    stripe_on: FakeStripe, artist: Any, buyer: Any, client_for: Any
) -> None:
    fake = stripe_on
    assert client_for(buyer).post("/api/v1/payouts/onboarding/").status_code == 403
    client = client_for(artist)
    first = client.post("/api/v1/payouts/onboarding/").json()["url"]
    second = client.post("/api/v1/payouts/onboarding/").json()["url"]
    assert first != second and first.startswith(fake.url)
    assert len(fake.requests_to("POST", "/v1/accounts")) == 1
    link = fake.requests_to("POST", "/v1/account_links")[0].params
    assert link["refresh_url"] == "http://testserver/api/v1/payouts/onboarding/refresh/"
    assert link["return_url"] == "http://testserver/api/v1/payouts/onboarding/return/"
    refresh = client.get("/api/v1/payouts/onboarding/refresh/")
    assert refresh.status_code == 302 and refresh["Location"].startswith(fake.url)
    assert client.get("/api/v1/payouts/onboarding/return/").json() == {
        "stripe_account": True,
        "payouts_enabled": False,
    }
    fake.complete_onboarding(str(artist.payee_account.stripe_account_id))  # the webhook is late
    assert client.get("/api/v1/payouts/onboarding/return/").json()["payouts_enabled"] is True


def test_transfers_whose_messages_were_lost_are_requeued_at_start_up(
    stripe_on: FakeStripe, make_order: Any, artist: Any, designer: Any
) -> None:
    import dramatiq
    from django.core.management import call_command

    fake = stripe_on
    onboard(artist, fake)
    onboard(designer, fake)
    order = make_order("swatch")
    _pay(order, fake)
    dramatiq.get_broker().flush_all()  # the process died after the commit, before its enqueue
    assert run_payouts() == 0 and fake.transfers_for(f"order-{order.pk}") == []
    call_command("payouts_requeue")
    assert run_payouts() == 2
    assert len(fake.transfers_for(f"order-{order.pk}")) == 2
