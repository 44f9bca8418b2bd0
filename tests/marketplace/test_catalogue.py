from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace.models import LicenceVersion
from marketplace.services.catalogue import style_update
from marketplace.services.licence_terms import LicenceTerms


def test_artist_lists_a_style_with_licence_terms_as_data(artist: Any, client_for: Any) -> None:
    import io

    from tests.conftest import image_bytes

    upload = io.BytesIO(image_bytes(200, 150, fmt="JPEG"))
    upload.name = "waves.jpg"
    response = client_for(artist).post(
        "/api/v1/styles/",
        {
            "title": "Waves",
            "image": upload,
            "tags": "sea, blue",
            "allowed_uses": ["personal", "commercial"],
            "fee_per_use": "3.50",
            "royalty_percent": "12.5",
            "max_uses": 100,
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["tags"] == ["blue", "sea"]
    assert body["licence"]["version"] == 1
    assert body["licence"]["allowed_uses"] == ["personal", "commercial"]
    assert body["licence"]["fee_per_use"] == "3.50"
    assert body["editions_left"] == 100
    assert body["image_url"].endswith(f"/api/v1/styles/{body['id']}/image/")


def test_licence_change_makes_a_new_version_and_keeps_the_old(style: Any, client_for: Any) -> None:
    client = client_for(style.artist)
    response = client.patch(f"/api/v1/styles/{style.pk}/", {"fee_per_use": "4.00"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["licence"]["version"] == 2
    versions = LicenceVersion.objects.filter(style=style).order_by("version")
    assert [v.fee_per_use for v in versions] == [Decimal("2.00"), Decimal("4.00")]
    assert versions[0].terms_sha256 != versions[1].terms_sha256
    # The same terms again make no new version.
    client.patch(f"/api/v1/styles/{style.pk}/", {"fee_per_use": "4.00"}, format="json")
    assert LicenceVersion.objects.filter(style=style).count() == 2
    listing = client_for(None).get(f"/api/v1/styles/{style.pk}/licences/").json()
    assert [v["version"] for v in listing] == [2, 1]


def test_edition_limit_cannot_drop_below_uses_sold(style: Any) -> None:
    style.uses_taken = 3
    style.save(update_fields=["uses_taken"])
    with pytest.raises(Exception, match="below the 3 uses"):
        style_update(
            style=style, actor=style.artist, terms=LicenceTerms(allowed_uses=("personal",), max_uses=2)
        )


def test_listing_filters_by_tag_repeat_type_and_owner(
    make_pattern: Any, make_user: Any, client_for: Any
) -> None:
    other = make_user("designer", username="otto")
    make_pattern(repeat_type="half_drop", tags=("leaves",))
    make_pattern(repeat_type="mirror", tags=("geo",))
    make_pattern(other, repeat_type="half_drop", tags=("geo",))
    client = client_for(None)

    def titles(query: str) -> int:
        return client.get(f"/api/v1/patterns/?{query}").json()["count"]

    assert titles("") == 3
    assert titles("repeat_type=half_drop") == 2
    assert titles("tag=geo") == 2
    assert titles("designer=otto") == 1
    assert titles("tag=geo&repeat_type=half_drop") == 1
    assert client.get("/api/v1/patterns/?repeat_type=zigzag").status_code == 400


def test_withdrawn_listings_disappear_for_others_but_not_the_owner(pattern: Any, client_for: Any) -> None:
    owner = client_for(pattern.designer)
    assert owner.delete(f"/api/v1/patterns/{pattern.pk}/").status_code == 204
    assert client_for(None).get("/api/v1/patterns/").json()["count"] == 0
    assert client_for(None).get(f"/api/v1/patterns/{pattern.pk}/").status_code == 404
    assert owner.get("/api/v1/patterns/?mine=true").json()["count"] == 1


@pytest.mark.parametrize("endpoint", ["/api/v1/styles/", "/api/v1/patterns/"])
def test_listing_query_count_does_not_grow_with_page_size(
    endpoint: str, make_style: Any, make_pattern: Any, client_for: Any
) -> None:
    for i in range(12):
        make_style(tags=(f"t{i}", "common"))
        make_pattern(tags=(f"t{i}", "common"))
    client = client_for(None)
    counts = {}
    for size in (1, 12):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{endpoint}?page_size={size}")
        assert response.status_code == 200 and len(response.json()["results"]) == size
        counts[size] = len(queries)
    expected = 4 if endpoint == "/api/v1/styles/" else 3  # count, page, tags (+ style models for styles)
    assert counts[1] == counts[12] == expected, counts


def test_products_list_sizes_in_a_fixed_number_of_queries(
    products: Any, client_for: Any, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(2):
        body = client_for(None).get("/api/v1/products/").json()
    assert {p["slug"] for p in body} == {"cotton", "canvas"}
    cotton = next(p for p in body if p["slug"] == "cotton")
    assert [s["slug"] for s in cotton["sizes"]] == ["swatch-8x8", "yard"]
