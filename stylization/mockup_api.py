"""`GET /api/v1/personalizations/{id}/mockups/{product}.png`: the personalization's preview on a
product at true scale, drawn in 2D by the engine (stylization/engine/mockups.py), for the order
e-mail (its buyer only: a personalization is private).

`GET /api/v1/patterns/{id}/mockups/{product}.png`: the listed base pattern on a product, public, for
the share image (og:image) of the pattern and configure pages, which a share crawler fetches signed
out. It shows only what the catalogue shows anyone: the listed pattern, never a buyer's design. Included by marketplace/api/urls.py, so the marketplace's API imports
nothing of stylization."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from marketplace import selectors
from marketplace.media import PRIVATE
from marketplace.models import BasePattern, User
from stylization.engine.images import load_image
from stylization.engine.mockups import MOCKUP_PRODUCTS, mockup_image
from stylization.runtime import png_bytes

# A listed pattern's picture changes only if the pattern is replaced; share crawlers may keep it a day.
SHARE_IMAGE_CACHE = "public, max-age=86400"


class PersonalizationMockupView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("product", OpenApiTypes.STR, OpenApiParameter.PATH, enum=sorted(MOCKUP_PRODUCTS))
        ],
        responses={(200, "image/png"): OpenApiTypes.BINARY},
        operation_id="v1_personalizations_mockup_retrieve",
    )
    def get(self, request: Request, pk: int, product: str) -> HttpResponse:
        """The preview on `product` at true scale: a 2D front view drawn with Pillow, not a 3D render.
        404 for an unknown product, a preview not made yet, or someone else's personalization."""
        buyer = request.user
        if not isinstance(buyer, User):  # IsAuthenticated has refused anyone else already
            raise NotAuthenticated
        # Someone else's personalization is answered as missing, as its preview is.
        personalization = get_object_or_404(selectors.personalization_list(buyer=buyer), pk=pk)
        if not personalization.preview:
            raise Http404("The preview is not ready yet.")
        return _mockup_response(personalization.preview, personalization.base_pattern, product, cache=PRIVATE)


def _mockup_response(tile_file: object, pattern: BasePattern, product: str, *, cache: str) -> HttpResponse:
    if product not in MOCKUP_PRODUCTS:
        raise Http404(f"No mockup for {product!r}; there are: {', '.join(sorted(MOCKUP_PRODUCTS))}.")
    with tile_file.open("rb") as fh:  # type: ignore[attr-defined]
        tile = load_image(fh.read(), min_side=1)
    image = mockup_image(
        tile,
        repeat=pattern.repeat_type,
        repeat_width_in=float(pattern.repeat_width_in),
        repeat_height_in=float(pattern.repeat_height_in),
        product=product,
    )
    response = HttpResponse(png_bytes(image), content_type="image/png")
    response["Cache-Control"] = cache
    return response


class PatternMockupView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []  # public, and a crawler has no session

    @extend_schema(
        parameters=[
            OpenApiParameter("product", OpenApiTypes.STR, OpenApiParameter.PATH, enum=sorted(MOCKUP_PRODUCTS))
        ],
        responses={(200, "image/png"): OpenApiTypes.BINARY},
        operation_id="v1_patterns_mockup_retrieve",
    )
    def get(self, request: Request, pk: int, product: str) -> HttpResponse:
        """The listed base pattern on `product` at true scale (2D, Pillow): the public share image.
        404 for an unknown product or a pattern the catalogue does not list."""
        pattern = get_object_or_404(selectors.pattern_list(filters=selectors.CatalogueFilters()), pk=pk)
        return _mockup_response(pattern.image, pattern, product, cache=SHARE_IMAGE_CACHE)


urlpatterns = [
    path(
        "personalizations/<int:pk>/mockups/<slug:product>.png",
        PersonalizationMockupView.as_view(),
        name="personalization-mockup",
    ),
    path(
        "patterns/<int:pk>/mockups/<slug:product>.png",
        PatternMockupView.as_view(),
        name="pattern-mockup",
    ),
]
