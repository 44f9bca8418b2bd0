"""Payout actors (queue `payouts`). They take ids and call services; delivery is at-least-once, and
the services are safe to repeat."""

import dramatiq

from marketplace.royalties import services

MINUTE_MS = 60_000


@dramatiq.actor(
    queue_name="payouts",
    max_retries=10,
    min_backoff=5_000,
    max_backoff=30 * MINUTE_MS,
    time_limit=2 * MINUTE_MS,
)
def royalty_transfer_send(transfer_id: int) -> None:
    services.royalty_transfer_send(transfer_id=transfer_id)


@dramatiq.actor(
    queue_name="payouts",
    max_retries=10,
    min_backoff=5_000,
    max_backoff=30 * MINUTE_MS,
    time_limit=2 * MINUTE_MS,
)
def royalty_reversal_send(reversal_id: int) -> None:
    services.royalty_reversal_send(reversal_id=reversal_id)
