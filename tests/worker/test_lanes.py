"""The embedded worker's lanes (`config/queues.py`): previews, final renders, training, and money,
records and e-mail each have worker threads of their own, so no kind of job waits behind another.

A long job is made to block on an event inside the real actor, so the test controls how long it
holds its thread; everything else (the broker, the lanes, the other actors) is what `make run` runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import dramatiq
import pytest

from marketplace.models import JobStatus, OrderStatus, Personalization
from marketplace.payments.models import Payment, PaymentStatus
from marketplace.payments.services import payment_checkout_start, payment_local_confirm
from marketplace.services.orders import OrderLineRequest, order_cancel, order_checkout, order_create
from marketplace.services.personalizations import personalization_create
from stylization import services as stylization_services
from tests.conftest import SHIP_TO, _reset_stub_queues

WAIT_S = 90


def _until(predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"Timed out after {timeout:.0f} s waiting for {what}.")


class Hold:
    """Stands in for a job's work: it tells the test it started, then waits to be released."""

    def __init__(self) -> None:
        self.started = threading.Semaphore(0)
        self.release = threading.Event()

    def __call__(self, **_ids: int) -> None:
        self.started.release()
        self.release.wait(WAIT_S * 2)


@pytest.fixture
def hold() -> Iterator[Hold]:
    held = Hold()
    yield held
    held.release.set()  # before the worker stops: it waits for the jobs in hand


@pytest.fixture
def embedded(transactional_db: None, hold: Hold) -> Iterator[Callable[[], Any]]:
    """Starts the embedded worker as `manage.py serve` does (no start-up sweep, no watchdog)."""
    from config.worker import start_embedded_worker

    broker = dramatiq.get_broker()
    _reset_stub_queues(broker)
    started: list[Any] = []

    def start() -> Any:
        started.append(start_embedded_worker(requeue=False, watchdog=False))
        return started[-1]

    yield start
    hold.release.set()
    for running in started:
        running.stop()
        broker.middleware[:] = [m for m in broker.middleware if getattr(m, "worker", None) is not running]
    _reset_stub_queues(broker)


def test_training_never_holds_up_a_preview_in_the_embedded_worker(
    embedded: Callable[[], Any],
    hold: Hold,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    make_style: Any,
    buyer: Any,
    pattern: Any,
) -> None:
    settings.STYLIZATION_STYLE_MODELS = True
    monkeypatch.setattr(stylization_services, "style_model_train", hold)
    embedded()
    # Two styles listed by an artist: two trainings, each taking minutes (here: until released).
    style = make_style()
    make_style()
    assert hold.started.acquire(timeout=WAIT_S), "no training started"

    preview = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    _until(
        lambda: Personalization.objects.get(pk=preview.pk).status == JobStatus.DONE,
        timeout=WAIT_S,
        what="the preview while the trainings run",
    )
    assert not hold.release.is_set()  # the trainings were still running throughout


def test_a_refund_is_made_while_previews_are_queued(
    embedded: Callable[[], Any],
    hold: Hold,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    buyer: Any,
    style: Any,
    pattern: Any,
    products: Any,
) -> None:
    settings.STRIPE_SECRET_KEY = ""
    settings.DEBUG = True  # the local test gateway
    monkeypatch.setattr(stylization_services, "personalization_render_preview", hold)
    embedded()
    previews = [
        personalization_create(buyer=buyer, base_pattern=pattern, style=style, seed=i) for i in range(3)
    ]
    assert hold.started.acquire(timeout=WAIT_S), "no preview started"

    # A payment that arrives for an order cancelled meanwhile goes straight back, as a job.
    order = order_create(buyer=buyer, lines=[OrderLineRequest(previews[0], products["swatch"], 1)])
    order_checkout(order=order, actor=buyer, shipping_address=SHIP_TO)
    payment = payment_checkout_start(order=order, actor=buyer, shipping_address=SHIP_TO)
    order_cancel(order=order, actor=buyer)
    payment_local_confirm(payment=payment, actor=buyer, outcome=PaymentStatus.SUCCEEDED)

    def refunded() -> bool:
        payment.refresh_from_db()
        return payment.amount_refunded == payment.amount

    _until(refunded, timeout=WAIT_S, what="the refund while previews are queued")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert Personalization.objects.filter(pk__in=[p.pk for p in previews], status=JobStatus.QUEUED).exists()
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SUCCEEDED
