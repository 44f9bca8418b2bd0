"""The fulfilment sweep: sends on whatever a dead process left behind (run by the embedded worker at start-up and periodically, and by `manage.py requeue_jobs`), and re-derives order statuses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from marketplace import jobs
from marketplace.models import (
    IN_FULFILMENT_STATUSES,
    REFUNDED_STAGES,
    UNFINISHED_STAGES,
    LineStage,
    OrderLine,
)
from marketplace.services.fulfilment import (
    STUCK,
    order_line_advance,
    order_line_fail,
    order_refresh_status,
    order_status_from_lines,
)
from marketplace.services.proofs import proof_timers_run


def orders_status_rederive() -> int:
    """Derive again the status of every order in fulfilment whose lines say otherwise (a process
    that died between a line's change and its order's, under older code). Returns how many."""
    statuses: dict[int, str] = {}
    stages: dict[int, list[str]] = {}
    rows = OrderLine.objects.filter(order__status__in=IN_FULFILMENT_STATUSES).values_list(
        "order_id", "order__status", "stage"
    )
    for order_id, status, stage in rows:
        statuses[order_id] = status
        stages.setdefault(order_id, []).append(stage)
    repaired = 0
    for order_id, status in statuses.items():
        if order_status_from_lines(current=status, stages=stages[order_id]) != status:
            order_refresh_status(order_id=order_id)
            repaired += 1
    return repaired


@dataclass
class SweepResult:
    advanced: int = 0
    resent_stuck: int = 0
    failed_stuck: int = 0
    refunds_sent: int = 0
    stuck_lines: list[int] = field(default_factory=list)
    proof_timers: dict[str, int] = field(default_factory=dict)
    order_statuses_rederived: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "order_lines_advanced": self.advanced,
            "order_lines_resent_stuck": self.resent_stuck,
            "order_lines_failed_stuck": self.failed_stuck,
            "order_line_refunds_sent": self.refunds_sent,
            **self.proof_timers,
            "order_statuses_rederived": self.order_statuses_rederived,
        }


def fulfilment_sweep(*, resend_all: bool, now: dt.datetime | None = None) -> SweepResult:
    """Advance every unfinished line of every order in fulfilment.

    `resend_all` (at a worker's start-up) sends every unfinished line's step again, since a process
    that died may have taken its messages with it; the steps are idempotent, so a message that also
    survives costs one no-op. The periodic pass (`resend_all=False`) is the watchdog: it touches only
    lines whose step's lease lapsed (its worker died) or that have sat in one stage past
    `FULFILMENT_STAGE_TIMEOUT_S` with no live lease, sends their step again up to
    `FULFILMENT_WATCHDOG_MAX_RESENDS` times, then fails (and so refunds) them.
    Either pass delivers attributed lines, re-sends unfinished refunds of failed ones, and derives
    again the status of any order whose lines disagree with it."""
    now = now or timezone.now()
    result = SweepResult()
    stuck_before = now - dt.timedelta(seconds=settings.FULFILMENT_STAGE_TIMEOUT_S)
    lines = OrderLine.objects.filter(order__status__in=IN_FULFILMENT_STATUSES, stage__in=UNFINISHED_STAGES)
    for line in lines.only("pk", "stage", "stage_changed_at", "lease_until", "watchdog_resends").order_by(
        "pk"
    ):
        lease_live = line.lease_until is not None and line.lease_until >= now
        # A lapsed lease is a worker that died mid-step: no need to wait out the stage timeout.
        lease_lapsed = line.lease_until is not None and not lease_live
        stuck = lease_lapsed or (
            not lease_live and line.stage_changed_at is not None and line.stage_changed_at < stuck_before
        )
        if stuck:
            result.stuck_lines.append(line.pk)
            if line.watchdog_resends >= settings.FULFILMENT_WATCHDOG_MAX_RESENDS:
                order_line_fail(
                    order_line_id=line.pk,
                    reason=STUCK,
                    detail=f"stuck in {line.stage} since {line.stage_changed_at.isoformat()}",  # type: ignore[union-attr]
                )
                result.failed_stuck += 1
                continue
            # The clock restarts and the dead lease is cleared, so the next resend waits a full timeout.
            OrderLine.objects.filter(pk=line.pk, stage=line.stage).update(
                watchdog_resends=F("watchdog_resends") + 1, stage_changed_at=now, lease_until=None
            )
            result.resent_stuck += 1
        if resend_all or stuck or line.stage == LineStage.ATTRIBUTED:
            order_line_advance(order_line_id=line.pk)
            result.advanced += 1
    unrefunded = (
        OrderLine.objects.filter(order__status__in=IN_FULFILMENT_STATUSES, stage__in=REFUNDED_STAGES)
        .exclude(refunds__applied=True)
        .values_list("pk", flat=True)
    )
    for pk in unrefunded:
        jobs.send(jobs.REFUND_LINE, pk)
        result.refunds_sent += 1
    result.proof_timers = proof_timers_run(now=now)
    # Last, so it sees what the passes above moved; shipped and delivered lines count too.
    result.order_statuses_rederived = orders_status_rederive()
    return result
