"""The `regions` parameter of a personalization (all, motifs, ground): the API, the configurator and
the service take it, validate it like the other parameters, and hand it to the engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from marketplace.models import BasePattern, Personalization, Style, StyleRegions, User
from marketplace.services.personalizations import personalization_create
from stylization.engine.params import REGIONS
from stylization.runtime import style_params_of

pytestmark = pytest.mark.django_db
HTMX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


def test_the_marketplace_offers_exactly_the_regions_the_engine_paints() -> None:
    assert tuple(StyleRegions.values) == REGIONS


def test_regions_defaults_to_all_and_reaches_the_engine(
    client_for: Callable[[User | None], Any], buyer: User, pattern: BasePattern, style: Style
) -> None:
    api = client_for(buyer)
    plain = api.post("/api/v1/personalizations/", {"pattern": pattern.pk, "style": style.pk}, format="json")
    assert plain.status_code == 202 and plain.json()["params"]["regions"] == "all"
    nested = api.post(
        "/api/v1/personalizations/",
        {"pattern": pattern.pk, "style": style.pk, "params": {"regions": "motifs"}},
        format="json",
    )
    flat = api.post(
        "/api/v1/personalizations/",
        {"pattern": pattern.pk, "style": style.pk, "regions": "ground"},
        format="json",
    )
    assert nested.json()["params"]["regions"] == "motifs" and flat.json()["params"]["regions"] == "ground"
    stored = Personalization.objects.get(pk=nested.json()["id"])
    assert style_params_of(stored).regions == "motifs"


@pytest.mark.parametrize(
    "body",
    [
        {"regions": "sky"},
        {"regions": ""},
        {"regions": ["motifs"]},
        {"params": {"regions": "MOTIFS"}},
        {"params": {"regions": None}},
    ],
)
def test_an_unknown_regions_value_is_a_400_that_names_the_field(
    client_for: Callable[[User | None], Any],
    buyer: User,
    pattern: BasePattern,
    style: Style,
    body: dict[str, Any],
) -> None:
    response = client_for(buyer).post(
        "/api/v1/personalizations/", {"pattern": pattern.pk, "style": style.pk, **body}, format="json"
    )
    assert response.status_code == 400
    errors = response.json()
    assert "regions" in errors or "regions" in errors.get("params", {}), errors
    assert not Personalization.objects.exists()


def test_the_service_refuses_an_unknown_regions_value(
    buyer: User, pattern: BasePattern, style: Style
) -> None:
    with pytest.raises(ValidationError) as error:
        personalization_create(buyer=buyer, base_pattern=pattern, style=style, regions="sky")
    assert "regions" in error.value.message_dict
    assert not Personalization.objects.exists()


def _logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_configurator_shows_the_regions_choice(buyer: User, pattern: BasePattern, style: Style) -> None:
    page = _logged_in(buyer).get(f"/configure/?pattern={pattern.pk}&style={style.pk}").content.decode()
    assert "<legend>Paint</legend>" in page
    for value, label in StyleRegions.choices:
        assert f'id="id_regions_{value}" value="{value}"' in page and label in page
    assert 'id="id_regions_all" value="all" checked' in page


def test_the_configurator_sends_regions_and_refuses_a_bad_one(
    buyer: User, pattern: BasePattern, style: Style
) -> None:
    client = _logged_in(buyer)
    form = {"pattern": pattern.pk, "style": style.pk, "strength": "0.7", "style_scale": "1", "seed": "0"}
    client.post("/configure/preview/", {**form, "regions": "ground"}, **HTMX)
    assert Personalization.objects.get().regions == "ground"
    refused = client.post("/configure/preview/", {**form, "regions": "sky"}, **HTMX)
    assert "sky is not one of the available choices" in refused.content.decode()
    assert Personalization.objects.count() == 1
    # A page from before the choice existed leaves it out: the whole pattern is painted.
    client.post("/configure/preview/", form, **HTMX)
    assert Personalization.objects.order_by("-pk").first().regions == "all"  # type: ignore[union-attr]
