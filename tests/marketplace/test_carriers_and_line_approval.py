"""The carrier table and its tracking links (ship form, order page, e-mail, API), the migration of
free-text carriers, the per-line approval API, and the API's human `status_display`."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from marketplace.carriers import Carrier, carrier_resolve, tracking_url
from marketplace.models import (
    BasePattern,
    EmailMessageLog,
    LineStage,
    Order,
    OrderStatus,
    ProductionJob,
    ProductSize,
    Style,
    User,
)
from marketplace.services.orders import OrderLineRequest, order_create
from marketplace.services.personalizations import personalization_create
from marketplace.services.production import production_job_ship
from tests.conftest import image_bytes

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "code", "name"),
    [
        ("UPS", Carrier.UPS, "UPS"),
        ("royal mail", Carrier.ROYAL_MAIL, "Royal Mail"),
        ("Colissimo", Carrier.LA_POSTE, "La Poste / Colissimo"),
        ("Postes Canada", Carrier.CANADA_POST, "Canada Post"),
        ("deutsche_post", Carrier.DEUTSCHE_POST, "Deutsche Post / DHL Paket"),
        ("  Bob's   Courier ", Carrier.OTHER, "Bob's Courier"),
    ],
)
def test_a_carrier_is_resolved_from_its_code_or_any_spelling_of_its_name(
    typed: str, code: str, name: str
) -> None:
    assert carrier_resolve(typed) == (code, name)


def test_every_listed_carrier_links_its_tracking_page_with_the_number_quoted() -> None:
    for code in Carrier.values:
        url = tracking_url(carrier_code=code, tracking_number="AB 12/3")
        if code == Carrier.OTHER:
            assert url is None
        else:
            assert url is not None and url.startswith("https://") and "AB%2012%2F3" in url
    assert tracking_url(carrier_code=Carrier.UPS, tracking_number="") is None


def test_the_migration_maps_known_free_text_carriers_and_keeps_the_rest_as_other(
    printer_job: ProductionJob,
) -> None:
    migration = importlib.import_module("marketplace.migrations.0015_production_job_carrier_code")
    ProductionJob.objects.filter(pk=printer_job.pk).update(carrier="fedex", carrier_code="")
    other = ProductionJob.objects.get(pk=printer_job.pk)
    migration.carrier_codes_from_names(django_apps, None)
    other.refresh_from_db()
    assert (other.carrier_code, other.carrier) == (Carrier.FEDEX, "FedEx")
    ProductionJob.objects.filter(pk=printer_job.pk).update(carrier="Van of my cousin", carrier_code="")
    migration.carrier_codes_from_names(django_apps, None)
    other.refresh_from_db()
    assert (other.carrier_code, other.carrier) == (Carrier.OTHER, "Van of my cousin")


@pytest.fixture
def printer(make_user: Any) -> User:
    return make_user("printer")  # type: ignore[no-any-return]


@pytest.fixture
def printer_job(
    buyer: User, printer: User, pattern: BasePattern, style: Style, products: dict[str, ProductSize]
) -> ProductionJob:
    """A line being printed by `printer`, its print sheet made."""
    design = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    order = order_create(buyer=buyer, lines=[OrderLineRequest(design, products["swatch"], 1)])
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.IN_PRODUCTION)
    line = order.lines.get()
    line.print_sheet.save("print-sheet.png", ContentFile(image_bytes(32, 32)), save=False)
    line.stage = LineStage.IN_PRODUCTION
    line.save()
    return ProductionJob.objects.create(order_line=line, printer=printer, started_at=timezone.now())


def test_the_shop_chooses_a_carrier_and_the_buyer_gets_its_tracking_link_on_the_page_and_by_mail(
    printer_job: ProductionJob, printer: User, buyer: User
) -> None:
    shop = Client()
    shop.force_login(printer)
    ticket = shop.get(f"/studio/production/jobs/{printer_job.pk}/").content.decode()
    assert '<option value="royal_mail">Royal Mail</option>' in ticket
    answer = shop.post(
        f"/studio/production/jobs/{printer_job.pk}/ship/",
        {"carrier": "royal_mail", "carrier_other": "", "tracking_number": "AB123456789GB"},
    )
    assert answer.status_code == 302
    printer_job.refresh_from_db()
    link = "https://www.royalmail.com/track-your-item#/tracking-results/AB123456789GB"
    assert (printer_job.carrier_code, printer_job.carrier, printer_job.tracking_url) == (
        "royal_mail",
        "Royal Mail",
        link,
    )
    shipped_mail = EmailMessageLog.objects.get(key=f"shipped:job:{printer_job.pk}")
    assert f"Track it: {link}" in shipped_mail.body
    owner = Client()
    owner.force_login(buyer)
    order_page = owner.get(f"/orders/{printer_job.order_line.order_id}/").content.decode()
    assert f'href="{link}"' in order_page


def test_other_needs_a_name_and_gets_no_link(printer_job: ProductionJob, printer: User) -> None:
    shop = Client()
    shop.force_login(printer)
    url = f"/studio/production/jobs/{printer_job.pk}/ship/"
    shop.post(url, {"carrier": "other", "carrier_other": "", "tracking_number": "X1"})
    printer_job.refresh_from_db()
    assert printer_job.shipped_at is None
    shop.post(url, {"carrier": "other", "carrier_other": "Local courier", "tracking_number": "X1"})
    printer_job.refresh_from_db()
    assert (printer_job.carrier_code, printer_job.carrier, printer_job.tracking_url) == (
        "other",
        "Local courier",
        None,
    )


def test_the_api_keeps_the_carrier_and_adds_its_tracking_url(
    printer_job: ProductionJob, printer: User, buyer: User, client_for: Any
) -> None:
    production_job_ship(job_id=printer_job.pk, printer=printer, carrier="DHL", tracking_number="JD0001")
    order = client_for(buyer).get(f"/api/v1/orders/{printer_job.order_line.order_id}/").json()
    assert order["shipments"][0]["carrier"] == "DHL Express"
    assert order["shipments"][0]["tracking_url"] == (
        "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id=JD0001"
    )
    assert order["status_display"] == "Complete"


def test_the_api_approves_one_line_idempotently_and_refuses_a_line_not_awaiting_approval(
    buyer: User,
    make_user: Any,
    pattern: BasePattern,
    style: Style,
    products: dict[str, ProductSize],
    client_for: Any,
) -> None:
    design = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    order = order_create(buyer=buyer, lines=[OrderLineRequest(design, products["swatch"], 1)] * 2)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PROOF_READY)
    first, second = order.lines.order_by("pk")
    order.lines.update(stage=LineStage.PROOF_READY)
    api = client_for(buyer)
    url = f"/api/v1/orders/{order.pk}/lines/{first.pk}/approve/"

    answer = api.post(url)
    assert answer.status_code == 200
    stages = {line["id"]: line["stage"] for line in answer.json()["lines"]}
    assert stages == {first.pk: LineStage.APPROVED, second.pk: LineStage.PROOF_READY}
    assert answer.json()["status_display"] == "Proof ready"
    assert api.post(url).status_code == 200  # again: nothing changes
    assert ProductionJob.objects.filter(order_line=first).count() == 1

    order.lines.filter(pk=second.pk).update(stage=LineStage.AWAITING_ARTIST_APPROVAL)
    refused = api.post(f"/api/v1/orders/{order.pk}/lines/{second.pk}/approve/")
    assert refused.status_code == 409 and "waiting for your approval" in refused.json()["detail"]
    assert client_for(make_user("buyer")).post(url).status_code == 404
    assert client_for(None).post(url).status_code == 401


def test_the_api_status_display_reads_rendering_while_the_stored_status_says_paid(
    buyer: User, pattern: BasePattern, style: Style, products: dict[str, ProductSize], client_for: Any
) -> None:
    design = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    order = order_create(buyer=buyer, lines=[OrderLineRequest(design, products["swatch"], 1)])
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PAID)
    order.lines.update(stage=LineStage.RENDERING, render_progress=40)
    listed = client_for(buyer).get("/api/v1/orders/").json()["results"][0]
    assert (listed["status"], listed["status_display"]) == ("paid", "In production: rendering")
