"""Personalizations: a base pattern in a style, rendered as a preview."""

from __future__ import annotations

from typing import Any

from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace import selectors
from marketplace.api.base import (
    UPLOAD_PARSERS,
    StrictInput,
    VisibleRelatedField,
    absolute_url,
    paginated_response,
    private_file_response,
    request_user,
    upload_bytes,
)
from marketplace.api.schema import file_responses, paginated
from marketplace.models import (
    SEED_MAX,
    STRENGTH_RANGE,
    STYLE_SCALE_RANGE,
    BasePattern,
    Personalization,
    Style,
    StyleRegions,
)
from marketplace.services.colour import pattern_palette
from marketplace.services.personalizations import personalization_create
from stylization.engine.colourway import ColourwayError, validate_colourway


class PersonalizationParamsInput(StrictInput):
    strength = serializers.FloatField(min_value=STRENGTH_RANGE[0], max_value=STRENGTH_RANGE[1], default=0.7)
    preserve_colors = serializers.BooleanField(default=False)
    style_scale = serializers.FloatField(
        min_value=STYLE_SCALE_RANGE[0], max_value=STYLE_SCALE_RANGE[1], default=1.0
    )
    seed = serializers.IntegerField(min_value=0, max_value=SEED_MAX, default=0)
    regions = serializers.ChoiceField(choices=StyleRegions.choices, default=StyleRegions.ALL)
    # {"<hex of the base pattern's palette>": "<new hex>"}; checked against the palette in the create input.
    colourway = serializers.DictField(child=serializers.CharField(), required=False)


class PersonalizationCreateInput(StrictInput):
    pattern = VisibleRelatedField(queryset=BasePattern.objects.all(), owner_field="designer")
    # `style` shadows DRF's Field.style attribute; the name is the API's contract.
    style = VisibleRelatedField(  # type: ignore[assignment]
        queryset=Style.objects.all(), owner_field="artist", required=False, allow_null=True
    )
    style_image = serializers.FileField(required=False, allow_null=True)
    params = PersonalizationParamsInput(required=False)
    # The same parameters are also accepted flat, as an HTML form sends them.
    strength = serializers.FloatField(
        min_value=STRENGTH_RANGE[0], max_value=STRENGTH_RANGE[1], required=False
    )
    preserve_colors = serializers.BooleanField(required=False)
    style_scale = serializers.FloatField(
        min_value=STYLE_SCALE_RANGE[0], max_value=STYLE_SCALE_RANGE[1], required=False
    )
    seed = serializers.IntegerField(min_value=0, max_value=SEED_MAX, required=False)
    regions = serializers.ChoiceField(choices=StyleRegions.choices, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        params = dict(attrs.pop("params", None) or PersonalizationParamsInput().to_internal_value({}))
        for name in ("strength", "preserve_colors", "style_scale", "seed", "regions"):
            if name in attrs:
                params[name] = attrs.pop(name)
        attrs["params"] = params
        if bool(attrs.get("style")) == bool(attrs.get("style_image")):
            raise serializers.ValidationError({"style": ["Give either a style or a style_image, not both."]})
        if params.get("colourway"):
            params["colourway"] = _valid_colourway(params["colourway"], attrs["pattern"])
        return attrs


def _valid_colourway(colourway: dict[str, str], pattern: BasePattern) -> dict[str, str]:
    """The colourway checked against the pattern's palette; a bad entry is a 400 naming it, in the
    shape of the other params' errors: {"params": {"colourway": {"#12ab34": ["..."]}}}."""
    try:
        return validate_colourway(colourway, pattern_palette(pattern=pattern))
    except ColourwayError as error:
        key = error.field.removeprefix('colourway["').removesuffix('"]')
        detail: Any = {key: [error.message]} if key != error.field else [error.message]
        raise serializers.ValidationError({"params": {"colourway": detail}}) from None


class PersonalizationOut(serializers.ModelSerializer):
    pattern = serializers.IntegerField(source="base_pattern_id")
    style = serializers.IntegerField(source="style_id", allow_null=True)  # type: ignore[assignment]
    params = serializers.SerializerMethodField()
    preview_url = serializers.SerializerMethodField()
    instant_preview_url = serializers.SerializerMethodField()
    repeat_type = serializers.CharField(source="base_pattern.repeat_type")

    class Meta:
        model = Personalization
        fields = [
            "id",
            "pattern",
            "style",
            "uses_own_image",
            "params",
            "status",
            "progress",
            "error",
            "preview_url",
            "instant_preview_url",
            "repeat_type",
            "engine_info",
            "created_at",
            "finished_at",
        ]

    @extend_schema_field(PersonalizationParamsInput)
    def get_params(self, personalization: Personalization) -> dict[str, object]:
        params = personalization.params()
        params.setdefault("colourway", {})
        return params

    def get_preview_url(self, personalization: Personalization) -> str | None:
        if not personalization.preview:
            return None
        url = reverse("personalization-preview", args=[personalization.pk])
        return absolute_url(self.context.get("request"), url)

    def get_instant_preview_url(self, personalization: Personalization) -> str | None:
        if not personalization.instant_preview:
            return None
        url = reverse("personalization-instant-preview", args=[personalization.pk])
        return absolute_url(self.context.get("request"), url)


def own_personalization(request: Request, pk: int) -> Personalization:
    # Someone else's personalization is answered as missing, so ids cannot be probed.
    return get_object_or_404(selectors.personalization_list(buyer=request_user(request)), pk=pk)


class PersonalizationListView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = UPLOAD_PARSERS

    @extend_schema(responses=paginated(PersonalizationOut), operation_id="v1_personalizations_list")
    def get(self, request: Request) -> Response:
        queryset = selectors.personalization_list(buyer=request_user(request))
        return paginated_response(self, request, queryset, PersonalizationOut)

    @extend_schema(request=PersonalizationCreateInput, responses={202: PersonalizationOut})
    def post(self, request: Request) -> Response:
        data = PersonalizationCreateInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        upload = values.get("style_image")
        personalization = personalization_create(
            buyer=request_user(request),
            base_pattern=values["pattern"],
            style=values.get("style"),
            style_image=upload_bytes(upload) if upload else None,
            **values["params"],
        )
        body = PersonalizationOut(personalization, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


class PersonalizationDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=PersonalizationOut)
    def get(self, request: Request, pk: int) -> Response:
        personalization = own_personalization(request, pk)
        return Response(PersonalizationOut(personalization, context={"request": request}).data)


class PersonalizationPreviewView(APIView):
    permission_classes = [IsAuthenticated]
    field = "preview"

    @extend_schema(responses=file_responses("image/png"))
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        personalization = own_personalization(request, pk)
        return private_file_response(
            request, getattr(personalization, self.field), filename=f"preview-{pk}.png"
        )
