"""Admin: orders and their lines, read-only but for the fulfilment actions staff need. Lines that
failed are listed first-class (the `needs_attention` orders), with "Render again"."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from marketplace.errors import Conflict, NotAllowed
from marketplace.models import (
    BackgroundJob,
    EmailMessageLog,
    InfringementReport,
    ModerationAction,
    ModerationDecision,
    Order,
    OrderLine,
    PrintShop,
    PrintShopInvitation,
    ProductionJob,
    ReportStatus,
    ShippingRate,
    ShippingZone,
)
from marketplace.payments.gateways import site_url
from marketplace.services.fulfilment import order_line_rerender
from marketplace.services.print_shops import (
    print_shop_approve,
    print_shop_invite_create,
    print_shop_invite_token,
    print_shop_reject,
)
from marketplace.services.reports import report_dismiss, report_suspend, report_uphold

LINE_FIELDS = (
    "order",
    "personalization",
    "product_size",
    "quantity",
    "line_total",
    "stage",
    "stage_changed_at",
    "render_progress",
    "render_attempts",
    "watchdog_resends",
    "failure_reason",
    "render_info",
)
INLINE_FIELDS = ("product_size", "quantity", "line_total", "stage", "render_progress", "failure_reason")


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    fk_name = "order"
    extra = 0
    can_delete = False
    fields = INLINE_FIELDS
    readonly_fields = INLINE_FIELDS

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["id", "buyer", "status", "total", "refunded_amount", "currency", "paid_at", "ready_at"]
    list_filter = ["status"]
    search_fields = ["id", "buyer__username"]
    readonly_fields = [
        "buyer",
        "status",
        "currency",
        "subtotal",
        "discount",
        "total",
        "refunded_amount",
        "created_at",
        "checkout_at",
        "paid_at",
        "ready_at",
        "cancelled_at",
    ]
    inlines = [OrderLineInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(OrderLine)
class OrderLineAdmin(admin.ModelAdmin):
    list_display = ["id", "order", "stage", "render_progress", "render_attempts", "failure_reason"]
    list_filter = ["stage"]
    readonly_fields = LINE_FIELDS
    fields = LINE_FIELDS
    actions = ["render_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Render again (failed lines; charges nothing, the refund stands)")
    def render_again(self, request: HttpRequest, queryset: QuerySet[OrderLine]) -> None:
        for line in queryset:
            try:
                order_line_rerender(order_line_id=line.pk, actor=request.user)  # type: ignore[arg-type]
            except (Conflict, NotAllowed) as exc:
                self.message_user(request, f"Line {line.pk}: {exc}", messages.ERROR)
            else:
                self.message_user(
                    request, f"Line {line.pk} of order {line.order_id} is queued to render again."
                )


# --- shipping and production ------------------------------------------------------------------------


class ShippingRateInline(admin.TabularInline):
    model = ShippingRate
    extra = 0
    fields = ("substrate", "flat_amount", "per_item_amount", "currency")


@admin.register(ShippingZone)
class ShippingZoneAdmin(admin.ModelAdmin):
    """The rows that price shipping: per zone, a letter for orders of prints that fit one, and per
    substrate a parcel's flat amount per order plus an amount per item. Orders keep the amounts they
    were charged."""

    list_display = ("name", "rest_of_world", "countries", "letter_amount")
    inlines = [ShippingRateInline]


@admin.register(ProductionJob)
class ProductionJobAdmin(admin.ModelAdmin):
    list_display = (
        "pk",
        "order_line",
        "status",
        "printer",
        "released_at",
        "started_at",
        "shipped_at",
        "carrier",
        "tracking_number",
    )
    list_select_related = ("order_line", "printer")
    readonly_fields = (
        "order_line",
        "printer",
        "released_at",
        "started_at",
        "shipped_at",
        "carrier",
        "tracking_number",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


# --- print shops: the printer role is granted here ----------------------------------------------------


@admin.register(PrintShop)
class PrintShopAdmin(admin.ModelAdmin):
    """Applications and approved shops. Approving grants the printer role; rejecting declines an
    application or takes the role back."""

    list_display = ("name", "user", "status", "applied_at", "decided_by", "decided_at", "invitation")
    list_filter = ("status",)
    list_select_related = ("user", "decided_by")
    search_fields = ("name", "user__username", "user__email")
    readonly_fields = ("user", "name", "status", "applied_at", "decided_by", "decided_at", "invitation")
    actions = ["approve_print_shops", "reject_print_shops"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Approve: grant the printer role")
    def approve_print_shops(self, request: HttpRequest, queryset: QuerySet[PrintShop]) -> None:
        for shop in queryset:
            print_shop_approve(shop=shop, actor=request.user)  # type: ignore[arg-type]
        self.message_user(request, f"Approved {queryset.count()} print shop(s).")

    @admin.action(description="Reject: decline, or take the printer role back")
    def reject_print_shops(self, request: HttpRequest, queryset: QuerySet[PrintShop]) -> None:
        for shop in queryset:
            print_shop_reject(shop=shop, actor=request.user)  # type: ignore[arg-type]
        self.message_user(request, f"Rejected {queryset.count()} print shop(s).", messages.WARNING)


@admin.register(PrintShopInvitation)
class PrintShopInvitationAdmin(admin.ModelAdmin):
    """Adding an invitation makes a signed link, good once and for a week; send it to the shop.
    Deleting an invitation withdraws its link."""

    list_display = (
        "shop_name",
        "email",
        "created_by",
        "created_at",
        "expires_at",
        "accepted_by",
        "accepted_at",
    )
    list_select_related = ("created_by", "accepted_by")
    fields = ("shop_name", "email")
    readonly_fields = ("link", "created_by", "created_at", "expires_at", "accepted_by", "accepted_at")

    def get_fields(self, request: HttpRequest, obj: PrintShopInvitation | None = None) -> Any:
        return self.fields if obj is None else ("shop_name", "email", *self.readonly_fields)

    def get_readonly_fields(self, request: HttpRequest, obj: PrintShopInvitation | None = None) -> Any:
        return () if obj is None else ("shop_name", "email", *self.readonly_fields)

    @staticmethod
    def _link(invitation: PrintShopInvitation) -> str:
        return site_url(
            reverse("frontend:print-shop-invitation", args=[print_shop_invite_token(invitation=invitation)])
        )

    @admin.display(description="Invitation link")
    def link(self, obj: PrintShopInvitation) -> str:
        if obj.accepted_at is not None:
            return "Used."
        if obj.expires_at <= timezone.now():
            return "Expired."
        return self._link(obj)

    def save_model(self, request: HttpRequest, obj: PrintShopInvitation, form: Any, change: bool) -> None:
        invitation = print_shop_invite_create(actor=request.user, shop_name=obj.shop_name, email=obj.email)  # type: ignore[arg-type]
        obj.pk, obj.key, obj.created_by_id = invitation.pk, invitation.key, invitation.created_by_id
        obj.created_at, obj.expires_at = invitation.created_at, invitation.expires_at
        self.message_user(
            request,
            f"Send this link to {obj.shop_name}; it works once, until "
            f"{invitation.expires_at:%d %b %Y %H:%M} UTC: {self._link(invitation)}",
        )


@admin.register(EmailMessageLog)
class EmailMessageLogAdmin(admin.ModelAdmin):
    list_display = ("key", "to", "subject", "created_at", "sent_at", "attempts")
    search_fields = ("key", "to")
    readonly_fields = ("key", "to", "subject", "body", "created_at", "sent_at", "attempts", "last_error")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


# --- infringement reports and the moderation log -----------------------------------------------------


class ModerationDecisionInline(admin.TabularInline):
    model = ModerationDecision
    extra = 0
    can_delete = False
    fields = readonly_fields = ("created_at", "actor", "action", "reason_code", "note", "records_revoked")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(InfringementReport)
class InfringementReportAdmin(admin.ModelAdmin):
    """Reports are read here; a decision is added as a moderation decision (which says why)."""

    list_display = ["id", "target", "style", "pattern", "reporter", "status", "created_at"]
    list_filter = ["status", "target"]
    search_fields = ["claim", "reporter__username"]
    readonly_fields = [
        "reporter",
        "target",
        "style",
        "pattern",
        "claim",
        "evidence_url",
        "status",
        "created_at",
        "resolved_at",
    ]
    inlines = [ModerationDecisionInline]
    actions = ["suspend_listings"]

    @admin.action(description="Suspend the reported listings while the claims are reviewed")
    def suspend_listings(self, request: HttpRequest, queryset: QuerySet[InfringementReport]) -> None:
        for report in queryset:
            try:
                report_suspend(
                    report=report,
                    actor=request.user,  # type: ignore[arg-type]
                    note="Suspended pending review of the report.",
                )
            except (Conflict, NotAllowed) as exc:
                self.message_user(request, f"Report {report.pk}: {exc}", messages.ERROR)
            else:
                self.message_user(request, f"Report {report.pk}: the {report.target} is suspended.")


class ModerationDecisionForm(forms.ModelForm):
    class Meta:
        model = ModerationDecision
        fields = ["report", "action", "reason_code", "note"]
        help_texts = {"reason_code": "Needed to uphold: it goes on chain with each revocation."}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        report, action = data.get("report"), data.get("action")
        if action == ModerationAction.UPHOLD and not data.get("reason_code"):
            self.add_error("reason_code", "Upholding a claim needs a reason code.")
        if report is not None and report.status in (ReportStatus.UPHELD, ReportStatus.DISMISSED):
            self.add_error("report", f"This report was {report.status} already.")
        return data


@admin.register(ModerationDecision)
class ModerationDecisionAdmin(admin.ModelAdmin):
    """The audit log. Adding a decision carries it out (suspend, uphold and revoke, or dismiss);
    a decision is never changed or deleted."""

    form = ModerationDecisionForm
    list_display = ["created_at", "report", "action", "reason_code", "actor", "records_revoked"]
    list_filter = ["action", "reason_code"]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ModerationDecision, form: Any, change: bool) -> None:
        # The form checked what the services refuse; the service writes the log entry itself.
        actor: Any = request.user
        if obj.action == ModerationAction.UPHOLD:
            decision = report_uphold(
                report=obj.report, actor=actor, reason_code=obj.reason_code, note=obj.note
            )
        elif obj.action == ModerationAction.SUSPEND:
            decision = report_suspend(report=obj.report, actor=actor, note=obj.note)
        else:
            decision = report_dismiss(report=obj.report, actor=actor, note=obj.note)
        obj.pk, obj.actor_id, obj.created_at = decision.pk, decision.actor_id, decision.created_at


@admin.register(BackgroundJob)
class BackgroundJobAdmin(admin.ModelAdmin):
    """Refunds and revocations in flight, read-only: a failed one shows its last error while the
    sweep keeps sending it (`marketplace.jobs`)."""

    list_display = ["created_at", "actor_name", "args", "status", "attempts", "due_at", "finished_at"]
    list_filter = ["status", "actor_name"]
    readonly_fields = [f.name for f in BackgroundJob._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


from marketplace import admin_substrates  # noqa: E402, F401  (registers the substrate profiles' page)
