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

from provenance.certificates import certificate_for, certificate_pdf
from provenance.core.verify import RecordState, Verdict
from provenance.models import AttributionRecord
from provenance.verification import (
    RECORD_FILES,
    Verification,
    VerifyInputError,
    chain_references,
    verify_file,
    verify_record,
    verify_sha256,
)


class VerifyUpload(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)


VERIFY_METHODS = ["sha256", "credential", "repeat", "perceptual"]


class VerifyMatch(serializers.Serializer):
    """Which lookup found the record and how sure it is."""

    method = serializers.ChoiceField(choices=VERIFY_METHODS)
    score = serializers.FloatField(
        help_text="1 for exact matches; the aligned-cell correlation for `repeat`; "
        "1 - pHash bits / 64 for `perceptual`"
    )
    periods_seen = serializers.FloatField(
        allow_null=True, help_text="periods of the repeat the image shows, when its lattice was found"
    )


RECORD_STATES = [state.value for state in RecordState]


class VerifyRecordMatch(serializers.Serializer):
    """One record the evidence points at."""

    record_id = serializers.CharField()
    state = serializers.ChoiceField(choices=RECORD_STATES)
    file = serializers.ChoiceField(
        choices=list(RECORD_FILES),
        allow_null=True,
        help_text="which of the record's files has the SHA-256 (exact matches)",
    )
    chain_status = serializers.CharField()


class VerifyResult(serializers.Serializer):
    verdict = serializers.ChoiceField(
        choices=[verdict.value for verdict in Verdict],
        help_text="`verified` only for an exact or credential match of a live record; an exact match of a "
        "record that is no longer live answers its state (`superseded`, `void_refunded`, "
        "`void_cancelled`, `revoked`)",
    )
    found_by = serializers.ChoiceField(choices=VERIFY_METHODS, allow_null=True)
    reasons = serializers.ListField(child=serializers.CharField())
    credential = serializers.CharField(allow_null=True)
    credential_present = serializers.BooleanField(
        allow_null=True,
        help_text="whether the file carries a content credential; false: matched by hash alone",
    )
    state = serializers.ChoiceField(
        choices=RECORD_STATES, allow_null=True, help_text="the matched record's state"
    )
    matches = VerifyRecordMatch(many=True, help_text="every record the evidence points at, with its state")
    match = VerifyMatch(allow_null=True)
    perceptual_distance_bits = serializers.IntegerField(required=False)
    record_id = serializers.CharField(required=False)
    attribution = serializers.DictField(required=False)
    chain = serializers.DictField(required=False)
    revoked_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="when the chain revoked the record (verdict `revoked`)"
    )
    reason = serializers.CharField(
        required=False, help_text="the revocation's reason code, read from the chain"
    )


class RecordOut(serializers.Serializer):
    record_id = serializers.CharField()
    manifest = serializers.DictField()
    manifest_sha256 = serializers.CharField()
    status = serializers.CharField()
    revoked = serializers.BooleanField()
    state = serializers.ChoiceField(choices=RECORD_STATES)
    chain = serializers.DictField()


class VerifyView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "verify"
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(parameters=[OpenApiParameter("sha256", str, required=True)], responses=VerifyResult)
    def get(self, request: Request) -> Response:
        try:
            result = verify_sha256(request.query_params.get("sha256", ""))
        except VerifyInputError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(result.as_dict())

    @extend_schema(request=VerifyUpload, responses=VerifyResult)
    def post(self, request: Request) -> Response:
        upload = request.FILES.get("file")
        if upload is None:
            return Response(
                {"file": ["Attach the file to check as `file`."]}, status=status.HTTP_400_BAD_REQUEST
            )
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
                "state": str(record.state),
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
            request._request,
            "provenance/certificate.html",
            {"record": record, "certificate": certificate_for(record)},
        )


certificate_json = CertificateJsonView.as_view()
certificate_html = CertificateHtmlView.as_view()


class CertificatePdfView(APIView):
    """The certificate as PDF for a legal file. GET: the record's own verdict. POST with `file`:
    the verdict on that image (a photo of a print, a copy) and the image itself in the PDF."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "verify"
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request: Request, record_id: str) -> HttpResponse:
        record = _record(record_id)
        return _pdf_response(record, verify_record(record), None)

    @extend_schema(request=VerifyUpload, responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def post(self, request: Request, record_id: str) -> HttpResponse:
        record = _record(record_id)
        upload = request.FILES.get("file")
        if upload is None:
            return Response(
                {"file": ["Attach the image to check as `file`."]}, status=status.HTTP_400_BAD_REQUEST
            )
        data = upload.read()
        try:
            result = verify_file(data, prefer=record)
        except VerifyInputError as exc:
            return Response({"file": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        if result.record is not None and result.record.pk != record.pk:
            result = Verification(
                verdict="not_found",
                reasons=["the image matches another record, not this one"],
                credential_present=result.credential_present,
                matches=result.matches,
            )
        return _pdf_response(record, result, data)


def _pdf_response(record: AttributionRecord, verification: Verification, query: bytes | None) -> HttpResponse:
    response = HttpResponse(
        certificate_pdf(record, verification=verification, query_image=query), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="motif-certificate-{record.record_id[:16]}.pdf"'
    return response
