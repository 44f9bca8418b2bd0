"""Licence terms as a style is listed with them, and the licence versions as documents."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import Http404, HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.api.base import StrictInput, absolute_url
from marketplace.api.catalogue import listed_or_own
from marketplace.licences import licence_document, licence_pdf, licence_version_find
from marketplace.models import (
    MAX_EDITION_USES,
    MAX_FEE_PER_USE,
    MAX_REVENUE_CEILING,
    MAX_TERRITORIES,
    LicenceUse,
    LicenceVersion,
    Style,
    Substrate,
)
from marketplace.services.licence_terms import LicenceTerms


def territories_field(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(min_length=1, max_length=2),
        min_length=1,
        max_length=MAX_TERRITORIES,
        help_text='ISO 3166-1 alpha-2 codes the goods may ship to (digital files: the buyer\'s country), or ["*"].',
        **kwargs,
    )


def substrates_field(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=[*Substrate.values, "*"]),
        min_length=1,
        max_length=len(Substrate.values),
        help_text='The substrates the licence may be printed on, or ["*"].',
        **kwargs,
    )


def revenue_ceiling_field(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_REVENUE_CEILING,
        allow_null=True,
        help_text="The total of style fees after which the licence stops selling; null for none.",
        **kwargs,
    )


class LicenceTermsInput(StrictInput):
    allowed_uses = serializers.ListField(
        child=serializers.ChoiceField(choices=LicenceUse.choices), min_length=1, max_length=2
    )
    fee_per_use = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), max_value=MAX_FEE_PER_USE
    )
    royalty_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100")
    )
    max_uses = serializers.IntegerField(
        min_value=1, max_value=MAX_EDITION_USES, required=False, allow_null=True
    )
    exclusive = serializers.BooleanField(required=False, default=False)
    currency = serializers.ChoiceField(choices=["USD"], required=False, default="USD")
    territories = territories_field(required=False, default=["*"])
    valid_until = serializers.DateField(required=False, allow_null=True, default=None)
    allowed_substrates = substrates_field(required=False, default=["*"])
    attribution_required = serializers.BooleanField(required=False, default=False)
    requires_approval = serializers.BooleanField(required=False, default=False)
    revenue_ceiling = revenue_ceiling_field(required=False, default=None)


class LicenceOut(serializers.ModelSerializer):
    allowed_uses = serializers.ListField(child=serializers.CharField())
    territories = serializers.ListField(child=serializers.CharField())
    allowed_substrates = serializers.ListField(child=serializers.CharField())
    document_urls = serializers.SerializerMethodField()

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_document_urls(self, licence: LicenceVersion) -> dict[str, str]:
        """The licence as a person reads it: a page, a PDF and a JSON document."""
        request = self.context.get("request")
        args = [licence.style_id, licence.version]
        return {
            "html": absolute_url(request, reverse("frontend:licence", args=args)),
            "pdf": absolute_url(request, reverse("style-licence-pdf", args=args)),
            "json": absolute_url(request, reverse("style-licence-document", args=args)),
        }

    class Meta:
        model = LicenceVersion
        fields = [
            "version",
            "allowed_uses",
            "fee_per_use",
            "currency",
            "royalty_percent",
            "max_uses",
            "exclusive",
            "territories",
            "valid_until",
            "allowed_substrates",
            "attribution_required",
            "requires_approval",
            "revenue_ceiling",
            "terms_sha256",
            "created_at",
            "document_urls",
        ]


def licence_terms_from(data: dict[str, Any], current: LicenceTerms | None = None) -> LicenceTerms | None:
    keys = (
        "allowed_uses",
        "fee_per_use",
        "royalty_percent",
        "max_uses",
        "exclusive",
        "currency",
        "territories",
        "valid_until",
        "allowed_substrates",
        "attribution_required",
        "requires_approval",
        "revenue_ceiling",
    )
    given = {key: data[key] for key in keys if key in data}
    if not given:
        return None
    base = current.__dict__ if current else {}
    merged = {**base, **given}
    for listed in ("allowed_uses", "territories", "allowed_substrates"):
        if listed in merged:
            merged[listed] = tuple(merged[listed])
    return LicenceTerms(**merged)


class StyleLicencesView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=LicenceOut(many=True))
    def get(self, request: Request, pk: int) -> Response:
        style = listed_or_own(Style, pk, "artist", request)
        versions = style.licence_versions.select_related("style").order_by("-version")
        return Response(LicenceOut(versions, many=True, context={"request": request}).data)


def _licence_version(pk: int, version: int) -> LicenceVersion:
    licence = licence_version_find(style_id=pk, version=version)
    if licence is None:
        raise Http404("No such licence version.")
    return licence


class LicenceDocumentView(APIView):
    """One licence version as a JSON document: its exact terms, their hash, and the clauses in words."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: int, version: int) -> Response:
        return Response(licence_document(_licence_version(pk, version)))


class LicencePdfView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request: Request, pk: int, version: int) -> HttpResponse:
        licence = _licence_version(pk, version)
        response = HttpResponse(licence_pdf(licence), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="motif-licence-style{pk}-v{version}.pdf"'
        return response
