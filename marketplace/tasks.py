"""The fulfilment workflow's actors, on the `fulfilment` queue (a web-side pool: no GPU needed).

The order-line steps name two of them as their Dramatiq callbacks (see `marketplace.jobs`):
`order_line_step_done` when a step returned, `order_line_step_exhausted` when its retries ran out.
Actors take ids and only call services."""

from typing import Any

import dramatiq

from marketplace import jobs
from marketplace.notifications import email_deliver
from marketplace.payments.refunds import payment_refund_order_line, payment_refund_unwanted
from marketplace.services import fulfilment

MINUTE_MS = 60_000
# Refunds wait out a gateway that is down: exponential backoff up to ten minutes, for about a day;
# after that the periodic sweep sends them again.
REFUND_OPTIONS: dict[str, Any] = {"max_retries": 150, "min_backoff": 5_000, "max_backoff": 10 * MINUTE_MS}


def _line_id(message: dict[str, Any]) -> int:
    return int(message["args"][0])


@dramatiq.actor(queue_name="fulfilment", max_retries=20, min_backoff=1_000, max_backoff=MINUTE_MS)
def order_line_step_done(message: dict[str, Any], result: Any) -> None:
    fulfilment.order_line_step_returned(
        order_line_id=_line_id(message), step=str(message.get("actor_name", ""))
    )


@dramatiq.actor(queue_name="fulfilment", max_retries=20, min_backoff=1_000, max_backoff=MINUTE_MS)
def order_line_step_exhausted(message: dict[str, Any], retry_info: dict[str, Any]) -> None:
    fulfilment.order_line_fail(
        order_line_id=_line_id(message),
        reason=fulfilment.GAVE_UP,
        detail=f"{message.get('actor_name')} gave up after {retry_info.get('retries')} retries: "
        f"{str(message.get('options', {}).get('traceback', ''))[-1500:]}",
    )


@dramatiq.actor(queue_name="fulfilment", **REFUND_OPTIONS)
def order_line_refund_job(order_line_id: int) -> None:
    payment_refund_order_line(order_line_id=order_line_id)


@dramatiq.actor(queue_name="fulfilment", **REFUND_OPTIONS)
def payment_refund_job(payment_id: int) -> None:
    payment_refund_unwanted(payment_id=payment_id)


# A mail server that is down is waited out for about a day; the start-up sweep sends what is left.
@dramatiq.actor(queue_name="email", max_retries=60, min_backoff=5_000, max_backoff=30 * MINUTE_MS)
def email_send_job(message_id: int) -> None:
    email_deliver(message_id=message_id)


@dramatiq.actor(queue_name="fulfilment", max_retries=20, min_backoff=1_000, max_backoff=MINUTE_MS)
def background_job_exhausted(message: dict[str, Any], retry_info: dict[str, Any]) -> None:
    """A BackgroundJob's `on_retry_exhausted` (marketplace.jobs.JOB_EXHAUSTED)."""
    jobs.background_job_fail(
        job_id=int(message["options"][jobs.JOB_OPTION]),
        detail=f"{message.get('actor_name')} gave up after {retry_info.get('retries')} retries: "
        f"{message.get('options', {}).get('traceback', '')}",
    )
