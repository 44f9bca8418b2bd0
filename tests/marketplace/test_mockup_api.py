"""`GET /api/v1/personalizations/{id}/mockups/{product}.png`: the owner gets a true-scale PNG of each
product; an unknown product, a missing preview and someone else's personalization are 404s."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from marketplace.models import BasePattern, JobStatus, Personalization, Style, User
from stylization.engine.mockups import MOCKUP_PRODUCTS
from tests.repeat_count import repeats_across, two_colour_noise

pytestmark = pytest.mark.django_db


@pytest.fixture
def personalization(buyer: User, pattern: BasePattern, style: Style) -> Personalization:
    done = Personalization.objects.create(
        buyer=buyer, base_pattern=pattern, style=style, status=JobStatus.DONE, progress=100
    )
    out = io.BytesIO()
    two_colour_noise(96).save(out, format="PNG")
    done.preview.save("p.png", ContentFile(out.getvalue()))
    return done


def url(personalization: Personalization, product: str) -> str:
    return f"/api/v1/personalizations/{personalization.pk}/mockups/{product}.png"


@pytest.mark.parametrize("product", sorted(MOCKUP_PRODUCTS))
def test_the_owner_gets_each_product_as_a_png(
    product: str, personalization: Personalization, buyer: User, client_for: Callable[..., Any]
) -> None:
    response = client_for(buyer).get(url(personalization, product))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, no-store"
    assert Image.open(io.BytesIO(response.content)).format == "PNG"


def test_the_cushion_is_true_to_the_patterns_physical_size(
    personalization: Personalization, buyer: User, client_for: Callable[..., Any]
) -> None:
    pattern = personalization.base_pattern
    response = client_for(buyer).get(url(personalization, "cushion"))
    image = Image.open(io.BytesIO(response.content))
    expected = MOCKUP_PRODUCTS["cushion"].width_in / float(pattern.repeat_width_in)
    assert repeats_across(image) == pytest.approx(expected, rel=0.1)


def test_an_unknown_product_is_a_404(
    personalization: Personalization, buyer: User, client_for: Callable[..., Any]
) -> None:
    response = client_for(buyer).get(url(personalization, "sofa"))
    assert response.status_code == 404
    assert "cushion" in response.json()["detail"]


def test_no_preview_yet_is_a_404(
    buyer: User, pattern: BasePattern, style: Style, client_for: Callable[..., Any]
) -> None:
    queued = Personalization.objects.create(buyer=buyer, base_pattern=pattern, style=style)
    assert client_for(buyer).get(url(queued, "cushion")).status_code == 404


def test_other_people_cannot_see_it(
    personalization: Personalization, make_user: Callable[..., User], client_for: Callable[..., Any]
) -> None:
    assert client_for(make_user("buyer")).get(url(personalization, "cushion")).status_code == 404
    assert client_for(make_user("designer")).get(url(personalization, "cushion")).status_code == 404
    assert client_for(None).get(url(personalization, "cushion")).status_code == 401
