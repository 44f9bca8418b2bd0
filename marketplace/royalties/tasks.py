"""Payout actors (queue `payouts`). They take ids and call services; delivery is at-least-once, and
the services are safe to repeat. The services send these actors, so each imports its service in its
body; `actor_name` keeps the name that messages already queued in Redis carry."""

import dramatiq

MINUTE_MS = 60_000


@dramatiq.actor(
    actor_name="royalty_transfer_send",
    queue_name="payouts",
    max_retries=10,
    min_backoff=5_000,
    max_backoff=30 * MINUTE_MS,
    time_limit=2 * MINUTE_MS,
)
def royalty_transfer_send_task(transfer_id: int) -> None:
    from marketplace.royalties.services import royalty_transfer_send

    royalty_transfer_send(transfer_id=transfer_id)


@dramatiq.actor(
    actor_name="royalty_reversal_send",
    queue_name="payouts",
    max_retries=10,
    min_backoff=5_000,
    max_backoff=30 * MINUTE_MS,
    time_limit=2 * MINUTE_MS,
)
def royalty_reversal_send_task(reversal_id: int) -> None:
    from marketplace.royalties.reversals import royalty_reversal_send

    royalty_reversal_send(reversal_id=reversal_id)
