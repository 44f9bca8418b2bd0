"""Pages outside the API; include from the root URLconf at the site root."""

from django.urls import path

from marketplace.payments import api

urlpatterns = [
    path("payments/local/<int:payment_id>/", api.local_gateway_page, name="payments-local-page"),
]
