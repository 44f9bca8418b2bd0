"""The embedded worker: Dramatiq's StubBroker consumed by worker threads inside the web process, so
`make run` needs no broker server. Jobs live in the database, not in the StubBroker's memory, and
`jobs_requeue_all` puts back whatever a previous process left queued or running. A daemon thread
then runs the fulfilment watchdog every `FULFILMENT_SWEEP_INTERVAL_S`."""

from __future__ import annotations

import logging
import threading

import dramatiq
from django.conf import settings
from django.db import close_old_connections
from django.utils.module_loading import autodiscover_modules

log = logging.getLogger(__name__)


def jobs_requeue_all() -> dict[str, int]:
    """Every job the database says is unfinished, sent again; `manage.py requeue_jobs` runs the same."""
    from marketplace.notifications import emails_requeue_unsent
    from marketplace.royalties.services import royalty_payouts_requeue
    from marketplace.services.fulfilment import fulfilment_sweep
    from provenance.services import records_requeue_pending
    from stylization.services import jobs_requeue_unfinished, style_models_requeue_unfinished

    counts = jobs_requeue_unfinished()
    counts["style_models"] = style_models_requeue_unfinished()
    counts.update(fulfilment_sweep(resend_all=True).as_dict())
    counts["attribution_records"] = records_requeue_pending()
    counts.update({f"payout_{kind}": n for kind, n in royalty_payouts_requeue().items()})
    counts["emails"] = emails_requeue_unsent()
    return counts


def watchdog_loop(stop: threading.Event, interval_s: float) -> None:
    from marketplace.services.fulfilment import fulfilment_sweep

    while not stop.wait(interval_s):
        try:
            result = fulfilment_sweep(resend_all=False)
            if result.stuck_lines:
                log.warning("Fulfilment watchdog: %s (lines %s)", result.as_dict(), result.stuck_lines)
        except Exception:  # the next pass tries again; a dead watchdog would strand orders quietly
            log.exception("Fulfilment watchdog pass failed")
        finally:
            close_old_connections()


class EmbeddedWorker(dramatiq.Worker):
    """A Dramatiq worker that also runs the fulfilment watchdog, and stops it when it stops."""

    def __init__(self, broker: dramatiq.Broker, *, threads: int, watchdog: bool, queues: set[str] | None) -> None:
        super().__init__(broker, queues=queues, worker_threads=threads, worker_timeout=100)
        self._watchdog_stop = threading.Event()
        self._watchdog = watchdog

    def start(self) -> None:
        super().start()
        if self._watchdog:
            threading.Thread(
                target=watchdog_loop,
                args=(self._watchdog_stop, settings.FULFILMENT_SWEEP_INTERVAL_S),
                name="fulfilment-watchdog",
                daemon=True,
            ).start()

    def stop(self, timeout: int = 600_000) -> None:
        self._watchdog_stop.set()
        super().stop(timeout)


def start_embedded_worker(
    *, threads: int = 2, requeue: bool = True, watchdog: bool = True, queues: set[str] | None = None
) -> dramatiq.Worker:
    """`queues` limits what it consumes (tests hold a step back that way); None is every queue."""
    autodiscover_modules("tasks")  # declare every queue before the worker starts consuming
    worker = EmbeddedWorker(dramatiq.get_broker(), threads=threads, watchdog=watchdog, queues=queues)
    worker.start()
    if requeue:
        counts = jobs_requeue_all()
        if any(counts.values()):
            log.info("Re-enqueued unfinished jobs: %s", counts)
    return worker
