"""Stripe Connect onboarding for the people paid royalties: the account link, and the account's state synced from Stripe."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from marketplace.errors import NotAllowed
from marketplace.models import User
from marketplace.payments.gateways import site_url, stripe_client, stripe_dict
from marketplace.royalties.models import (
    PayeeAccount,
)
from marketplace.royalties.services import royalty_held_release


def _onboarding_urls() -> tuple[str, str]:
    return site_url(reverse("payouts-onboarding-refresh")), site_url(reverse("payouts-onboarding-return"))


def payee_onboarding_link(*, user: User, return_url: str | None = None) -> str:
    """Create (once) the payee's Express account and a fresh Account Link into its onboarding."""
    if not (user.is_artist or user.is_designer):
        raise NotAllowed("Only artists and designers are paid royalties.")
    client = stripe_client()
    account, _ = PayeeAccount.objects.get_or_create(user=user)
    if not account.stripe_account_id:
        params: Any = {
            "type": "express",
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {"motif_user": str(user.public_id)},
        }
        if user.email:
            params["email"] = user.email
        created = client.v1.accounts.create(
            params=params,
            # One key per person: a retry after a lost response returns the same account.
            options={"idempotency_key": f"motif-account-{user.public_id}"},
        )
        with transaction.atomic():
            PayeeAccount.objects.filter(pk=account.pk, stripe_account_id=None).update(
                stripe_account_id=created.id
            )
        account.refresh_from_db()
    refresh, default_return = _onboarding_urls()
    link = client.v1.account_links.create(
        params={
            "account": account.stripe_account_id or "",
            "type": "account_onboarding",
            "refresh_url": refresh,
            "return_url": return_url or default_return,
        },
        # Links are single-use and short-lived: each request deserves a new one.
        options={"idempotency_key": f"motif-account-link-{uuid.uuid4()}"},
    )
    return str(link.url)


def payee_account_sync(*, stripe_account: Any) -> PayeeAccount | None:
    """Keep a payee's payout status from the account as Stripe reports it now; on enabling, release
    what was held."""
    stripe_account = stripe_dict(stripe_account)
    capabilities = stripe_account.get("capabilities") or {}
    enabled = bool(
        stripe_account.get("charges_enabled")
        and stripe_account.get("payouts_enabled")
        and capabilities.get("transfers", "active") == "active"
    )
    requirements = stripe_account.get("requirements") or {}
    with transaction.atomic():
        account = (
            PayeeAccount.objects.select_for_update().filter(stripe_account_id=stripe_account["id"]).first()
        )
        if account is None:
            return None
        account.payouts_enabled = enabled
        account.details_submitted = bool(stripe_account.get("details_submitted"))
        account.requirements_due = list(requirements.get("currently_due") or [])
        account.updated_at = timezone.now()
        account.save(update_fields=["payouts_enabled", "details_submitted", "requirements_due", "updated_at"])
    if enabled:
        royalty_held_release(payee_id=account.user_id)
    return account


def payee_account_refresh(*, user: User) -> PayeeAccount | None:
    """Re-read the payee's account from Stripe (the onboarding return page does this)."""
    account = PayeeAccount.objects.filter(user=user).first()
    if account is None or not account.stripe_account_id:
        return account
    return payee_account_sync(stripe_account=stripe_client().v1.accounts.retrieve(account.stripe_account_id))
