"""The fulfilment workflow: the one owner of a paid order's lines, from payment to delivered files.

Each line moves through its stages (`LineStage`):

    queued → rendering → rendered → vectorized → attributed → delivered, or → failed

The step services do one step each and set their own stage: `stylization.steps` renders the print
tile and sheet and vectorizes the SVG, `provenance.services` records the attribution and signs the
PNG. None of them sends the next step. They report back through Dramatiq's callbacks
(`marketplace.tasks`), and `order_line_advance` looks at the stage and sends what comes next. The
order's status is derived from its lines in `order_refresh_status` alone.

A line that fails for good (bad input, retries exhausted, or stuck past the watchdog's limit) is
refunded through the order's gateway, and its order shows `needs_attention`. Staff can render it
again; that charges nothing. `fulfilment_sweep` sends on whatever a dead process left behind; the
embedded worker runs it at start-up and then periodically, and so does `manage.py requeue_jobs`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from marketplace import jobs
from marketplace.errors import Conflict, NotAllowed
from marketplace.models import (
    IN_FULFILMENT_STATUSES,
    UNFINISHED_STAGES,
    LineStage,
    Order,
    OrderLine,
    OrderStatus,
    User,
)

log = logging.getLogger(__name__)

# The job that moves a line out of each stage. An attributed line is delivered here, in-process.
NEXT_STEP: dict[str, str] = {
    LineStage.QUEUED: jobs.RENDER,
    LineStage.RENDERING: jobs.RENDER,  # resumes a claim whose worker died, once its lease lapses
    LineStage.RENDERED: jobs.VECTORIZE,
    LineStage.VECTORIZED: jobs.ATTRIBUTE,
}
OUTPUT_FIELDS = ("print_png", "print_sheet", "svg")

GAVE_UP = "We could not finish the print files for this design after several tries"
STUCK = "Making the print files for this design took far longer than it should have"
MISMATCH = "The signed print file did not match its attribution record"


# --- the order's status, derived -------------------------------------------------------------------


def order_status_from_lines(*, current: str, stages: list[str]) -> str:
    """What a paid order's status is, given its lines' stages. Orders outside fulfilment (drafts,
    cancelled, refunded, fulfilled) keep the status they have."""
    if current not in (*IN_FULFILMENT_STATUSES, OrderStatus.READY) or not stages:
        return current
    if LineStage.FAILED in stages:
        return OrderStatus.NEEDS_ATTENTION
    if all(stage == LineStage.DELIVERED for stage in stages):
        return OrderStatus.READY
    if current == OrderStatus.PAID and all(stage == LineStage.QUEUED for stage in stages):
        return OrderStatus.PAID
    return OrderStatus.RENDERING


def order_refresh_status(*, order_id: int) -> Order:
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        stages = list(order.lines.values_list("stage", flat=True))
        target = order_status_from_lines(current=order.status, stages=stages)
        if target != order.status:
            order.transition_to(target)
            if target == OrderStatus.READY:
                order.ready_at = timezone.now()
            order.save(update_fields=["status", "ready_at"])
    return order


# --- starting, advancing, delivering ----------------------------------------------------------------


def order_fulfilment_start(*, order: Order) -> None:
    """Call inside the transaction that marks the order paid: every line is queued, and each is
    advanced once that transaction commits (so a rolled-back payment starts nothing)."""
    now = timezone.now()
    line_ids = []
    for line in OrderLine.objects.select_for_update().filter(order=order, stage=""):
        line.move_to(LineStage.QUEUED, now=now)
        line.save(update_fields=["stage", "stage_changed_at"])
        line_ids.append(line.pk)
    transaction.on_commit(lambda: [order_line_advance(order_line_id=pk) for pk in line_ids])


def order_line_advance(*, order_line_id: int) -> str:
    """Look at the line's stage and do what comes next: send its next step, deliver it, or make
    sure a failed line is refunded. Safe to call any number of times. Returns the stage."""
    line = OrderLine.objects.select_related("order").get(pk=order_line_id)
    if line.order.status not in IN_FULFILMENT_STATUSES:
        return line.stage  # a refunded or cancelled order is not worked on further
    if line.stage == LineStage.ATTRIBUTED:
        order_line_deliver(order_line_id=order_line_id)
    elif line.stage == LineStage.FAILED:
        if not _refund_settled(line):
            transaction.on_commit(lambda: jobs.send(jobs.REFUND_LINE, order_line_id))
    elif line.stage in NEXT_STEP:
        step = NEXT_STEP[line.stage]
        transaction.on_commit(lambda: jobs.send(step, order_line_id))
    order_refresh_status(order_id=line.order_id)
    return OrderLine.objects.values_list("stage", flat=True).get(pk=order_line_id)


def _delete_files(storage: Any, names: list[str]) -> None:
    for name in names:
        storage.delete(name)


def _sha256_of(field_file: object) -> str:
    digest = hashlib.sha256()
    with field_file.open("rb") as fh:  # type: ignore[attr-defined]
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def order_line_deliver(*, order_line_id: int) -> None:
    """attributed → delivered: the signed files are checked against the record, and the files they
    superseded (the unsigned print PNG) are deleted once the delivery commits."""
    with transaction.atomic():
        line = OrderLine.objects.select_for_update().get(pk=order_line_id)
        if line.stage != LineStage.ATTRIBUTED:
            return
        record = getattr(line, "attribution_record", None)
        missing = [name for name in OUTPUT_FIELDS if not getattr(line, name)]
        if record is None or missing or _sha256_of(line.print_png) != record.delivered_png_sha256:
            detail = f"record={record is not None}, missing={missing}"
            line.record_failure(reason=MISMATCH, detail=detail)
            line.save(update_fields=OrderLine.FAILURE_FIELDS)
        else:
            superseded = [name for name in line.render_info.get("superseded", []) if name != line.print_png.name]
            storage = line.print_png.storage
            line.move_to(LineStage.DELIVERED)
            line.render_progress = 100
            line.render_info = {**line.render_info, "superseded": []}
            line.save(update_fields=["stage", "stage_changed_at", "render_progress", "render_info"])
            transaction.on_commit(lambda: _delete_files(storage, superseded))
    if line.stage == LineStage.FAILED:
        order_line_advance(order_line_id=order_line_id)


# --- failure, refund, re-render ---------------------------------------------------------------------


def order_line_fail(*, order_line_id: int, reason: str, detail: str) -> None:
    """Fail a line for good (its step's retries are exhausted, or the watchdog gave up on it), then
    let the workflow refund it. A delivered line is never failed."""
    if not OrderLine.fail_for_good(order_line_id, reason=reason, detail=detail):
        return
    log.warning("Order line %s failed for good: %s", order_line_id, detail)
    order_line_advance(order_line_id=order_line_id)


def _refund_settled(line: OrderLine) -> bool:
    # The refund itself is the payments app's (`payment_refund_order_line`, sent as a job by name).
    return line.refunds.filter(applied=True).exists()


def order_line_rerender(*, order_line_id: int, actor: User) -> OrderLine:
    """Staff send a failed line back to be rendered again. Its refund stands: nothing is charged."""
    if not actor.is_staff:
        raise NotAllowed("Only staff can render a failed line again.")
    with transaction.atomic():
        line = OrderLine.objects.select_for_update().select_related("order").get(pk=order_line_id)
        if line.stage != LineStage.FAILED:
            raise Conflict(f"Only a failed line can be rendered again; this one is {line.stage or 'not paid'}.")
        if line.order.status not in IN_FULFILMENT_STATUSES:
            raise Conflict(f"The order is {line.order.get_status_display().lower()}; its lines are not made any more.")
        if getattr(line, "attribution_record", None) is not None:
            raise Conflict("This line's attribution is already recorded; it cannot be rendered again.")
        stale = [getattr(line, name).name for name in OUTPUT_FIELDS if getattr(line, name)]
        storage = line.print_png.storage
        for name in OUTPUT_FIELDS:
            setattr(line, name, "")
        line.move_to(LineStage.QUEUED)
        line.failure_reason = ""
        line.render_progress = 0
        line.watchdog_resends = 0
        line.lease_until = None
        line.render_info = {"rerendered_by": actor.pk, "previous_error": line.render_info.get("error", "")}
        line.save()
        transaction.on_commit(lambda: _delete_files(storage, stale))
    order_line_advance(order_line_id=order_line_id)
    line.refresh_from_db()
    return line


# --- the sweep and the watchdog ---------------------------------------------------------------------


@dataclass
class SweepResult:
    advanced: int = 0
    resent_stuck: int = 0
    failed_stuck: int = 0
    refunds_sent: int = 0
    stuck_lines: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "order_lines_advanced": self.advanced,
            "order_lines_resent_stuck": self.resent_stuck,
            "order_lines_failed_stuck": self.failed_stuck,
            "order_line_refunds_sent": self.refunds_sent,
        }


def fulfilment_sweep(*, resend_all: bool, now: dt.datetime | None = None) -> SweepResult:
    """Advance every unfinished line of every order in fulfilment.

    `resend_all` (at a worker's start-up) sends every unfinished line's step again, since a process
    that died may have taken its messages with it; the steps are idempotent, so a message that also
    survives costs one no-op. The periodic pass (`resend_all=False`) is the watchdog: it touches only
    lines whose step's lease lapsed (its worker died) or that have sat in one stage past
    `FULFILMENT_STAGE_TIMEOUT_S` with no live lease, sends their step again up to
    `FULFILMENT_WATCHDOG_MAX_RESENDS` times, then fails (and so refunds) them.
    Either pass delivers attributed lines and re-sends unfinished refunds of failed ones."""
    now = now or timezone.now()
    result = SweepResult()
    stuck_before = now - dt.timedelta(seconds=settings.FULFILMENT_STAGE_TIMEOUT_S)
    lines = OrderLine.objects.filter(order__status__in=IN_FULFILMENT_STATUSES, stage__in=UNFINISHED_STAGES)
    for line in lines.only("pk", "stage", "stage_changed_at", "lease_until", "watchdog_resends").order_by("pk"):
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
        OrderLine.objects.filter(order__status__in=IN_FULFILMENT_STATUSES, stage=LineStage.FAILED)
        .exclude(refunds__applied=True)
        .values_list("pk", flat=True)
    )
    for pk in unrefunded:
        jobs.send(jobs.REFUND_LINE, pk)
        result.refunds_sent += 1
    return result
