"""The Content-Security-Policy in a real browser: every page loads with no CSP violation, htmx and
Alpine still run (Alpine rewrites the slider read-outs, the designer's pre-publish tile draws), and
Swagger UI renders from the vendored sidecar files. Screenshots go to test-artifacts/e2e/csp/."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from marketplace.models import BasePattern, User
from tests.conftest import pattern_bytes
from tests.e2e import test_e2e_journeys as journeys
from tests.e2e.test_e2e_journeys import ARTIFACTS, log_in

browser = journeys.browser  # the journeys' Chromium and page fixtures, shared
new_page = journeys.new_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _settings(settings: Any, live_server: Any) -> None:
    settings.DEBUG = True


def _watch(page: Any) -> list[str]:
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(f"{page.url}: {m.text}") if m.type in ("error", "warning") else None,
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def test_pages_run_htmx_and_alpine_under_the_csp(
    new_page: Callable[..., Any],
    make_user: Callable[..., User],
    pattern: BasePattern,
    style: Any,
    tmp_path: Any,
) -> None:
    out = ARTIFACTS / "csp"
    out.mkdir(parents=True, exist_ok=True)
    page = new_page()
    problems = _watch(page)
    response = page.goto("/")
    assert "script-src 'self' 'unsafe-eval'" in response.headers["content-security-policy"]
    page.wait_for_function("window.htmx !== undefined && window.Alpine !== undefined")
    page.screenshot(path=str(out / "01-catalogue.png"), full_page=True)

    designer = make_user("designer")
    log_in(page, designer)
    page.goto("/configure/")
    # Alpine took over the read-outs: the server wrote "0.7", Alpine's x-text writes "0.70".
    page.wait_for_function("document.querySelector('output[for=id_strength]').textContent.trim() === '0.70'")
    page.fill("#id_strength", "0.35")
    page.dispatch_event("#id_strength", "input")
    page.wait_for_function("document.querySelector('output[for=id_strength]').textContent.trim() === '0.35'")
    page.screenshot(path=str(out / "02-configure.png"), full_page=True)

    page.goto("/studio/designer/")
    tile = tmp_path / "tile.png"
    tile.write_bytes(pattern_bytes("half_drop", 96))
    page.set_input_files("#id_image", str(tile))
    page.wait_for_function(
        "document.querySelector('[data-testid=designer-preview]').dataset.drawn === 'basic'"
    )
    page.screenshot(path=str(out / "03-designer-preview.png"), full_page=True)

    page.goto("/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=60_000)
    page.screenshot(path=str(out / "04-swagger.png"))
    violations = [p for p in problems if "Content Security Policy" in p or "Refused to" in p]
    assert violations == [], violations
    # The browser's own favicon request is the only 404 a page causes.
    assert [p for p in problems if "status of 404" not in p] == [], problems
