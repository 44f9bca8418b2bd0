from django.urls import path

from frontend import production, views

app_name = "frontend"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("patterns/<int:pk>/", views.pattern_detail, name="pattern"),
    path("configure/", views.configure, name="configure"),
    path("configure/preview/", views.configure_preview, name="configure-preview"),
    path("configure/jobs/<int:pk>/", views.configure_job, name="configure-job"),
    path("cart/", views.cart, name="cart"),
    path("cart/add/", views.cart_add, name="cart-add"),
    path("cart/remove/<int:index>/", views.cart_remove, name="cart-remove"),
    path("cart/checkout/", views.cart_checkout, name="cart-checkout"),
    path("orders/<int:pk>/", views.order_detail, name="order"),
    path("orders/<int:pk>/checkout/", views.order_checkout_again, name="order-checkout"),
    path("orders/<int:pk>/approve/", production.order_approve, name="order-approve"),
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
    path("orders/<int:pk>/lines/<int:line_pk>/<str:name>", views.order_output, name="order-output"),
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
    path("studio/artist/", views.artist_studio, name="artist-studio"),
    path("studio/artist/styles/<int:pk>/licence/", views.artist_licence, name="artist-licence"),
    path("studio/artist/styles/<int:pk>/listing/", views.artist_listing, name="artist-listing"),
    path("studio/artist/approvals/<int:pk>/", views.artist_approval, name="artist-approval"),
    path("studio/artist/payouts/", views.artist_payouts, name="artist-payouts"),
    path("studio/designer/", views.designer_studio, name="designer-studio"),
    path("verify/", views.verify, name="verify"),
    path("licences/<int:pk>/v<int:version>/", views.licence_page, name="licence"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
]
