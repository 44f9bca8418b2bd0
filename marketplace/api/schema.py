"""The API's schema: the error bodies every endpoint may answer with, documented once.

Every operation documents the answers DRF and our exception handler give on any endpoint: 400 (a
refused field, keyed by field name, or `detail`), 401/403 (not signed in, or not allowed), 404 (an
id that does not exist for this requester), 405 and 406/415 (a method, Accept or Content-Type the
view does not take), 411/413 on operations that take a body (a chunked body, or one over its limit:
marketplace/middleware.py), and 429 where the view is throttled."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

# Field name → messages, or {"detail": "..."}: the shape of every 400.
VALIDATION_ERROR: dict[str, Any] = {
    "type": "object",
    "additionalProperties": True,
    "description": "Each refused field with its messages, or `detail` for the request as a whole.",
}


class ErrorOut(serializers.Serializer):
    """403, 404, 409, 429, 503: one sentence that says why."""

    detail = serializers.CharField()


_COMMON = {
    "400": ("The request was refused; the body says which field and why.", VALIDATION_ERROR),
    "401": ("Not signed in (or a bad token) where signing in is required.", None),
    "403": ("Signed in, but not allowed to do this.", None),
    "404": ("No such item, or not one this requester may see.", None),
    "405": ("This method is not allowed here.", None),
    "406": ("None of the media types in Accept can be given.", None),
    "415": ("The request body's media type is not accepted.", None),
}


class MotifAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        bodies = dict(super()._get_response_bodies(direction=direction))
        if direction != "response":
            return bodies
        error = self.resolve_serializer(ErrorOut, "response").ref
        codes = dict(_COMMON)
        if self.method in ("POST", "PUT", "PATCH"):
            codes["411"] = ("The body was sent chunked; send it with a Content-Length.", None)
            codes["413"] = ("The request body is over its limit; the body says the limit.", None)
        if getattr(self.view, "throttle_classes", None) or getattr(self.view, "throttle_scope", None):
            codes["429"] = ("Too many requests; Retry-After says when to try again.", None)
        for code, (description, schema) in codes.items():
            if code not in bodies:
                bodies[code] = {
                    "description": description,
                    "content": {"application/json": {"schema": schema or error}},
                }
        return bodies


def file_responses(*media_types: str, redirect: bool = True) -> dict[Any, Any]:
    """A download: the file itself, or (media on S3) a 302 to a short-lived presigned URL."""
    responses: dict[Any, Any] = {(200, media): OpenApiTypes.BINARY for media in media_types}
    if redirect:
        responses[302] = OpenApiResponse(description="Redirect to a short-lived presigned URL of the file.")
    return responses


IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")


_PAGINATED: dict[str, type[serializers.Serializer]] = {}


def paginated(item: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The documented shape of a page of `item`s, as PageNumberPagination answers it."""
    name = f"Paginated{item.__name__.removesuffix('Out')}List"
    if name not in _PAGINATED:
        _PAGINATED[name] = type(
            name,
            (serializers.Serializer,),
            {
                "count": serializers.IntegerField(),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": item(many=True),
                "__module__": __name__,
            },
        )
    return _PAGINATED[name]
