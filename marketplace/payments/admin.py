"""Admin: payments with full and partial refund actions (the same service as the webhook path),
refunds and webhook events read-only."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from marketplace.errors import Conflict
from marketplace.payments.gateways import GatewayUnavailable
from marketplace.payments.models import Payment, Refund, WebhookEvent
from marketplace.payments.refunds import payment_refund


class PartialRefundForm(forms.Form):
    amount = forms.DecimalField(min_value=Decimal("0.01"), decimal_places=2, max_digits=12)
    reason = forms.CharField(max_length=255, required=False)


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    readonly_fields = ["amount", "status", "stripe_refund_id", "reason", "applied", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def _refund(
    modeladmin: admin.ModelAdmin, request: HttpRequest, payment: Payment, amount: Decimal | None, reason: str
) -> None:
    try:
        refund = payment_refund(payment=payment, amount=amount, reason=reason)
    except (Conflict, GatewayUnavailable) as exc:
        modeladmin.message_user(request, f"Payment {payment.pk}: {exc}", messages.ERROR)
    except ValidationError as exc:
        modeladmin.message_user(request, f"Payment {payment.pk}: {' '.join(exc.messages)}", messages.ERROR)
    else:
        modeladmin.message_user(
            request, f"Payment {payment.pk}: refunded {refund.amount} {payment.currency}."
        )


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["id", "order", "gateway", "status", "amount", "amount_refunded", "currency", "created_at"]
    list_filter = ["gateway", "status"]
    search_fields = ["=id", "=order__id", "stripe_checkout_session_id", "stripe_charge_id"]
    readonly_fields = [f.name for f in Payment._meta.fields]
    inlines = [RefundInline]
    actions = ["refund_in_full", "refund_partially"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Refund in full")
    def refund_in_full(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        for payment in queryset:
            _refund(self, request, payment, None, "Refunded in full from the admin")

    @admin.action(description="Refund part of the payment…")
    def refund_partially(self, request: HttpRequest, queryset: QuerySet[Payment]) -> HttpResponse | None:
        if "apply" in request.POST:
            form = PartialRefundForm(request.POST)
            if form.is_valid():
                for payment in queryset:
                    _refund(self, request, payment, form.cleaned_data["amount"], form.cleaned_data["reason"])
                return None
        else:
            form = PartialRefundForm()
        context = {
            **self.admin_site.each_context(request),
            "title": "Refund part of a payment",
            "payments": queryset,
            "form": form,
            "action": "refund_partially",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/payments/partial_refund.html", context)


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["stripe_event_id", "type", "received_at", "processed_at", "attempts"]
    list_filter = ["type"]
    search_fields = ["stripe_event_id"]
    readonly_fields = [f.name for f in WebhookEvent._meta.fields]
