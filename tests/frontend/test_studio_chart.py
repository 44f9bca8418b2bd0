"""The artist studio's earnings: a chart with a dated axis, round amounts, a title and a legend, and
"Every use" in words and cents, seen in Chromium."""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from frontend.charts import Point, cumulative, date_ticks, line_chart, round_ticks
from marketplace.models import Order, User
from tests.conftest import skip_or_fail
from tests.frontend.test_pages import _local_gateway, logged_in, sold_order  # noqa: F401  (fixtures)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "studio"


def _labels(svg: str) -> list[str]:
    return re.findall(r'<text [^>]*class="chart-label"[^>]*>([^<]*)</text>', svg)


def test_sales_on_one_day_sit_on_a_dated_axis_with_round_amounts() -> None:
    day = dt.datetime(2026, 12, 5, 9, tzinfo=dt.UTC)
    points = cumulative([(day, Decimal("2.09")), (day + dt.timedelta(hours=3), Decimal("4.18"))])
    svg = str(line_chart(points, title="Earnings over time (USD)"))
    labels = _labels(svg)
    dates = [label for label in labels if re.fullmatch(r"\d{1,2} [A-Z][a-z]{2}( \d{4})?", label)]
    assert len(dates) == len(set(dates)) >= 7  # a week of distinct days, not "05 Dec 2026" twice
    assert "5 Dec" in dates and dates[0].endswith("2026")
    amounts = [label for label in labels if re.fullmatch(r"\d+(\.\d+)?", label)]
    assert amounts == ["0", "2", "4", "6", "8"]  # 6.27 at most: steps of 2, never 2.09 or 4.18
    assert 'class="chart-title">Earnings over time (USD)<' in svg
    assert re.search(r'<g class="chart-legend">.*Earned to date \(USD\)</text></g>', svg)


@pytest.mark.parametrize(
    ("top", "ticks"),
    [(6.27, "0 2 4 6 8"), (0.37, "0.0 0.1 0.2 0.3 0.4"), (1234, "0 500 1000 1500"), (10, "0 2 4 6 8 10")],
)
def test_amount_ticks_are_round(top: float, ticks: str) -> None:
    assert " ".join(f"{t:f}" if t != t.to_integral() else str(int(t)) for t in round_ticks(top)) in (
        ticks,
        ticks.replace("0.0 ", "0 ", 1),
    )


def test_a_long_span_is_labelled_by_week_then_by_month() -> None:
    _, _, weekly = date_ticks(dt.date(2026, 11, 1), dt.date(2026, 12, 5))
    assert {(b - a).days for a, b in zip(weekly, weekly[1:], strict=False)} == {7}
    _, _, monthly = date_ticks(dt.date(2026, 1, 3), dt.date(2026, 12, 5))
    assert all(day.day == 1 for day in monthly) and len(monthly) <= 8


def test_an_empty_ledger_says_so_under_the_title() -> None:
    svg = str(line_chart([], title="Earnings over time (USD)"))
    assert "No sales yet" in svg and "chart-title" in svg and Point  # the type stays public


@pytest.mark.django_db
def test_every_use_reads_in_words_and_cents(sold_order: Order, artist: User) -> None:  # noqa: F811
    page = logged_in(artist).get("/studio/artist/").content.decode()
    kinds = re.findall(r'data-testid="use-kind">([^<]*)<', page)
    amounts = re.findall(r'data-testid="use-amount">([^<]*)<', page)
    assert sorted(kinds) == ["Artist royalty", "Style fee"]
    assert sorted(amounts) == ["0.50", "2.00"]  # fee 2.00 plus 10 % of the 5.00 swatch
    assert "stylefee" not in page and "artistroyalty" not in page


@pytest.mark.django_db(transaction=True)
def test_the_studio_chart_draws_in_chromium(sold_order: Order, artist: User, live_server: Any) -> None:  # noqa: F811
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    client = logged_in(artist)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_cookies(
            [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
        )
        page = context.new_page()
        page.goto(f"{live_server.url}/studio/artist/")
        chart = page.locator("svg.chart")
        box = chart.bounding_box()
        assert box is not None and box["width"] > 400 and box["height"] > 120
        assert page.locator("svg.chart .chart-title").text_content() == "Earnings over time (USD)"
        assert page.locator("svg.chart .chart-legend").is_visible()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.locator("details summary", has_text="Every use").click()
        page.locator("section[aria-labelledby=earnings-h]").screenshot(
            path=str(ARTIFACTS / "studio-chart.png")
        )
        browser.close()
