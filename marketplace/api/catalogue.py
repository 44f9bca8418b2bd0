"""The catalogue's shared parts: its filters, listed-or-own items, their images, and the products."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace import selectors
from marketplace.api.base import private_file_response
from marketplace.api.schema import IMAGE_TYPES, file_responses
from marketplace.errors import NotAllowed
from marketplace.models import MAX_TAGS, BasePattern, LicenceUse, Product, ProductSize, RepeatType, Style


class TagListField(serializers.ListField):
    """Tags as a JSON list, repeated form fields, or one comma-separated string."""

    child = serializers.CharField(max_length=40)
    max_length = MAX_TAGS

    def get_value(self, dictionary: Any) -> Any:
        value = super().get_value(dictionary)
        if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str) and "," in value[0]:
            return [part.strip() for part in value[0].split(",") if part.strip()]
        return value

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            data = [part.strip() for part in data.split(",") if part.strip()]
        return super().to_internal_value(data)


class ProductSizeOut(serializers.ModelSerializer):
    class Meta:
        model = ProductSize
        fields = ["id", "slug", "name", "width_in", "height_in", "price", "currency", "is_swatch"]


class ProductOut(serializers.ModelSerializer):
    sizes = ProductSizeOut(many=True)

    class Meta:
        model = Product
        fields = ["id", "slug", "name", "substrate", "use", "description", "sizes"]


def _public_thumbnail(field: Any) -> FileResponse:
    if not field:
        raise Http404("No such file.")
    response = FileResponse(field.open("rb"), content_type="image/webp")
    response["Cache-Control"] = "public, max-age=86400"
    return response


class CatalogueFilterInput(serializers.Serializer):
    tag = serializers.SlugField(required=False)
    repeat_type = serializers.ChoiceField(choices=RepeatType.choices, required=False)
    artist = serializers.CharField(required=False)
    designer = serializers.CharField(required=False)
    licence_use = serializers.ChoiceField(choices=LicenceUse.choices, required=False)
    search = serializers.CharField(required=False, max_length=100)
    mine = serializers.BooleanField(required=False, default=False)


def catalogue_filters(request: Request) -> selectors.CatalogueFilters:
    data = CatalogueFilterInput(data=request.query_params)
    data.is_valid(raise_exception=True)
    values = dict(data.validated_data)
    mine = values.pop("mine")
    user = request.user if request.user.is_authenticated else None
    return selectors.CatalogueFilters(**values, owner=user, only_owner=bool(mine and user))


def listed_or_own(model: Any, pk: int, owner_field: str, request: Request) -> Any:
    """An item an anonymous visitor or another user may see only while it is listed."""
    obj = get_object_or_404(model.objects.all(), pk=pk)
    if not obj.active and getattr(obj, f"{owner_field}_id") != request.user.pk:
        raise Http404("No such item.")
    return obj


class ThumbnailView(APIView):
    """Public: thumbnails are the only image of a listing that anyone may fetch."""

    permission_classes = [AllowAny]
    model: type[Style] | type[BasePattern] = Style
    owner_field = "artist"

    @extend_schema(responses=file_responses("image/webp"))
    def get(self, request: Request, pk: int) -> FileResponse:
        return _public_thumbnail(listed_or_own(self.model, pk, self.owner_field, request).thumbnail)


class OriginalImageView(APIView):
    """The full-resolution original, for its owner only."""

    permission_classes = [IsAuthenticated]
    model: type[Style] | type[BasePattern] = Style
    owner_field = "artist"

    @extend_schema(responses=file_responses(*IMAGE_TYPES))
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        # A withdrawn item is missing to everyone but its owner (404), a listed one is forbidden (403).
        obj: Any = listed_or_own(self.model, pk, self.owner_field, request)
        if getattr(obj, f"{self.owner_field}_id") != request.user.pk:
            raise NotAllowed("Only the owner may download the full-resolution original.")
        return private_file_response(request, obj.image, filename=obj.image.name.rsplit("/", 1)[-1])


class ProductListView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=ProductOut(many=True))
    def get(self, request: Request) -> Response:
        return Response(ProductOut(selectors.product_list(), many=True).data)
