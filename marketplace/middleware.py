"""Motif's own middleware: the limits on request bodies, and the origin of the request being served.

The origin is for the absolute links that services build (checkout and onboarding return links).
Links follow the address the visitor used, so a server on another address (`make run ADDR=…`, a test
server, a second host name) hands out links to itself; SITE_URL is only the fallback outside a
request (workers, commands). The host is one ALLOWED_HOSTS already admitted."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

request_origin: ContextVar[str | None] = ContextVar("request_origin", default=None)


class RequestOriginMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = request_origin.set(f"{request.scheme}://{request.get_host()}")
        try:
            return self.get_response(request)
        finally:
            request_origin.reset(token)


def body_too_large_message(limit: int, size: int | None = None) -> str:
    if size is None:
        return f"The request body is over the limit of {limit:,} bytes."
    return f"The request body is {size:,} bytes; the limit is {limit:,} bytes."


def request_body_limit(request: HttpRequest) -> int | None:
    """Multipart bodies carry uploads, up to MOTIF_MAX_MULTIPART_BYTES; every other body (JSON, a
    form) up to DATA_UPLOAD_MAX_MEMORY_SIZE, the limit Django applies when it reads one."""
    if request.content_type == "multipart/form-data":
        return int(settings.MOTIF_MAX_MULTIPART_BYTES)
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return None if limit is None else int(limit)


class RequestBodyLimitMiddleware:
    """Refuses a body over its limit from its Content-Length, before anything reads it: 413, JSON on
    the API. A chunked body (no Content-Length) is refused with 411: behind WSGI Django would read
    it as empty, and behind ASGI it would be buffered whole before any limit applied."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            return _refusal(
                request, 411, "Send the request body with a Content-Length; chunked bodies are not accepted."
            )
        try:
            size = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _refusal(request, 400, "The Content-Length header is not a number.")
        limit = request_body_limit(request)
        if limit is not None and size > limit:
            return _refusal(request, 413, body_too_large_message(limit, size))
        return self.get_response(request)


def _refusal(request: HttpRequest, status: int, detail: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail}, status=status)
    return HttpResponse(detail, status=status, content_type="text/plain; charset=utf-8")
