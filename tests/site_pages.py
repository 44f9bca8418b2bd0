"""Every page route of the site, with the demo data behind it: `seed_demo`'s people, styles and
patterns, plus what seed_demo does not make — a paid order of bea's whose line is in production at
pia's shop, with its print sheet — so the order page, the job ticket and the studios have something
to show. The browser pass (tests/e2e/test_every_page.py) and the route bench
(`python -m tests.benchmarks.routes`) both visit `site_pages()`."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import Resolver404, resolve
from django.utils import timezone
from PIL import Image

from marketplace.models import (
    BasePattern,
    JobStatus,
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

# The demo's ship-to address (a US address, the default shipping zone).
DEMO_SHIP_TO = {
    "name": "Bea Buyer",
    "line1": "1 Demo Street",
    "line2": "",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "US",
}
# A SHA-256 that names no record: the verify page's "not found" result.
UNKNOWN_SHA256 = "0" * 64


@dataclass(frozen=True)
class SitePage:
    """One page as a person would open it: `who` is a seed_demo username, or None for a visitor.
    `post` is the form a result page is the answer to (the verify result); `first` a form posted
    once before the page is opened (what puts a line in the cart), as (path, fields)."""

    name: str
    path: str
    who: str | None = None
    post: dict[str, str] = field(default_factory=dict)
    first: tuple[str, dict[str, str]] | None = None


def _sheet_png(width: int, height: int, dpi: int) -> bytes:
    sheet = Image.new("RGB", (width, height), (40, 160, 150))
    sheet.paste((230, 90, 40), (0, 0, width // 2, height))
    out = io.BytesIO()
    sheet.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()


def order_in_production(*, buyer: User, printer: User, pattern: BasePattern, style: Style) -> ProductionJob:
    """A paid order with one swatch line, rendered and started at the print shop."""
    swatch = ProductSize.objects.filter(product__slug="swatch").order_by("width_in").first()
    size = swatch or ProductSize.objects.order_by("price").first()
    assert size is not None, "seed_demo makes the products"
    personalization = personalization_create(buyer=buyer, base_pattern=pattern, style=style, seed=1)
    with pattern.image.open("rb") as fh:
        personalization.preview.save("preview.png", ContentFile(fh.read()), save=False)
    personalization.status, personalization.progress = JobStatus.DONE, 100
    personalization.finished_at = timezone.now()
    personalization.save()
    order = order_create(
        buyer=buyer, lines=[OrderLineRequest(personalization=personalization, product_size=size, quantity=2)]
    )
    Order.objects.filter(pk=order.pk).update(
        shipping_address=DEMO_SHIP_TO,
        country="US",
        paid_at=timezone.now() - dt.timedelta(days=1),
        status=OrderStatus.IN_PRODUCTION,
    )
    line = order.lines.get()
    width, height = size.print_pixels(pattern.dpi)
    line.print_sheet.save("sheet.png", ContentFile(_sheet_png(width, height, pattern.dpi)), save=False)
    line.stage, line.render_progress = LineStage.IN_PRODUCTION, 100
    line.save()
    return ProductionJob.objects.create(
        order_line=line, printer=printer, released_at=timezone.now(), started_at=timezone.now()
    )


def _is_a_page(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def site_pages() -> list[SitePage]:
    """Seed the demo (idempotent), add an order in production, and list every page route."""
    call_command("seed_demo", stdout=io.StringIO())
    people = {u.username: u for u in User.objects.filter(username__in=["ada", "dora", "bea", "pia", "vera"])}
    style = Style.objects.filter(artist=people["ada"]).order_by("pk").first()
    pattern = BasePattern.objects.filter(designer=people["dora"]).order_by("pk").first()
    assert style is not None and pattern is not None, "seed_demo makes ada's styles and dora's patterns"
    job = ProductionJob.objects.filter(printer=people["pia"]).first() or order_in_production(
        buyer=people["bea"], printer=people["pia"], pattern=pattern, style=style
    )
    order_id = job.order_line.order_id
    licence = style.licence
    line = job.order_line
    cart_line = {
        "personalization": str(line.personalization_id),
        "size": str(line.product_size_id),
        "quantity": "1",
    }
    configure = f"/configure/?pattern={pattern.pk}&style={style.pk}"
    pages = [
        SitePage("catalogue", "/"),
        SitePage("pattern", f"/patterns/{pattern.pk}/"),
        SitePage("configure-visitor", configure),
        SitePage("configure", configure, "bea"),
        SitePage("cart", "/cart/", "bea", first=("/cart/add/", cart_line)),
        SitePage("order", f"/orders/{order_id}/", "bea"),
        SitePage("artist-studio", "/studio/artist/", "ada"),
        SitePage("designer-studio", "/studio/designer/", "dora"),
        SitePage("production", "/studio/production/", "pia"),
        SitePage("ticket", f"/studio/production/jobs/{job.pk}/", "pia"),
        SitePage("verify", "/verify/", "vera"),
        SitePage("verify-result", "/verify/", "vera", post={"sha256": UNKNOWN_SHA256}),
        SitePage("licence", f"/licences/{style.pk}/v{licence.version}/"),
        SitePage("login", "/accounts/login/"),
        SitePage("signup", "/accounts/signup/"),
        SitePage("print-shop-apply", "/print-shops/apply/", "bea"),
    ]
    if _is_a_page("/orders/"):  # "My orders", where it exists
        pages.insert(6, SitePage("orders", "/orders/", "bea"))
    return pages
