"""One place that turns domain errors into clear 4xx answers."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from marketplace.errors import Conflict, NotAllowed
from marketplace.middleware import body_too_large_message
from marketplace.models import InvalidTransition
from marketplace.services.laundering import StyleLaundered


def validation_detail(exc: DjangoValidationError) -> Any:
    if hasattr(exc, "error_dict"):
        return {
            field: [str(m) for e in errors for m in e.messages] for field, errors in exc.error_dict.items()
        }
    return {"detail": " ".join(exc.messages)}


def unreadable_body(exc: SuspiciousOperation) -> Response:
    """Django's refusals while it reads a body (a form field over DATA_UPLOAD_MAX_MEMORY_SIZE, too
    many fields or files) as JSON; Django would answer its HTML 400 page. Logged as Django logs them."""
    logging.getLogger(f"django.security.{exc.__class__.__name__}").warning(str(exc))
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": body_too_large_message(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, TooManyFieldsSent):
        detail = f"The form has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,} fields."
    else:
        detail = f"The form has more than {settings.DATA_UPLOAD_MAX_NUMBER_FILES:,} files."
    return Response({"detail": detail}, status=status.HTTP_400_BAD_REQUEST)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        return unreadable_body(exc)
    if isinstance(exc, StyleLaundered):
        body = dict(validation_detail(exc), listed_style=exc.style.pk)
        if exc.style.active:
            body["licences_url"] = reverse("style-licences", args=[exc.style.pk])
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        return Response(validation_detail(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Conflict | InvalidTransition):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, NotAllowed | PermissionDenied):
        return Response({"detail": str(exc) or "You may not do this."}, status=status.HTTP_403_FORBIDDEN)
    return drf_exception_handler(exc, context)
