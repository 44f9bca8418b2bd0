"""Every page that lists renders in a fixed number of queries: the count with two rows equals the count
with ten (no query per row), and stays under the page's ceiling.

Each row is made with a title of its own, and the test checks that the page shows every one of them,
so a count taken over a page that lists nothing cannot pass for a fixed one."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace.models import (
    BasePattern,
    DerivativeApproval,
    LineStage,
    ProductionJob,
    ProductSize,
    Style,
    User,
)
from marketplace.royalties.services import royalty_accrue
from marketplace.services.personalizations import personalization_create
from tests.factories import (
    finished_personalization_make,
    order_of_patterns_make,
    released_job_make,
    user_make,
)

pytestmark = pytest.mark.django_db

SMALL, LARGE = 2, 10


@pytest.fixture
def titles() -> Iterator[str]:
    """Row titles no page shows unless it lists that row (`Row 01` is not a prefix of `Row 011`)."""
    return (f"Row {i:03d}" for i in itertools.count(1))


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_queries(client: Client, url: str, shown: list[str]) -> int:
    """The queries one GET of `url` takes, after checking that the page shows every title in `shown`."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    missing = [title for title in shown if title not in html]
    assert not missing, f"{url} does not show {missing}"
    return len(queries)


def counts_at_two_and_ten(client: Client, url: str, add_rows: Callable[[int], list[str]]) -> tuple[int, int]:
    # A first request fills the process's caches (content types, sessions, the print shop of a
    # printer), which would otherwise count against the first listing only.
    assert client.get(url).status_code == 200
    shown = add_rows(SMALL)
    small = page_queries(client, url, shown)
    shown += add_rows(LARGE - SMALL)
    large = page_queries(client, url, shown)
    return small, large


# --- the catalogue ----------------------------------------------------------------------------------


def test_catalogue_lists_patterns_and_styles_in_a_fixed_number_of_queries(
    make_style: Any, make_pattern: Any, titles: Iterator[str]
) -> None:
    def add(n: int) -> list[str]:
        made = []
        for _ in range(n):
            made.append(make_style(title=next(titles)).title)
            made.append(make_pattern(title=next(titles)).title)
        return made

    small, large = counts_at_two_and_ten(Client(), reverse("frontend:catalogue"), add)
    assert small == large <= 8, (small, large)


def test_pattern_page_lists_styles_in_a_fixed_number_of_queries(
    pattern: BasePattern, make_style: Any, titles: Iterator[str]
) -> None:
    # The page offers the eight newest styles: ten made, the eight newest shown.
    made: list[str] = []

    def add(n: int) -> list[str]:
        made.extend(make_style(title=next(titles)).title for _ in range(n))
        return made[-8:] if len(made) > SMALL else list(made)

    url = reverse("frontend:pattern", args=[pattern.pk])
    assert Client().get(url).status_code == 200
    small = page_queries(Client(), url, add(SMALL))
    large = page_queries(Client(), url, add(LARGE - SMALL))
    assert small == large <= 5, (small, large)


def test_configure_page_lists_patterns_and_styles_in_a_fixed_number_of_queries(
    buyer: User, make_style: Any, make_pattern: Any, titles: Iterator[str]
) -> None:
    def add(n: int) -> list[str]:
        made = []
        for _ in range(n):
            made.append(make_style(title=next(titles)).title)
            made.append(make_pattern(title=next(titles)).title)
        return made

    small, large = counts_at_two_and_ten(logged_in(buyer), reverse("frontend:configure"), add)
    assert small == large <= 10, (small, large)


# --- the buyer's cart and order ---------------------------------------------------------------------


def test_cart_lists_its_lines_in_a_fixed_number_of_queries(
    buyer: User, make_pattern: Any, style: Style, products: dict[str, ProductSize], titles: Iterator[str]
) -> None:
    client = logged_in(buyer)

    def add(n: int) -> list[str]:
        made = []
        for _ in range(n):
            pattern = make_pattern(title=next(titles))
            personalization = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
            response = client.post(
                reverse("frontend:cart-add"),
                {"personalization": personalization.pk, "size": products["swatch"].pk, "quantity": 1},
            )
            assert response.status_code == 302 and response["Location"] == reverse("frontend:cart")
            made.append(pattern.title)
        return made

    small, large = counts_at_two_and_ten(client, reverse("frontend:cart"), add)
    assert small == large <= 9, (small, large)


def test_order_page_lists_its_lines_in_a_fixed_number_of_queries(
    buyer: User, make_pattern: Any, style: Style, products: dict[str, ProductSize], titles: Iterator[str]
) -> None:
    client = logged_in(buyer)
    counts = []
    for n in (SMALL, LARGE):
        patterns = [make_pattern(title=next(titles)) for _ in range(n)]
        order = order_of_patterns_make(
            buyer=buyer, style=style, lines=[(p, products["swatch"], 1) for p in patterns]
        )
        url = reverse("frontend:order", args=[order.pk])
        assert client.get(url).status_code == 200
        counts.append(page_queries(client, url, [p.title for p in patterns]))
    small, large = counts
    assert small == large <= 6, (small, large)


# --- the studios ------------------------------------------------------------------------------------


def test_artist_studio_lists_styles_approvals_and_earnings_in_a_fixed_number_of_queries(
    artist: User,
    buyer: User,
    make_style: Any,
    make_pattern: Any,
    products: dict[str, ProductSize],
    titles: Iterator[str],
) -> None:
    def add(n: int) -> list[str]:
        made = []
        for _ in range(n):
            style = make_style(title=next(titles), requires_approval=True)
            pattern = make_pattern(title=next(titles))
            order = order_of_patterns_make(buyer=buyer, style=style, lines=[(pattern, products["swatch"], 1)])
            royalty_accrue(order=order, paid=order.subtotal)
            line = order.lines.get()
            line.stage = LineStage.AWAITING_ARTIST_APPROVAL
            line.save(update_fields=["stage"])
            DerivativeApproval.objects.create(order_line=line, artist=artist)
            made += [style.title, pattern.title]  # the style's row, and the pattern its approval is for
        return made

    small, large = counts_at_two_and_ten(logged_in(artist), reverse("frontend:artist-studio"), add)
    assert small == large <= 21, (small, large)


def test_designer_studio_lists_patterns_and_sales_in_a_fixed_number_of_queries(
    designer: User,
    buyer: User,
    style: Style,
    make_pattern: Any,
    products: dict[str, ProductSize],
    titles: Iterator[str],
) -> None:
    def add(n: int) -> list[str]:
        made = []
        for _ in range(n):
            pattern = make_pattern(title=next(titles))
            order = order_of_patterns_make(buyer=buyer, style=style, lines=[(pattern, products["swatch"], 1)])
            royalty_accrue(order=order, paid=order.subtotal)
            made.append(pattern.title)
        return made

    small, large = counts_at_two_and_ten(logged_in(designer), reverse("frontend:designer-studio"), add)
    assert small == large <= 7, (small, large)


def test_production_studio_lists_jobs_in_a_fixed_number_of_queries(
    pattern: BasePattern, style: Style, products: dict[str, ProductSize], titles: Iterator[str]
) -> None:
    printer, buyer = user_make("printer"), user_make("buyer")

    def add(n: int) -> list[str]:
        made = []
        for _ in range(n):
            started = (
                ProductionJob.objects.filter(printer=printer).count() < ProductionJob.objects.count() / 2
            )
            personalization = finished_personalization_make(buyer=buyer, pattern=pattern, style=style)
            job = released_job_make(
                buyer=buyer,
                personalization=personalization,
                size=products["swatch"],
                stage=LineStage.IN_PRODUCTION if started else LineStage.APPROVED,
                sheet_side=64,
            )
            if started:
                ProductionJob.objects.filter(pk=job.pk).update(printer=printer, started_at=job.released_at)
            made.append(reverse("frontend:production-ticket", args=[job.pk]))
        return made

    small, large = counts_at_two_and_ten(logged_in(printer), reverse("frontend:production"), add)
    assert small == large <= 4, (small, large)
