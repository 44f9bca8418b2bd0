"""A print shop's ship call moves its line and the line's order in one transaction, so a process
killed mid-call leaves both as they were; a retried ship and the sweep repair an order that older
code left behind its lines."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest
from django.utils import timezone

from marketplace.models import LineStage, Order, OrderLine, OrderStatus, ProductionJob
from marketplace.payments.models import PaymentStatus
from marketplace.payments.services import payment_checkout_start, payment_local_confirm
from marketplace.services.fulfilment import order_status_from_lines
from marketplace.services.orders import OrderLineRequest, order_create
from marketplace.services.personalizations import personalization_create
from marketplace.services.production import production_job_ship
from marketplace.services.sweep import fulfilment_sweep
from tests.conftest import SHIP_TO
from tests.integration.processes import ROOT, process_env

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def printer(make_user: Any) -> Any:
    return make_user("printer")


@pytest.fixture
def job_in_production(
    settings: Any, buyer: Any, pattern: Any, style: Any, products: Any, printer: Any
) -> ProductionJob:
    """A paid print whose line the shop is printing (its files and proof are not what is under test)."""
    settings.STRIPE_SECRET_KEY = ""
    settings.DEBUG = True
    personalization = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    order = order_create(
        buyer=buyer,
        lines=[
            OrderLineRequest(personalization=personalization, product_size=products["swatch"], quantity=1)
        ],
    )
    payment = payment_checkout_start(order=order, actor=buyer, shipping_address=SHIP_TO)
    payment_local_confirm(payment=payment, actor=buyer, outcome=PaymentStatus.SUCCEEDED)
    now = timezone.now()
    line = order.lines.get()
    OrderLine.objects.filter(pk=line.pk).update(stage=LineStage.IN_PRODUCTION, stage_changed_at=now)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.IN_PRODUCTION)
    return ProductionJob.objects.create(order_line=line, printer=printer, released_at=now, started_at=now)


def _agrees(order: Order) -> bool:
    order.refresh_from_db()
    stages = list(order.lines.values_list("stage", flat=True))
    return order_status_from_lines(current=order.status, stages=stages) == order.status


def _shipped_under_older_code(job: ProductionJob) -> Order:
    """The rows a crash between the line's commit and its order's refresh left: shipped, in production."""
    OrderLine.objects.filter(pk=job.order_line_id).update(
        stage=LineStage.SHIPPED, stage_changed_at=timezone.now()
    )
    ProductionJob.objects.filter(pk=job.pk).update(
        carrier="DHL", tracking_number="JD0001", shipped_at=timezone.now()
    )
    order = job.order_line.order
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PRODUCTION and not _agrees(order)
    return order


def test_a_ship_call_killed_midway_never_strands_the_order(
    job_in_production: ProductionJob, printer: Any
) -> None:
    # The worker process is killed (SIGKILL, no clean-up) as the call reaches the order's status.
    script = textwrap.dedent(
        f"""
        import os, signal
        from marketplace.models import User
        from marketplace.services import production
        production.order_refresh_status = lambda **kw: os.kill(os.getpid(), signal.SIGKILL)
        production.production_job_ship(
            job_id={job_in_production.pk}, printer=User.objects.get(pk={printer.pk}), carrier="DHL", tracking_number="JD0001"
        )
        """
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=process_env(),
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == -9, done.stderr.decode()[-2000:]
    order = job_in_production.order_line.order
    line = OrderLine.objects.get(pk=job_in_production.order_line_id)
    assert _agrees(order), f"the line is {line.stage}, its order {order.status}"

    production_job_ship(job_id=job_in_production.pk, printer=printer, carrier="DHL", tracking_number="JD0001")
    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED and _agrees(order)


def test_a_retried_ship_repairs_an_order_left_behind_its_shipped_line(
    job_in_production: ProductionJob, printer: Any
) -> None:
    order = _shipped_under_older_code(job_in_production)
    production_job_ship(job_id=job_in_production.pk, printer=printer, carrier="DHL", tracking_number="JD0001")
    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED


def test_the_sweep_rederives_the_status_of_an_order_whose_lines_disagree(
    job_in_production: ProductionJob,
) -> None:
    order = _shipped_under_older_code(job_in_production)
    result = fulfilment_sweep(resend_all=False)
    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED
    assert result.as_dict()["order_statuses_rederived"] == 1
    assert fulfilment_sweep(resend_all=False).as_dict()["order_statuses_rederived"] == 0
