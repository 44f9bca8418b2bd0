"""Print shops: the printer role is granted, never chosen. A shop reads buyers' names and addresses
and its tracking number is what the buyer is told, so an account becomes a print shop only when staff
approve its application (the admin's "Approve" action) or it accepts a staff invitation: a signed link,
good once and for `PRINT_SHOP_INVITATION_TTL`. `User.is_printer` reads the result."""

from __future__ import annotations

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from marketplace.errors import Conflict, NotAllowed
from marketplace.models import (
    PRINT_SHOP_INVITATION_TTL,
    PRINT_SHOP_NAME_MAX_LENGTH,
    PrintShop,
    PrintShopInvitation,
    PrintShopStatus,
    User,
)

INVITATION_SALT = "marketplace.print-shop-invitation"


def _shop_name(name: str, *, field: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({field: "Give the print shop's name."})
    if len(name) > PRINT_SHOP_NAME_MAX_LENGTH:
        raise ValidationError(
            {field: f"A print shop's name is at most {PRINT_SHOP_NAME_MAX_LENGTH} characters."}
        )
    return name


def _staff_only(actor: User | None, what: str) -> None:
    # `None` is an operator on the command line (seed_demo); every page and API passes its user.
    if actor is not None and not actor.is_staff:
        raise NotAllowed(f"Only staff {what}.")


def print_shop_apply(*, user: User, name: str) -> PrintShop:
    """Apply to print for Motif. A pending application may be renamed; an approved or a rejected one
    is decided, and applying again changes nothing."""
    name = _shop_name(name, field="name")
    with transaction.atomic():
        shop = PrintShop.objects.select_for_update().filter(user=user).first()
        if shop is None:
            try:
                with transaction.atomic():
                    return PrintShop.objects.create(user=user, name=name)
            except IntegrityError:
                raise Conflict("This account has already applied.") from None
        if shop.status == PrintShopStatus.APPROVED:
            raise Conflict("This account is already an approved print shop.")
        if shop.status == PrintShopStatus.REJECTED:
            raise Conflict(
                "Staff declined this print shop's application; write to us to have it looked at again."
            )
        shop.name = name
        shop.save(update_fields=["name"])
    return shop


def _decide(*, shop: PrintShop, actor: User | None, status: PrintShopStatus) -> PrintShop:
    _staff_only(actor, "approve or reject print shops")
    with transaction.atomic():
        locked = PrintShop.objects.select_for_update().get(pk=shop.pk)
        if locked.status != status:
            locked.status, locked.decided_by, locked.decided_at = status, actor, timezone.now()
            locked.save(update_fields=["status", "decided_by", "decided_at"])
    # The caller's instance may be the one cached on its user (`user.print_shop`): bring it up to date.
    shop.status, shop.decided_by, shop.decided_at = locked.status, locked.decided_by, locked.decided_at
    return shop


def print_shop_approve(*, shop: PrintShop, actor: User | None) -> PrintShop:
    """Grant the printer role. Idempotent."""
    return _decide(shop=shop, actor=actor, status=PrintShopStatus.APPROVED)


def print_shop_reject(*, shop: PrintShop, actor: User | None) -> PrintShop:
    """Decline an application, or take the printer role back from an approved shop. Jobs it already
    started stay assigned to it, out of every other shop's queue, for staff to resolve."""
    return _decide(shop=shop, actor=actor, status=PrintShopStatus.REJECTED)


def print_shop_invite_create(*, actor: User, shop_name: str, email: str = "") -> PrintShopInvitation:
    if not actor.is_staff:
        raise NotAllowed("Only staff invite print shops.")
    now = timezone.now()
    return PrintShopInvitation.objects.create(
        shop_name=_shop_name(shop_name, field="shop_name"),
        email=email,
        created_by=actor,
        created_at=now,
        expires_at=now + PRINT_SHOP_INVITATION_TTL,
    )


def print_shop_invite_token(*, invitation: PrintShopInvitation) -> str:
    """The invitation link's token. Making another for the same invitation is harmless: the row's
    expiry and single acceptance govern every token."""
    return signing.dumps({"invitation": invitation.pk, "key": invitation.key.hex}, salt=INVITATION_SALT)


def _invitations(token: str) -> QuerySet[PrintShopInvitation]:
    """The invitation a token names (none once staff deleted it); refuses a forged or expired token."""
    try:
        payload = signing.loads(token, salt=INVITATION_SALT, max_age=PRINT_SHOP_INVITATION_TTL)
    except signing.SignatureExpired:
        raise ValidationError({"token": "This invitation link has expired; ask us for a new one."}) from None
    except signing.BadSignature:
        raise ValidationError({"token": "This is not a valid invitation link."}) from None
    pk, key = (payload.get("invitation"), payload.get("key")) if isinstance(payload, dict) else (None, None)
    if not isinstance(pk, int) or not isinstance(key, str):
        raise ValidationError({"token": "This is not a valid invitation link."})
    return PrintShopInvitation.objects.filter(pk=pk, key=key)


def print_shop_invitation_find(*, token: str) -> PrintShopInvitation:
    """The invitation a token names, if it can still be accepted."""
    return _usable(_invitations(token).first())


def _usable(invitation: PrintShopInvitation | None) -> PrintShopInvitation:
    if invitation is None:
        raise ValidationError({"token": "This invitation was withdrawn; ask us for a new one."})
    if invitation.accepted_at is not None:
        raise Conflict("This invitation link has already been used.")
    if invitation.expires_at <= timezone.now():
        raise ValidationError({"token": "This invitation link has expired; ask us for a new one."})
    return invitation


def print_shop_invite_accept(*, token: str, user: User) -> PrintShop:
    """Make `user` the approved print shop the invitation names, once: the link is spent by the
    first account that accepts it."""
    invitations = _invitations(token)
    with transaction.atomic():
        invitation = _usable(invitations.select_for_update().first())
        shop = PrintShop.objects.select_for_update().filter(user=user).first() or PrintShop(user=user)
        if shop.status == PrintShopStatus.APPROVED:
            raise Conflict("This account is already an approved print shop.")
        now = timezone.now()
        shop.name, shop.status, shop.invitation = invitation.shop_name, PrintShopStatus.APPROVED, invitation
        shop.decided_by, shop.decided_at = invitation.created_by, now
        shop.save()
        invitation.accepted_by, invitation.accepted_at = user, now
        invitation.save(update_fields=["accepted_by", "accepted_at"])
    return shop
