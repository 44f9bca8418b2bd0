"""Jobs that have no row of their own (a refund asked for, a takedown's revocations) are BackgroundJob
rows before they are messages: the start-up sweep sends every unfinished one again, the periodic
sweep those silent past their due time, and a job whose retries ran out is failed, not forgotten."""

from __future__ import annotations

import datetime as dt
from typing import Any

import dramatiq
import pytest

from marketplace import jobs
from marketplace.models import BackgroundJob, JobStatus, OrderStatus
from marketplace.payments.models import PaymentStatus
from marketplace.payments.services import payment_checkout_start, payment_local_confirm
from marketplace.services.orders import OrderLineRequest, order_cancel, order_checkout, order_create
from marketplace.services.personalizations import personalization_create
from marketplace.tasks import background_job_exhausted
from tests.conftest import SHIP_TO, _reset_stub_queues, join_all

MONEY_QUEUES = {"fulfilment", "payouts", "email"}


def _paid_after_cancel(buyer: Any, style: Any, pattern: Any, products: Any, capture: Any) -> Any:
    """A payment that arrives for an order the buyer cancelled meanwhile: it is to be refunded."""
    order = order_create(
        buyer=buyer,
        lines=[
            OrderLineRequest(
                personalization_create(buyer=buyer, base_pattern=pattern, style=style), products["swatch"], 1
            )
        ],
    )
    order_checkout(order=order, actor=buyer, shipping_address=SHIP_TO)
    payment = payment_checkout_start(order=order, actor=buyer, shipping_address=SHIP_TO)
    order_cancel(order=order, actor=buyer)
    with capture(execute=True):
        payment_local_confirm(payment=payment, actor=buyer, outcome=PaymentStatus.SUCCEEDED)
    return payment


def test_a_refund_lost_with_the_embedded_broker_is_made_after_the_restart(
    transactional_db: None,
    local_gateway: None,
    buyer: Any,
    style: Any,
    pattern: Any,
    products: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from config.worker import start_embedded_worker

    broker = dramatiq.get_broker()
    _reset_stub_queues(broker)
    payment = _paid_after_cancel(buyer, style, pattern, products, django_capture_on_commit_callbacks)
    job = BackgroundJob.objects.get(actor_name=jobs.REFUND_PAYMENT)
    assert (job.args, job.status) == ([payment.pk], JobStatus.QUEUED)
    _reset_stub_queues(broker)  # the process died: the embedded broker's memory is gone

    running = start_embedded_worker(requeue=True, watchdog=False, queues=MONEY_QUEUES)
    try:
        join_all(queues=MONEY_QUEUES)
    finally:
        running.stop()
        _reset_stub_queues(broker)
    payment.refresh_from_db()
    assert payment.amount_refunded == payment.amount and payment.order.status == OrderStatus.CANCELLED
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.attempts == 1 and job.finished_at is not None


def test_the_periodic_sweep_resends_only_jobs_silent_past_their_due_time(
    db: None,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sent: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(jobs, "send", lambda name, *args, **options: sent.append((name, args, options)))
    with django_capture_on_commit_callbacks(execute=True):
        job_id = jobs.enqueue(jobs.REVOKE_LISTING_RECORDS, 41)
    job = BackgroundJob.objects.get(pk=job_id)

    assert jobs.background_jobs_resend(everything=False, now=job.due_at - dt.timedelta(seconds=1)) == 0
    later = job.due_at + dt.timedelta(seconds=1)
    assert jobs.background_jobs_resend(everything=False, now=later) == 1
    assert jobs.background_jobs_resend(everything=False, now=later) == 0  # claimed: due again later
    assert jobs.background_jobs_resend(everything=True) == 1  # a start-up sends every unfinished one
    assert [(name, args, options[jobs.JOB_OPTION]) for name, args, options in sent] == [
        (jobs.REVOKE_LISTING_RECORDS, (41,), job_id)
    ] * 3
    BackgroundJob.objects.filter(pk=job_id).update(status=JobStatus.DONE)
    assert jobs.background_jobs_resend(everything=True) == 0


def test_a_job_whose_retries_ran_out_is_failed_and_sent_again_later(
    db: None,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(jobs, "send", lambda name, *args, **options: sent.append(options))
    with django_capture_on_commit_callbacks(execute=True):
        job_id = jobs.enqueue(jobs.REFUND_LINE, 7)
    # The refund actor declares no exhaustion callback of its own: the job's row gets one.
    assert sent[0]["on_retry_exhausted"] == jobs.JOB_EXHAUSTED
    message = {
        "actor_name": jobs.REFUND_LINE,
        "args": [7],
        "options": {jobs.JOB_OPTION: job_id, "traceback": "503"},
    }
    background_job_exhausted.fn(message, {"retries": 150, "max_retries": 150})
    job = BackgroundJob.objects.get(pk=job_id)
    assert job.status == JobStatus.FAILED and "gave up after 150 retries" in job.last_error
    assert jobs.background_jobs_resend(everything=False, now=job.due_at + dt.timedelta(seconds=1)) == 1
    assert BackgroundJob.objects.get(pk=job_id).status == JobStatus.QUEUED
