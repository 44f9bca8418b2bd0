"""Base patterns: a designer's repeat, which buyers personalize with a style."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace import selectors
from marketplace.api.accounts import PersonOut
from marketplace.api.base import (
    UPLOAD_PARSERS,
    StrictInput,
    absolute_url,
    paginated_response,
    request_user,
    upload_bytes,
)
from marketplace.api.catalogue import CatalogueFilterInput, TagListField, catalogue_filters, listed_or_own
from marketplace.api.schema import paginated
from marketplace.errors import NotAllowed
from marketplace.models import (
    DEFAULT_DPI,
    DESCRIPTION_MAX_CHARS,
    DPI_RANGE,
    TITLE_MAX_CHARS,
    BasePattern,
    RepeatType,
)
from marketplace.services.catalogue import PatternRepeat, pattern_create, pattern_update, pattern_withdraw


class PatternCreateInput(StrictInput):
    title = serializers.CharField(max_length=TITLE_MAX_CHARS)
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=DESCRIPTION_MAX_CHARS
    )
    tags = TagListField(required=False, default=list)
    image = serializers.FileField()
    active = serializers.BooleanField(required=False, default=True)
    repeat_type = serializers.ChoiceField(choices=RepeatType.choices, default=RepeatType.BASIC)
    repeat_width_in = serializers.DecimalField(
        max_digits=6, decimal_places=3, min_value=Decimal("0.1"), required=False, allow_null=True
    )
    repeat_height_in = serializers.DecimalField(
        max_digits=6, decimal_places=3, min_value=Decimal("0.1"), required=False, allow_null=True
    )
    dpi = serializers.IntegerField(min_value=DPI_RANGE[0], max_value=DPI_RANGE[1], default=DEFAULT_DPI)
    royalty_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100"), default=Decimal("0")
    )


class PatternUpdateInput(StrictInput):
    title = serializers.CharField(max_length=TITLE_MAX_CHARS, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=DESCRIPTION_MAX_CHARS)
    tags = TagListField(required=False)
    active = serializers.BooleanField(required=False)
    image = serializers.FileField(required=False)
    repeat_type = serializers.ChoiceField(choices=RepeatType.choices, required=False)
    repeat_width_in = serializers.DecimalField(
        max_digits=6, decimal_places=3, min_value=Decimal("0.1"), required=False
    )
    repeat_height_in = serializers.DecimalField(
        max_digits=6, decimal_places=3, min_value=Decimal("0.1"), required=False
    )
    dpi = serializers.IntegerField(min_value=DPI_RANGE[0], max_value=DPI_RANGE[1], required=False)
    royalty_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100"), required=False
    )


class PatternOut(serializers.ModelSerializer):
    designer = PersonOut()
    tags = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    image_url = serializers.SerializerMethodField()
    # The design's flat colours, "#rrggbb", most area first: the keys a colourway may swap.
    palette = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = BasePattern
        fields = [
            "id",
            "title",
            "description",
            "tags",
            "designer",
            "repeat_type",
            "repeat_width_in",
            "repeat_height_in",
            "dpi",
            "width_px",
            "height_px",
            "royalty_percent",
            "thumbnail_url",
            "image_url",
            "image_sha256",
            "palette",
            "active",
            "created_at",
        ]

    def get_tags(self, pattern: BasePattern) -> list[str]:
        return sorted(tag.name for tag in pattern.tags.all())

    def get_thumbnail_url(self, pattern: BasePattern) -> str:
        return absolute_url(self.context.get("request"), reverse("pattern-thumbnail", args=[pattern.pk]))

    def get_image_url(self, pattern: BasePattern) -> str | None:
        request = self.context.get("request")
        if request is None or request.user.pk != pattern.designer_id:
            return None
        return absolute_url(request, reverse("pattern-image", args=[pattern.pk]))


class PatternListView(APIView):
    parser_classes = UPLOAD_PARSERS

    @extend_schema(
        parameters=[CatalogueFilterInput], responses=paginated(PatternOut), operation_id="v1_patterns_list"
    )
    def get(self, request: Request) -> Response:
        queryset = selectors.pattern_list(filters=catalogue_filters(request))
        return paginated_response(self, request, queryset, PatternOut)

    @extend_schema(request=PatternCreateInput, responses={201: PatternOut})
    def post(self, request: Request) -> Response:
        data = PatternCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        pattern = pattern_create(
            designer=request_user(request),
            title=values["title"],
            description=values["description"],
            tags=values["tags"],
            image=upload_bytes(values["image"]),
            repeat=PatternRepeat(
                repeat_type=values["repeat_type"],
                dpi=values["dpi"],
                width_in=values.get("repeat_width_in"),
                height_in=values.get("repeat_height_in"),
                royalty_percent=values["royalty_percent"],
            ),
            active=values["active"],
        )
        return Response(
            PatternOut(pattern, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class PatternDetailView(APIView):
    parser_classes = UPLOAD_PARSERS

    @extend_schema(responses=PatternOut)
    def get(self, request: Request, pk: int) -> Response:
        pattern = listed_or_own(BasePattern, pk, "designer", request)
        return Response(PatternOut(pattern, context={"request": request}).data)

    @extend_schema(request=PatternUpdateInput, responses=PatternOut)
    def patch(self, request: Request, pk: int) -> Response:
        pattern = listed_or_own(BasePattern, pk, "designer", request)
        if pattern.designer_id != request.user.pk:
            raise NotAllowed("Only the designer who listed this pattern can change it.")
        data = PatternUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        repeat_keys = {
            "repeat_type",
            "repeat_width_in",
            "repeat_height_in",
            "dpi",
            "royalty_percent",
            "image",
        }
        repeat = None
        if repeat_keys & set(values):
            # Inches follow the pixels when the DPI or the image changes and no size is given.
            resized = "dpi" in values or "image" in values
            repeat = PatternRepeat(
                repeat_type=values.get("repeat_type", pattern.repeat_type),
                dpi=values.get("dpi", pattern.dpi),
                width_in=values.get("repeat_width_in", None if resized else pattern.repeat_width_in),
                height_in=values.get("repeat_height_in", None if resized else pattern.repeat_height_in),
                royalty_percent=values.get("royalty_percent", pattern.royalty_percent),
            )
        pattern = pattern_update(
            pattern=pattern,
            actor=request_user(request),
            title=values.get("title"),
            description=values.get("description"),
            tags=values.get("tags"),
            active=values.get("active"),
            image=upload_bytes(values["image"]) if "image" in values else None,
            repeat=repeat,
        )
        return Response(PatternOut(pattern, context={"request": request}).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        pattern = listed_or_own(BasePattern, pk, "designer", request)
        pattern_withdraw(pattern=pattern, actor=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
