"""The `chain` queue has a single writer, so transactions leave in nonce order. While the node is
unreachable the actor keeps retrying with backoff (up to about a day); the record waits in the
database meanwhile, and the start-up sweep re-sends whatever is still pending.

The services send `chain_write_task` and `anchor_batch_task`, so every actor imports its service in its
body; `actor_name` keeps the name that messages already queued in Redis carry (and that
marketplace.jobs sends by)."""

import dramatiq

from marketplace.jobs import STEP_DONE, STEP_EXHAUSTED

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
    from provenance.services import order_line_attribute

    order_line_attribute(order_line_id=order_line_id)


@dramatiq.actor(
    actor_name="chain_write",
    queue_name="chain",
    max_retries=40,
    min_backoff=1_000,
    max_backoff=HOUR_MS,
    time_limit=5 * 60_000,
)
def chain_write_task(record_pk: int) -> None:
    from provenance.services import record_write_to_chain

    record_write_to_chain(record_pk=record_pk)


@dramatiq.actor(
    actor_name="anchor_batch",
    queue_name="chain",
    max_retries=40,
    min_backoff=1_000,
    max_backoff=HOUR_MS,
    time_limit=5 * 60_000,
)
def anchor_batch_task() -> None:
    from provenance.services import records_anchor_batch

    records_anchor_batch()


@dramatiq.actor(
    queue_name="chain", max_retries=40, min_backoff=1_000, max_backoff=HOUR_MS, time_limit=10 * 60_000
)
def revoke_listing_records(decision_id: int) -> None:
    """An upheld infringement report's revocations (marketplace.jobs.REVOKE_LISTING_RECORDS)."""
    from provenance.services import records_revoke_for_decision

    records_revoke_for_decision(decision_id=decision_id)
