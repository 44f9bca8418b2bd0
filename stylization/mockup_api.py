"""`GET /api/v1/personalizations/{id}/mockups/{product}.png`: the personalization's preview on a
product at true scale, drawn in 2D by the engine (stylization/engine/mockups.py), for the order
e-mail and share images. Included by marketplace/api/urls.py, so the marketplace's API imports
nothing of stylization."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from marketplace import selectors
from marketplace.media import PRIVATE
from marketplace.models import User
from stylization.engine.images import load_image
from stylization.engine.mockups import MOCKUP_PRODUCTS, mockup_image
from stylization.runtime import png_bytes


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
        if product not in MOCKUP_PRODUCTS:
            raise Http404(f"No mockup for {product!r}; there are: {', '.join(sorted(MOCKUP_PRODUCTS))}.")
        if not personalization.preview:
            raise Http404("The preview is not ready yet.")
        with personalization.preview.open("rb") as fh:
            tile = load_image(fh.read(), min_side=1)
        pattern = personalization.base_pattern
        image = mockup_image(
            tile,
            repeat=pattern.repeat_type,
            repeat_width_in=float(pattern.repeat_width_in),
            repeat_height_in=float(pattern.repeat_height_in),
            product=product,
        )
        response = HttpResponse(png_bytes(image), content_type="image/png")
        response["Cache-Control"] = PRIVATE
        return response


urlpatterns = [
    path(
        "personalizations/<int:pk>/mockups/<slug:product>.png",
        PersonalizationMockupView.as_view(),
        name="personalization-mockup",
    ),
]
