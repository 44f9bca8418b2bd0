"""People, their roles, and the print shops that hold the printer role."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class Role(models.TextChoices):
    ARTIST = "artist"
    DESIGNER = "designer"
    BUYER = "buyer"
    # Grants nothing beyond the public verification portal; a legal team may label itself so.
    VERIFIER = "verifier"
    # A print shop (the platform's own or a partner's): it sees released production jobs only. Granted
    # by staff (an approved PrintShop), never chosen at sign-up: a shop reads buyers' addresses.
    PRINTER = "printer"


# The roles a person may choose at sign-up; every other role is granted.
SELF_CHOSEN_ROLES: tuple[Role, ...] = (Role.BUYER, Role.ARTIST, Role.DESIGNER, Role.VERIFIER)


class CaseInsensitiveUserManager(UserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> User:
        # Usernames are unique case-insensitively (see User.Meta), so this finds at most one.
        return self.get(username__iexact=username)


class User(AbstractUser):
    """One person may hold several roles. `public_id` is the only identifier that leaves the
    database (manifests, the chain): usernames and e-mails never do. Usernames are NFKC-normalised
    ASCII (marketplace.services.accounts.username_normalize) and unique ignoring case, so "Ada",
    "ＡＤＡ" and a Cyrillic "аda" cannot sit beside "ada"."""

    objects = CaseInsensitiveUserManager()  # type: ignore[misc]

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    is_artist = models.BooleanField(default=False)
    is_designer = models.BooleanField(default=False)
    is_buyer = models.BooleanField(default=False)
    is_verifier = models.BooleanField(default=False)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_case_insensitive_unique")
        ]

    @property
    def is_printer(self) -> bool:
        """The printer role is an approved print shop, and nothing else: the one condition behind
        `has_role("printer")`, the API's and the pages' checks."""
        try:
            shop = self.print_shop  # type: ignore[attr-defined]
        except PrintShop.DoesNotExist:
            return False
        return bool(shop.status == PrintShopStatus.APPROVED)

    @property
    def roles(self) -> list[str]:
        return [role.value for role in Role if getattr(self, f"is_{role.value}")]

    def has_role(self, role: Role | str) -> bool:
        return bool(getattr(self, f"is_{Role(role).value}"))


PRINT_SHOP_NAME_MAX_LENGTH = 120
# An invitation link for a print shop is good for a week, and for one acceptance.
PRINT_SHOP_INVITATION_TTL = timedelta(days=7)


class PrintShopStatus(models.TextChoices):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class PrintShop(models.Model):
    """A print shop's standing: its application, and staff's decision on it. Only an approved shop
    holds the printer role (User.is_printer); a rejected one loses it. Written only by
    `marketplace.services.print_shops`."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="print_shop")
    name = models.CharField(max_length=PRINT_SHOP_NAME_MAX_LENGTH)
    status = models.CharField(max_length=10, choices=PrintShopStatus.choices, default=PrintShopStatus.PENDING)
    applied_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    # Set when the shop came in through a staff invitation rather than an application.
    invitation = models.OneToOneField(
        "PrintShopInvitation", on_delete=models.SET_NULL, null=True, blank=True, related_name="print_shop"
    )

    class Meta:
        ordering = ["-applied_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"


class PrintShopInvitation(models.Model):
    """A link staff send a print shop: a signed token naming this row and its `key`, accepted once,
    before `expires_at`. Deleting the row revokes the link."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    shop_name = models.CharField(max_length=PRINT_SHOP_NAME_MAX_LENGTH)
    email = models.EmailField(blank=True, help_text="Who the link is for, for staff's records.")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Invitation for {self.shop_name}"
