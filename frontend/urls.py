from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from frontend import production
from frontend.views import accounts, catalogue, checkout, configure, orders, studios, swatches, verify

app_name = "frontend"

urlpatterns = [
    path("", catalogue.catalogue, name="catalogue"),
    # Browsers and crawlers ask for /favicon.ico whatever the page links; the icon is the SVG in static.
    path("favicon.ico", RedirectView.as_view(url=static("frontend/favicon.svg"), permanent=True)),
    path("patterns/<int:pk>/", catalogue.pattern_detail, name="pattern"),
    path("configure/", configure.configure, name="configure"),
    path("configure/preview/", configure.configure_preview, name="configure-preview"),
    path("configure/jobs/<int:pk>/", configure.configure_job, name="configure-job"),
    path("cart/", checkout.cart, name="cart"),
    path("cart/add/", checkout.cart_add, name="cart-add"),
    path("cart/remove/<int:index>/", checkout.cart_remove, name="cart-remove"),
    path("cart/checkout/", checkout.cart_checkout, name="cart-checkout"),
    path("orders/", orders.order_list, name="orders"),
    path("orders/<int:pk>/", orders.order_detail, name="order"),
    path("orders/<int:pk>/checkout/", checkout.order_checkout_again, name="order-checkout"),
    path("orders/<int:pk>/approve/", production.order_approve, name="order-approve"),
    path(
        "orders/<int:pk>/lines/<int:line_pk>/approve/",
        production.order_line_approve,
        name="order-line-approve",
    ),
    path(
        "orders/<int:pk>/lines/<int:line_pk>/rerender/",
        production.order_line_rerender,
        name="order-line-rerender",
    ),
    path(
        "orders/<int:pk>/lines/<int:line_pk>/cancel/",
        production.order_line_cancel_page,
        name="order-line-cancel",
    ),
    path("orders/<int:pk>/lines/<int:line_pk>/swatch/", swatches.order_line_swatch, name="order-line-swatch"),
    path(
        "orders/<int:pk>/lines/<int:line_pk>/variations/",
        production.order_line_seed_previews,
        name="order-line-variations",
    ),
    path("orders/<int:pk>/lines/<int:line_pk>/<str:name>", orders.order_output, name="order-output"),
    path("studio/production/", production.production_studio, name="production"),
    path("studio/production/jobs/<int:job_pk>/", production.production_ticket, name="production-ticket"),
    path(
        "studio/production/jobs/<int:job_pk>/print-sheet.png",
        production.production_sheet,
        name="production-sheet",
    ),
    path("studio/production/jobs/<int:job_pk>/start/", production.production_start, name="production-start"),
    path("studio/production/jobs/<int:job_pk>/ship/", production.production_ship, name="production-ship"),
    path("print-shops/apply/", production.print_shop_apply_page, name="print-shop-apply"),
    path(
        "print-shops/invitations/<str:token>/", production.print_shop_invitation, name="print-shop-invitation"
    ),
    path("studio/artist/", studios.artist_studio, name="artist-studio"),
    path("studio/artist/styles/<int:pk>/licence/", studios.artist_licence, name="artist-licence"),
    path("studio/artist/styles/<int:pk>/listing/", studios.artist_listing, name="artist-listing"),
    path("studio/artist/approvals/<int:pk>/", studios.artist_approval, name="artist-approval"),
    path("studio/artist/payouts/", studios.artist_payouts, name="artist-payouts"),
    path("studio/designer/", studios.designer_studio, name="designer-studio"),
    path("studio/designer/patterns/<int:pk>/", studios.designer_pattern, name="designer-pattern"),
    path("studio/designer/patterns/<int:pk>/listing/", studios.designer_listing, name="designer-listing"),
    path("verify/", verify.verify, name="verify"),
    path("licences/<int:pk>/v<int:version>/", catalogue.licence_page, name="licence"),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    path("accounts/logout/", accounts.LogoutView.as_view(), name="logout"),
]
