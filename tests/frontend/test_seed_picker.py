"""The free re-render offers three seeds as preview thumbnails to pick from, not a number to guess."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from marketplace.models import JobStatus, LineStage, Order, OrderLine, OrderStatus, Personalization
from marketplace.selectors import rerender_seed_choices
from marketplace.services.orders import OrderLineRequest, order_create
from marketplace.services.personalizations import personalization_create
from tests.conftest import image_bytes


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def proof_line(buyer, pattern, style, products) -> OrderLine:
    personalization = personalization_create(buyer=buyer, base_pattern=pattern, style=style, seed=5)
    order = order_create(buyer=buyer, lines=[OrderLineRequest(personalization, products["swatch"], 1)])
    line = order.lines.get()
    line.print_png.save("print.png", ContentFile(image_bytes(96, 96)), save=False)
    line.print_sheet.save("print-sheet.png", ContentFile(image_bytes(300, 200)), save=False)
    line.stage = LineStage.PROOF_READY
    line.render_info = {"sheet_px": [300, 200]}
    line.save()
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PROOF_READY)
    return line


def test_the_re_render_asks_for_variations_not_a_number(buyer, proof_line: OrderLine) -> None:
    page = logged_in(buyer).get(f"/orders/{proof_line.order_id}/").content.decode()
    assert 'data-testid="show-variations"' in page
    assert 'type="number" name="seed"' not in page


def test_three_previews_are_requested_once_and_picked_from(buyer, proof_line: OrderLine) -> None:
    client = logged_in(buyer)
    url = f"/orders/{proof_line.order_id}/lines/{proof_line.pk}/variations/"
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302  # asking again reuses the three on their way
    seeds = rerender_seed_choices(line=proof_line)
    assert seeds == [6, 7, 8]
    previews = Personalization.objects.filter(buyer=buyer, seed__in=seeds)
    assert sorted(previews.values_list("seed", flat=True)) == seeds
    base = proof_line.personalization
    for preview in previews:
        assert (preview.style_id, preview.strength, preview.style_scale, preview.regions) == (
            base.style_id,
            base.strength,
            base.style_scale,
            base.regions,
        )

    waiting = client.get(f"/orders/{proof_line.order_id}/").content.decode()
    assert waiting.count('data-testid="seed-choice"') == 3
    assert 'hx-trigger="every 2s"' in waiting and "disabled" in waiting

    for preview in previews:
        preview.preview.save("p.png", ContentFile(image_bytes(64, 64, seed=preview.seed)), save=False)
        preview.status = JobStatus.DONE
        preview.save()
    ready = client.get(f"/orders/{proof_line.order_id}/").content.decode()
    assert ready.count('<img src="/api/v1/personalizations/') >= 3
    assert 'hx-trigger="every 2s"' not in ready
    for seed in seeds:
        assert f'name="seed" value="{seed}" required >' in ready

    response = client.post(
        f"/orders/{proof_line.order_id}/lines/{proof_line.pk}/rerender/", {"seed": seeds[1]}
    )
    assert response.status_code == 302
    proof_line.refresh_from_db()
    assert (proof_line.render_seed, proof_line.rerenders_used) == (7, 1)
    after = client.get(f"/orders/{proof_line.order_id}/").content.decode()
    assert 'data-testid="seed-picker"' not in after


def test_another_buyer_cannot_ask_for_variations(make_user, proof_line: OrderLine) -> None:
    other = logged_in(make_user("buyer"))
    response = other.post(f"/orders/{proof_line.order_id}/lines/{proof_line.pk}/variations/")
    assert response.status_code in (403, 404)
    assert not Personalization.objects.filter(seed__in=rerender_seed_choices(line=proof_line)).exists()
