"""Thin views: parse, call a service or a selector, serialize."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth import authenticate
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from marketplace import selectors
from marketplace.api import serializers as s
from marketplace.api.pagination import CataloguePagination
from marketplace.api.parsers import DepthLimitedJSONParser
from marketplace.api.schema import IMAGE_TYPES, file_responses, paginated
from marketplace.api.throttles import LoginRateThrottle, LoginUsernameRateThrottle, RegisterRateThrottle
from marketplace.errors import NotAllowed
from marketplace.licences import licence_document, licence_pdf, licence_version_find
from marketplace.media import PRIVATE, media_file_response
from marketplace.models import (
    BasePattern,
    LicenceUse,
    LicenceVersion,
    Order,
    OrderLine,
    Personalization,
    RepeatType,
    Style,
    User,
)
from marketplace.proofs import proof_preview_png, proof_tile_png
from marketplace.services.accounts import user_register, user_token
from marketplace.services.catalogue import (
    PatternRepeat,
    pattern_create,
    pattern_update,
    pattern_withdraw,
    style_create,
    style_update,
    style_withdraw,
)
from marketplace.services.licence_terms import LicenceTerms
from marketplace.services.orders import OrderLineRequest, order_cancel, order_checkout, order_create
from marketplace.services.personalizations import personalization_create
from marketplace.services.reports import report_file

UPLOAD_PARSERS = [MultiPartParser, FormParser, DepthLimitedJSONParser]


def _user(request: Request) -> User:
    """The signed-in user; the view's permission class has already refused anonymous requests."""
    return cast(User, request.user)


def _read_upload(upload: Any) -> bytes:
    return upload.read() if upload is not None else b""


def _private_file(request: Request, field: Any, *, filename: str) -> HttpResponseBase:
    return media_file_response(request._request, field, filename=filename)


def _public_thumbnail(field: Any) -> FileResponse:
    if not field:
        raise Http404("No such file.")
    response = FileResponse(field.open("rb"), content_type="image/webp")
    response["Cache-Control"] = "public, max-age=86400"
    return response


# --- accounts ---------------------------------------------------------------------------------------


class RegisterView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [RegisterRateThrottle]

    @extend_schema(request=s.RegisterInput, responses={201: s.RegisterOut})
    def post(self, request: Request) -> Response:
        data = s.RegisterInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_register(**data.validated_data)
        body = dict(s.UserOut(user).data, token=user_token(user=user))
        return Response(body, status=status.HTTP_201_CREATED)


class TokenView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle, LoginUsernameRateThrottle]

    @extend_schema(request=s.TokenInput, responses={200: s.TokenOut})
    def post(self, request: Request) -> Response:
        data = s.TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request, **data.validated_data)
        if user is None:
            return Response({"detail": "Wrong username or password."}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"token": user_token(user=user)})


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=s.UserOut)
    def get(self, request: Request) -> Response:
        return Response(s.UserOut(request.user).data)


# --- catalogue --------------------------------------------------------------------------------------


class CatalogueFilterInput(serializers.Serializer):
    tag = serializers.SlugField(required=False)
    repeat_type = serializers.ChoiceField(choices=RepeatType.choices, required=False)
    artist = serializers.CharField(required=False)
    designer = serializers.CharField(required=False)
    licence_use = serializers.ChoiceField(choices=LicenceUse.choices, required=False)
    search = serializers.CharField(required=False, max_length=100)
    mine = serializers.BooleanField(required=False, default=False)


def _catalogue_filters(request: Request) -> selectors.CatalogueFilters:
    data = CatalogueFilterInput(data=request.query_params)
    data.is_valid(raise_exception=True)
    values = dict(data.validated_data)
    mine = values.pop("mine")
    user = request.user if request.user.is_authenticated else None
    return selectors.CatalogueFilters(**values, owner=user, only_owner=bool(mine and user))


def _paginated(
    view: APIView, request: Request, queryset: Any, serializer: type[serializers.Serializer]
) -> Response:
    paginator = CataloguePagination()
    page: Any = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True, context={"request": request}).data)


def _owned(model: Any, pk: int, owner_field: str, request: Request) -> Any:
    """An item an anonymous visitor or another user may see only while it is listed."""
    obj = get_object_or_404(model.objects.all(), pk=pk)
    if not obj.active and getattr(obj, f"{owner_field}_id") != request.user.pk:
        raise Http404("No such item.")
    return obj


def _terms_from(data: dict[str, Any], current: LicenceTerms | None = None) -> LicenceTerms | None:
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


class StyleListView(APIView):
    parser_classes = UPLOAD_PARSERS

    @extend_schema(
        parameters=[CatalogueFilterInput], responses=paginated(s.StyleOut), operation_id="v1_styles_list"
    )
    def get(self, request: Request) -> Response:
        return _paginated(
            self, request, selectors.style_list(filters=_catalogue_filters(request)), s.StyleOut
        )

    @extend_schema(request=s.StyleCreateInput, responses={201: s.StyleOut})
    def post(self, request: Request) -> Response:
        data = s.StyleCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        terms = _terms_from(values)
        assert terms is not None
        style = style_create(
            artist=_user(request),
            title=values["title"],
            description=values["description"],
            tags=values["tags"],
            image=_read_upload(values["image"]),
            terms=terms,
            active=values["active"],
        )
        return Response(s.StyleOut(style, context={"request": request}).data, status=status.HTTP_201_CREATED)


class StyleDetailView(APIView):
    parser_classes = UPLOAD_PARSERS

    @extend_schema(responses=s.StyleOut)
    def get(self, request: Request, pk: int) -> Response:
        style = _owned(Style, pk, "artist", request)
        return Response(s.StyleOut(style, context={"request": request}).data)

    @extend_schema(request=s.StyleUpdateInput, responses=s.StyleOut)
    def patch(self, request: Request, pk: int) -> Response:
        style = _owned(Style, pk, "artist", request)
        if style.artist_id != request.user.pk:
            raise NotAllowed("Only the artist who listed this style can change it.")
        data = s.StyleUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        current = LicenceTerms.of(style.licence) if style.licence else None
        style = style_update(
            style=style,
            actor=_user(request),
            title=values.get("title"),
            description=values.get("description"),
            tags=values.get("tags"),
            active=values.get("active"),
            image=_read_upload(values["image"]) if "image" in values else None,
            terms=_terms_from(values, current),
        )
        return Response(s.StyleOut(style, context={"request": request}).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        style = _owned(Style, pk, "artist", request)
        style_withdraw(style=style, actor=_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class StyleLicencesView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=s.LicenceOut(many=True))
    def get(self, request: Request, pk: int) -> Response:
        style = _owned(Style, pk, "artist", request)
        versions = style.licence_versions.select_related("style").order_by("-version")
        return Response(s.LicenceOut(versions, many=True, context={"request": request}).data)


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


class PatternListView(APIView):
    parser_classes = UPLOAD_PARSERS

    @extend_schema(
        parameters=[CatalogueFilterInput], responses=paginated(s.PatternOut), operation_id="v1_patterns_list"
    )
    def get(self, request: Request) -> Response:
        queryset = selectors.pattern_list(filters=_catalogue_filters(request))
        return _paginated(self, request, queryset, s.PatternOut)

    @extend_schema(request=s.PatternCreateInput, responses={201: s.PatternOut})
    def post(self, request: Request) -> Response:
        data = s.PatternCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        pattern = pattern_create(
            designer=_user(request),
            title=values["title"],
            description=values["description"],
            tags=values["tags"],
            image=_read_upload(values["image"]),
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
            s.PatternOut(pattern, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class PatternDetailView(APIView):
    parser_classes = UPLOAD_PARSERS

    @extend_schema(responses=s.PatternOut)
    def get(self, request: Request, pk: int) -> Response:
        pattern = _owned(BasePattern, pk, "designer", request)
        return Response(s.PatternOut(pattern, context={"request": request}).data)

    @extend_schema(request=s.PatternUpdateInput, responses=s.PatternOut)
    def patch(self, request: Request, pk: int) -> Response:
        pattern = _owned(BasePattern, pk, "designer", request)
        if pattern.designer_id != request.user.pk:
            raise NotAllowed("Only the designer who listed this pattern can change it.")
        data = s.PatternUpdateInput(data=request.data, partial=True)
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
            actor=_user(request),
            title=values.get("title"),
            description=values.get("description"),
            tags=values.get("tags"),
            active=values.get("active"),
            image=_read_upload(values["image"]) if "image" in values else None,
            repeat=repeat,
        )
        return Response(s.PatternOut(pattern, context={"request": request}).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        pattern = _owned(BasePattern, pk, "designer", request)
        pattern_withdraw(pattern=pattern, actor=_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ThumbnailView(APIView):
    """Public: thumbnails are the only image of a listing that anyone may fetch."""

    permission_classes = [AllowAny]
    model: type[Style] | type[BasePattern] = Style
    owner_field = "artist"

    @extend_schema(responses=file_responses("image/webp"))
    def get(self, request: Request, pk: int) -> FileResponse:
        return _public_thumbnail(_owned(self.model, pk, self.owner_field, request).thumbnail)


class OriginalImageView(APIView):
    """The full-resolution original, for its owner only."""

    permission_classes = [IsAuthenticated]
    model: type[Style] | type[BasePattern] = Style
    owner_field = "artist"

    @extend_schema(responses=file_responses(*IMAGE_TYPES))
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        # A withdrawn item is missing to everyone but its owner (404), a listed one is forbidden (403).
        obj: Any = _owned(self.model, pk, self.owner_field, request)
        if getattr(obj, f"{self.owner_field}_id") != request.user.pk:
            raise NotAllowed("Only the owner may download the full-resolution original.")
        return _private_file(request, obj.image, filename=obj.image.name.rsplit("/", 1)[-1])


class ProductListView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=s.ProductOut(many=True))
    def get(self, request: Request) -> Response:
        return Response(s.ProductOut(selectors.product_list(), many=True).data)


# --- personalizations -------------------------------------------------------------------------------


def _own_personalization(request: Request, pk: int) -> Personalization:
    # Someone else's personalization is answered as missing, so ids cannot be probed.
    return get_object_or_404(selectors.personalization_list(buyer=_user(request)), pk=pk)


class PersonalizationListView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = UPLOAD_PARSERS

    @extend_schema(responses=paginated(s.PersonalizationOut), operation_id="v1_personalizations_list")
    def get(self, request: Request) -> Response:
        queryset = selectors.personalization_list(buyer=_user(request))
        return _paginated(self, request, queryset, s.PersonalizationOut)

    @extend_schema(request=s.PersonalizationCreateInput, responses={202: s.PersonalizationOut})
    def post(self, request: Request) -> Response:
        data = s.PersonalizationCreateInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        upload = values.get("style_image")
        personalization = personalization_create(
            buyer=_user(request),
            base_pattern=values["pattern"],
            style=values.get("style"),
            style_image=_read_upload(upload) if upload else None,
            **values["params"],
        )
        body = s.PersonalizationOut(personalization, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


class PersonalizationDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=s.PersonalizationOut)
    def get(self, request: Request, pk: int) -> Response:
        personalization = _own_personalization(request, pk)
        return Response(s.PersonalizationOut(personalization, context={"request": request}).data)


class PersonalizationPreviewView(APIView):
    permission_classes = [IsAuthenticated]
    field = "preview"

    @extend_schema(responses=file_responses("image/png"))
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        personalization = _own_personalization(request, pk)
        return _private_file(request, getattr(personalization, self.field), filename=f"preview-{pk}.png")


# --- orders -----------------------------------------------------------------------------------------


def _own_order(request: Request, pk: int) -> Order:
    return get_object_or_404(selectors.order_list(buyer=_user(request)), pk=pk)


class OrderListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=paginated(s.OrderOut), operation_id="v1_orders_list")
    def get(self, request: Request) -> Response:
        return _paginated(self, request, selectors.order_list(buyer=_user(request)), s.OrderOut)

    @extend_schema(request=s.OrderCreateInput, responses={201: s.OrderOut})
    def post(self, request: Request) -> Response:
        data = s.OrderCreateInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        lines = [OrderLineRequest(**line) for line in data.validated_data["lines"]]
        order = order_create(buyer=_user(request), lines=lines)
        order = _own_order(request, order.pk)
        return Response(s.OrderOut(order, context={"request": request}).data, status=status.HTTP_201_CREATED)


class OrderDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=s.OrderOut)
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.OrderOut(_own_order(request, pk), context={"request": request}).data)


class OrderLineFileView(APIView):
    """A digital line's print PNG, print sheet or SVG, for the order's buyer (a physical line's buyer
    views its proof instead: `OrderLineProofView`)."""

    permission_classes = [IsAuthenticated]
    names = {"print_png": "print.png", "print_sheet": "print-sheet.png", "svg": "print.svg"}

    @extend_schema(
        responses={
            **file_responses("image/png", "image/svg+xml"),
            403: OpenApiResponse(
                s.OutputRefusedOut,
                description="A physical line: its buyer views the proof, the print shop gets the files.",
            ),
            409: OpenApiResponse(s.OutputRefusedOut, description="The line's files are not ready yet."),
            410: OpenApiResponse(
                s.OutputRefusedOut, description="The order was refunded or cancelled, or the line failed."
            ),
        }
    )
    def get(self, request: Request, pk: int, line_pk: int, kind: str) -> HttpResponseBase:
        if kind not in self.names:
            raise Http404("No such file.")
        line = get_object_or_404(OrderLine.objects.select_related("order"), pk=line_pk, order_id=pk)
        access, reason = selectors.order_line_output_access(line=line, user=_user(request))
        if access == selectors.OutputAccess.NOT_FOUND:
            raise Http404("No such file.")
        if access != selectors.OutputAccess.ALLOWED:
            return Response({"detail": reason, "stage": line.stage}, status=access.http_status)
        return _private_file(
            request, getattr(line, kind), filename=f"motif-order{pk}-line{line_pk}-{self.names[kind]}"
        )


def _proof_response(request: Request, pk: int, line_pk: int, make: Any) -> HttpResponseBase:
    line = get_object_or_404(
        OrderLine.objects.select_related("order", "product_size__product"), pk=line_pk, order_id=pk
    )
    access, reason = selectors.order_line_proof_access(line=line, user=_user(request))
    if access == selectors.OutputAccess.NOT_FOUND:
        raise Http404("No such proof.")
    if access != selectors.OutputAccess.ALLOWED:
        return Response({"detail": reason, "stage": line.stage}, status=access.http_status)
    with line.print_sheet.open("rb") as fh:
        image = make(fh.read())
    if image is None:
        raise Http404("No such tile.")
    response = HttpResponse(image, content_type="image/png")
    response["Cache-Control"] = PRIVATE
    return response


PROOF_RESPONSES = {
    (200, "image/png"): OpenApiTypes.BINARY,
    409: OpenApiResponse(s.OutputRefusedOut, description="The proof is not ready yet."),
    410: OpenApiResponse(
        s.OutputRefusedOut, description="The order was refunded or cancelled, or the line failed."
    ),
}


class OrderLineProofView(APIView):
    """A physical line's proof: the whole print sheet, reduced and marked PROOF, for its buyer."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=PROOF_RESPONSES)
    def get(self, request: Request, pk: int, line_pk: int) -> HttpResponseBase:
        return _proof_response(request, pk, line_pk, proof_preview_png)


class OrderLineProofTileView(APIView):
    """One full-resolution tile of a physical line's proof, marked PROOF: the proof viewer's zoom."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=PROOF_RESPONSES)
    def get(self, request: Request, pk: int, line_pk: int, col: int, row: int) -> HttpResponseBase:
        return _proof_response(request, pk, line_pk, lambda sheet: proof_tile_png(sheet, col=col, row=row))


class OrderCheckoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=s.OrderOut)
    def post(self, request: Request, pk: int) -> Response:
        order = order_checkout(order=_own_order(request, pk), actor=_user(request))
        return Response(s.OrderOut(_own_order(request, order.pk), context={"request": request}).data)


class OrderCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=s.OrderOut)
    def post(self, request: Request, pk: int) -> Response:
        order = order_cancel(order=_own_order(request, pk), actor=_user(request))
        return Response(s.OrderOut(_own_order(request, order.pk), context={"request": request}).data)


# --- infringement reports ---------------------------------------------------------------------------


class ReportCreateView(APIView):
    """Anyone with an account may report a listing; staff decide in the admin."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "report"

    @extend_schema(request=s.ReportCreateInput, responses={201: s.ReportOut})
    def post(self, request: Request) -> Response:
        data = s.ReportCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        report = report_file(
            reporter=_user(request),
            target=values["target"],
            listing_id=values["id"],
            claim=values["claim"],
            evidence_url=values["evidence_url"],
        )
        return Response(s.ReportOut(report).data, status=status.HTTP_201_CREATED)
