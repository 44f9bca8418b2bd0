from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView


def healthz(request: HttpRequest) -> HttpResponse:
    """For the process supervisor and the load balancer: the process answers."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz/", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file, so the CSP needs no inline
    # script; its assets come from drf-spectacular-sidecar's static files, not a CDN.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/v1/", include("marketplace.api.urls")),
    path("", include("marketplace.payments.page_urls")),
    path("", include("frontend.urls")),
]
