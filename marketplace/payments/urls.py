from django.urls import path

from marketplace.payments import api

urlpatterns = [
    path(
        "payments/local/<int:payment_id>/confirm/",
        api.LocalConfirmView.as_view(),
        name="payments-local-confirm",
    ),
    path("payments/stripe/webhook/", api.stripe_webhook, name="payments-stripe-webhook"),
]
