"""The pages' side of colourways and size guidance: the configurator takes a colourway from its
palette row (a bad colour is a form error, not a 500), and the designer is warned at upload."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.models import SHARP_PRINT_DPI, BasePattern, Personalization
from tests.conftest import pattern_bytes

pytestmark = pytest.mark.django_db


def _preview(client: Any, pattern: BasePattern, style: Any, **colours: str) -> Any:
    return client.post(
        "/configure/preview/",
        {
            "pattern": pattern.pk,
            "style": style.pk,
            "strength": 0.7,
            "style_scale": 1.0,
            "seed": 0,
            "regions": "all",
            **{f"colourway-{source[1:]}": new for source, new in colours.items()},
        },
    )


def test_the_palette_row_swaps_only_the_colours_changed(
    client: Any, buyer: Any, pattern: BasePattern, style: Any
) -> None:
    client.force_login(buyer)
    page = client.get(f"/configure/?pattern={pattern.pk}&style={style.pk}").content.decode()
    for colour in pattern.palette:
        assert f'name="colourway-{colour[1:]}" value="{colour}"' in page
    first, second = pattern.palette[:2]
    response = _preview(client, pattern, style, **{first: first, second: "#00c2ff"})
    assert response.status_code == 302
    assert Personalization.objects.get().colourway == {second: "#00c2ff"}


def test_a_bad_colour_from_the_palette_row_is_a_form_error(
    client: Any, buyer: Any, pattern: BasePattern, style: Any
) -> None:
    client.force_login(buyer)
    response = _preview(client, pattern, style, **{pattern.palette[0]: "blue"})
    assert response.status_code == 400
    assert f"colourway[&quot;{pattern.palette[0]}&quot;]" in response.content.decode()
    assert not Personalization.objects.exists()


def test_the_designer_is_warned_at_upload_of_a_coarse_or_too_wide_repeat(
    client: Any, designer: Any, products: Any
) -> None:
    client.force_login(designer)
    dpi = SHARP_PRINT_DPI // 2  # 96 px at 75 DPI: a 1.28″ repeat printed coarse
    response = client.post(
        "/studio/designer/",
        {
            "title": "Coarse",
            "image": SimpleUploadedFile("p.png", pattern_bytes("basic", 96), content_type="image/png"),
            "repeat_type": "basic",
            "dpi": dpi,
            "royalty_percent": "5",
            "tags": "test",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "is published" in page
    assert f"below the {SHARP_PRINT_DPI} DPI that prints sharply" in page
