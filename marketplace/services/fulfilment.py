"""The fulfilment workflow: the one owner of a paid order's lines, from payment to the parcel.

Each line moves through its stages (`LineStage`):

    queued → rendering → rendered → vectorized → attributed → delivered (a digital file), or
                                                            → proof_ready → approved → in_production → shipped
    and → failed (could not be made) or → cancelled (the buyer, before printing): both refunded

The step services do one step each and set their own stage: `stylization.steps` renders the print
tile and sheet and vectorizes the SVG, `provenance.services` records the attribution and signs the
PNG. None of them sends the next step. They report back through Dramatiq's callbacks
(`marketplace.tasks`), and `order_line_advance` looks at the stage and sends what comes next. The
order's status is derived from its lines in `order_refresh_status` alone.

A physical line's signed files are its proof. The buyer approves it (or it approves itself after
`PROOF_AUTO_APPROVE_AFTER_S`, with a reminder first), asks for one free re-render with another seed,
or cancels the line for a full refund. Approval releases a `ProductionJob` to the print shops, who
start it and ship it with a tracking number; once every physical line has shipped, the order is
fulfilled.

A line that fails for good (bad input, retries exhausted, or stuck past the watchdog's limit) is
refunded through the order's gateway, and its order shows `needs_attention`. Staff can render it
again; that charges nothing. `fulfilment_sweep` sends on whatever a dead process left behind; the
embedded worker runs it at start-up and then periodically, and so does `manage.py requeue_jobs`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from marketplace import jobs
from marketplace.errors import Conflict, NotAllowed
from marketplace.models import (
    FINISHED_STAGES,
    IN_FULFILMENT_STATUSES,
    OUTPUT_FILE_KINDS,
    PROOF_STAGES,
    REFUNDED_STAGES,
    UNFINISHED_STAGES,
    ApprovalStatus,
    DerivativeApproval,
    LineStage,
    Order,
    OrderLine,
    OrderStatus,
    ProductionJob,
    User,
)
from marketplace.notifications import notification_send

log = logging.getLogger(__name__)

# The job that moves a line out of each stage. An attributed line is delivered here, in-process.
NEXT_STEP: dict[str, str] = {
    LineStage.QUEUED: jobs.RENDER,
    LineStage.RENDERING: jobs.RENDER,  # resumes a claim whose worker died, once its lease lapses
    LineStage.RENDERED: jobs.VECTORIZE,
    LineStage.VECTORIZED: jobs.ATTRIBUTE,
}

GAVE_UP = "We could not finish the print files for this design after several tries"
STUCK = "Making the print files for this design took far longer than it should have"
MISMATCH = "The signed print file did not match its attribution record"


# --- the order's status, derived -------------------------------------------------------------------


def order_status_from_lines(*, current: str, stages: list[str]) -> str:
    """What a paid order's status is, given its lines' stages. Orders outside fulfilment (drafts,
    cancelled, refunded, fulfilled) keep the status they have.

    Refunded lines (failed, cancelled) no longer hold the order back. Once every other line is
    finished the order is fulfilled; until then a failed line shows `needs_attention`, and otherwise
    the least advanced line says where the order is."""
    if current not in IN_FULFILMENT_STATUSES or not stages:
        return current
    active = [stage for stage in stages if stage not in REFUNDED_STAGES]
    if active and all(stage in FINISHED_STAGES for stage in active):
        return OrderStatus.FULFILLED
    if LineStage.FAILED in stages:
        return OrderStatus.NEEDS_ATTENTION
    if not active:
        return current  # every line cancelled: the refunds make the order refunded
    if any(stage in UNFINISHED_STAGES for stage in active):
        if current == OrderStatus.PAID and all(stage == LineStage.QUEUED for stage in active):
            return OrderStatus.PAID
        return OrderStatus.RENDERING
    if any(stage in PROOF_STAGES for stage in active):
        return OrderStatus.PROOF_READY
    if LineStage.SHIPPED in active:
        return OrderStatus.SHIPPED
    if LineStage.IN_PRODUCTION in active:
        return OrderStatus.IN_PRODUCTION
    return OrderStatus.APPROVED


def order_refresh_status(*, order_id: int) -> Order:
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        stages = list(order.lines.values_list("stage", flat=True))
        target = order_status_from_lines(current=order.status, stages=stages)
        if target != order.status:
            order.transition_to(target)
            now = timezone.now()
            if target == OrderStatus.PROOF_READY and order.ready_at is None:
                order.ready_at = now
            if target == OrderStatus.FULFILLED:
                order.fulfilled_at = now
                order.ready_at = order.ready_at or now
            order.save(update_fields=["status", "ready_at", "fulfilled_at"])
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
    elif line.stage in REFUNDED_STAGES:
        if not _refund_settled(line):
            jobs.enqueue(jobs.REFUND_LINE, order_line_id)
    elif line.stage in NEXT_STEP:
        step = NEXT_STEP[line.stage]
        transaction.on_commit(lambda: jobs.send(step, order_line_id))
    order_refresh_status(order_id=line.order_id)
    return OrderLine.objects.values_list("stage", flat=True).get(pk=order_line_id)


def order_line_step_returned(*, order_line_id: int, step: str) -> str:
    """A step's `on_success` callback: advance the line, unless the step returned without moving it.

    That happens to a duplicate message that found another worker's live claim, or to a step with
    nothing it could do. Sending the same step again would loop as fast as the queue turns; the
    claim holder's own callback, or the watchdog's bounded resends, move such a line on instead."""
    stage = OrderLine.objects.values_list("stage", flat=True).get(pk=order_line_id)
    if NEXT_STEP.get(stage) == step:
        return stage
    return order_line_advance(order_line_id=order_line_id)


def delete_stored_files(storage: Any, names: list[str]) -> None:
    for name in names:
        storage.delete(name)


def _sha256_of(field_file: object) -> str:
    digest = hashlib.sha256()
    with field_file.open("rb") as fh:  # type: ignore[attr-defined]
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _proof_stage_for(line: OrderLine) -> str:
    """Where a physical line's delivered files wait: for the artist first when the style's licence
    requires approval of derivatives, else for the buyer's proof approval."""
    licence = line.licence_version
    # A swatch is cut from a proof the artist (where asked) and the buyer approved already.
    if licence is not None and licence.requires_approval and line.swatch_of_id is None:
        return LineStage.AWAITING_ARTIST_APPROVAL
    return LineStage.PROOF_READY


def _artist_approval_open(line: OrderLine, *, now: dt.datetime) -> None:
    """The proof waits for the artist: one pending approval, and an e-mail to ask for it."""
    assert line.licence_version is not None
    style = line.licence_version.style
    approval, created = DerivativeApproval.objects.get_or_create(
        order_line=line,
        status=ApprovalStatus.PENDING,
        defaults={"artist_id": style.artist_id, "requested_at": now},
    )
    if created:
        notification_send(
            key=f"approval-requested:{approval.pk}",
            to=style.artist.email,
            template="approval_requested",
            context={
                "style": style,
                "line": line,
                "deadline": now + dt.timedelta(seconds=settings.ARTIST_APPROVAL_TIMEOUT_S),
            },
        )


def order_line_artist_approved(*, order_line_id: int) -> OrderLine:
    """awaiting_artist_approval → proof_ready: the buyer's proof approval (and its clock) starts now.
    Call inside the transaction that records the artist's approval."""
    line = (
        OrderLine.objects.select_for_update(of=("self",))
        .select_related("order__buyer", "product_size__product")
        .get(pk=order_line_id)
    )
    now = timezone.now()
    line.move_to(LineStage.PROOF_READY, now=now)
    line.proof_ready_at = now
    line.proof_reminder_sent_at = None
    line.save(update_fields=["stage", "stage_changed_at", "proof_ready_at", "proof_reminder_sent_at"])
    _proof_ready_notify(line)
    transaction.on_commit(lambda: order_refresh_status(order_id=line.order_id))
    return line


def _proof_ready_notify(line: OrderLine) -> None:
    auto_at = line.proof_ready_at + dt.timedelta(seconds=settings.PROOF_AUTO_APPROVE_AFTER_S)  # type: ignore[operator]
    notification_send(
        key=f"proof-ready:line:{line.pk}:{line.rerenders_used}",
        to=line.order.buyer.email,
        template="proof_ready",
        context={"order": line.order, "line": line, "auto_approve_at": auto_at},
    )


def proof_approve(line: OrderLine, *, now: dt.datetime, auto: bool) -> None:
    """proof_ready → approved, by the buyer or by itself (a lapsed proof, or a swatch, whose pixels
    are a proof already approved). The production job it creates is what releases the print files
    and the ship-to address to the print shops."""
    line.move_to(LineStage.APPROVED, now=now)
    line.approved_at = now
    line.auto_approved = auto
    line.save(update_fields=["stage", "stage_changed_at", "approved_at", "auto_approved"])
    ProductionJob.objects.get_or_create(order_line=line, defaults={"released_at": now})


def order_line_deliver(*, order_line_id: int) -> None:
    """attributed → delivered (a digital file) or → proof_ready (a print): the signed files are
    checked against the record, and the files they superseded (the unsigned, unstamped ones) are deleted
    once the delivery commits."""
    with transaction.atomic():
        line = (
            OrderLine.objects.select_for_update(of=("self",))
            .select_related("order__buyer", "product_size__product", "licence_version__style__artist")
            .get(pk=order_line_id)
        )
        if line.stage != LineStage.ATTRIBUTED:
            return
        record = getattr(line, "attribution_record", None)
        missing = [name for name in OUTPUT_FILE_KINDS if not getattr(line, name)]
        if record is None or missing or _sha256_of(line.print_png) != record.delivered_png_sha256:
            detail = f"record={record is not None}, missing={missing}"
            line.record_failure(reason=MISMATCH, detail=detail)
            line.save(update_fields=OrderLine.FAILURE_FIELDS)
        else:
            current = {getattr(line, name).name for name in OUTPUT_FILE_KINDS}
            superseded = [name for name in line.render_info.get("superseded", []) if name not in current]
            storage = line.print_png.storage
            now = timezone.now()
            if line.product_size.product.is_physical:
                line.move_to(_proof_stage_for(line), now=now)
                line.proof_ready_at = now
                line.proof_reminder_sent_at = None
            else:
                line.move_to(LineStage.DELIVERED, now=now)
            line.render_progress = 100
            line.render_info = {**line.render_info, "superseded": []}
            line.save(
                update_fields=[
                    "stage",
                    "stage_changed_at",
                    "render_progress",
                    "render_info",
                    "proof_ready_at",
                    "proof_reminder_sent_at",
                ]
            )
            if line.stage == LineStage.PROOF_READY and line.swatch_of_id is not None:
                proof_approve(line, now=now, auto=True)
            elif line.stage == LineStage.PROOF_READY:
                _proof_ready_notify(line)
            elif line.stage == LineStage.AWAITING_ARTIST_APPROVAL:
                _artist_approval_open(line, now=now)
            transaction.on_commit(lambda: delete_stored_files(storage, superseded))
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
            raise Conflict(
                f"Only a failed line can be rendered again; this one is {line.stage or 'not paid'}."
            )
        if line.order.status not in IN_FULFILMENT_STATUSES:
            raise Conflict(
                f"The order is {line.order.get_status_display().lower()}; its lines are not made any more."
            )
        if getattr(line, "attribution_record", None) is not None:
            raise Conflict("This line's attribution is already recorded; it cannot be rendered again.")
        stale = [getattr(line, name).name for name in OUTPUT_FILE_KINDS if getattr(line, name)]
        storage = line.print_png.storage
        for name in OUTPUT_FILE_KINDS:
            setattr(line, name, "")
        line.move_to(LineStage.QUEUED)
        line.failure_reason = ""
        line.render_progress = 0
        line.watchdog_resends = 0
        line.lease_until = None
        line.render_info = {"rerendered_by": actor.pk, "previous_error": line.render_info.get("error", "")}
        line.save()
        transaction.on_commit(lambda: delete_stored_files(storage, stale))
    order_line_advance(order_line_id=order_line_id)
    line.refresh_from_db()
    return line


# --- the buyer's proof: approve, re-render once, or cancel -------------------------------------------


# --- production: the print shops ---------------------------------------------------------------------


# --- the sweep and the watchdog ---------------------------------------------------------------------
