"""Every list endpoint of the API answers in a fixed number of queries: the count at two rows equals
the count at ten (no query per row), and stays under the endpoint's ceiling.

Each test lists two rows, adds eight, lists ten, and checks that the rows it made are the rows the
endpoint returned, so a count taken over an empty or filtered-out list cannot pass for a fixed one."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from marketplace.models import (
    DerivativeApproval,
    LineStage,
    Product,
    ProductionJob,
    ProductSize,
    Style,
    User,
)
from marketplace.royalties.models import Transfer, TransferStatus
from marketplace.royalties.services import royalty_accrue
from marketplace.services.catalogue import style_update
from marketplace.services.licence_terms import LicenceTerms
from marketplace.services.personalizations import personalization_create
from tests.factories import (
    finished_personalization_make,
    order_of_patterns_make,
    products_make,
    released_job_make,
    user_make,
)

pytestmark = pytest.mark.django_db

SMALL, LARGE = 2, 10


def _queries_listing(client: APIClient, url: str, listed: Callable[[Any], int], rows: int) -> int:
    """The queries one GET of `url` takes, after checking that it lists exactly `rows` rows."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    assert listed(response) == rows
    return len(queries)


def counts_at_two_and_ten(
    client: APIClient, url: str, add_rows: Callable[[int], None], listed: Callable[[Any], int]
) -> tuple[int, int]:
    # A first request fills the process's caches (content types, the print shop of a printer), which
    # would otherwise count against the first listing only.
    assert client.get(url).status_code == 200
    add_rows(SMALL)
    small = _queries_listing(client, url, listed, SMALL)
    add_rows(LARGE - SMALL)
    large = _queries_listing(client, url, listed, LARGE)
    return small, large


def results(response: Any) -> int:
    return len(response.json()["results"])


def items(response: Any) -> int:
    return len(response.json())


def _client(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


# --- catalogue --------------------------------------------------------------------------------------


def test_style_list_takes_a_fixed_number_of_queries(make_style: Any) -> None:
    small, large = counts_at_two_and_ten(
        _client(None),
        reverse("style-list"),
        lambda n: [make_style(tags=("blue", "common")) for _ in range(n)],
        results,
    )
    assert small == large <= 4, (small, large)  # count, page, tags, style models


def test_pattern_list_takes_a_fixed_number_of_queries(make_pattern: Any) -> None:
    small, large = counts_at_two_and_ten(
        _client(None),
        reverse("pattern-list"),
        lambda n: [make_pattern(tags=("floral", "common")) for _ in range(n)],
        results,
    )
    assert small == large <= 3, (small, large)


def test_product_list_takes_a_fixed_number_of_queries() -> None:
    def add_products(n: int) -> None:
        for _ in range(n):
            index = Product.objects.count()
            product = Product.objects.create(
                slug=f"cloth-{index}", name=f"Cloth {index}", substrate="fabric", use="personal"
            )
            ProductSize.objects.create(
                product=product, slug="swatch", name="Swatch", width_in=8, height_in=8, price=Decimal("5.00")
            )

    small, large = counts_at_two_and_ten(_client(None), reverse("product-list"), add_products, items)
    assert small == large <= 2, (small, large)  # products, their sizes


def test_style_licence_versions_take_a_fixed_number_of_queries(make_style: Any, artist: User) -> None:
    style = make_style()
    first = style.licence_versions.count()

    def add_versions(n: int) -> None:
        for _ in range(n):
            fee = Decimal(style.licence_versions.count())
            style_update(
                style=Style.objects.get(pk=style.pk),
                actor=artist,
                terms=LicenceTerms(
                    allowed_uses=("personal", "commercial"), fee_per_use=fee, royalty_percent=Decimal("10")
                ),
            )

    add_versions(SMALL - first)
    small = _queries_listing(_client(None), reverse("style-licences", args=[style.pk]), items, SMALL)
    add_versions(LARGE - SMALL)
    large = _queries_listing(_client(None), reverse("style-licences", args=[style.pk]), items, LARGE)
    assert small == large <= 2, (small, large)  # the style, its licence versions


# --- the buyer's own lists --------------------------------------------------------------------------


def test_personalization_list_takes_a_fixed_number_of_queries(
    buyer: User, make_pattern: Any, make_style: Any
) -> None:
    def add_personalizations(n: int) -> None:
        for _ in range(n):
            personalization_create(buyer=buyer, base_pattern=make_pattern(), style=make_style())

    small, large = counts_at_two_and_ten(
        _client(buyer), reverse("personalization-list"), add_personalizations, results
    )
    assert small == large <= 2, (small, large)  # count, page


def test_order_list_takes_a_fixed_number_of_queries(
    buyer: User, make_pattern: Any, make_style: Any, products: Any
) -> None:
    def add_orders(n: int) -> None:
        for _ in range(n):
            order_of_patterns_make(
                buyer=buyer,
                style=make_style(),
                lines=[(make_pattern(), products["swatch"], 1), (make_pattern(), products["yard"], 2)],
            )

    small, large = counts_at_two_and_ten(_client(buyer), reverse("order-list"), add_orders, results)
    assert small == large <= 4, (small, large)  # count, page, lines, attribution records


# --- the artist's approvals and royalties -----------------------------------------------------------


def test_approval_list_takes_a_fixed_number_of_queries(
    buyer: User, artist: User, make_style: Any, make_pattern: Any, products: Any
) -> None:
    style = make_style(requires_approval=True)

    def add_approvals(n: int) -> None:
        for _ in range(n):
            order = order_of_patterns_make(
                buyer=buyer, style=style, lines=[(make_pattern(), products["swatch"], 1)]
            )
            line = order.lines.get()
            line.stage = LineStage.AWAITING_ARTIST_APPROVAL
            line.save(update_fields=["stage"])
            DerivativeApproval.objects.create(order_line=line, artist=artist)

    small, large = counts_at_two_and_ten(_client(artist), reverse("approval-list"), add_approvals, items)
    assert small == large <= 1, (small, large)


def _add_paid_orders(
    buyer: User, artist: User, style: Style, pattern: Any, size: ProductSize
) -> Callable[[int], None]:
    """Orders whose royalties are accrued, each with a transfer to the artist."""

    def add(n: int) -> None:
        for _ in range(n):
            order = order_of_patterns_make(buyer=buyer, style=style, lines=[(pattern, size, 1)])
            royalty_accrue(order=order, paid=order.subtotal)
            Transfer.objects.create(
                payee=artist,
                order=order,
                amount=Decimal("2.50"),
                currency=order.currency,
                status=TransferStatus.SENT,
                idempotency_key=f"transfer-{order.pk}",
                stripe_transfer_id=f"tr_{order.pk}",
            )

    return add


def test_royalty_statement_takes_a_fixed_number_of_queries(
    buyer: User, artist: User, style: Style, pattern: Any, products: Any
) -> None:
    def orders_listed(response: Any) -> int:
        return len({entry["order"] for entry in response.json()["results"]})

    small, large = counts_at_two_and_ten(
        _client(artist),
        reverse("royalty-list"),
        _add_paid_orders(buyer, artist, style, pattern, products["swatch"]),
        orders_listed,
    )
    assert small == large <= 10, (small, large)


def test_royalty_statement_csv_takes_a_fixed_number_of_queries(
    buyer: User, artist: User, style: Style, pattern: Any, products: Any
) -> None:
    def orders_with_entries_and_transfers(response: Any) -> int:
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        entries = {row["order"] for row in rows if row["order_line"]}
        transfers = {row["order"] for row in rows if row["type"].startswith("transfer")}
        assert entries == transfers
        return len(entries)

    small, large = counts_at_two_and_ten(
        _client(artist),
        f"{reverse('royalty-statement-csv')}?month={timezone.now().strftime('%Y-%m')}",
        _add_paid_orders(buyer, artist, style, pattern, products["swatch"]),
        orders_with_entries_and_transfers,
    )
    assert small == large <= 3, (small, large)  # entries, transfers, their reversals


# --- the print shops' queue -------------------------------------------------------------------------


def test_production_job_list_takes_a_fixed_number_of_queries(pattern: Any, style: Style) -> None:
    printer, buyer = user_make("printer"), user_make("buyer")
    size = products_make()["swatch"]

    def add_jobs(n: int) -> None:
        for _ in range(n):
            personalization = finished_personalization_make(buyer=buyer, pattern=pattern, style=style)
            started = (
                ProductionJob.objects.filter(printer=printer).count() < ProductionJob.objects.count() / 2
            )
            job = released_job_make(
                buyer=buyer,
                personalization=personalization,
                size=size,
                stage=LineStage.IN_PRODUCTION if started else LineStage.APPROVED,
                sheet_side=64,
            )
            if started:  # the buyer's address and the files show on the jobs this shop started
                ProductionJob.objects.filter(pk=job.pk).update(printer=printer, started_at=job.released_at)

    small, large = counts_at_two_and_ten(_client(printer), reverse("production-job-list"), add_jobs, results)
    assert small == large <= 2, (small, large)
