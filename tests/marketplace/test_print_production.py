"""Print production: shipping at checkout, the buyer's proof, the print shops' queue, tracking and
the notification e-mails. The purchase runs the real steps on the embedded worker (local gateway,
in-process chain); e-mail goes to Django's locmem outbox here (a real SMTP server on loopback takes
it in tests/integration/test_smtp_notifications.py)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from marketplace.errors import Conflict
from marketplace.models import (
    CARRIER_MAX_CHARS,
    TRACKING_NUMBER_MAX_CHARS,
    EmailMessageLog,
    LineStage,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    ProductionJob,
    ProductSize,
)
from marketplace.notifications import email_deliver, notification_send
from marketplace.royalties.models import RoyaltyEntry
from marketplace.services.fulfilment import order_status_from_lines
from marketplace.services.production import production_job_ship, production_job_start
from marketplace.services.proofs import order_line_cancel, proof_timers_run
from marketplace.services.shipping import shipping_addresses_anonymise, shipping_quote
from provenance.core.credentials import read_credential
from provenance.models import AttributionRecord
from provenance.services import dev_trust_anchor
from tests.conftest import PURCHASE_QUEUES, SHIP_TO, join_all
from tests.factories import order_of_patterns_make, order_pay_locally

pytestmark = pytest.mark.django_db(transaction=True)

QUEUES = PURCHASE_QUEUES


@pytest.fixture
def printer(make_user: Any) -> Any:
    return make_user("printer")


@pytest.fixture
def digital(db: None) -> ProductSize:
    product = Product.objects.create(slug="digital", name="Digital file", substrate="digital", use="personal")
    return ProductSize.objects.create(
        product=product, slug="download", name="Download", width_in=4, height_in=4, price=Decimal("8.00")
    )


# --- checkout and shipping ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("postal_code", "country", "accepted"),
    [
        ("75001", "FR", True),
        ("75001", "GB", False),
        ("SW1A 1AA", "GB", True),
        ("sw1a1aa", "GB", True),
        ("SW1A 1AA", "US", False),
        ("94103-1234", "US", True),
        ("M5V 2T6", "CA", True),
        ("12345", "CA", False),
        ("1012 AB", "NL", True),
        ("100-0001", "JP", True),
        ("7500", "FR", False),
    ],
)
def test_a_postal_code_must_have_the_format_of_its_country(
    postal_code: str, country: str, accepted: bool
) -> None:
    from django.core.exceptions import ValidationError

    from marketplace.services.shipping import shipping_address_clean

    paris = {
        "name": "Ada Lovelace",
        "line1": "8 rue de Rivoli",
        "city": "Paris",
        # A region of the countries that need one (the postal code is what is checked here).
        "state": {"US": "NY", "CA": "ON", "JP": "Tokyo"}.get(country, ""),
        "postal_code": postal_code,
        "country": country,
    }
    if accepted:
        assert shipping_address_clean(paris)["postal_code"] == postal_code.upper()
    else:
        with pytest.raises(ValidationError) as refused:
            shipping_address_clean(paris)
        assert country in refused.value.message_dict["shipping_address.postal_code"][0]


def test_checkout_needs_an_address_for_prints_and_names_the_field(
    local_gateway: None, buyer: Any, pattern: Any, style: Any, products: Any, client_for: Any
) -> None:
    order = order_of_patterns_make(buyer=buyer, style=style, lines=[(pattern, products["yard"], 2)])
    client = client_for(buyer)
    url = f"/api/v1/orders/{order.pk}/checkout/"
    missing = client.post(url, {}, format="json")
    assert missing.status_code == 400 and "shipping_address" in missing.json()
    bad_country = client.post(url, {"shipping_address": {**SHIP_TO, "country": "XX"}}, format="json")
    assert bad_country.status_code == 400 and "shipping_address.country" in bad_country.json()
    no_city = client.post(url, {"shipping_address": {**SHIP_TO, "city": ""}}, format="json")
    assert no_city.status_code == 400 and "city" in json.dumps(no_city.json())
    unknown = client.post(url, {"shipping_address": {**SHIP_TO, "county": "Cook"}}, format="json")
    assert unknown.status_code == 400
    order.refresh_from_db()
    assert order.status == OrderStatus.DRAFT and order.shipping_address is None  # nothing half-written

    ok = client.post(url, {"shipping_address": {**SHIP_TO, "country": "de"}}, format="json")
    assert ok.status_code == 200
    shown = client.get(f"/api/v1/orders/{order.pk}/").json()
    # Europe, fabric: 9.00 per order plus 2.50 an item; the goods are 2 × 24.00.
    assert shown["shipping_amount"] == "14.00" and shown["tax_amount"] == "0.00"
    assert shown["total"] == "62.00" and shown["shipping_address"]["country"] == "DE"
    assert shown["shipments"] == []


def test_shipping_is_per_substrate_and_zone_and_digital_files_ship_nothing(
    db: None, products: Any, digital: ProductSize
) -> None:
    quote = shipping_quote(items=[(products["swatch"], 1), (products["yard"], 3), (digital, 1)], country="US")
    # Fabric to the US: 4.00 once, on the first fabric line, plus 1.50 an item.
    assert quote.per_line == (Decimal("5.50"), Decimal("4.50"), Decimal("0"))
    assert shipping_quote(items=[(digital, 2)], country=None).amount == 0
    assert shipping_quote(items=[(products["swatch"], 1)], country="JP").zone.rest_of_world  # type: ignore[union-attr]


def test_the_order_page_and_the_api_hide_the_address_from_everyone_but_the_buyer(
    local_gateway: None, buyer: Any, make_user: Any, pattern: Any, style: Any, products: Any, client_for: Any
) -> None:
    order = order_of_patterns_make(buyer=buyer, style=style, lines=[(pattern, products["swatch"], 1)])
    client_for(buyer).post(
        f"/api/v1/orders/{order.pk}/checkout/", {"shipping_address": SHIP_TO}, format="json"
    )
    stranger = client_for(make_user("buyer"))
    assert stranger.get(f"/api/v1/orders/{order.pk}/").status_code == 404
    assert SHIP_TO["line1"] in json.dumps(client_for(buyer).get(f"/api/v1/orders/{order.pk}/").json())


# --- one purchase, end to end ----------------------------------------------------------------------


def test_a_print_goes_from_proof_to_printer_to_the_buyers_door(
    local_gateway: None,
    production_worker: Any,
    buyer: Any,
    printer: Any,
    make_user: Any,
    pattern: Any,
    style: Any,
    products: Any,
    digital: ProductSize,
    client_for: Any,
) -> None:
    order = order_of_patterns_make(
        buyer=buyer, style=style, lines=[(pattern, products["swatch"], 2), (pattern, digital, 1)]
    )
    order_pay_locally(order=order, shipping_address=SHIP_TO)
    join_all(queues=QUEUES)
    order.refresh_from_db()
    lines = {
        line.product_size.product.substrate: line
        for line in order.lines.select_related("product_size__product")
    }
    assert lines["fabric"].stage == LineStage.PROOF_READY
    assert lines["digital"].stage == LineStage.DELIVERED  # a digital file is complete once delivered
    assert order.status == OrderStatus.PROOF_READY

    buyer_api = client_for(buyer)
    shown = buyer_api.get(f"/api/v1/orders/{order.pk}/").json()
    proof = next(line for line in shown["lines"] if line["id"] == lines["fabric"].pk)
    assert proof["proof_url"] and proof["rerenders_left"] == 1
    assert buyer_api.get(proof["proof_url"]).status_code == 200
    assert buyer_api.get(proof["proof_tiles"]["url"].format(col=0, row=0)).status_code == 200
    # A print sells the print: its buyer downloads none of its production files, ever.
    assert proof["files"] == {"print_png": None, "print_sheet": None, "svg": None}
    for kind in ("print_png", "print_sheet", "svg"):
        url = f"/api/v1/orders/{order.pk}/lines/{lines['fabric'].pk}/files/{kind}/"
        assert buyer_api.get(url).status_code == 403
    download = next(line for line in shown["lines"] if line["id"] == lines["digital"].pk)
    assert all(download["files"].values()) and buyer_api.get(download["files"]["svg"]).status_code == 200
    assert buyer_api.post(f"/api/v1/orders/{order.pk}/lines/{lines['digital'].pk}/cancel/").status_code == 409
    # Nothing is printed before approval: no job exists, and printers see an empty queue.
    printer_api = client_for(printer)
    assert printer_api.get("/api/v1/production/jobs/").json()["count"] == 0

    approved = buyer_api.post(f"/api/v1/orders/{order.pk}/approve/")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert buyer_api.post(f"/api/v1/orders/{order.pk}/approve/").status_code == 409  # nothing left to approve

    queue = printer_api.get("/api/v1/production/jobs/", {"status": "queued"}).json()
    assert queue["count"] == 1
    job = queue["results"][0]
    assert job["order"] == order.pk and job["substrate"] == "fabric" and job["quantity"] == 2
    # The address is for the shop that starts the job; until then, the destination country.
    assert (
        job["size"]["width_px"] == 8 * pattern.dpi
        and job["ship_to"] is None
        and job["ship_to_country"] == "US"
    )
    assert set(job) >= {
        "id",
        "order",
        "status",
        "substrate",
        "size",
        "quantity",
        "ship_to",
        "print_sheet_url",
    }
    assert "email" not in json.dumps(job) and buyer.username not in json.dumps(job)
    # Production files go to the shop that starts the job, not to every shop browsing the queue.
    assert printer_api.get(job["print_sheet_url"]).status_code == 403

    started = printer_api.post(f"/api/v1/production/jobs/{job['id']}/start/")
    assert started.status_code == 200 and started.json()["status"] == "printing"
    assert started.json()["ship_to"] == SHIP_TO
    sheet = printer_api.get(job["print_sheet_url"])
    assert sheet.status_code == 200
    # The sheet the shop prints carries its own credential, naming this line's record.
    sheet_bytes = b"".join(sheet.streaming_content) if sheet.streaming else sheet.content
    credential = read_credential(sheet_bytes, "image/png", trust_anchor_pem=dev_trust_anchor())
    assert credential.state == "trusted" and credential.asset == "print_sheet"
    assert credential.record_id == AttributionRecord.objects.get(order_line=lines["fabric"]).record_id
    # Once in production the line cannot be cancelled.
    cancel = buyer_api.post(f"/api/v1/orders/{order.pk}/lines/{lines['fabric'].pk}/cancel/")
    assert cancel.status_code == 409
    # Another print shop no longer sees the job, nor its files.
    other = client_for(make_user("printer"))
    assert other.get("/api/v1/production/jobs/").json()["count"] == 0
    assert other.get(job["print_sheet_url"]).status_code == 404
    assert (
        other.post(
            f"/api/v1/production/jobs/{job['id']}/ship/", {"carrier": "UPS", "tracking_number": "1Z"}
        ).status_code
        == 404
    )

    assert (
        printer_api.post(
            f"/api/v1/production/jobs/{job['id']}/ship/", {"carrier": "UPS"}, format="json"
        ).status_code
        == 400
    )
    # The service holds the column's limits itself, for every caller, rather than cutting the text.
    with pytest.raises(ValidationError) as too_long:
        production_job_ship(
            job_id=job["id"],
            printer=printer,
            carrier="U" * (CARRIER_MAX_CHARS + 1),
            tracking_number="1" * (TRACKING_NUMBER_MAX_CHARS + 1),
        )
    assert set(too_long.value.message_dict) == {"carrier", "tracking_number"}
    shipped = printer_api.post(
        f"/api/v1/production/jobs/{job['id']}/ship/",
        {"carrier": "UPS", "tracking_number": "1Z999AA10123456784"},
        format="json",
    )
    assert shipped.status_code == 200 and shipped.json()["status"] == "shipped"
    join_all(queues=QUEUES)

    final = buyer_api.get(f"/api/v1/orders/{order.pk}/").json()
    assert final["status"] == "fulfilled"
    assert (
        final["shipments"][0]["carrier"] == "UPS"
        and final["shipments"][0]["tracking_number"] == "1Z999AA10123456784"
    )
    page = client_for(buyer)
    page.force_login(buyer)
    assert b"1Z999AA10123456784" in page.get(f"/orders/{order.pk}/").content

    subjects = [message.subject for message in mail.outbox]
    assert any("receipt" in s for s in subjects)
    assert any("proof" in s and "ready" in s for s in subjects)
    assert any("has shipped" in s for s in subjects)
    assert all(message.to == [buyer.email] for message in mail.outbox)
    # Each once, even when a job redelivers them.
    sent = len(mail.outbox)
    for message in EmailMessageLog.objects.all():
        assert email_deliver(message_id=message.pk) is False
    assert len(mail.outbox) == sent == EmailMessageLog.objects.count()

    # The address never entered a manifest, a credential or a transaction.
    for record in AttributionRecord.objects.all():
        assert SHIP_TO["line1"] not in json.dumps(record.manifest)
        with record.order_line.print_png.open("rb") as fh:
            assert SHIP_TO["line1"].encode() not in fh.read()

    # The ledger holds the goods only: never the shipping.
    order.refresh_from_db()
    accrued = sum(e.amount for e in RoyaltyEntry.objects.filter(order=order))
    assert accrued == order.subtotal and order.total == order.subtotal + order.shipping_amount


def test_a_rerender_supersedes_the_record_once_and_a_cancel_refunds_in_full(
    local_gateway: None,
    production_worker: Any,
    buyer: Any,
    pattern: Any,
    style: Any,
    products: Any,
    client_for: Any,
) -> None:
    order = order_of_patterns_make(
        buyer=buyer, style=style, lines=[(pattern, products["swatch"], 1), (pattern, products["swatch"], 1)]
    )
    order_pay_locally(order=order, shipping_address=SHIP_TO)
    join_all(queues=QUEUES)
    first, second = order.lines.order_by("pk")
    api = client_for(buyer)
    url = f"/api/v1/orders/{order.pk}/lines/{first.pk}/rerender/"
    assert api.post(url, {"seed": first.seed}, format="json").status_code == 400  # the same seed again
    assert api.post(url, {"seed": "x"}, format="json").status_code == 400
    old_record = AttributionRecord.objects.get(order_line=first)
    assert api.post(url, {"seed": 4242}, format="json").status_code == 200
    join_all(queues=QUEUES)
    first.refresh_from_db()
    assert first.stage == LineStage.PROOF_READY and first.render_seed == 4242
    records = AttributionRecord.objects.filter(order_line=first).order_by("pk")
    assert [r.pk == old_record.pk for r in records] == [True, False]
    assert records[0].superseded_at is not None and records[1].superseded_at is None
    assert records[0].rendered_png_sha256 != records[1].rendered_png_sha256
    assert api.post(url, {"seed": 7}, format="json").status_code == 409  # once per line

    cancelled = api.post(f"/api/v1/orders/{order.pk}/lines/{second.pk}/cancel/")
    assert cancelled.status_code == 200
    join_all(queues=QUEUES)
    second.refresh_from_db()
    order.refresh_from_db()
    assert second.stage == LineStage.CANCELLED
    # Its goods and its shipping came back; its ledger entries were reversed.
    assert order.refunded_amount == second.line_total + second.shipping_amount
    assert sum(e.amount for e in RoyaltyEntry.objects.filter(order_line=second)) == 0
    style.refresh_from_db()
    assert style.uses_taken == 1  # the cancelled line's edition use went back
    assert not ProductionJob.objects.filter(order_line=second).exists()


def test_unapproved_proofs_are_reminded_then_approve_themselves(
    local_gateway: None,
    production_worker: Any,
    buyer: Any,
    pattern: Any,
    style: Any,
    products: Any,
    settings: Any,
) -> None:
    order = order_of_patterns_make(buyer=buyer, style=style, lines=[(pattern, products["swatch"], 1)])
    order_pay_locally(order=order, shipping_address=SHIP_TO)
    join_all(queues=QUEUES)
    line = order.lines.get()
    ready_at = line.proof_ready_at
    assert ready_at is not None
    hours = dt.timedelta(hours=1)
    assert proof_timers_run(now=ready_at + 47 * hours) == {"proofs_reminded": 0, "proofs_auto_approved": 0}
    assert proof_timers_run(now=ready_at + 49 * hours) == {"proofs_reminded": 1, "proofs_auto_approved": 0}
    assert proof_timers_run(now=ready_at + 50 * hours)["proofs_reminded"] == 0  # reminded once
    assert proof_timers_run(now=ready_at + 73 * hours) == {"proofs_reminded": 0, "proofs_auto_approved": 1}
    join_all(queues=QUEUES)
    line.refresh_from_db()
    assert (
        line.stage == LineStage.APPROVED
        and line.auto_approved
        and ProductionJob.objects.filter(order_line=line).exists()
    )
    assert Order.objects.get(pk=order.pk).status == OrderStatus.APPROVED
    assert [m.subject for m in mail.outbox if "Reminder" in m.subject]


# --- who sees the production queue ------------------------------------------------------------------


@pytest.mark.parametrize(
    "role,expected", [("buyer", 403), ("artist", 403), ("designer", 403), ("verifier", 403), ("printer", 200)]
)
def test_the_production_api_is_for_printers_only(
    db: None, make_user: Any, client_for: Any, role: str, expected: int
) -> None:
    assert client_for(make_user(role)).get("/api/v1/production/jobs/").status_code == expected
    assert client_for(None).get("/api/v1/production/jobs/").status_code == 401
    bad_filter = client_for(make_user("printer")).get("/api/v1/production/jobs/", {"status": "lost"})
    assert bad_filter.status_code == 400


def test_the_production_pages_are_for_printers_only(db: None, make_user: Any, client: Any) -> None:
    client.force_login(make_user("buyer"))
    assert client.get("/studio/production/").status_code == 403
    client.force_login(make_user("printer"))
    assert client.get("/studio/production/").status_code == 200
    assert client.get("/studio/production/jobs/999/").status_code == 404


# --- properties --------------------------------------------------------------------------------------

STAGES = [stage for stage in LineStage.values]


@given(st.lists(st.sampled_from(STAGES), min_size=1, max_size=6))
def test_an_order_is_fulfilled_exactly_when_every_line_still_owed_is_finished(stages: list[str]) -> None:
    status = order_status_from_lines(current=OrderStatus.RENDERING, stages=stages)
    owed = [s for s in stages if s not in (LineStage.FAILED, LineStage.CANCELLED)]
    finished = bool(owed) and all(s in (LineStage.DELIVERED, LineStage.SHIPPED) for s in owed)
    assert (status == OrderStatus.FULFILLED) == finished
    if LineStage.FAILED in stages and not finished:
        assert status == OrderStatus.NEEDS_ATTENTION
    if any(s in (LineStage.QUEUED, LineStage.RENDERING) for s in owed) and LineStage.FAILED not in stages:
        assert status == OrderStatus.RENDERING


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    quantities=st.lists(st.integers(min_value=1, max_value=20), min_size=1, max_size=3),
    country=st.sampled_from(["US", "DE", "JP", "GB"]),
)
def test_the_ledger_never_includes_shipping(
    local_gateway: None,
    buyer: Any,
    pattern: Any,
    style: Any,
    products: Any,
    quantities: list[int],
    country: str,
) -> None:
    order = order_of_patterns_make(
        buyer=buyer, style=style, lines=[(pattern, products["swatch"], q) for q in quantities]
    )
    postal_code = {"US": "12345", "DE": "10115", "JP": "100-0001", "GB": "SW1A 1AA"}[country]
    state = {"US": "IL", "JP": "Tokyo"}.get(country, "")
    order_pay_locally(
        order=order,
        shipping_address={**SHIP_TO, "country": country, "postal_code": postal_code, "state": state},
    )
    order.refresh_from_db()
    accrued = sum((e.amount for e in RoyaltyEntry.objects.filter(order=order)), Decimal("0"))
    assert order.shipping_amount > 0
    assert accrued == order.goods_total == order.subtotal
    assert order.total == order.subtotal + order.shipping_amount


def test_a_cancel_after_printing_started_is_refused(
    local_gateway: None,
    production_worker: Any,
    buyer: Any,
    printer: Any,
    pattern: Any,
    style: Any,
    products: Any,
) -> None:
    order = order_of_patterns_make(buyer=buyer, style=style, lines=[(pattern, products["swatch"], 1)])
    order_pay_locally(order=order, shipping_address=SHIP_TO)
    join_all(queues=QUEUES)
    from marketplace.services.proofs import order_proofs_approve

    order_proofs_approve(order=order, actor=buyer)
    job = ProductionJob.objects.get(order_line__order=order)
    production_job_start(job_id=job.pk, printer=printer)
    with pytest.raises(Conflict):
        order_line_cancel(order_line_id=job.order_line_id, actor=buyer, reason="changed my mind")
    assert OrderLine.objects.get(pk=job.order_line_id).stage == LineStage.IN_PRODUCTION


# --- e-mail once, and personal data kept no longer than needed -------------------------------------


def test_a_notification_is_sent_once_per_key(local_gateway: None, production_worker: Any, buyer: Any) -> None:
    for _ in range(3):
        notification_send(
            key="receipt:order:1",
            to=buyer.email,
            template="refund",
            context={"order": {"pk": 1}, "refund": {"amount": "1.00"}},
        )
    join_all(queues={"email"})
    assert len(mail.outbox) == 1 and EmailMessageLog.objects.get().sent_at is not None


def test_addresses_are_anonymised_after_the_retention_period(
    local_gateway: None, buyer: Any, pattern: Any, style: Any, products: Any
) -> None:
    order = order_of_patterns_make(buyer=buyer, style=style, lines=[(pattern, products["swatch"], 1)])
    order_pay_locally(order=order, shipping_address=SHIP_TO)
    Order.objects.filter(pk=order.pk).update(
        status=OrderStatus.FULFILLED, fulfilled_at=timezone.now() - dt.timedelta(days=91)
    )
    recent = order_of_patterns_make(buyer=buyer, style=style, lines=[(pattern, products["swatch"], 1)])
    order_pay_locally(order=recent, shipping_address=SHIP_TO)
    Order.objects.filter(pk=recent.pk).update(
        status=OrderStatus.FULFILLED, fulfilled_at=timezone.now() - dt.timedelta(days=5)
    )
    call_command("anonymise_addresses")
    order.refresh_from_db()
    recent.refresh_from_db()
    assert order.shipping_address == {"country": "US"} and order.address_anonymised_at is not None
    assert recent.shipping_address == SHIP_TO
    assert shipping_addresses_anonymise() == 0  # already done
