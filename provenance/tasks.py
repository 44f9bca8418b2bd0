"""The `chain` queue has a single writer, so transactions leave in nonce order. While the node is
unreachable the actor keeps retrying with backoff (up to about a day); the record waits in the
database meanwhile, and the start-up sweep re-sends whatever is still pending."""

import dramatiq

from marketplace.jobs import STEP_DONE, STEP_EXHAUSTED
from provenance import services

HOUR_MS = 3_600_000


@dramatiq.actor(
    queue_name="provenance",
    max_retries=5,
    min_backoff=2_000,
    max_backoff=60_000,
    time_limit=10 * 60_000,
    on_success=STEP_DONE,
    on_retry_exhausted=STEP_EXHAUSTED,
)
def attribute_order_line(order_line_id: int) -> None:
    """Hash the line's outputs into its record and embed the credential (a fulfilment step)."""
    services.order_line_attribute(order_line_id=order_line_id)


@dramatiq.actor(
    queue_name="chain", max_retries=40, min_backoff=1_000, max_backoff=HOUR_MS, time_limit=5 * 60_000
)
def chain_write(record_pk: int) -> None:
    services.record_write_to_chain(record_pk=record_pk)


@dramatiq.actor(
    queue_name="chain", max_retries=40, min_backoff=1_000, max_backoff=HOUR_MS, time_limit=5 * 60_000
)
def anchor_batch() -> None:
    services.records_anchor_batch()


@dramatiq.actor(
    queue_name="chain", max_retries=40, min_backoff=1_000, max_backoff=HOUR_MS, time_limit=10 * 60_000
)
def revoke_listing_records(decision_id: int) -> None:
    """An upheld infringement report's revocations (marketplace.jobs.REVOKE_LISTING_RECORDS)."""
    services.records_revoke_for_decision(decision_id=decision_id)
