"""The buyer's hand on a proof: approve it, ask for one free re-render with another seed, or cancel the line for a full refund; and the proof timers (reminder, then approval by itself)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from marketplace.errors import Conflict, NotAllowed
from marketplace.models import (
    CANCELLABLE_STAGES,
    FAILURE_REASON_MAX_CHARS,
    IN_FULFILMENT_STATUSES,
    OUTPUT_FILE_KINDS,
    ApprovalStatus,
    DerivativeApproval,
    LineStage,
    Order,
    OrderLine,
    Personalization,
    User,
)
from marketplace.notifications import notification_send
from marketplace.selectors import rerender_seed_choices, seed_previews_for_line
from marketplace.services.fulfilment import (
    delete_stored_files,
    order_line_advance,
    order_refresh_status,
    proof_approve,
)
from marketplace.services.licensing import edition_uses_recount
from marketplace.services.personalizations import personalization_create

MAX_BUYER_RERENDERS = 1


def _buyer_line(*, order_line_id: int, actor: User) -> OrderLine:
    line = (
        OrderLine.objects.select_for_update(of=("self",))
        .select_related("order__buyer", "product_size__product", "personalization")
        .get(pk=order_line_id)
    )
    if line.order.buyer_id != actor.pk:
        raise NotAllowed("This order belongs to someone else.")
    return line


def order_proofs_approve(*, order: Order, actor: User) -> list[OrderLine]:
    """The buyer approves every proof-ready line of the order; each becomes a production job."""
    if order.buyer_id != actor.pk:
        raise NotAllowed("This order belongs to someone else.")
    now = timezone.now()
    with transaction.atomic():
        lines = list(
            OrderLine.objects.select_for_update()
            .filter(order_id=order.pk, stage=LineStage.PROOF_READY)
            .order_by("pk")
        )
        if not lines:
            raise Conflict("No proof of this order is waiting for approval.")
        for line in lines:
            proof_approve(line, now=now, auto=False)
    order_refresh_status(order_id=order.pk)
    return lines


def order_line_proof_approve(*, order_line_id: int, actor: User) -> OrderLine:
    """The buyer approves one proof; the line becomes a production job. Idempotent: a line approved
    already is returned as it is. A line whose proof is not waiting for the buyer is a Conflict."""
    with transaction.atomic():
        line = _buyer_line(order_line_id=order_line_id, actor=actor)
        if line.stage == LineStage.APPROVED:
            return line
        if line.stage != LineStage.PROOF_READY:
            raise Conflict(
                "Only a proof waiting for your approval can be approved; this line is "
                f"{line.get_stage_display().lower() or 'not paid'}."
            )
        proof_approve(line, now=timezone.now(), auto=False)
    order_refresh_status(order_id=line.order_id)
    return line


def order_line_proof_rerender(*, order_line_id: int, actor: User, seed: int) -> OrderLine:
    """The buyer's one free re-render of a proof, with another seed. The current attribution record
    is superseded (it still verifies the file that was delivered); the new output gets its own."""
    with transaction.atomic():
        line = _buyer_line(order_line_id=order_line_id, actor=actor)
        if line.stage != LineStage.PROOF_READY:
            raise Conflict(
                f"Only a proof waiting for approval can be rendered again; this line is {line.get_stage_display().lower()}."
            )
        if line.rerenders_used >= MAX_BUYER_RERENDERS:
            raise Conflict("This line's free re-render has been used.")
        if seed == line.seed:
            raise ValidationError({"seed": ["Choose another seed than the one this proof was made with."]})
        now = timezone.now()
        line.attribution_records.filter(superseded_at__isnull=True).update(superseded_at=now)  # type: ignore[attr-defined]
        stale = [getattr(line, name).name for name in OUTPUT_FILE_KINDS if getattr(line, name)]
        storage = line.print_png.storage
        for name in OUTPUT_FILE_KINDS:
            setattr(line, name, "")
        line.move_to(LineStage.QUEUED, now=now)
        line.render_seed = seed
        line.rerenders_used += 1
        line.render_progress = 0
        line.watchdog_resends = 0
        line.lease_until = None
        line.proof_ready_at = None
        line.render_info = {"rerender_of_seed": line.render_info.get("seed"), "requested_by": "buyer"}
        line.save()
        transaction.on_commit(lambda: delete_stored_files(storage, stale))
    order_line_advance(order_line_id=order_line_id)
    line.refresh_from_db()
    return line


def order_line_seed_previews_request(*, order_line_id: int, actor: User) -> list[Personalization]:
    """Previews of a proof's design with each seed the free re-render offers, made by the preview jobs,
    so the buyer picks the re-render by its picture. A preview already made, or on its way, is reused."""
    line = OrderLine.objects.select_related("order", "personalization").get(pk=order_line_id)
    if line.order.buyer_id != actor.pk:
        raise NotAllowed("This order belongs to someone else.")
    if line.stage != LineStage.PROOF_READY or line.rerenders_used >= MAX_BUYER_RERENDERS:
        raise Conflict("This line has no free re-render to choose a seed for.")
    base = line.personalization
    existing = {preview.seed: preview for preview in seed_previews_for_line(line=line)}
    previews = []
    for seed in rerender_seed_choices(line=line):
        preview = existing.get(seed)
        if preview is None:
            preview = personalization_create(
                buyer=actor,
                base_pattern=base.base_pattern,
                style=base.style,
                style_image=base.style_image.read() if base.style_id is None else None,
                strength=base.strength,
                preserve_colors=base.preserve_colors,
                style_scale=base.style_scale,
                seed=seed,
                regions=base.regions,
            )
        previews.append(preview)
    return previews


def order_line_cancel(*, order_line_id: int, actor: User | None, reason: str) -> OrderLine:
    """Cancel a line before anything is printed, for a full refund (its goods and its shipping); the
    edition use goes back to the style. `actor` is the buyer, or None for the workflow itself (an
    artist's decline). A line in production or shipped cannot be cancelled."""
    with transaction.atomic():
        if actor is None:
            line = (
                OrderLine.objects.select_for_update(of=("self",))
                .select_related("order")
                .get(pk=order_line_id)
            )
        else:
            line = _buyer_line(order_line_id=order_line_id, actor=actor)
        if line.stage == LineStage.CANCELLED:
            return line
        if line.stage in (LineStage.IN_PRODUCTION, LineStage.SHIPPED):
            raise Conflict("This line is already being printed and can no longer be cancelled.")
        if line.stage not in CANCELLABLE_STAGES:
            raise Conflict(
                f"A line that is {line.get_stage_display().lower() or 'not paid'} cannot be cancelled here."
            )
        line.move_to(LineStage.CANCELLED)
        line.failure_reason = reason[:FAILURE_REASON_MAX_CHARS]
        line.save(update_fields=["stage", "stage_changed_at", "failure_reason"])
        # A proof the artist had not answered yet is no longer theirs to approve.
        DerivativeApproval.objects.filter(order_line=line, status=ApprovalStatus.PENDING).update(
            status=ApprovalStatus.WITHDRAWN, decided_at=timezone.now()
        )
        if line.licence_version is not None:
            edition_uses_recount(style_ids=[line.licence_version.style_id])
    order_line_advance(order_line_id=order_line_id)
    line.refresh_from_db()
    return line


def proof_timers_run(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Remind the buyer of a waiting proof `PROOF_REMINDER_BEFORE_S` before it approves itself, and
    approve the proofs that waited `PROOF_AUTO_APPROVE_AFTER_S`. Run by the periodic sweep."""
    now = now or timezone.now()
    auto_after = dt.timedelta(seconds=settings.PROOF_AUTO_APPROVE_AFTER_S)
    remind_at = auto_after - dt.timedelta(seconds=settings.PROOF_REMINDER_BEFORE_S)
    waiting = OrderLine.objects.filter(stage=LineStage.PROOF_READY, order__status__in=IN_FULFILMENT_STATUSES)
    reminded = approved = 0
    for line in waiting.filter(
        proof_ready_at__lte=now - remind_at, proof_reminder_sent_at__isnull=True
    ).select_related("order__buyer", "product_size__product"):
        with transaction.atomic():
            if OrderLine.objects.filter(pk=line.pk, proof_reminder_sent_at__isnull=True).update(
                proof_reminder_sent_at=now
            ):
                notification_send(
                    key=f"proof-reminder:line:{line.pk}:{line.rerenders_used}",
                    to=line.order.buyer.email,
                    template="proof_reminder",
                    context={
                        "order": line.order,
                        "line": line,
                        "auto_approve_at": line.proof_ready_at + auto_after,  # type: ignore[operator]
                    },
                )
                reminded += 1
    orders = set()
    for pk in waiting.filter(proof_ready_at__lte=now - auto_after).values_list("pk", flat=True):
        with transaction.atomic():
            line = OrderLine.objects.select_for_update().get(pk=pk)
            if line.stage == LineStage.PROOF_READY:
                proof_approve(line, now=now, auto=True)
                approved += 1
                orders.add(line.order_id)
    for order_id in orders:
        order_refresh_status(order_id=order_id)
    return {"proofs_reminded": reminded, "proofs_auto_approved": approved}
