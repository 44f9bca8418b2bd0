"""The embedded worker: Dramatiq's StubBroker consumed by worker threads inside the web process, so
`make run` needs no broker server.

The threads run in lanes (`config.queues.embedded_lanes`, the same members as the production pools):
previews, final renders, training, and money, records and e-mail, each a Dramatiq worker with
threads of its own, so a style's training never holds up a buyer's preview and a refund never waits
behind either. Jobs live in the database, not in the StubBroker's memory: `jobs_requeue_all` puts
back whatever a previous process left unfinished, and a daemon thread then runs the watchdog (the
fulfilment sweep and the background jobs' resends) every `FULFILMENT_SWEEP_INTERVAL_S`."""

from __future__ import annotations

import logging
import threading

import dramatiq
from django.conf import settings
from django.db import close_old_connections
from django.utils.module_loading import autodiscover_modules

from config.queues import LANE_THREADS, embedded_lanes

log = logging.getLogger(__name__)


def jobs_requeue_all() -> dict[str, int]:
    """Every job the database says is unfinished, sent again; `manage.py requeue_jobs` runs the same."""
    from marketplace.jobs import background_jobs_resend
    from marketplace.notifications import emails_requeue_unsent
    from marketplace.royalties.services import royalty_payouts_requeue
    from marketplace.services.approvals import approvals_expire
    from marketplace.services.sweep import fulfilment_sweep
    from provenance.services import records_requeue_pending
    from stylization.services import jobs_requeue_unfinished, style_models_requeue_unfinished

    counts = jobs_requeue_unfinished()
    counts["style_models"] = style_models_requeue_unfinished()
    counts.update(fulfilment_sweep(resend_all=True).as_dict())
    counts["artist_approvals_expired"] = approvals_expire()
    counts["attribution_records"] = records_requeue_pending()
    counts.update({f"payout_{kind}": n for kind, n in royalty_payouts_requeue().items()})
    counts["emails"] = emails_requeue_unsent()
    counts["background_jobs"] = background_jobs_resend(everything=True)
    return counts


def watchdog_pass() -> dict[str, int]:
    """One periodic pass: lines stuck in fulfilment, derivatives their artist left unanswered, and
    background jobs silent past their due time. `manage.py requeue_jobs --every N` runs the same."""
    from marketplace.jobs import background_jobs_resend
    from marketplace.services.approvals import approvals_expire
    from marketplace.services.sweep import fulfilment_sweep

    result = fulfilment_sweep(resend_all=False)
    # After the sweep, as before: an expired approval cancels its line, which derives its order again.
    approvals_expired = approvals_expire()
    if result.stuck_lines:
        log.warning("Fulfilment watchdog: %s (lines %s)", result.as_dict(), result.stuck_lines)
    resent = background_jobs_resend(everything=False)
    if resent:
        log.warning(
            "Watchdog: %s background jobs were silent past their due time and were sent again.", resent
        )
    return {
        **result.as_dict(),
        "artist_approvals_expired": approvals_expired,
        "background_jobs_resent": resent,
    }


def watchdog_loop(stop: threading.Event, interval_s: float) -> None:
    while not stop.wait(interval_s):
        try:
            watchdog_pass()
        except Exception:  # the next pass tries again; a dead watchdog would strand orders quietly
            log.exception("Watchdog pass failed")
        finally:
            close_old_connections()


class EmbeddedWorker:
    """One Dramatiq worker per lane, and the watchdog; `stop` stops them all."""

    def __init__(
        self, broker: dramatiq.Broker, *, lanes: dict[str, tuple[set[str], int]], watchdog: bool
    ) -> None:
        self.broker = broker
        self.lanes = {
            name: dramatiq.Worker(broker, queues=queues, worker_threads=threads, worker_timeout=100)
            for name, (queues, threads) in lanes.items()
            if queues
        }
        self._watchdog_stop = threading.Event()
        self._watchdog = watchdog

    def start(self) -> None:
        for lane in self.lanes.values():
            lane.start()
        if self._watchdog:
            threading.Thread(
                target=watchdog_loop,
                args=(self._watchdog_stop, settings.FULFILMENT_SWEEP_INTERVAL_S),
                name="watchdog",
                daemon=True,
            ).start()

    def stop(self, timeout: int = 600_000) -> None:
        self._watchdog_stop.set()
        for lane in self.lanes.values():
            lane.stop(timeout)
        # A stopped Dramatiq worker leaves its middleware on the broker; drop it so they do not pile up.
        self.broker.middleware[:] = [
            m for m in self.broker.middleware if getattr(m, "worker", None) not in self.lanes.values()
        ]


def start_embedded_worker(
    *, threads: int | None = None, requeue: bool = True, watchdog: bool = True, queues: set[str] | None = None
) -> EmbeddedWorker:
    """The lanes of `config.queues`, each with its own threads (`threads` sets them all).

    `queues` instead runs one lane on just those queues (tests hold a step back that way)."""
    autodiscover_modules("tasks")  # declare every queue before the worker starts consuming
    broker = dramatiq.get_broker()
    if queues is not None:
        lanes = {"given": (set(queues), threads or 1)}
    else:
        lanes = {
            lane: (lane_queues, threads or LANE_THREADS[lane])
            for lane, lane_queues in embedded_lanes(set(broker.get_declared_queues())).items()
        }
    worker = EmbeddedWorker(broker, lanes=lanes, watchdog=watchdog)
    worker.start()
    if requeue:
        counts = jobs_requeue_all()
        if any(counts.values()):
            log.info("Re-enqueued unfinished jobs: %s", counts)
    return worker
