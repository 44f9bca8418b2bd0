"""Styles: an artist's artwork, listed under a licence."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field
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
from marketplace.api.licences import (
    LicenceOut,
    LicenceTermsInput,
    licence_terms_from,
    revenue_ceiling_field,
    substrates_field,
    territories_field,
)
from marketplace.api.schema import paginated
from marketplace.errors import NotAllowed
from marketplace.models import (
    DESCRIPTION_MAX_CHARS,
    MAX_EDITION_USES,
    MAX_FEE_PER_USE,
    TITLE_MAX_CHARS,
    LicenceUse,
    Style,
)
from marketplace.services.catalogue import style_create, style_update, style_withdraw
from marketplace.services.licence_terms import LicenceTerms


class StyleCreateInput(LicenceTermsInput):
    title = serializers.CharField(max_length=TITLE_MAX_CHARS)
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=DESCRIPTION_MAX_CHARS
    )
    tags = TagListField(required=False, default=list)
    image = serializers.FileField()
    active = serializers.BooleanField(required=False, default=True)


class StyleUpdateInput(StrictInput):
    title = serializers.CharField(max_length=TITLE_MAX_CHARS, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=DESCRIPTION_MAX_CHARS)
    tags = TagListField(required=False)
    active = serializers.BooleanField(required=False)
    image = serializers.FileField(required=False)
    allowed_uses = serializers.ListField(
        child=serializers.ChoiceField(choices=LicenceUse.choices), min_length=1, max_length=2, required=False
    )
    fee_per_use = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), max_value=MAX_FEE_PER_USE, required=False
    )
    royalty_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100"), required=False
    )
    max_uses = serializers.IntegerField(
        min_value=1, max_value=MAX_EDITION_USES, required=False, allow_null=True
    )
    exclusive = serializers.BooleanField(required=False)
    territories = territories_field(required=False)
    valid_until = serializers.DateField(required=False, allow_null=True)
    allowed_substrates = substrates_field(required=False)
    attribution_required = serializers.BooleanField(required=False)
    requires_approval = serializers.BooleanField(required=False)
    revenue_ceiling = revenue_ceiling_field(required=False)


class StyleModelOut(serializers.Serializer):
    status = serializers.ChoiceField(choices=["queued", "training", "ready", "failed"])
    progress = serializers.IntegerField()
    trained_at = serializers.DateTimeField(allow_null=True)


class StyleOut(serializers.ModelSerializer):
    artist = PersonOut()
    tags = serializers.SerializerMethodField()
    licence = LicenceOut()
    thumbnail_url = serializers.SerializerMethodField()
    image_url = serializers.SerializerMethodField()
    editions_left = serializers.SerializerMethodField()
    model = serializers.SerializerMethodField()

    class Meta:
        model = Style
        fields = [
            "id",
            "title",
            "description",
            "tags",
            "artist",
            "licence",
            "thumbnail_url",
            "image_url",
            "image_sha256",
            "width_px",
            "height_px",
            "uses_taken",
            "editions_left",
            "active",
            "created_at",
            "model",
        ]

    def get_tags(self, style: Style) -> list[str]:
        return sorted(tag.name for tag in style.tags.all())

    @extend_schema_field(StyleModelOut(allow_null=True))
    def get_model(self, style: Style) -> dict[str, object] | None:
        """The feed-forward preview model of the style's current image: {status, progress, trained_at}."""
        from stylization.services import style_model_status  # the worker app depends on this one

        return style_model_status(style=style)

    def get_thumbnail_url(self, style: Style) -> str:
        return absolute_url(self.context.get("request"), reverse("style-thumbnail", args=[style.pk]))

    def get_image_url(self, style: Style) -> str | None:
        request = self.context.get("request")
        if request is None or request.user.pk != style.artist_id:
            return None
        return absolute_url(request, reverse("style-image", args=[style.pk]))

    def get_editions_left(self, style: Style) -> int | None:
        limit = style.licence.edition_limit if style.licence else None
        return None if limit is None else max(0, limit - style.uses_taken)


class StyleListView(APIView):
    parser_classes = UPLOAD_PARSERS

    @extend_schema(
        parameters=[CatalogueFilterInput], responses=paginated(StyleOut), operation_id="v1_styles_list"
    )
    def get(self, request: Request) -> Response:
        return paginated_response(
            self, request, selectors.style_list(filters=catalogue_filters(request)), StyleOut
        )

    @extend_schema(request=StyleCreateInput, responses={201: StyleOut})
    def post(self, request: Request) -> Response:
        data = StyleCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        terms = licence_terms_from(values)
        assert terms is not None
        style = style_create(
            artist=request_user(request),
            title=values["title"],
            description=values["description"],
            tags=values["tags"],
            image=upload_bytes(values["image"]),
            terms=terms,
            active=values["active"],
        )
        return Response(StyleOut(style, context={"request": request}).data, status=status.HTTP_201_CREATED)


class StyleDetailView(APIView):
    parser_classes = UPLOAD_PARSERS

    @extend_schema(responses=StyleOut)
    def get(self, request: Request, pk: int) -> Response:
        style = listed_or_own(Style, pk, "artist", request)
        return Response(StyleOut(style, context={"request": request}).data)

    @extend_schema(request=StyleUpdateInput, responses=StyleOut)
    def patch(self, request: Request, pk: int) -> Response:
        style = listed_or_own(Style, pk, "artist", request)
        if style.artist_id != request.user.pk:
            raise NotAllowed("Only the artist who listed this style can change it.")
        data = StyleUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        current = LicenceTerms.of(style.licence) if style.licence else None
        style = style_update(
            style=style,
            actor=request_user(request),
            title=values.get("title"),
            description=values.get("description"),
            tags=values.get("tags"),
            active=values.get("active"),
            image=upload_bytes(values["image"]) if "image" in values else None,
            terms=licence_terms_from(values, current),
        )
        return Response(StyleOut(style, context={"request": request}).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        style = listed_or_own(Style, pk, "artist", request)
        style_withdraw(style=style, actor=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
