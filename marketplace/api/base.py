"""What every endpoint module builds on: strict inputs, ids among the rows the requester may see,
absolute URLs, the signed-in user, uploads, private files and paginated lists."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import Q
from django.http.response import HttpResponseBase
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.api.pagination import CataloguePagination
from marketplace.api.parsers import DepthLimitedJSONParser
from marketplace.media import media_file_response
from marketplace.models import User


class StrictInput(serializers.Serializer):
    """Refuses fields it does not know, so a typo is an error instead of a silently ignored value."""

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "keys"):
            unknown = sorted(set(data.keys()) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key among the rows the requester may see. Anything else, missing or someone else's,
    gets the same "Invalid pk" answer, so ids cannot be probed for existence."""

    def __init__(self, *, owner_field: str, listed_only: bool = True, **kwargs: Any) -> None:
        self.owner_field = owner_field
        self.listed_only = listed_only
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        queryset: Any = super().get_queryset()
        request = self.context.get("request")
        user_id = getattr(getattr(request, "user", None), "pk", None)
        own = Q(**{f"{self.owner_field}_id": user_id}) if user_id is not None else Q(pk__in=[])
        return queryset.filter(own | Q(active=True)) if self.listed_only else queryset.filter(own)


def absolute_url(request: Any, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


UPLOAD_PARSERS = [MultiPartParser, FormParser, DepthLimitedJSONParser]


def request_user(request: Request) -> User:
    """The signed-in user; the view's permission class has already refused anonymous requests."""
    return cast(User, request.user)


def upload_bytes(upload: Any) -> bytes:
    return upload.read() if upload is not None else b""


def private_file_response(request: Request, field: Any, *, filename: str) -> HttpResponseBase:
    return media_file_response(request._request, field, filename=filename)


def paginated_response(
    view: APIView, request: Request, queryset: Any, serializer: type[serializers.Serializer]
) -> Response:
    paginator = CataloguePagination()
    page: Any = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True, context={"request": request}).data)
