"""The fulfilment workflow: one owner of a paid order's lines, that never strands a buyer.

These run the real steps (engine, vectorizer, C2PA signing, the in-process chain) on the embedded
worker, with the local payment gateway; the Redis worker and process-kill scenarios are in
tests/integration/test_fulfilment_faults.py."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dramatiq
import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from marketplace.models import InvalidTransition, LineStage, Order, OrderLine, OrderStatus
from marketplace.payments.models import Payment, PaymentStatus, Refund
from marketplace.payments.services import payment_checkout_start, payment_local_confirm
from marketplace.royalties.models import RoyaltyEntry
from marketplace.services.catalogue import pattern_withdraw
from marketplace.services.fulfilment import order_line_advance, order_line_rerender
from marketplace.services.orders import OrderLineRequest, order_cancel, order_checkout, order_create
from marketplace.services.personalizations import personalization_create
from marketplace.services.sweep import fulfilment_sweep
from provenance.services import order_line_attribute
from provenance.verification import verify_file
from tests.conftest import PASSWORD, SHIP_TO, join_all
from tests.factories import order_of_patterns_make, order_pay_locally

pytestmark = pytest.mark.django_db(transaction=True)

# Previews are not what these tests are about, and on two cores they would hold the one worker
# thread for as long as the renders do; the personalizations are ordered as they stand.
EVERY_QUEUE_BUT_PREVIEWS = {"render", "vectorize", "provenance", "fulfilment", "chain", "payouts"}
STEP_QUEUES = EVERY_QUEUE_BUT_PREVIEWS - {"provenance"}


def _start_worker(queues: set[str]) -> dramatiq.Worker:
    from config.worker import start_embedded_worker

    return start_embedded_worker(threads=1, requeue=False, watchdog=False, queues=queues)


def _stop_worker(running: dramatiq.Worker) -> None:
    running.stop()
    broker = dramatiq.get_broker()
    broker.middleware[:] = [m for m in broker.middleware if getattr(m, "worker", None) is not running]


@pytest.fixture
def held_worker(transactional_db: None) -> Iterator[dramatiq.Worker]:
    """The embedded worker on every step queue but `provenance`: lines stop at `vectorized`."""
    from tests.conftest import _reset_stub_queues

    _reset_stub_queues(dramatiq.get_broker())
    running = _start_worker(STEP_QUEUES)
    yield running
    _stop_worker(running)


@pytest.fixture
def fulfilment_worker(transactional_db: None) -> Iterator[dramatiq.Worker]:
    from tests.conftest import _reset_stub_queues

    _reset_stub_queues(dramatiq.get_broker())
    running = _start_worker(EVERY_QUEUE_BUT_PREVIEWS)
    yield running
    _stop_worker(running)
    _reset_stub_queues(dramatiq.get_broker())


def _stages(order: Order) -> list[str]:
    return list(order.lines.order_by("pk").values_list("stage", flat=True))


def _wait_for_queues(queues: set[str]) -> None:
    join_all(900_000, queues=queues)


def _line_files(line: OrderLine) -> list[str]:
    folder = Path(django_settings.MEDIA_ROOT) / Path(line.print_sheet.name).parent
    return sorted(p.name for p in folder.iterdir())


def test_an_order_is_ready_only_once_every_line_is_signed_and_recorded(
    held_worker: Any, local_gateway: None, buyer: Any, style: Any, products: Any, make_pattern: Any
) -> None:
    # The half-brick tile that used to fail at its 75 px pyramid level, beside a plain basic one.
    brick = make_pattern(repeat_type="half_brick", side=300)
    basic = make_pattern(repeat_type="basic", side=96)
    order = order_of_patterns_make(
        buyer=buyer, style=style, lines=[(brick, products["swatch"], 1), (basic, products["swatch"], 1)]
    )
    order_pay_locally(order=order, shipping_address=SHIP_TO)
    _wait_for_queues(STEP_QUEUES)
    order.refresh_from_db()
    assert _stages(order) == [LineStage.VECTORIZED, LineStage.VECTORIZED]
    assert order.status == OrderStatus.RENDERING

    # One line's attribution goes through (what the provenance actor and its callback do); the
    # other is held back: the order must not be ready, and only the signed line offers files.
    first, second = order.lines.order_by("pk")
    order_line_attribute(order_line_id=first.pk)
    order_line_advance(order_line_id=first.pk)
    order.refresh_from_db()
    assert _stages(order) == [LineStage.PROOF_READY, LineStage.VECTORIZED]
    assert order.status == OrderStatus.RENDERING
    api = Client()
    api.login(username=buyer.username, password=PASSWORD)
    shown = api.get(f"/api/v1/orders/{order.pk}/").json()
    assert shown["lines"][0]["proof_url"] and shown["lines"][0]["stage"] == "proof_ready"
    assert shown["lines"][1]["proof_url"] is None
    # A print's production files never go to its buyer (the proof does), made or not.
    assert shown["lines"][1]["files"] == {"print_png": None, "print_sheet": None, "svg": None}
    held = api.get(f"/api/v1/orders/{order.pk}/lines/{second.pk}/proof/")
    assert held.status_code == 409 and held.json()["stage"] == "vectorized"

    _stop_worker(held_worker)
    worker = _start_worker(EVERY_QUEUE_BUT_PREVIEWS)
    try:
        _wait_for_queues(EVERY_QUEUE_BUT_PREVIEWS)
    finally:
        _stop_worker(worker)
    order.refresh_from_db()
    assert order.status == OrderStatus.PROOF_READY and _stages(order) == [LineStage.PROOF_READY] * 2
    for line in order.lines.all():
        with line.print_png.open("rb") as fh:
            assert verify_file(fh.read()).verdict in ("verified", "pending")  # signed and recorded
        # The unsigned render was superseded by the signed one and is gone.
        pngs = {name for name in _line_files(line) if name.endswith(".png")}
        assert pngs == {Path(line.print_png.name).name, Path(line.print_sheet.name).name}
    brick_line = order.lines.get(personalization__base_pattern=brick)
    with brick_line.print_png.open("rb") as fh:
        assert Image.open(io.BytesIO(fh.read())).size == (300, 300)


def test_a_line_that_fails_for_good_is_refunded_and_the_rest_of_the_order_is_delivered(
    fulfilment_worker: Any,
    local_gateway: None,
    buyer: Any,
    style: Any,
    products: Any,
    make_pattern: Any,
    make_user: Any,
) -> None:
    good = make_pattern(repeat_type="basic", side=96)
    broken = make_pattern(repeat_type="half_drop", side=96)
    order = order_of_patterns_make(
        buyer=buyer, style=style, lines=[(good, products["swatch"], 1), (broken, products["swatch"], 1)]
    )
    original = broken.image.read()
    broken.image.close()
    # The stored original is damaged after upload: no retry can render it.
    Path(broken.image.path).write_bytes(b"not an image any more")
    payment = order_pay_locally(order=order, shipping_address=SHIP_TO)
    _wait_for_queues(EVERY_QUEUE_BUT_PREVIEWS)
    order.refresh_from_db()
    failed = order.lines.get(personalization__base_pattern=broken)
    delivered = order.lines.get(personalization__base_pattern=good)
    assert (delivered.stage, failed.stage) == (LineStage.PROOF_READY, LineStage.FAILED)
    assert failed.failure_reason.startswith("We could not make the print file for this design")
    assert order.status == OrderStatus.NEEDS_ATTENTION
    assert order.refunded_amount == failed.line_total + failed.shipping_amount  # its goods and its shipping
    refund = Refund.objects.get(order_line=failed)
    assert refund.applied and refund.amount == failed.line_total + failed.shipping_amount
    payment.refresh_from_db()
    assert payment.amount_refunded == failed.line_total + failed.shipping_amount

    # The ledger balances to the cent: the failed line's accruals are reversed exactly, the
    # delivered line's stand, and the order's entries add up to the goods the buyer kept paying for
    # (the ledger never holds shipping).
    assert sum(e.amount for e in RoyaltyEntry.objects.filter(order_line=failed)) == 0
    assert sum(e.amount for e in RoyaltyEntry.objects.filter(order_line=delivered)) == delivered.line_total
    kept_shipping = order.shipping_amount - failed.shipping_amount
    assert (
        sum(e.amount for e in RoyaltyEntry.objects.filter(order=order))
        == payment.amount - refund.amount - kept_shipping
    )

    api = Client()
    api.login(username=buyer.username, password=PASSWORD)
    line_out = next(x for x in api.get(f"/api/v1/orders/{order.pk}/").json()["lines"] if x["id"] == failed.pk)
    assert line_out["stage"] == "failed" and line_out["failure_reason"] == failed.failure_reason
    assert api.get(f"/api/v1/orders/{order.pk}/lines/{failed.pk}/files/svg/").status_code == 410
    assert "has been refunded" in api.get(f"/orders/{order.pk}/").content.decode()

    # Staff mend the input and render the line again: it is delivered, and nothing is charged.
    Path(broken.image.path).write_bytes(original)
    staff = make_user("buyer")
    staff.is_staff = True
    staff.save()
    order_line_rerender(order_line_id=failed.pk, actor=staff)
    _wait_for_queues(EVERY_QUEUE_BUT_PREVIEWS)
    order.refresh_from_db()
    assert order.status == OrderStatus.PROOF_READY and _stages(order) == [LineStage.PROOF_READY] * 2
    assert Payment.objects.filter(order=order).count() == 1
    assert (
        Refund.objects.filter(payment__order=order).count() == 1
        and order.refunded_amount == failed.line_total + failed.shipping_amount
    )


def test_a_payment_confirmed_for_a_cancelled_order_is_refunded_at_once(
    fulfilment_worker: Any, local_gateway: None, buyer: Any, style: Any, products: Any, pattern: Any
) -> None:
    order = order_of_patterns_make(buyer=buyer, style=style, lines=[(pattern, products["swatch"], 1)])
    order_checkout(order=order, actor=buyer, shipping_address=SHIP_TO)
    payment = payment_checkout_start(order=order, actor=buyer, shipping_address=SHIP_TO)
    order_cancel(order=order, actor=buyer)
    payment_local_confirm(payment=payment, actor=buyer, outcome=PaymentStatus.SUCCEEDED)
    _wait_for_queues(EVERY_QUEUE_BUT_PREVIEWS)
    payment.refresh_from_db()
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert payment.status == PaymentStatus.SUCCEEDED and payment.amount_refunded == payment.amount
    assert not RoyaltyEntry.objects.filter(order=order).exists()
    assert not order.lines.exclude(stage="").exists()  # nothing was rendered for it


def test_a_withdrawn_pattern_cannot_be_ordered_through_an_earlier_personalization(
    local_gateway: None, buyer: Any, designer: Any, style: Any, products: Any, pattern: Any, client_for: Any
) -> None:
    early = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    draft = order_create(buyer=buyer, lines=[OrderLineRequest(early, products["swatch"], 1)])
    pattern_withdraw(pattern=pattern, actor=designer)
    refused = client_for(buyer).post(
        "/api/v1/orders/",
        {
            "lines": [
                {
                    "personalization": early.pk,
                    "product": products["swatch"].product_id,
                    "size": "swatch-8x8",
                    "quantity": 1,
                }
            ]
        },
        format="json",
    )
    assert refused.status_code == 400 and "no longer offered" in str(refused.json())
    checkout = client_for(buyer).post(
        f"/api/v1/orders/{draft.pk}/checkout/", {"shipping_address": SHIP_TO}, format="json"
    )
    assert checkout.status_code == 409 and "no longer offered" in str(checkout.json())
    draft.refresh_from_db()
    assert draft.status == OrderStatus.DRAFT


def test_a_line_moves_only_along_its_stage_machine(
    buyer: Any, style: Any, products: Any, pattern: Any
) -> None:
    order = order_of_patterns_make(buyer=buyer, style=style, lines=[(pattern, products["swatch"], 1)])
    line = order.lines.get()
    with pytest.raises(InvalidTransition):
        line.move_to(LineStage.RENDERING)  # an unpaid line is not queued yet
    line.move_to(LineStage.QUEUED)
    for illegal in (LineStage.RENDERED, LineStage.VECTORIZED, LineStage.ATTRIBUTED, LineStage.DELIVERED):
        with pytest.raises(InvalidTransition):
            line.move_to(illegal)
    line.move_to(LineStage.RENDERING)
    line.move_to(LineStage.FAILED)
    with pytest.raises(InvalidTransition):
        line.move_to(LineStage.DELIVERED)


def test_renders_are_enqueued_only_after_the_payment_commits(
    local_gateway: None, buyer: Any, style: Any, products: Any, pattern: Any
) -> None:
    order = order_of_patterns_make(buyer=buyer, style=style, lines=[(pattern, products["swatch"], 1)])
    broker = dramatiq.get_broker()
    import stylization.tasks  # noqa: F401  (declares the render queue)

    broker.flush_all()
    with transaction.atomic():
        order_pay_locally(order=order, shipping_address=SHIP_TO)
        assert broker.queues["render"].qsize() == 0  # a rolled-back payment would start nothing
    assert broker.queues["render"].qsize() == 1
    broker.flush_all()


def test_the_watchdog_sends_a_stuck_line_on_and_then_fails_and_refunds_it(
    settings: Any, local_gateway: None, buyer: Any, style: Any, products: Any, pattern: Any
) -> None:
    import marketplace.tasks  # noqa: F401
    import stylization.tasks  # noqa: F401

    settings.FULFILMENT_WATCHDOG_MAX_RESENDS = 2
    order = order_of_patterns_make(buyer=buyer, style=style, lines=[(pattern, products["swatch"], 1)])
    order_pay_locally(order=order, shipping_address=SHIP_TO)
    broker = dramatiq.get_broker()
    broker.flush_all()
    line = order.lines.get()
    long_ago = timezone.now() - dt.timedelta(seconds=settings.FULFILMENT_STAGE_TIMEOUT_S + 60)
    OrderLine.objects.filter(pk=line.pk).update(stage=LineStage.RENDERED, stage_changed_at=long_ago)

    # A live lease means a worker is still on it: not stuck, whatever the clock says.
    OrderLine.objects.filter(pk=line.pk).update(lease_until=timezone.now() + dt.timedelta(minutes=5))
    assert fulfilment_sweep(resend_all=False).stuck_lines == []
    OrderLine.objects.filter(pk=line.pk).update(lease_until=None)

    for resend in (1, 2):
        OrderLine.objects.filter(pk=line.pk).update(stage_changed_at=long_ago)
        result = fulfilment_sweep(resend_all=False)
        assert result.resent_stuck == 1 and result.stuck_lines == [line.pk]
        assert broker.queues["vectorize"].qsize() == resend
        line.refresh_from_db()
        assert line.watchdog_resends == resend and line.stage == LineStage.RENDERED
    OrderLine.objects.filter(pk=line.pk).update(stage_changed_at=long_ago)
    assert fulfilment_sweep(resend_all=False).failed_stuck == 1
    line.refresh_from_db()
    assert line.stage == LineStage.FAILED and "took far longer" in line.failure_reason
    assert broker.queues["fulfilment"].qsize() >= 1  # the refund job
    broker.flush_all()


def test_a_redelivered_render_does_not_render_twice(
    local_gateway: None, buyer: Any, style: Any, products: Any, pattern: Any
) -> None:
    import marketplace.tasks
    import stylization.tasks  # noqa: F401  (declares the step queues)
    from stylization.steps import order_line_render

    order = order_of_patterns_make(buyer=buyer, style=style, lines=[(pattern, products["swatch"], 1)])
    order_pay_locally(order=order, shipping_address=SHIP_TO)
    line = order.lines.get()
    # Another worker holds the claim (its lease is live): this delivery of the message does nothing.
    OrderLine.objects.filter(pk=line.pk).update(
        stage=LineStage.RENDERING, render_attempts=1, lease_until=timezone.now() + dt.timedelta(minutes=5)
    )
    order_line_render(order_line_id=line.pk)
    line.refresh_from_db()
    assert (line.stage, line.render_attempts, line.print_png.name) == (LineStage.RENDERING, 1, "")
    # Its success callback must not send the render again: that would spin until the holder finishes.
    broker = dramatiq.get_broker()
    broker.flush_all()
    render_returned = {"actor_name": "render", "args": [line.pk]}
    marketplace.tasks.order_line_step_done.fn(render_returned, None)
    assert broker.queues["render"].qsize() == 0
    # Its worker died (the lease lapsed): the next delivery takes the claim over and renders once.
    OrderLine.objects.filter(pk=line.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    order_line_render(order_line_id=line.pk)
    order_line_render(order_line_id=line.pk)  # and a duplicate after it finds the line rendered
    line.refresh_from_db()
    assert (line.stage, line.render_attempts) == (LineStage.RENDERED, 2) and line.print_png.name
    marketplace.tasks.order_line_step_done.fn(render_returned, None)  # the line moved: its next step goes
    assert (broker.queues["render"].qsize(), broker.queues["vectorize"].qsize()) == (0, 1)
    broker.flush_all()


def test_order_outputs_follow_one_entitlement_rule(
    buyer: Any, make_user: Any, style: Any, products: Any, pattern: Any, client_for: Any
) -> None:
    order = order_of_patterns_make(buyer=buyer, style=style, lines=[(pattern, products["swatch"], 1)])
    line = order.lines.get()
    url = f"/api/v1/orders/{order.pk}/lines/{line.pk}/files/print_sheet/"
    stranger, staff = make_user("buyer"), make_user("buyer")
    staff.is_staff = True
    staff.save()
    assert client_for(buyer).get(url).status_code == 403  # a print: its buyer views the proof instead
    assert client_for(stranger).get(url).status_code == 404
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PROOF_READY)
    line.print_sheet.save("print-sheet.png", io.BytesIO(b"\x89PNG fake"), save=False)
    OrderLine.objects.filter(pk=line.pk).update(
        stage=LineStage.PROOF_READY, print_sheet=line.print_sheet.name
    )
    assert client_for(buyer).get(url).status_code == 403
    assert client_for(staff).get(url).status_code == 200
    assert client_for(stranger).get(url).status_code == 404
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.REFUNDED)
    gone = client_for(buyer).get(url)
    assert gone.status_code == 410 and "refunded" in gone.json()["detail"]
    assert client_for(None).get(url).status_code in (401, 403)


def test_listing_orders_and_the_order_page_take_a_fixed_number_of_queries(
    buyer: Any, style: Any, products: Any, make_pattern: Any, django_assert_num_queries: Any
) -> None:
    api = Client()
    api.login(username=buyer.username, password=PASSWORD)
    first = order_of_patterns_make(
        buyer=buyer,
        style=style,
        lines=[(make_pattern(), products["swatch"], 1), (make_pattern(), products["swatch"], 1)],
    )
    api.get("/api/v1/orders/")  # warm the session and content-type caches
    with CaptureQueriesContext(connection) as one:
        listed = api.get("/api/v1/orders/").json()
    for _ in range(3):
        order_of_patterns_make(
            buyer=buyer,
            style=style,
            lines=[(make_pattern(), products["swatch"], 1), (make_pattern(), products["swatch"], 1)],
        )
    with django_assert_num_queries(len(one.captured_queries)):
        listed = api.get("/api/v1/orders/").json()
    assert len(one.captured_queries) <= 8
    assert listed["count"] == 4 and [o["id"] for o in listed["results"]][-1] == first.pk  # newest first
    api.get(f"/orders/{first.pk}/")
    with CaptureQueriesContext(connection) as page:
        api.get(f"/orders/{first.pk}/")
    big = order_of_patterns_make(
        buyer=buyer, style=style, lines=[(make_pattern(), products["swatch"], 1) for _ in range(5)]
    )
    with django_assert_num_queries(len(page.captured_queries)):
        api.get(f"/orders/{big.pk}/")


def test_order_create_refuses_a_product_too_large_to_print_at_the_patterns_dpi(
    settings: Any, buyer: Any, style: Any, products: Any, pattern: Any
) -> None:
    settings.MOTIF_MAX_SHEET_PIXELS = 1_000_000  # the yard at 72 DPI is 2592×3024 px
    personalization = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    with pytest.raises(ValidationError, match="megapixels"):
        order_create(buyer=buyer, lines=[OrderLineRequest(personalization, products["yard"], 1)])


def test_staff_render_a_failed_line_again_from_the_admin(
    local_gateway: None, buyer: Any, style: Any, products: Any, pattern: Any, make_user: Any
) -> None:
    import marketplace.tasks  # noqa: F401
    import stylization.tasks  # noqa: F401

    order = order_of_patterns_make(buyer=buyer, style=style, lines=[(pattern, products["swatch"], 1)])
    order_pay_locally(order=order, shipping_address=SHIP_TO)
    line = order.lines.get()
    line.move_to(LineStage.RENDERING)
    line.record_failure(reason="We could not make the print file for this design.", detail="test")
    line.save()
    dramatiq.get_broker().flush_all()
    admin_user = make_user("buyer")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    browser = Client()
    browser.force_login(admin_user)
    page = browser.post(
        "/admin/marketplace/orderline/",
        {"action": "render_again", "_selected_action": [line.pk]},
        follow=True,
    )
    assert page.status_code == 200 and b"queued to render again" in page.content
    line.refresh_from_db()
    assert line.stage == LineStage.QUEUED and line.failure_reason == ""
    assert dramatiq.get_broker().queues["render"].qsize() == 1
    again = browser.post(
        "/admin/marketplace/orderline/",
        {"action": "render_again", "_selected_action": [line.pk]},
        follow=True,
    )
    assert b"Only a failed line can be rendered again" in again.content
    dramatiq.get_broker().flush_all()
