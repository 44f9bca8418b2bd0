"""The print file a shop prints from is made for its substrate: the sheet converted into the
substrate's ICC output profile with that profile embedded, and the job ticket names the same profile."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from marketplace.models import LineStage, Order, ProductionJob
from marketplace.services.orders import OrderLineRequest, order_create
from marketplace.services.personalizations import personalization_create
from stylization.engine.printing import print_png_bytes
from tests.conftest import SHIP_TO

pytestmark = pytest.mark.django_db


@pytest.fixture
def started_job(make_user: Any, buyer: Any, pattern: Any, style: Any, products: Any) -> ProductionJob:
    line_request = OrderLineRequest(
        personalization=personalization_create(buyer=buyer, base_pattern=pattern, style=style, seed=1),
        product_size=products["swatch"],
        quantity=1,
    )
    order = order_create(buyer=buyer, lines=[line_request])
    Order.objects.filter(pk=order.pk).update(shipping_address=SHIP_TO, country="US", paid_at=timezone.now())
    line = order.lines.get()
    width, height = products["swatch"].print_pixels(pattern.dpi)
    sheet = Image.new("RGB", (width, height), (0, 0, 255))
    line.print_sheet.save("sheet.png", ContentFile(print_png_bytes(sheet, dpi=pattern.dpi)), save=False)
    line.stage = LineStage.IN_PRODUCTION
    line.save()
    return ProductionJob.objects.create(
        order_line=line,
        printer=make_user("printer"),
        released_at=dt.datetime(2026, 12, 4, 15, tzinfo=dt.UTC),
        started_at=timezone.now(),
    )


def test_the_print_file_embeds_the_substrates_profile_and_the_ticket_names_it(
    started_job: ProductionJob, client_for: Any, client: Any
) -> None:
    shop = client_for(started_job.printer)
    substrate = started_job.order_line.product_size.product.substrate
    listed = {row["substrate"]: row for row in shop.get("/api/v1/substrates/").json()}[substrate]["profile"]

    response = shop.get(f"/api/v1/production/jobs/{started_job.pk}/print-file/")
    assert response.status_code == 200 and response["Content-Type"] == "image/tiff"
    data = b"".join(response.streaming_content) if response.streaming else response.content
    with Image.open(io.BytesIO(data)) as printed:
        assert printed.mode == "CMYK"
        assert hashlib.sha256(printed.info["icc_profile"]).hexdigest() == listed["sha256"]
        pattern = started_job.order_line.personalization.base_pattern
        assert round(printed.info["dpi"][0]) == pattern.dpi
        assert printed.size == started_job.order_line.product_size.print_pixels(pattern.dpi)

    client.force_login(started_job.printer)
    page = client.get(f"/studio/production/jobs/{started_job.pk}/").content.decode()
    cell = re.search(r'data-testid="ticket-print-profile">(.*?)</td>', page, re.S)
    assert cell and listed["name"] in cell.group(1)


def test_a_shop_that_has_not_started_the_job_gets_no_print_file(
    started_job: ProductionJob, client_for: Any, make_user: Any
) -> None:
    other = client_for(make_user("printer"))
    assert other.get(f"/api/v1/production/jobs/{started_job.pk}/print-file/").status_code in (403, 404)
