"""A print shop's hand on a released job: start it, ship it with a carrier and a tracking number."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from marketplace.carriers import carrier_resolve
from marketplace.errors import Conflict, NotAllowed
from marketplace.models import (
    CARRIER_MAX_CHARS,
    TRACKING_NUMBER_MAX_CHARS,
    LineStage,
    OrderLine,
    ProductionJob,
    User,
)
from marketplace.notifications import notification_send
from marketplace.selectors import production_job_visible
from marketplace.services.fulfilment import order_refresh_status


def _printer_job(*, job_id: int, printer: User) -> ProductionJob:
    job = (
        ProductionJob.objects.select_for_update(of=("self",))
        .select_related("order_line__order__buyer")
        .get(pk=job_id)
    )
    if not production_job_visible(job=job, user=printer):
        raise NotAllowed("This job is not released to your print shop.")
    return job


def production_job_start(*, job_id: int, printer: User) -> ProductionJob:
    """The print shop takes the job and starts printing: approved → in_production. Idempotent for
    the shop that took it; from then on no other shop sees it."""
    with transaction.atomic():
        job = _printer_job(job_id=job_id, printer=printer)
        line = OrderLine.objects.select_for_update().get(pk=job.order_line_id)
        if line.stage != LineStage.IN_PRODUCTION:
            if line.stage != LineStage.APPROVED:
                raise Conflict(f"This job is {job.status} and cannot be started.")
            line.move_to(LineStage.IN_PRODUCTION)
            line.save(update_fields=["stage", "stage_changed_at"])
            job.printer = printer
            job.started_at = timezone.now()
            job.save(update_fields=["printer", "started_at"])
            job.order_line = line
        # In the line's transaction: a crash cannot leave the line moved and its order behind, and
        # a retry repairs an order that older code left so.
        order_refresh_status(order_id=line.order_id)
    return job


def production_job_ship(*, job_id: int, printer: User, carrier: str, tracking_number: str) -> ProductionJob:
    """in_production → shipped, with the carrier and tracking number the buyer is sent. `carrier` is
    a code of `marketplace.carriers` or a carrier's name; a name not in that table is kept as "other"."""
    carrier, tracking_number = " ".join(carrier.split()), "".join(tracking_number.split())
    carrier_code, carrier = carrier_resolve(carrier) if carrier else ("", "")
    errors = {}
    if not carrier:
        errors["carrier"] = ["Name the carrier."]
    elif len(carrier) > CARRIER_MAX_CHARS:
        errors["carrier"] = [f"A carrier's name is at most {CARRIER_MAX_CHARS} characters."]
    if not tracking_number:
        errors["tracking_number"] = ["Give the tracking number."]
    elif len(tracking_number) > TRACKING_NUMBER_MAX_CHARS:
        errors["tracking_number"] = [f"A tracking number is at most {TRACKING_NUMBER_MAX_CHARS} characters."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        job = _printer_job(job_id=job_id, printer=printer)
        line = (
            OrderLine.objects.select_for_update(of=("self",))
            .select_related("order__buyer", "product_size__product")
            .get(pk=job.order_line_id)
        )
        if line.stage != LineStage.SHIPPED:
            if line.stage != LineStage.IN_PRODUCTION:
                raise Conflict("Start printing this job before shipping it.")
            line.move_to(LineStage.SHIPPED)
            line.save(update_fields=["stage", "stage_changed_at"])
            job.carrier, job.carrier_code = carrier, carrier_code
            job.tracking_number, job.shipped_at = tracking_number, timezone.now()
            job.save(update_fields=["carrier", "carrier_code", "tracking_number", "shipped_at"])
            notification_send(
                key=f"shipped:job:{job.pk}",
                to=line.order.buyer.email,
                template="shipped",
                context={"order": line.order, "line": line, "job": job},
            )
            job.order_line = line
        # In the line's transaction: a crash cannot leave the line shipped and its order in
        # production, and a retried ship repairs an order that older code left so.
        order_refresh_status(order_id=line.order_id)
    return job
