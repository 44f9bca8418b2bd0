from django.urls import path

from frontend import views

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
    path("orders/<int:pk>/lines/<int:line_pk>/<str:name>", views.order_output, name="order-output"),
    path("studio/artist/", views.artist_studio, name="artist-studio"),
    path("studio/artist/styles/<int:pk>/licence/", views.artist_licence, name="artist-licence"),
    path("studio/artist/payouts/", views.artist_payouts, name="artist-payouts"),
    path("studio/designer/", views.designer_studio, name="designer-studio"),
    path("verify/", views.verify, name="verify"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
]
