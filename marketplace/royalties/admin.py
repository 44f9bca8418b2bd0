from django.contrib import admin

from marketplace.royalties.models import PayeeAccount, RoyaltyEntry, Transfer, TransferReversal


@admin.register(PayeeAccount)
class PayeeAccountAdmin(admin.ModelAdmin):
    list_display = ["user", "stripe_account_id", "payouts_enabled", "details_submitted", "updated_at"]
    readonly_fields = [
        "user",
        "stripe_account_id",
        "payouts_enabled",
        "details_submitted",
        "requirements_due",
    ]


@admin.register(RoyaltyEntry)
class RoyaltyEntryAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "payee", "order", "kind", "amount", "currency"]
    list_filter = ["kind"]
    readonly_fields = [f.name for f in RoyaltyEntry._meta.fields]


class ReversalInline(admin.TabularInline):
    model = TransferReversal
    extra = 0
    can_delete = False
    readonly_fields = ["amount", "status", "refund", "stripe_reversal_id", "created_at", "sent_at"]


@admin.register(Transfer)
class TransferAdmin(admin.ModelAdmin):
    list_display = ["id", "order", "payee", "amount", "status", "stripe_transfer_id", "created_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in Transfer._meta.fields]
    inlines = [ReversalInline]
