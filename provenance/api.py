"""Public verification API: open to anyone, rate-limited."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from provenance.certificates import certificate_for
from provenance.models import AttributionRecord
from provenance.verification import VerifyInputError, chain_references, verify_file, verify_sha256


class VerifyUpload(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)


class VerificationOut(serializers.Serializer):
    verdict = serializers.CharField()
    found_by = serializers.ChoiceField(choices=["sha256", "credential", "perceptual"], allow_null=True)
    reasons = serializers.ListField(child=serializers.CharField())
    credential = serializers.CharField(allow_null=True)
    perceptual_distance_bits = serializers.IntegerField(required=False)
    record_id = serializers.CharField(required=False)
    attribution = serializers.DictField(required=False)
    chain = serializers.DictField(required=False)


class RecordOut(serializers.Serializer):
    record_id = serializers.CharField()
    manifest = serializers.DictField()
    manifest_sha256 = serializers.CharField()
    status = serializers.CharField()
    revoked = serializers.BooleanField()
    chain = serializers.DictField()


class VerifyView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "verify"
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(parameters=[OpenApiParameter("sha256", str, required=True)], responses=VerificationOut)
    def get(self, request: Request) -> Response:
        try:
            result = verify_sha256(request.query_params.get("sha256", ""))
        except VerifyInputError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(result.as_dict())

    @extend_schema(request=VerifyUpload, responses=VerificationOut)
    def post(self, request: Request) -> Response:
        upload = request.FILES.get("file")
        if upload is None:
            return Response({"file": ["Attach the file to check as `file`."]}, status=status.HTTP_400_BAD_REQUEST)
        try:
            result = verify_file(upload.read())
        except VerifyInputError as exc:
            return Response({"file": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(result.as_dict())


def _record(record_id: str) -> AttributionRecord:
    record = AttributionRecord.objects.filter(record_id=record_id.lower()).first()
    if record is None:
        raise Http404("No attribution record has this id.")
    return record


class RecordView(APIView):
    """The public manifest of one record, with its chain status."""

    permission_classes = [AllowAny]

    @extend_schema(responses=RecordOut)
    def get(self, request: Request, record_id: str) -> Response:
        record = _record(record_id)
        return Response(
            {
                "record_id": record.record_id,
                "manifest": record.manifest,
                "manifest_sha256": record.manifest_sha256,
                "status": record.status,
                "revoked": record.revoked,
                "chain": chain_references(record),
            }
        )


class CertificateJsonView(APIView):
    """The attribution certificate of one record, as a JSON download."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, record_id: str) -> JsonResponse:
        response = JsonResponse(certificate_for(_record(record_id)), json_dumps_params={"indent": 2})
        response["Content-Disposition"] = f'attachment; filename="motif-certificate-{record_id[:16]}.json"'
        return response


class CertificateHtmlView(APIView):
    """The attribution certificate of one record, as a printable page."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(responses={(200, "text/html"): OpenApiTypes.STR})
    def get(self, request: Request, record_id: str) -> HttpResponse:
        record = _record(record_id)
        return render(
            request._request, "provenance/certificate.html", {"record": record, "certificate": certificate_for(record)}
        )


certificate_json = CertificateJsonView.as_view()
certificate_html = CertificateHtmlView.as_view()
