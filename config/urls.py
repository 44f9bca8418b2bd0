from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView


def healthz(request: HttpRequest) -> HttpResponse:
    """For the process supervisor and the load balancer: the process answers."""
    return HttpResponse("ok", content_type="text/plain")


@csrf_exempt  # it changes nothing, so there is nothing to forge
def api_not_found(request: HttpRequest) -> JsonResponse:
    """Any /api/ path that names no endpoint: a JSON 404, as every API error is."""
    return JsonResponse({"detail": "No such API endpoint."}, status=404)


urlpatterns = [
    path("healthz/", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file, so the CSP needs no inline
    # script; its assets come from drf-spectacular-sidecar's static files, not a CDN.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/v1/", include("marketplace.api.urls")),
    re_path(r"^api/", api_not_found),
    path("", include("marketplace.payments.page_urls")),
    path("", include("frontend.urls")),
]
