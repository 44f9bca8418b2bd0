"""The embedded worker: Dramatiq's StubBroker consumed by worker threads inside the web process, so
`make run` needs no broker server. Jobs live in the database, not in the StubBroker's memory, and
`jobs_requeue_unfinished` puts back whatever a previous process left queued or running."""

from __future__ import annotations

import logging

import dramatiq
from django.utils.module_loading import autodiscover_modules

log = logging.getLogger(__name__)


def start_embedded_worker(*, threads: int = 2, requeue: bool = True) -> dramatiq.Worker:
    autodiscover_modules("tasks")  # declare every queue before the worker starts consuming
    broker = dramatiq.get_broker()
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100)
    worker.start()
    if requeue:
        from marketplace.royalties.services import royalty_payouts_requeue
        from provenance.services import records_requeue_pending
        from stylization.services import jobs_requeue_unfinished

        counts = jobs_requeue_unfinished()
        counts["attribution_records"] = records_requeue_pending()
        counts.update({f"payout_{kind}": n for kind, n in royalty_payouts_requeue().items()})
        if any(counts.values()):
            log.info("Re-enqueued unfinished jobs: %s", counts)
    return worker
