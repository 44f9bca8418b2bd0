from django.urls import path

from provenance import api

urlpatterns = [
    path("provenance/verify/", api.VerifyView.as_view(), name="provenance-verify"),
    path("provenance/records/<str:record_id>/", api.RecordView.as_view(), name="provenance-record"),
    path(
        "provenance/records/<str:record_id>/certificate.json",
        api.certificate_json,
        name="provenance-certificate-json",
    ),
    path(
        "provenance/records/<str:record_id>/certificate/", api.certificate_html, name="provenance-certificate"
    ),
    path(
        "provenance/records/<str:record_id>/certificate.pdf",
        api.CertificatePdfView.as_view(),
        name="provenance-certificate-pdf",
    ),
]
