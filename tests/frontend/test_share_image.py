"""The share image of the pattern and configure pages: the listed base pattern's true-scale mockup on a
public route that a crawler fetches signed out, never a buyer's private personalization."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from marketplace.services.personalizations import personalization_create

pytestmark = pytest.mark.django_db


def _og_image(html: str) -> str:
    found = re.search(r'<meta property="og:image" content="([^"]+)"', html)
    assert found is not None, "no og:image"
    return found.group(1)


def test_the_pattern_page_shares_the_listed_patterns_public_mockup(pattern: Any, settings: Any) -> None:
    crawler = Client()
    share = _og_image(crawler.get(f"/patterns/{pattern.pk}/").content.decode())
    assert share == f"{settings.SITE_URL.rstrip('/')}/api/v1/patterns/{pattern.pk}/mockups/cushion.png"
    image = crawler.get(share.removeprefix(settings.SITE_URL.rstrip("/")))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert image["Cache-Control"].startswith("public")
    assert Image.open(io.BytesIO(image.content)).size[0] > 0
    assert crawler.get(f"/api/v1/patterns/{pattern.pk}/mockups/teapot.png").status_code == 404


def test_an_unlisted_pattern_has_no_share_image(pattern: Any) -> None:
    pattern.active = False
    pattern.save(update_fields=["active"])
    assert Client().get(f"/api/v1/patterns/{pattern.pk}/mockups/cushion.png").status_code == 404


def test_the_configure_page_shares_the_base_pattern_not_the_buyers_design(
    buyer: Any, pattern: Any, style: Any, settings: Any
) -> None:
    job = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    client = Client()
    client.force_login(buyer)
    share = _og_image(client.get(f"/configure/?job={job.pk}").content.decode())
    assert share.endswith(f"/api/v1/patterns/{pattern.pk}/mockups/cushion.png")
    # The buyer's own mockup stays private: a signed-out crawler cannot fetch it.
    assert Client().get(f"/api/v1/personalizations/{job.pk}/mockups/cushion.png").status_code in (401, 403)
    assert 'property="og:image"' not in Client().get("/configure/").content.decode()
