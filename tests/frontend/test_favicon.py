"""The favicon: every page links the SVG, and /favicon.ico (asked for by browsers and crawlers
whatever a page links) redirects to it, so no page logs a 404 for one."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_every_page_links_the_svg_favicon_and_favicon_ico_redirects_to_it(client: Client) -> None:
    page = client.get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="/static/frontend/favicon.svg" type="image/svg+xml">' in page
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/frontend/favicon.svg"
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert b"<svg" in b"".join(icon.streaming_content)  # type: ignore[attr-defined]
