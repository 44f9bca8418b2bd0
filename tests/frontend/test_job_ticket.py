"""The print shop's job ticket: printed from Chromium, it is one page on A4 and on Letter with the
packing slip on the next, and it carries the sheet's pictures, its colour profile, the ship-by date
and a Code 128 barcode of the job id."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageCms

from frontend.job_ticket import TRUE_SCALE_CROP_IN, icc_profile_name, job_barcode_value
from marketplace.dispatch import STANDARD_DISPATCH_BUSINESS_DAYS, dispatch_promise
from marketplace.models import LineStage, Order, ProductionJob
from marketplace.services.orders import OrderLineRequest, order_create
from marketplace.services.personalizations import personalization_create
from tests.conftest import SHIP_TO, skip_or_fail

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "job-ticket"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _fogra_like_profile() -> bytes:
    """A profile that names itself, so the ticket is seen to read the name from the file."""
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB"))
    return profile.tobytes()


@pytest.fixture
def started_job(make_user: Any, buyer: Any, pattern: Any, style: Any, products: Any) -> ProductionJob:
    printer = make_user("printer")
    line_request = OrderLineRequest(
        personalization=personalization_create(buyer=buyer, base_pattern=pattern, style=style, seed=1),
        product_size=products["swatch"],
        quantity=3,
    )
    order = order_create(buyer=buyer, lines=[line_request])
    Order.objects.filter(pk=order.pk).update(
        shipping_address=SHIP_TO, country="US", paid_at=timezone.now() - dt.timedelta(days=2)
    )
    line = order.lines.get()
    width, height = products["swatch"].print_pixels(pattern.dpi)
    # A sheet with a left half of one colour, so the true-scale crop is seen to come from its corner.
    sheet = Image.new("RGB", (width, height), (40, 160, 150))
    sheet.paste((230, 90, 40), (0, 0, width // 2, height))
    out = io.BytesIO()
    sheet.save(out, format="PNG", dpi=(pattern.dpi, pattern.dpi), icc_profile=_fogra_like_profile())
    line.print_sheet.save("sheet.png", ContentFile(out.getvalue()), save=False)
    line.stage = LineStage.IN_PRODUCTION
    line.save()
    return ProductionJob.objects.create(
        order_line=line,
        printer=printer,
        released_at=dt.datetime(2026, 12, 4, 15, tzinfo=dt.UTC),  # a Friday
        started_at=timezone.now(),
    )


def test_ship_by_counts_business_days_from_release_and_skips_the_weekend() -> None:
    friday = dt.datetime(2026, 12, 4, 15, tzinfo=dt.UTC)
    promise = dispatch_promise(released_at=friday)
    assert promise.service_level == "Standard" and promise.business_days == STANDARD_DISPATCH_BUSINESS_DAYS
    assert promise.ship_by.weekday() < 5
    assert promise.ship_by == dt.date(2026, 12, 4) + dt.timedelta(days=STANDARD_DISPATCH_BUSINESS_DAYS + 2)
    saturday = dispatch_promise(released_at=friday + dt.timedelta(days=1))
    assert saturday.ship_by == dt.date(2026, 12, 7) + dt.timedelta(days=STANDARD_DISPATCH_BUSINESS_DAYS)


def test_the_ticket_names_the_profile_the_sheet_embeds_and_shows_its_pictures(
    started_job: ProductionJob, client: Any
) -> None:
    client.force_login(started_job.printer)
    page = client.get(f"/studio/production/jobs/{started_job.pk}/").content.decode()
    with started_job.order_line.print_sheet.open("rb") as fh, Image.open(fh) as sheet:
        expected = icc_profile_name(sheet.info["icc_profile"])
    assert expected and expected != "sRGB built-in"
    icc_cell = re.search(r'data-testid="ticket-icc">(.*?)</td>', page, re.S)
    assert icc_cell and expected in icc_cell.group(1)
    assert 'data-testid="ticket-thumbnail"' in page and 'data-testid="ticket-crop"' in page
    assert f"width:{TRUE_SCALE_CROP_IN}in;height:{TRUE_SCALE_CROP_IN}in" in page
    assert "Standard: ship by Wed 9 Dec 2026" in page
    assert f'data-value="{job_barcode_value(started_job.pk)}"' in page
    slip = page.split('data-testid="packing-slip"', 1)[1]
    assert SHIP_TO["line1"] in slip and f'data-testid="slip-order">{started_job.order_line.order_id}<' in slip
    assert re.search(r'class="num">3</td>', slip)


def test_a_shop_that_has_not_started_the_job_sees_no_pictures_of_the_sheet(
    started_job: ProductionJob, make_user: Any, client: Any
) -> None:
    ProductionJob.objects.filter(pk=started_job.pk).update(printer=None, started_at=None)
    started_job.order_line.stage = LineStage.APPROVED
    started_job.order_line.save(update_fields=["stage"])
    client.force_login(make_user("printer"))
    page = client.get(f"/studio/production/jobs/{started_job.pk}/").content.decode()
    assert "ticket-thumbnail" not in page and "ticket-crop" not in page
    assert SHIP_TO["line1"] not in page
    assert "Standard: ship by" in page and "ticket-barcode" in page


def _pdf_pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    match = re.search(r"^Pages:\s+(\d+)", info, re.M)
    assert match, info
    return int(match.group(1))


def _pdf_text(pdf: Path, page: int) -> str:
    return subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_the_ticket_prints_on_one_page_and_the_packing_slip_on_the_next(
    paper: str, started_job: ProductionJob, browser: Any, live_server: Any, client: Any
) -> None:
    client.force_login(started_job.printer)
    context = browser.new_context()
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/studio/production/jobs/{started_job.pk}/")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / f"ticket-{paper}.pdf"
    page.pdf(path=str(pdf), format=paper, print_background=True)
    if paper == "A4":
        page.screenshot(path=str(ARTIFACTS / "ticket-screen.png"), full_page=True)
    context.close()
    assert _pdf_pages(pdf) == 2
    ticket, slip = _pdf_text(pdf, 1), _pdf_text(pdf, 2)
    assert f"Job ticket #{started_job.pk}" in ticket and "Standard: ship by" in ticket
    assert "Packing slip" not in ticket
    assert "Packing slip" in slip and SHIP_TO["line1"] in slip and "Job ticket" not in slip
    images = subprocess.run(
        ["pdfimages", "-f", "1", "-l", "1", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    assert len(images.strip().splitlines()) - 2 >= 2  # the thumbnail and the crop (the barcode is vector)
