"""Property: whatever order Stripe's events arrive in, however often, interleaved with refunds
(ours and the Dashboard's), declines, expiries and onboarding, each payee gets at most one transfer
per order, the ledger matches the transfers to the cent, and no money appears or disappears."""

from __future__ import annotations

import contextlib
import os
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.errors import Conflict
from marketplace.models import PAID_STATUSES, Order, OrderStatus, Product, ProductSize, User
from marketplace.payments.models import Payment, PaymentStatus
from marketplace.payments.refunds import payment_refund
from marketplace.payments.services import payment_checkout_start, payment_local_confirm
from marketplace.royalties import selectors
from marketplace.royalties.models import PayeeAccount, Transfer, TransferStatus
from marketplace.services.orders import OrderLineRequest, order_create
from marketplace.services.personalizations import personalization_create
from tests.conftest import SHIP_TO
from tests.fakes.stripe_server import FakeStripe

from .conftest import deliver, ledger_total, onboard, run_payouts, stripe_checkout

MAX_EXAMPLES = int(os.environ.get("MOTIF_PAYMENTS_EXAMPLES", "50"))
PAYMENT_RACE_EXAMPLES = int(os.environ.get("MOTIF_PAYMENT_RACE_EXAMPLES", "15"))
CENT = Decimal("0.01")

OPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "pay",
                "pay",
                "fail",
                "expire",
                "refund_admin",
                "refund_dashboard",
                "onboard",
                "deliver",
                "deliver",
                "drain",
            ]
        ),
        st.integers(0, 1000),
        st.integers(1, 100),
    ),
    min_size=4,
    max_size=24,
)


def _session_state(fake: FakeStripe, session_id: str) -> dict[str, Any]:
    return fake.get(session_id)


def _charge_of(fake: FakeStripe, session_id: str) -> dict[str, Any] | None:
    session = fake.get(session_id)
    if session["status"] != "complete" or not session["payment_intent"]:
        return None
    return fake.get(fake.get(session["payment_intent"])["latest_charge"])


@pytest.mark.django_db(transaction=True)
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
def test_replayed_event_sequences_pay_each_payee_once_per_order_and_lose_no_money(
    data: st.DataObject, stripe_on: FakeStripe, make_user: Any, make_style: Any, make_pattern: Any
) -> None:
    fake = stripe_on
    first_event = len(fake.events)
    artist, designer = make_user("artist"), make_user("designer")
    fee = Decimal(data.draw(st.sampled_from(["0", "0.37", "0.50"]), label="style fee"))
    style = make_style(
        artist,
        fee_per_use=fee,
        royalty_percent=Decimal(data.draw(st.sampled_from(["0", "3.33", "12.5"]), label="artist %")),
    )
    pattern = make_pattern(
        designer, royalty=Decimal(data.draw(st.sampled_from(["1.11", "5", "7.77"]), label="designer %"))
    )
    product = Product.objects.create(
        slug=uuid.uuid4().hex[:20], name="Cloth", substrate="fabric", use="personal"
    )
    sizes = [
        ProductSize.objects.create(
            product=product, slug=f"s{i}", name=f"S{i}", width_in=8, height_in=8, price=Decimal(price)
        )
        for i, price in enumerate(
            data.draw(
                st.lists(st.sampled_from(["1.00", "3.33", "5.99", "24.00"]), min_size=1, max_size=2),
                label="prices",
            )
        )
    ]
    accounts = [onboard(artist, fake, finish=False), onboard(designer, fake, finish=False)]
    orders: list[Order] = []
    sessions: list[str] = []
    for _ in range(data.draw(st.integers(1, 3), label="orders")):
        buyer = make_user("buyer")
        lines = [
            OrderLineRequest(
                personalization=personalization_create(buyer=buyer, base_pattern=pattern, style=style),
                product_size=size,
                quantity=data.draw(st.integers(1, 3)),
            )
            for size in sizes
        ]
        order = order_create(buyer=buyer, lines=lines)
        _, session_id = stripe_checkout(order, fake)
        orders.append(order)
        sessions.append(session_id)

    pool: list[dict[str, Any]] = []
    for op, which, pct in data.draw(OPS, label="operations"):
        session = sessions[which % len(sessions)]
        state = fake.get(session)
        if op == "pay" and state["status"] == "open":
            pool.append(fake.complete_checkout(session))
        elif op == "fail" and state["status"] == "open":
            pool.append(fake.fail_payment(session))
        elif op == "expire" and state["status"] == "open":
            pool.append(fake.expire_checkout(session))
        elif op == "refund_dashboard" and (charge := _charge_of(fake, session)):
            left = charge["amount"] - charge["amount_refunded"]
            if left:
                pool.append(fake.refund_charge(charge["id"], amount=max(1, left * pct // 100)))
        elif op == "refund_admin":
            payment = Payment.objects.filter(
                stripe_checkout_session_id=session, status=PaymentStatus.SUCCEEDED
            ).first()
            if payment is not None and payment.refundable > 0:
                amount = max(CENT, (payment.refundable * pct / 100).quantize(CENT))
                # Refused (409) when the Dashboard refunded first and its event has not arrived yet.
                with contextlib.suppress(Conflict):
                    payment_refund(payment=payment, amount=min(amount, payment.refundable))
        elif op == "onboard":
            account = accounts[which % 2]
            if not fake.get(account)["payouts_enabled"]:
                pool.append(fake.complete_onboarding(account))
        elif op == "deliver" and pool:
            assert deliver(pool[which % len(pool)]).status_code == 200
        elif op == "drain":
            run_payouts()

    # Everything Stripe sent in this example arrives at last, in a random order, then all again.
    events = fake.events[first_event:]
    order_of_delivery = data.draw(st.permutations(range(len(events))), label="final delivery order")
    for index in order_of_delivery:
        assert deliver(events[index]).status_code == 200
    run_payouts()
    for event in fake.events[first_event:]:
        assert deliver(event).status_code == 200
    run_payouts()

    payees: list[User] = [artist, designer]
    total_charged = Decimal("0")
    for order, session in zip(orders, sessions, strict=True):
        order.refresh_from_db()
        charge = _charge_of(fake, session)
        transfers = fake.transfers_for(f"order-{order.pk}")
        destinations = [t["destination"] for t in transfers]
        assert len(destinations) == len(set(destinations)), "a payee got two transfers for one order"
        assert len(transfers) == Transfer.objects.filter(order=order, status=TransferStatus.SENT).count()
        if charge is None:
            assert ledger_total(order=order) == 0 and not transfers
            assert order.status in (OrderStatus.AWAITING_PAYMENT, OrderStatus.DRAFT)
            continue
        kept = Decimal(charge["amount"] - charge["amount_refunded"]) / 100
        # The ledger holds the goods only; a refund gives back goods first and shipping last.
        goods_kept = max(kept - order.shipping_amount - order.tax_amount, Decimal("0"))
        total_charged += goods_kept
        assert ledger_total(order=order) == goods_kept, (
            "the order's ledger differs from the goods Stripe kept"
        )
        payment = Payment.objects.get(stripe_checkout_session_id=session)
        assert payment.amount_refunded == Decimal(charge["amount_refunded"]) / 100
        assert (order.status == OrderStatus.REFUNDED) == (kept == 0)

    for payee, account in zip(payees, accounts, strict=True):
        sent = (
            [t for t in fake.transfers_for_destination(account)]
            if hasattr(fake, "transfers_for_destination")
            else [
                t for o in orders for t in fake.transfers_for(f"order-{o.pk}") if t["destination"] == account
            ]
        )
        paid = Decimal(sum(t["amount"] - t["amount_reversed"] for t in sent)) / 100
        settled = selectors.payee_settled_ledger(payee_id=payee.pk)
        assert -CENT <= settled - paid < CENT, f"ledger {settled} vs transfers {paid}"
        assert paid == selectors.payee_net_transferred(payee_id=payee.pk)  # every decided cent reached Stripe
        enabled = PayeeAccount.objects.get(user=payee).payouts_enabled
        assert enabled == fake.get(account)["payouts_enabled"]
        if enabled:
            assert selectors.payee_position(payee=payee).held == 0
        else:
            assert not sent
    payees_total = sum((ledger_total(payee=p) for p in payees), Decimal("0"))
    platform = sum((ledger_total(order=o, payee__isnull=True) for o in orders), Decimal("0"))
    assert payees_total + platform == total_charged, "money appeared or disappeared (the goods part)"


PAYMENT_OPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "pay",
                "pay",
                "fail",
                "expire",
                "deliver",
                "deliver",
                "local_pay",
                "local_decline",
                "stripe_again",
            ]
        ),
        st.integers(0, 1000),
    ),
    min_size=3,
    max_size=16,
)


@pytest.mark.django_db(transaction=True)
@settings(
    max_examples=PAYMENT_RACE_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(ops=PAYMENT_OPS, data=st.data())
def test_payment_events_in_any_order_leave_one_kept_payment_per_order(
    ops: list[tuple[str, int]], data: st.DataObject, stripe_on: FakeStripe, make_order: Any, buyer: User
) -> None:
    """Stripe's events late, twice and out of order, and the buyer switching to the other gateway
    meanwhile: at most one succeeded payment per order keeps its money, and a succeeded payment's
    order is never back in draft (or awaiting payment) unless that payment was given back."""
    fake = stripe_on
    first_event = len(fake.events)
    order = make_order()
    sessions = [stripe_checkout(order, fake)[1]]
    pool: list[dict[str, Any]] = []
    for op, which in ops:
        session = sessions[which % len(sessions)]
        order.refresh_from_db()
        open_ = fake.get(session)["status"] == "open"
        if op == "pay" and open_:
            pool.append(fake.complete_checkout(session))
        elif op == "fail" and open_:
            pool.append(fake.fail_payment(session))
        elif op == "expire" and open_:
            pool.append(fake.expire_checkout(session))
        elif op == "deliver" and pool:
            assert deliver(pool[which % len(pool)]).status_code == 200
        elif op in ("local_pay", "local_decline"):
            # The site switched to the local gateway: a Stripe payment still open here expires, while
            # its Checkout Session may yet be paid at Stripe.
            with override_settings(STRIPE_SECRET_KEY="", DEBUG=True), contextlib.suppress(Conflict):
                payment = payment_checkout_start(order=order, actor=buyer, shipping_address=SHIP_TO)
                outcome = PaymentStatus.SUCCEEDED if op == "local_pay" else PaymentStatus.DECLINED
                payment_local_confirm(payment=payment, actor=buyer, outcome=outcome)
        elif op == "stripe_again" and order.status in (OrderStatus.DRAFT, OrderStatus.AWAITING_PAYMENT):
            _, again = stripe_checkout(order, fake)
            if again not in sessions:
                sessions.append(again)

    events = fake.events[first_event:]
    for index in data.draw(st.permutations(range(len(events))), label="final delivery order"):
        assert deliver(events[index]).status_code == 200
    run_payouts(queue_name="fulfilment")  # the refunds of money nobody wants
    for event in fake.events[first_event:]:  # and Stripe's word on them
        assert deliver(event).status_code == 200
    run_payouts()

    order.refresh_from_db()
    succeeded = list(Payment.objects.filter(order=order, status=PaymentStatus.SUCCEEDED))
    kept = [p for p in succeeded if p.amount_refunded < p.amount]
    assert len(kept) <= 1, f"{len(kept)} succeeded payments of order {order.pk} kept their money"
    for payment in kept:
        assert order.status in PAID_STATUSES, f"payment {payment.pk} kept, its order is {order.status}"
    if order.status not in PAID_STATUSES:
        assert not kept
    goods = order.total - order.shipping_amount - order.tax_amount
    assert ledger_total(order=order) == (goods if kept else 0), "the ledger holds other than the kept payment"
    for session in sessions:
        charge = _charge_of(fake, session)
        payment = Payment.objects.get(stripe_checkout_session_id=session)
        taken = Decimal(charge["amount"] - charge["amount_refunded"]) / 100 if charge else Decimal("0")
        assert taken == (
            payment.amount - payment.amount_refunded if payment.status == PaymentStatus.SUCCEEDED else 0
        )
