"""Serving a stored file to a requester the caller has already found entitled to it.

THE one place that turns a FieldFile into a download. Local storage streams the file; a storage
that can sign URLs (S3 through django-storages) answers a 302 to a presigned URL that expires in
AWS_QUERYSTRING_EXPIRE seconds, so the web process never carries the bytes and the bucket never
has to be public. Either way the answer is private and never cached by a shared cache."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase

PRIVATE = "private, no-store"


def _disposition(filename: str, as_attachment: bool) -> str:
    safe = filename.replace('"', "").replace("\\", "")
    return f'{"attachment" if as_attachment else "inline"}; filename="{safe}"'


def _signs_urls(storage: Any) -> bool:
    return not isinstance(storage, FileSystemStorage) and hasattr(storage, "bucket_name")


def media_file_response(
    request: HttpRequest,
    field_file: FieldFile | None,
    *,
    filename: str,
    as_attachment: bool = False,
    content_type: str | None = None,
) -> HttpResponseBase:
    """The file for an entitled requester (check entitlement before calling): a stream from local
    storage, or a redirect to a short-lived presigned URL. A missing file is a 404."""
    if not field_file:
        raise Http404("No such file.")
    storage: Any = field_file.storage
    if _signs_urls(storage):
        parameters = {
            "ResponseContentDisposition": _disposition(filename, as_attachment),
            "ResponseCacheControl": PRIVATE,
        }
        if content_type:
            parameters["ResponseContentType"] = content_type
        url = storage.url(field_file.name, parameters=parameters, expire=settings.AWS_QUERYSTRING_EXPIRE)
        response: HttpResponseBase = HttpResponseRedirect(url)
    else:
        response = FileResponse(
            field_file.open("rb"), as_attachment=as_attachment, filename=filename, content_type=content_type
        )
    response["Cache-Control"] = PRIVATE
    return response
