from django.urls import include, path

from marketplace.api import (
    accounts,
    approvals,
    catalogue,
    licences,
    order_lines,
    orders,
    patterns,
    personalizations,
    production,
    reports,
    styles,
    substrates,
    swatches,
)
from marketplace.models import BasePattern
from marketplace.payments import api as payments_api

urlpatterns = [
    path("auth/register/", accounts.RegisterView.as_view(), name="auth-register"),
    path("auth/token/", accounts.TokenView.as_view(), name="auth-token"),
    path("auth/me/", accounts.MeView.as_view(), name="auth-me"),
    path("styles/", styles.StyleListView.as_view(), name="style-list"),
    path("styles/<int:pk>/", styles.StyleDetailView.as_view(), name="style-detail"),
    path("styles/<int:pk>/licences/", licences.StyleLicencesView.as_view(), name="style-licences"),
    path(
        "styles/<int:pk>/licences/<int:version>/",
        licences.LicenceDocumentView.as_view(),
        name="style-licence-document",
    ),
    path(
        "styles/<int:pk>/licences/<int:version>/licence.pdf",
        licences.LicencePdfView.as_view(),
        name="style-licence-pdf",
    ),
    path("styles/<int:pk>/thumbnail/", catalogue.ThumbnailView.as_view(), name="style-thumbnail"),
    path("styles/<int:pk>/image/", catalogue.OriginalImageView.as_view(), name="style-image"),
    path("patterns/", patterns.PatternListView.as_view(), name="pattern-list"),
    path("patterns/<int:pk>/", patterns.PatternDetailView.as_view(), name="pattern-detail"),
    path(
        "patterns/<int:pk>/thumbnail/",
        catalogue.ThumbnailView.as_view(model=BasePattern, owner_field="designer"),
        name="pattern-thumbnail",
    ),
    path(
        "patterns/<int:pk>/image/",
        catalogue.OriginalImageView.as_view(model=BasePattern, owner_field="designer"),
        name="pattern-image",
    ),
    path("products/", catalogue.ProductListView.as_view(), name="product-list"),
    path("substrates/", substrates.SubstrateListView.as_view(), name="substrate-list"),
    path(
        "personalizations/<int:pk>/softproof/",
        substrates.PersonalizationSoftProofView.as_view(),
        name="personalization-softproof",
    ),
    path(
        "personalizations/", personalizations.PersonalizationListView.as_view(), name="personalization-list"
    ),
    path(
        "personalizations/<int:pk>/",
        personalizations.PersonalizationDetailView.as_view(),
        name="personalization-detail",
    ),
    path(
        "personalizations/<int:pk>/preview/",
        personalizations.PersonalizationPreviewView.as_view(),
        name="personalization-preview",
    ),
    path(
        "personalizations/<int:pk>/instant-preview/",
        personalizations.PersonalizationPreviewView.as_view(field="instant_preview"),
        name="personalization-instant-preview",
    ),
    path("orders/", orders.OrderListView.as_view(), name="order-list"),
    path("orders/<int:pk>/", orders.OrderDetailView.as_view(), name="order-detail"),
    path("orders/<int:pk>/checkout/", payments_api.OrderCheckoutView.as_view(), name="order-checkout"),
    path("orders/<int:pk>/cancel/", orders.OrderCancelView.as_view(), name="order-cancel"),
    path(
        "orders/<int:pk>/lines/<int:line_pk>/files/<str:kind>/",
        order_lines.OrderLineFileView.as_view(),
        name="order-line-file",
    ),
    path(
        "orders/<int:pk>/lines/<int:line_pk>/proof/",
        order_lines.OrderLineProofView.as_view(),
        name="order-line-proof",
    ),
    path(
        "orders/<int:pk>/lines/<int:line_pk>/proof/tiles/<int:col>/<int:row>/",
        order_lines.OrderLineProofTileView.as_view(),
        name="order-line-proof-tile",
    ),
    path("orders/<int:pk>/approve/", production.OrderApproveView.as_view(), name="order-approve"),
    path(
        "orders/<int:pk>/lines/<int:line_pk>/approve/",
        production.OrderLineApproveView.as_view(),
        name="order-line-approve",
    ),
    path(
        "orders/<int:pk>/lines/<int:line_pk>/rerender/",
        production.OrderLineRerenderView.as_view(),
        name="order-line-rerender",
    ),
    path(
        "orders/<int:pk>/lines/<int:line_pk>/cancel/",
        production.OrderLineCancelView.as_view(),
        name="order-line-cancel",
    ),
    path(
        "orders/<int:pk>/lines/<int:line_pk>/swatch/",
        swatches.OrderLineSwatchView.as_view(),
        name="order-line-swatch",
    ),
    path("production/jobs/", production.ProductionJobListView.as_view(), name="production-job-list"),
    path(
        "production/jobs/<int:pk>/",
        production.ProductionJobDetailView.as_view(),
        name="production-job-detail",
    ),
    path(
        "production/jobs/<int:pk>/start/",
        production.ProductionJobStartView.as_view(),
        name="production-job-start",
    ),
    path(
        "production/jobs/<int:pk>/ship/",
        production.ProductionJobShipView.as_view(),
        name="production-job-ship",
    ),
    path(
        "production/jobs/<int:pk>/print-sheet/",
        production.ProductionJobPrintSheetView.as_view(),
        name="production-job-print-sheet",
    ),
    path(
        "production/jobs/<int:pk>/print-file/",
        production.ProductionJobPrintFileView.as_view(),
        name="production-job-print-file",
    ),
    path("print-shops/apply/", production.PrintShopApplyView.as_view(), name="print-shop-apply"),
    path(
        "print-shops/invitations/accept/",
        production.PrintShopInvitationAcceptView.as_view(),
        name="print-shop-invitation-accept",
    ),
    path("reports/", reports.ReportCreateView.as_view(), name="report-create"),
    path("approvals/", approvals.ApprovalListView.as_view(), name="approval-list"),
    path("approvals/<int:pk>/approve/", approvals.ApprovalApproveView.as_view(), name="approval-approve"),
    path("approvals/<int:pk>/decline/", approvals.ApprovalDeclineView.as_view(), name="approval-decline"),
    path("approvals/<int:pk>/proof/", approvals.ApprovalProofView.as_view(), name="approval-proof"),
    path("", include("marketplace.payments.urls")),
    path("", include("marketplace.royalties.urls")),
    path("", include("provenance.urls")),
    path("", include("stylization.mockup_api")),  # personalizations/<id>/mockups/<product>.png
]
