"""Every page route, on a phone (390×844) and on a desktop (1280×800), in Chromium with the demo data
(tests/site_pages.py), each as the person who would open it. On each page: no horizontal scroll, no
console error, no failed request or error response, and no serious or critical axe-core violation
(axe-core from npm, pinned in package.json). Full-page screenshots go to test-artifacts/phone/."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from marketplace.management.commands.seed_demo import DEMO_PASSWORD
from tests.conftest import skip_or_fail
from tests.e2e import test_e2e_journeys as journeys
from tests.site_pages import SitePage, site_pages

browser = journeys.browser  # the journeys' Chromium, shared

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "phone"
# `npm ci` installs it here; AXE_CORE_JS points elsewhere (e.g. an `npm install --prefix` copy).
AXE_CORE = Path(os.environ.get("AXE_CORE_JS", ROOT / "node_modules" / "axe-core" / "axe.min.js"))
BLOCKING_IMPACTS = ("serious", "critical")
VIEWPORTS = {"phone": (390, 844), "desktop": (1280, 800)}

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _settings(settings: Any, live_server: Any) -> None:
    settings.DEBUG = True  # as `make run`
    settings.SITE_URL = live_server.url


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE_CORE.exists():
        skip_or_fail(f"axe-core is not installed at {AXE_CORE}; `npm ci` installs it.")
    return AXE_CORE.read_text()


class PageWatch:
    """What a page reports while it loads: console errors, uncaught errors, failed requests and
    error responses."""

    def __init__(self, page: Any) -> None:
        self.problems: list[str] = []
        page.on(
            "console", lambda m: self.problems.append(f"console: {m.text}") if m.type == "error" else None
        )
        page.on("pageerror", lambda e: self.problems.append(f"uncaught: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url} {r.failure}"))
        page.on(
            "response",
            lambda r: self.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None,
        )

    def take(self) -> list[str]:
        problems, self.problems = self.problems, []
        return problems


@pytest.fixture
def pages_as(browser: Any, live_server: Any) -> Iterator[Callable[[str | None, tuple[int, int]], Any]]:
    """One signed-in browser context per person and viewport, reused across their pages."""
    opened: dict[tuple[str | None, tuple[int, int]], Any] = {}

    def page_for(who: str | None, viewport: tuple[int, int]) -> Any:
        if (who, viewport) not in opened:
            width, height = viewport
            context = browser.new_context(
                base_url=live_server.url, viewport={"width": width, "height": height}
            )
            context.set_default_timeout(30_000)
            page = context.new_page()
            page.watch = PageWatch(page)
            if who:
                page.goto("/accounts/login/")
                page.get_by_label("Username").fill(who)
                page.get_by_label("Password").fill(DEMO_PASSWORD)
                page.get_by_role("button", name="Log in").click()
                page.wait_for_url(lambda url: "/accounts/login/" not in url)
                page.wait_for_load_state("networkidle")
            page.watch.take()
            opened[(who, viewport)] = page
        return opened[(who, viewport)]

    yield page_for
    for page in opened.values():
        page.context.close()


def _open(page: Any, site_page: SitePage) -> None:
    if site_page.first:
        path, fields = site_page.first
        token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
        answer = page.request.post(path, form=fields, headers={"X-CSRFToken": token}, max_redirects=0)
        assert answer.status == 302 and "/configure/" not in answer.headers["location"], answer.headers
    page.goto(site_page.path)
    if site_page.post:
        for name, value in site_page.post.items():
            page.fill(f"[name={name}]", value)
        page.locator(f"[name={next(iter(site_page.post))}]").press("Enter")
        page.wait_for_url(f"**{site_page.path}")
    page.wait_for_load_state("networkidle")


def _horizontal_overflow(page: Any) -> str | None:
    width, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    if width <= inner:
        return None
    wide = page.evaluate(
        """(inner) => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > inner + 0.5 && !e.parentElement.closest('.table-wrap'))
            .slice(-3).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
                                + ' right=' + Math.round(e.getBoundingClientRect().right))""",
        inner,
    )
    return f"scrollWidth {width} > innerWidth {inner}: {wide}"


def _axe_violations(page: Any, axe_source: str) -> list[str]:
    # Evaluated over the DevTools protocol, so the page's CSP (script-src 'self') does not apply.
    page.evaluate(f"() => {{ {axe_source}\n; window.axe = axe; }}")
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"axe {v['impact']} {v['id']}: {v['help']} — {[n['target'] for n in v['nodes']][:4]}"
        for v in results["violations"]
        if v["impact"] in BLOCKING_IMPACTS
    ]


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_every_page_fits_loads_cleanly_and_passes_axe(
    size: str, pages_as: Callable[[str | None, tuple[int, int]], Any], axe_source: str
) -> None:
    viewport = VIEWPORTS[size]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    found: dict[str, list[str]] = {}
    visited = site_pages()
    for number, site_page in enumerate(visited, start=1):
        page = pages_as(site_page.who, viewport)
        _open(page, site_page)
        problems = page.watch.take()
        overflow = _horizontal_overflow(page)
        problems += [overflow] if overflow else []
        problems += _axe_violations(page, axe_source)
        page.screenshot(path=str(ARTIFACTS / f"{size}-{number:02d}-{site_page.name}.png"), full_page=True)
        if problems:
            found[f"{site_page.name} ({site_page.path}, as {site_page.who or 'a visitor'})"] = problems
    assert found == {}, "\n".join(f"{k}:\n  " + "\n  ".join(v) for k, v in found.items())
    assert len(visited) >= 16


def test_on_a_phone_products_come_first_sign_in_before_the_controls_and_the_preview_stays_in_sight(
    pages_as: Callable[[str | None, tuple[int, int]], Any],
) -> None:
    pages = {p.name: p for p in site_pages()}
    _, height = VIEWPORTS["phone"]
    page = pages_as(None, VIEWPORTS["phone"])

    _open(page, pages["catalogue"])
    first_tile = page.locator(".tile").first.bounding_box()
    assert first_tile is not None and first_tile["y"] < height * 0.75, first_tile  # on the first screen

    _open(page, pages["configure-visitor"])
    banner = page.get_by_test_id("sign-in-first")
    assert banner.get_by_role("link", name="Log in").get_attribute("href") == (
        "/accounts/login/?next=" + quote(pages["configure-visitor"].path, safe="/")
    )
    banner_box, first_control = banner.bounding_box(), page.locator("#id_pattern").bounding_box()
    assert banner_box and first_control and banner_box["y"] + banner_box["height"] <= first_control["y"]

    # Scrolled down to the last slider, the preview is still on screen, above the controls.
    page.locator("#id_seed").scroll_into_view_if_needed()
    page.mouse.wheel(0, 400)
    page.wait_for_timeout(200)
    assert page.evaluate("window.scrollY") > 300
    preview = page.locator("#job").bounding_box()
    seed = page.locator("#id_seed").bounding_box()
    assert preview is not None and seed is not None
    assert preview["y"] >= 0 and preview["y"] + min(preview["height"], 120) <= height, preview
    assert preview["y"] < seed["y"]
    page.screenshot(path=str(ARTIFACTS / "phone-configure-scrolled.png"))


def test_on_a_phone_a_rendered_preview_stays_in_sight_while_a_slider_moves(
    worker: Any, settings: Any, pages_as: Callable[[str | None, tuple[int, int]], Any]
) -> None:
    settings.STYLIZATION_PREVIEW_SIZE = 64  # as the journeys: a real render, kept small
    pages = {p.name: p for p in site_pages()}
    width, height = VIEWPORTS["phone"]
    page = pages_as("bea", VIEWPORTS["phone"])
    _open(page, pages["configure"])
    page.get_by_role("button", name="Preview").click()
    canvas = page.locator("canvas[data-testid=preview-repeat][data-drawn]")
    canvas.wait_for(timeout=journeys.TIMEOUT_MS)
    # Scrolled to the slider as focus would (its scroll margin keeps it below the pinned preview).
    page.locator("#id_style_scale").evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(200)
    assert page.evaluate("window.scrollY") > 300
    box, slider = canvas.bounding_box(), page.locator("#id_style_scale").bounding_box()
    assert box is not None and slider is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= slider["y"] <= height, (box, slider)
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(ARTIFACTS / "phone-configure-preview-while-sliding.png"))
