"""The colour contract of the API: `/substrates/` with each profile, `/personalizations/{id}/softproof/`
as a PNG with its gamut figures, `params.colourway` validated against the base's palette, and the
pattern's `palette`."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from django.core.files.base import ContentFile
from PIL import Image, ImageCms

from marketplace.icc import DEFAULT_PROFILE_FILES, default_profile_bytes
from marketplace.models import BasePattern, JobStatus, Personalization, SoftProofRender, Style, User
from marketplace.services.colour import substrate_profile_set
from stylization.engine.softproof import GAMUT_WARNING_COLOUR, profile_info

pytestmark = pytest.mark.django_db


def _png(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8), "RGB").save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def saturated(buyer: User, pattern: BasePattern, style: Style) -> Personalization:
    """A finished personalization whose preview's left half is pure sRGB blue (out of any CMYK gamut)
    and right half a mid grey (inside it)."""
    done = Personalization.objects.create(
        buyer=buyer, base_pattern=pattern, style=style, status=JobStatus.DONE, progress=100
    )
    pixels = np.full((64, 64, 3), 128)
    pixels[:, :32] = (0, 0, 255)
    done.preview.save("p.png", ContentFile(_png(pixels)))
    return done


def url(personalization: Personalization, query: str) -> str:
    return f"/api/v1/personalizations/{personalization.pk}/softproof/?{query}"


def test_substrates_list_each_printed_substrate_with_its_profile(client_for: Callable[..., Any]) -> None:
    body = client_for(None).get("/api/v1/substrates/").json()
    assert [row["substrate"] for row in body] == list(DEFAULT_PROFILE_FILES)
    for row in body:
        shipped = default_profile_bytes(row["substrate"])
        assert row["profile"] == {
            "name": profile_info(shipped).name,
            "sha256": hashlib.sha256(shipped).hexdigest(),
        }


def test_a_shops_own_profile_replaces_the_default_in_the_list_and_the_proof(
    client_for: Callable[..., Any], saturated: Personalization, buyer: User
) -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    substrate_profile_set(substrate="wallpaper", data=srgb)
    rows = {row["substrate"]: row for row in client_for(None).get("/api/v1/substrates/").json()}
    assert rows["wallpaper"]["profile"]["sha256"] == hashlib.sha256(srgb).hexdigest()
    assert rows["fabric"]["profile"]["sha256"] == hashlib.sha256(default_profile_bytes("fabric")).hexdigest()
    # Through sRGB nothing is out of gamut; through the shipped CMYK profile the blue half is.
    assert float(client_for(buyer).get(url(saturated, "substrate=wallpaper"))["X-Out-Of-Gamut"]) == 0.0
    assert float(
        client_for(buyer).get(url(saturated, "substrate=fabric"))["X-Out-Of-Gamut"]
    ) == pytest.approx(0.5)


def test_the_soft_proof_is_a_png_with_its_gamut_figures(
    client_for: Callable[..., Any], saturated: Personalization, buyer: User
) -> None:
    response = client_for(buyer).get(url(saturated, "substrate=fabric"))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert float(response["X-Out-Of-Gamut"]) == pytest.approx(0.5)
    assert float(response["X-Max-Delta-E"]) > 10  # sRGB blue moves far on a SWOP press
    proof = np.asarray(Image.open(io.BytesIO(response.content)).convert("RGB"))
    assert proof.shape == (64, 64, 3)
    assert not np.array_equal(proof[0, 0], (0, 0, 255))  # the blue is shown as it prints

    gamut = client_for(buyer).get(url(saturated, "substrate=fabric&gamut=true"))
    marked = np.asarray(Image.open(io.BytesIO(gamut.content)).convert("RGB"))
    assert (marked[:, :32] == GAMUT_WARNING_COLOUR).all() and not (
        marked[:, 32:] == GAMUT_WARNING_COLOUR
    ).all(axis=-1).any()


def test_a_product_slug_names_its_substrate(
    client_for: Callable[..., Any], saturated: Personalization, buyer: User, products: Any
) -> None:
    by_slug = client_for(buyer).get(url(saturated, "substrate=cotton"))
    by_value = client_for(buyer).get(url(saturated, "substrate=fabric"))
    assert by_slug.status_code == 200 and by_slug.content == by_value.content
    assert by_slug["X-Substrate"] == "fabric"


@pytest.mark.parametrize("query", ["substrate=velvet", "substrate=digital", ""])
def test_an_unknown_or_missing_substrate_is_a_400_naming_it(
    client_for: Callable[..., Any], saturated: Personalization, buyer: User, query: str
) -> None:
    response = client_for(buyer).get(url(saturated, query))
    assert response.status_code == 400 and "substrate" in response.json()


def test_someone_elses_personalization_is_a_404(
    client_for: Callable[..., Any], saturated: Personalization, make_user: Callable[..., User]
) -> None:
    assert (
        client_for(make_user("buyer", username="stranger"))
        .get(url(saturated, "substrate=fabric"))
        .status_code
        == 404
    )


def test_a_personalization_without_a_preview_is_a_400(
    client_for: Callable[..., Any], buyer: User, pattern: BasePattern, style: Style
) -> None:
    queued = Personalization.objects.create(buyer=buyer, base_pattern=pattern, style=style)
    response = client_for(buyer).get(url(queued, "substrate=fabric"))
    assert response.status_code == 400 and "preview" in response.json()


def test_a_second_call_reuses_the_kept_proof(
    client_for: Callable[..., Any], saturated: Personalization, buyer: User
) -> None:
    first = client_for(buyer).get(url(saturated, "substrate=fabric"))
    assert SoftProofRender.objects.count() == 1
    kept = SoftProofRender.objects.get()
    second = client_for(buyer).get(url(saturated, "substrate=wallpaper"))  # the same shipped profile
    assert second.content == first.content and SoftProofRender.objects.get() == kept


def test_the_pattern_carries_its_palette(client_for: Callable[..., Any], pattern: BasePattern) -> None:
    body = client_for(None).get(f"/api/v1/patterns/{pattern.pk}/").json()
    assert body["palette"] == pattern.palette and len(body["palette"]) >= 2


def test_a_colourway_is_taken_and_shown_in_the_params(
    client_for: Callable[..., Any], buyer: User, pattern: BasePattern, style: Style
) -> None:
    colour = pattern.palette[0]
    response = client_for(buyer).post(
        "/api/v1/personalizations/",
        {"pattern": pattern.pk, "style": style.pk, "params": {"colourway": {colour.upper(): "#00C2FF"}}},
        format="json",
    )
    assert response.status_code == 202, response.json()
    assert response.json()["params"]["colourway"] == {colour: "#00c2ff"}
    plain = client_for(buyer).post(
        "/api/v1/personalizations/", {"pattern": pattern.pk, "style": style.pk}, format="json"
    )
    assert plain.json()["params"]["colourway"] == {}


@pytest.mark.parametrize(
    "colourway",
    [
        {"#123456": "#000000"},  # not a colour of this pattern
        {"PALETTE0": "red"},  # the new colour is not #rrggbb
        {"nothex": "#000000"},
        {"PALETTE0": 5},
        "#000000",  # not an object
    ],
)
def test_a_bad_colourway_entry_is_a_400_naming_it(
    client_for: Callable[..., Any], buyer: User, pattern: BasePattern, style: Style, colourway: Any
) -> None:
    if isinstance(colourway, dict):
        colourway = {(pattern.palette[0] if k == "PALETTE0" else k): v for k, v in colourway.items()}
    response = client_for(buyer).post(
        "/api/v1/personalizations/",
        {"pattern": pattern.pk, "style": style.pk, "params": {"colourway": colourway}},
        format="json",
    )
    assert response.status_code == 400
    detail = response.json()["params"]["colourway"]
    if isinstance(colourway, dict):
        (key,) = colourway
        assert list(detail) == [key], detail
    else:
        assert isinstance(detail, list) and detail
    assert not Personalization.objects.exists()
