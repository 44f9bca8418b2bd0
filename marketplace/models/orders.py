"""The marketplace's domain: people and their roles, styles under versioned licences, base patterns,
products, personalizations (the stylization job) and orders.

Models hold data and the invariants that belong to one row (state machines). Every write that
matters goes through a function in `marketplace.services`; nothing here has business logic in
`save()` or in signals.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils import timezone

MONEY: dict[str, Any] = {"max_digits": 12, "decimal_places": 2}
# Royalty ledger amounts keep five decimal places; transfers are rounded to cents (see royalties).
LEDGER_MONEY: dict[str, Any] = {"max_digits": 17, "decimal_places": 5}
PERCENT: dict[str, Any] = {
    "max_digits": 5,
    "decimal_places": 2,
    "validators": [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
}


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


class Tag(models.Model):
    name = models.SlugField(max_length=40, unique=True)

    def __str__(self) -> str:
        return self.name


ANYWHERE = "*"


def worldwide() -> list[str]:
    """The default of a licence's territories and substrates: no restriction."""
    return [ANYWHERE]


class LicenceUse(models.TextChoices):
    PERSONAL = "personal"
    COMMERCIAL = "commercial"


def _style_upload_to(instance: Style, filename: str) -> str:
    return f"styles/{uuid.uuid4().hex}/{filename}"


def _pattern_upload_to(instance: BasePattern, filename: str) -> str:
    return f"patterns/{uuid.uuid4().hex}/{filename}"


class Style(models.Model):
    """An artist's artwork, used as the style of a personalization under its current licence."""

    artist = models.ForeignKey(User, on_delete=models.PROTECT, related_name="styles")
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="styles")
    image = models.FileField(upload_to=_style_upload_to)
    thumbnail = models.FileField(upload_to=_style_upload_to)
    image_sha256 = models.CharField(max_length=64)
    width_px = models.PositiveIntegerField()
    height_px = models.PositiveIntegerField()
    # False once the artist withdraws the style (or staff suspend it): no new personalizations, carts
    # or checkouts; paid orders are still made.
    active = models.BooleanField(default=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # Set by staff on an infringement report; the artist cannot list a suspended style again.
    suspended_at = models.DateTimeField(null=True, blank=True)
    # The licence in force now; orders keep the version they were sold under.
    licence = models.ForeignKey(
        "LicenceVersion", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    # The lines holding one of its uses (open checkouts and paid orders, less cancelled lines),
    # recounted by `licensing.edition_uses_recount`, never added to or taken from. Checkout counts
    # those lines under this row's lock, so concurrent checkouts can never oversell.
    uses_taken = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["active", "-created_at"])]

    def __str__(self) -> str:
        return self.title


class StyleFingerprint(models.Model):
    """Perceptual hashes (provenance.core.perceptual) of one view of a style's artwork, whole or
    cropped, so a buyer cannot upload a listed painting as their "own image"
    (marketplace.services.laundering). Signed 64-bit, as SQL holds them, and the pHash in 16-bit bands."""

    style = models.ForeignKey(Style, on_delete=models.CASCADE, related_name="fingerprints")
    view = models.CharField(max_length=24)
    phash = models.BigIntegerField()
    dhash = models.BigIntegerField()
    phash_band0 = models.PositiveIntegerField(db_index=True)
    phash_band1 = models.PositiveIntegerField(db_index=True)
    phash_band2 = models.PositiveIntegerField(db_index=True)
    phash_band3 = models.PositiveIntegerField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["style", "view"], name="style_fingerprint_view_unique")
        ]

    def __str__(self) -> str:
        return f"{self.style_id} {self.view}"


class StyleArtworkFeatures(models.Model):
    """The local features of a style's artwork (`marketplace.artwork_features`: ORB keypoints at several
    sizes, mirrored and inverted), stored at listing so that a laundering check, which must match a
    turned, cropped or tiled copy, does not recompute them. `method` names the parameters they were
    made with; rows of another method are recomputed."""

    style = models.OneToOneField(
        Style, on_delete=models.CASCADE, primary_key=True, related_name="artwork_features"
    )
    method = models.CharField(max_length=16)
    keypoints = models.BinaryField()

    def __str__(self) -> str:
        return f"{self.style_id} {self.method}"


class LicenceVersion(models.Model):
    """Licence terms as data. A change makes a new version; old versions are never edited."""

    style = models.ForeignKey(Style, on_delete=models.CASCADE, related_name="licence_versions")
    version = models.PositiveIntegerField()
    personal_use = models.BooleanField(default=True)
    commercial_use = models.BooleanField(default=False)
    fee_per_use = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(max_length=3, default="USD")
    royalty_percent = models.DecimalField(**PERCENT)
    max_uses = models.PositiveIntegerField(null=True, blank=True)
    exclusive = models.BooleanField(default=False)
    # ISO 3166-1 alpha-2 codes the goods may be shipped to (digital files: the buyer's country), or ["*"].
    territories = models.JSONField(default=worldwide)
    # An order placed after this day is refused; paid orders keep their rights.
    valid_until = models.DateField(null=True, blank=True)
    # Substrate slugs (Substrate) the licence may be printed on, or ["*"].
    allowed_substrates = models.JSONField(default=worldwide)
    # The print sheet then carries a selvedge strip naming the artist, with a QR code of the record.
    attribution_required = models.BooleanField(default=False)
    # The artist approves each derivative before it is printed.
    requires_approval = models.BooleanField(default=False)
    # The total of style fees after which the licence stops selling (all versions of the style).
    revenue_ceiling = models.DecimalField(
        **MONEY, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))]
    )
    terms_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["style", "version"], name="licence_version_unique")]
        ordering = ["style_id", "-version"]

    def __str__(self) -> str:
        return f"{self.style_id} v{self.version}"

    @property
    def allowed_uses(self) -> list[str]:
        return [use for use in LicenceUse.values if getattr(self, f"{use}_use")]

    def allows(self, use: str) -> bool:
        return use in self.allowed_uses

    @property
    def edition_limit(self) -> int | None:
        return 1 if self.exclusive else self.max_uses

    def terms(self) -> dict[str, object]:
        """The full terms, as hashed into the attribution manifest (amounts as strings)."""
        return {
            "style_id": self.style_id,
            "version": self.version,
            "allowed_uses": sorted(self.allowed_uses),
            "fee_per_use": str(self.fee_per_use),
            "currency": self.currency,
            "royalty_percent": str(self.royalty_percent),
            "max_uses": self.max_uses,
            "exclusive": self.exclusive,
            "territories": sorted(self.territories),
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "allowed_substrates": sorted(self.allowed_substrates),
            "attribution_required": self.attribution_required,
            "requires_approval": self.requires_approval,
            "revenue_ceiling": str(self.revenue_ceiling) if self.revenue_ceiling is not None else None,
        }

    def covers_territory(self, country: str) -> bool:
        return ANYWHERE in self.territories or country.upper() in self.territories

    def covers_substrate(self, substrate: str) -> bool:
        return ANYWHERE in self.allowed_substrates or substrate in self.allowed_substrates


class RepeatType(models.TextChoices):
    BASIC = "basic", "Basic (full drop)"
    HALF_DROP = "half_drop", "Half drop"
    HALF_BRICK = "half_brick", "Half brick"
    CENTER = "center", "Centre (placed motif)"
    MIRROR = "mirror", "Mirror"


class BasePattern(models.Model):
    """A designer's seamless repeat, built for printing at `dpi`."""

    designer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="patterns")
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="patterns")
    image = models.FileField(upload_to=_pattern_upload_to)
    thumbnail = models.FileField(upload_to=_pattern_upload_to)
    image_sha256 = models.CharField(max_length=64)
    width_px = models.PositiveIntegerField()
    height_px = models.PositiveIntegerField()
    repeat_type = models.CharField(max_length=16, choices=RepeatType.choices, default=RepeatType.BASIC)
    repeat_width_in = models.DecimalField(max_digits=6, decimal_places=3)
    repeat_height_in = models.DecimalField(max_digits=6, decimal_places=3)
    dpi = models.PositiveIntegerField(default=150, validators=[MinValueValidator(72), MaxValueValidator(600)])
    royalty_percent = models.DecimalField(**PERCENT)
    active = models.BooleanField(default=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["active", "-created_at"])]

    def __str__(self) -> str:
        return self.title


class Substrate(models.TextChoices):
    FABRIC = "fabric"
    WALLPAPER = "wallpaper"
    GIFT_WRAP = "gift_wrap"
    # A licensed download: no shipping and no production.
    DIGITAL = "digital", "Digital file"


class Product(models.Model):
    """A printable material; `use` says which licence use it needs (resale goods are commercial)."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=80)
    substrate = models.CharField(max_length=16, choices=Substrate.choices)
    use = models.CharField(max_length=16, choices=LicenceUse.choices, default=LicenceUse.PERSONAL)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["substrate", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_physical(self) -> bool:
        return self.substrate != Substrate.DIGITAL


class ShippingZone(models.Model):
    """Destinations priced alike. A country belongs to at most one zone; `countries` holds ISO 3166-1
    alpha-2 codes, and a zone with `rest_of_world` takes every country no other zone names."""

    name = models.CharField(max_length=60, unique=True)
    countries = models.JSONField(default=list, blank=True)
    rest_of_world = models.BooleanField(default=False)

    class Meta:
        ordering = ["rest_of_world", "name"]

    def __str__(self) -> str:
        return self.name


class ShippingRate(models.Model):
    """What shipping one substrate to one zone costs: a flat amount per order plus an amount per item.
    Rows an admin edits; an order freezes the amounts it was charged."""

    zone = models.ForeignKey(ShippingZone, on_delete=models.CASCADE, related_name="rates")
    substrate = models.CharField(max_length=16, choices=Substrate.choices)
    flat_amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0"))])
    per_item_amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(max_length=3, default="USD")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["zone", "substrate"], name="shipping_rate_unique")]
        ordering = ["zone_id", "substrate"]

    def __str__(self) -> str:
        return f"{self.get_substrate_display()} to {self.zone}"


class ProductSize(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="sizes")
    slug = models.SlugField()
    name = models.CharField(max_length=60)
    width_in = models.DecimalField(max_digits=6, decimal_places=2)
    height_in = models.DecimalField(max_digits=6, decimal_places=2)
    price = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(max_length=3, default="USD")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["product", "slug"], name="product_size_unique")]
        ordering = ["product_id", "price"]

    def __str__(self) -> str:
        return f"{self.product.name} — {self.name}"

    def print_pixels(self, dpi: int) -> tuple[int, int]:
        """The printed sheet's size in pixels at the base pattern's DPI."""
        return round(self.width_in * dpi), round(self.height_in * dpi)


class JobStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class StyleRegions(models.TextChoices):
    """Which part of the base pattern the style paints; the ground is the design's dominant flat colour."""

    ALL = "all", "Motifs and ground"
    MOTIFS = "motifs", "Motifs only"
    GROUND = "ground", "Ground only"


def _personalization_upload_to(instance: Personalization, filename: str) -> str:
    return f"personalizations/{instance.buyer_id}/{uuid.uuid4().hex}/{filename}"


class Personalization(models.Model):
    """A buyer's combination of a base pattern and a style, and the preview job that renders it.

    The row is the job's record: it is written before the job is enqueued, so a restart can find and
    re-enqueue every job that was queued or running."""

    buyer = models.ForeignKey(User, on_delete=models.CASCADE, related_name="personalizations")
    base_pattern = models.ForeignKey(BasePattern, on_delete=models.PROTECT, related_name="personalizations")
    style = models.ForeignKey(Style, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # A buyer's own image: for personal use only, and only its hash ever leaves the database.
    style_image = models.FileField(upload_to=_personalization_upload_to, blank=True)
    style_image_sha256 = models.CharField(max_length=64, blank=True)
    strength = models.FloatField(default=0.7, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    preserve_colors = models.BooleanField(default=False)
    style_scale = models.FloatField(default=1.0, validators=[MinValueValidator(0.25), MaxValueValidator(4.0)])
    seed = models.PositiveIntegerField(default=0)
    regions = models.CharField(max_length=8, choices=StyleRegions.choices, default=StyleRegions.ALL)

    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # The instant colour-transfer preview, shown until the neural one is ready.
    instant_preview = models.FileField(upload_to=_personalization_upload_to, blank=True)
    preview = models.FileField(upload_to=_personalization_upload_to, blank=True)
    engine_info = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"Personalization {self.pk}"

    @property
    def uses_own_image(self) -> bool:
        return self.style_id is None

    def params(self) -> dict[str, object]:
        return {
            "strength": self.strength,
            "preserve_colors": self.preserve_colors,
            "style_scale": self.style_scale,
            "seed": self.seed,
            "regions": self.regions,
        }


class OrderStatus(models.TextChoices):
    DRAFT = "draft"
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    RENDERING = "rendering"
    # Every line's files are made: the buyer reviews the proofs (or the artist approves first).
    PROOF_READY = "proof_ready", "Proof ready"
    APPROVED = "approved"
    IN_PRODUCTION = "in_production", "In production"
    # Some physical lines have shipped, others are still being printed.
    SHIPPED = "shipped"
    # The first API's "files made"; orders no longer stop here (kept for old rows and clients).
    READY = "ready"
    # A line failed for good and was refunded; the rest of the order goes on. Staff can re-render it.
    NEEDS_ATTENTION = "needs_attention", "Needs attention"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


# Paid orders whose lines the fulfilment workflow is still moving (or may move again, after a re-render).
IN_FULFILMENT_STATUSES: tuple[str, ...] = (
    OrderStatus.PAID,
    OrderStatus.RENDERING,
    OrderStatus.PROOF_READY,
    OrderStatus.APPROVED,
    OrderStatus.IN_PRODUCTION,
    OrderStatus.SHIPPED,
    OrderStatus.READY,
    OrderStatus.NEEDS_ATTENTION,
)
# Orders whose money has been taken (and not all given back).
PAID_STATUSES: tuple[str, ...] = (*IN_FULFILMENT_STATUSES, OrderStatus.FULFILLED)

ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.DRAFT: frozenset({OrderStatus.AWAITING_PAYMENT, OrderStatus.CANCELLED}),
    # Back to draft when a payment is declined or a checkout expires, so the buyer can try again.
    OrderStatus.AWAITING_PAYMENT: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.DRAFT}),
    # Inside fulfilment the status is derived from the lines (`order_status_from_lines`), and a line
    # can move back (a re-render after a proof, a staff re-render of a failed line), so the derived
    # statuses may follow one another in any order; none returns to `paid`.
    **{
        status: frozenset(
            {*IN_FULFILMENT_STATUSES, OrderStatus.FULFILLED, OrderStatus.REFUNDED}
            - {OrderStatus.PAID, status}
        )
        for status in IN_FULFILMENT_STATUSES
    },
    OrderStatus.FULFILLED: frozenset({OrderStatus.REFUNDED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}


class LineStage(models.TextChoices):
    """Where a paid order line is in fulfilment. Only `marketplace.services.fulfilment` and the step
    services (each setting its own stage) change it; nothing infers it from which files exist.

    Making the files: queued → rendering → rendered → vectorized → attributed → delivered. A digital
    file is finished once delivered. A physical line's delivered files are its proof: it waits for
    the artist where the licence asks for approval, then for the buyer (proof_ready), then for the
    print shop (approved → in_production → shipped)."""

    QUEUED = "queued"
    RENDERING = "rendering"
    RENDERED = "rendered"
    VECTORIZED = "vectorized"
    ATTRIBUTED = "attributed"
    DELIVERED = "delivered"
    AWAITING_ARTIST_APPROVAL = "awaiting_artist_approval", "Awaiting the artist's approval"
    PROOF_READY = "proof_ready", "Proof ready"
    APPROVED = "approved"
    IN_PRODUCTION = "in_production", "In production"
    SHIPPED = "shipped"
    # The buyer cancelled the line (before printing) or the artist declined it: refunded in full.
    CANCELLED = "cancelled"
    FAILED = "failed"


LINE_TRANSITIONS: dict[str, frozenset[str]] = {
    # "" is a line of an order that is not paid yet.
    "": frozenset({LineStage.QUEUED}),
    LineStage.QUEUED: frozenset({LineStage.RENDERING, LineStage.FAILED}),
    LineStage.RENDERING: frozenset({LineStage.RENDERED, LineStage.FAILED}),
    LineStage.RENDERED: frozenset({LineStage.VECTORIZED, LineStage.FAILED}),
    LineStage.VECTORIZED: frozenset({LineStage.ATTRIBUTED, LineStage.FAILED}),
    LineStage.ATTRIBUTED: frozenset(
        {LineStage.DELIVERED, LineStage.AWAITING_ARTIST_APPROVAL, LineStage.PROOF_READY, LineStage.FAILED}
    ),
    LineStage.DELIVERED: frozenset(),
    LineStage.AWAITING_ARTIST_APPROVAL: frozenset({LineStage.PROOF_READY, LineStage.CANCELLED}),
    # Back to queued: the buyer's one free re-render with another seed.
    LineStage.PROOF_READY: frozenset({LineStage.APPROVED, LineStage.QUEUED, LineStage.CANCELLED}),
    LineStage.APPROVED: frozenset({LineStage.IN_PRODUCTION, LineStage.CANCELLED}),
    LineStage.IN_PRODUCTION: frozenset({LineStage.SHIPPED}),
    LineStage.SHIPPED: frozenset(),
    LineStage.CANCELLED: frozenset(),
    # Only staff send a failed line back, to be rendered again (its refund stands).
    LineStage.FAILED: frozenset({LineStage.QUEUED}),
}
UNFINISHED_STAGES: tuple[str, ...] = (
    LineStage.QUEUED,
    LineStage.RENDERING,
    LineStage.RENDERED,
    LineStage.VECTORIZED,
    LineStage.ATTRIBUTED,
)
# The line's signed files exist and belong to the buyer (see `order_line_output_access`).
FILES_DELIVERED_STAGES: tuple[str, ...] = (
    LineStage.DELIVERED,
    LineStage.AWAITING_ARTIST_APPROVAL,
    LineStage.PROOF_READY,
    LineStage.APPROVED,
    LineStage.IN_PRODUCTION,
    LineStage.SHIPPED,
)
# The proof (the print sheet) is shown from the moment it is ready, and stays for the buyer after.
PROOF_VISIBLE_STAGES: tuple[str, ...] = tuple(
    stage for stage in FILES_DELIVERED_STAGES if stage != LineStage.DELIVERED
)
# Lines whose money goes back to the buyer.
REFUNDED_STAGES: tuple[str, ...] = (LineStage.FAILED, LineStage.CANCELLED)


class InvalidTransition(Exception):
    pass


class Order(models.Model):
    buyer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.DRAFT)
    currency = models.CharField(max_length=3, default="USD")
    subtotal = models.DecimalField(**MONEY, default=Decimal("0"))
    discount = models.DecimalField(**MONEY, default=Decimal("0"))
    total = models.DecimalField(**MONEY, default=Decimal("0"))
    created_at = models.DateTimeField(default=timezone.now)
    checkout_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # What has gone back to the buyer, booked by the refund that returned it.
    refunded_amount = models.DecimalField(**MONEY, default=Decimal("0"))
    # Shipping is priced at checkout from the destination (ShippingRate) and frozen on the lines;
    # royalties are computed on the goods (subtotal less discount), never on shipping or tax.
    shipping_amount = models.DecimalField(**MONEY, default=Decimal("0"))
    tax_amount = models.DecimalField(**MONEY, default=Decimal("0"))
    # {name, line1, line2, city, postal_code, country}: personal data. It never enters a manifest, a
    # credential or a transaction, only the print shop that started one of the order's jobs sees it, and
    # `anonymise_addresses` blanks it a retention period after fulfilment.
    shipping_address = models.JSONField(null=True, blank=True)
    # The destination country (ISO 3166-1 alpha-2): of the shipping address, or for a digital-only
    # order the buyer's country, asked for at checkout (licence territories are checked against it).
    country = models.CharField(max_length=2, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    address_anonymised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Order {self.pk}"

    def can_transition_to(self, status: str) -> bool:
        return status in ORDER_TRANSITIONS[self.status]

    @property
    def goods_total(self) -> Decimal:
        """What the royalties are computed on: the goods after the discount."""
        return self.total - self.shipping_amount - self.tax_amount

    def transition_to(self, status: str) -> None:
        if not self.can_transition_to(status):
            raise InvalidTransition(f"An order cannot go from {self.status} to {status}.")
        self.status = status


def _output_upload_to(instance: OrderLine, filename: str) -> str:
    return f"outputs/{instance.order_id}/{instance.pk}/{filename}"


class OrderLine(models.Model):
    """One printed item. Prices, the licence version and the royalty split are frozen at order time."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    personalization = models.ForeignKey(Personalization, on_delete=models.PROTECT, related_name="order_lines")
    product_size = models.ForeignKey(ProductSize, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(1000)])
    unit_price = models.DecimalField(**MONEY)
    line_total = models.DecimalField(**MONEY)
    licence_use = models.CharField(max_length=16, choices=LicenceUse.choices)
    licence_version = models.ForeignKey(
        LicenceVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="order_lines"
    )
    # Frozen split: the style fee per use, the artist's and the designer's royalty percents.
    style_fee = models.DecimalField(**MONEY, default=Decimal("0"))
    artist_royalty_percent = models.DecimalField(**PERCENT, default=Decimal("0"))
    designer_royalty_percent = models.DecimalField(**PERCENT, default=Decimal("0"))
    # The attribution record's id, reserved when the print sheet is rendered so that its selvedge can
    # carry the record's verify URL before the record exists; the attribution step uses it.
    reserved_record_id = models.CharField(max_length=32, blank=True)

    stage = models.CharField(max_length=24, choices=LineStage.choices, blank=True, default="")
    stage_changed_at = models.DateTimeField(null=True, blank=True)
    # A working step renews this while it runs; a step whose lease has lapsed was lost with its worker.
    lease_until = models.DateTimeField(null=True, blank=True)
    render_progress = models.PositiveSmallIntegerField(default=0)
    render_attempts = models.PositiveIntegerField(default=0)
    # How often the watchdog had to send a stuck line's step again.
    watchdog_resends = models.PositiveIntegerField(default=0)
    # In words a buyer can read; the technical cause goes to the log.
    failure_reason = models.TextField(blank=True)
    print_png = models.FileField(upload_to=_output_upload_to, blank=True)
    print_sheet = models.FileField(upload_to=_output_upload_to, blank=True)
    svg = models.FileField(upload_to=_output_upload_to, blank=True)
    render_info = models.JSONField(default=dict, blank=True)
    # This line's part of the order's shipping (its items, plus the flat amount on the first line of
    # each substrate): refunded with the line when the line is cancelled or fails.
    shipping_amount = models.DecimalField(**MONEY, default=Decimal("0"))
    # The buyer's one free re-render uses another seed; null renders with the personalization's.
    render_seed = models.PositiveIntegerField(null=True, blank=True)
    rerenders_used = models.PositiveSmallIntegerField(default=0)
    proof_ready_at = models.DateTimeField(null=True, blank=True)
    proof_reminder_sent_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    # True when the proof approved itself after PROOF_AUTO_APPROVE_AFTER_S.
    auto_approved = models.BooleanField(default=False)

    class Meta:
        ordering = ["order_id", "id"]
        indexes = [models.Index(fields=["stage", "stage_changed_at"])]

    def __str__(self) -> str:
        return f"Order {self.order_id} line {self.pk}"

    def can_move_to(self, stage: str) -> bool:
        return stage in LINE_TRANSITIONS[self.stage]

    @property
    def attribution_record(self) -> Any:
        """The record of the line's current output (a re-render supersedes the earlier one), or None.
        Reads the prefetched `attribution_records` when a selector prefetched them."""
        cache = getattr(self, "_prefetched_objects_cache", {}).get("attribution_records")
        if cache is not None:
            return next((r for r in cache if r.superseded_at is None), None)
        return self.attribution_records.filter(superseded_at__isnull=True).first()  # type: ignore[attr-defined]

    @property
    def seed(self) -> int:
        return self.personalization.seed if self.render_seed is None else self.render_seed

    def move_to(self, stage: str, *, now: Any = None) -> None:
        if not self.can_move_to(stage):
            raise InvalidTransition(f"An order line cannot go from {self.stage or 'unpaid'} to {stage}.")
        self.stage = stage
        self.stage_changed_at = now or timezone.now()

    # What a failure writes (`record_failure`), for `save(update_fields=...)`.
    FAILURE_FIELDS: ClassVar[tuple[str, ...]] = (
        "stage",
        "stage_changed_at",
        "failure_reason",
        "lease_until",
        "render_info",
    )

    @classmethod
    def fail_for_good(cls, order_line_id: int, *, reason: str, detail: str) -> bool:
        """Fail the line under its row lock; False when it can no longer fail (delivered, or failed
        already). The one place a step, the retries' end and the watchdog all fail a line."""
        with transaction.atomic():
            line = cls.objects.select_for_update().get(pk=order_line_id)
            if not line.can_move_to(LineStage.FAILED):
                return False
            line.record_failure(reason=reason, detail=detail)
            line.save(update_fields=cls.FAILURE_FIELDS)
        return True

    def record_failure(self, *, reason: str, detail: str) -> None:
        """Failed for good: `reason` is for the buyer, `detail` (the technical cause) for staff."""
        self.move_to(LineStage.FAILED)
        self.failure_reason = reason[:1000]
        self.lease_until = None
        self.render_info = {**self.render_info, "error": detail[:2000]}


class ProductionJob(models.Model):
    """A print shop's job: one per approved physical line, made when the line is approved (that is
    what releases its files to the approved print shops; the ship-to goes only to the shop that
    starts it). Its status is the line's stage."""

    order_line = models.OneToOneField(OrderLine, on_delete=models.PROTECT, related_name="production_job")
    # The print shop that took the job; until then any approved print shop may take it.
    printer = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    released_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    carrier = models.CharField(max_length=60, blank=True)
    tracking_number = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["released_at", "id"]

    def __str__(self) -> str:
        return f"Production job {self.pk}"

    @property
    def status(self) -> str:
        return PRODUCTION_STATUS_OF_STAGE.get(self.order_line.stage, "withdrawn")


class ProductionStatus(models.TextChoices):
    QUEUED = "queued"
    PRINTING = "printing"
    SHIPPED = "shipped"


PRODUCTION_STATUS_OF_STAGE: dict[str, str] = {
    LineStage.APPROVED: ProductionStatus.QUEUED,
    LineStage.IN_PRODUCTION: ProductionStatus.PRINTING,
    LineStage.SHIPPED: ProductionStatus.SHIPPED,
}


class EmailMessageLog(models.Model):
    """Each notification e-mail, keyed by what it is about (e.g. `proof-ready:line:12`). The row is
    written before the send, so a retried job finds it and sends nothing twice."""

    key = models.CharField(max_length=120, unique=True)
    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.key


class ReportTarget(models.TextChoices):
    STYLE = "style"
    PATTERN = "pattern"


class ReportStatus(models.TextChoices):
    OPEN = "open"
    # Staff took the listing down while they look into the claim.
    SUSPENDED = "suspended"
    # The claim holds: the listing stays down and its attribution records are revoked on chain.
    UPHELD = "upheld"
    DISMISSED = "dismissed"


class TakedownReason(models.TextChoices):
    """Why staff uphold a claim: the reason code that goes on chain with each revocation."""

    COPYRIGHT = "copyright", "Copyright infringement"
    TRADEMARK = "trademark", "Trademark infringement"
    STYLE_LAUNDERING = "style_laundering", "Someone else's artwork listed as one's own"
    OTHER = "other", "Other rights claim"


class InfringementReport(models.Model):
    """A claim, by anyone with an account, that a listed style or base pattern infringes their rights."""

    reporter = models.ForeignKey(User, on_delete=models.PROTECT, related_name="infringement_reports")
    target = models.CharField(max_length=10, choices=ReportTarget.choices)
    style = models.ForeignKey(Style, on_delete=models.PROTECT, null=True, blank=True, related_name="reports")
    pattern = models.ForeignKey(
        BasePattern, on_delete=models.PROTECT, null=True, blank=True, related_name="reports"
    )
    claim = models.TextField()
    evidence_url = models.URLField(max_length=500)
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(target="style", style__isnull=False, pattern__isnull=True)
                    | models.Q(target="pattern", pattern__isnull=False, style__isnull=True)
                ),
                name="report_names_one_listing",
            )
        ]

    def __str__(self) -> str:
        return f"Report {self.pk} on {self.target} {self.style_id or self.pattern_id}"

    @property
    def listing(self) -> Style | BasePattern:
        listing = self.style if self.target == ReportTarget.STYLE else self.pattern
        assert listing is not None  # the check constraint holds it
        return listing


class ModerationAction(models.TextChoices):
    SUSPEND = "suspend", "Suspended the listing"
    UPHOLD = "uphold", "Upheld the claim and revoked the attribution records"
    DISMISS = "dismiss", "Dismissed the claim"


class ModerationDecision(models.Model):
    """The audit log of staff decisions on reports: who decided what, when, and why. Never edited."""

    report = models.ForeignKey(InfringementReport, on_delete=models.PROTECT, related_name="decisions")
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="moderation_decisions")
    action = models.CharField(max_length=10, choices=ModerationAction.choices)
    reason_code = models.CharField(max_length=20, choices=TakedownReason.choices, blank=True)
    note = models.TextField()
    # How many attribution records the decision sent to be revoked on chain.
    records_revoked = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} (report {self.report_id}) by {self.actor}"


class ApprovalStatus(models.TextChoices):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    # No answer within ARTIST_APPROVAL_TIMEOUT_S: treated as a decline.
    EXPIRED = "expired"
    # The buyer cancelled the line before the artist answered: nothing is left to approve.
    WITHDRAWN = "withdrawn"


class DerivativeApproval(models.Model):
    """The artist's decision on one derivative of a style whose licence `requires_approval`: one per
    proof (a buyer's re-render is a new derivative and asks again)."""

    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="artist_approvals")
    artist = models.ForeignKey(User, on_delete=models.PROTECT, related_name="derivative_approvals")
    status = models.CharField(max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING)
    reason = models.TextField(blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        indexes = [models.Index(fields=["artist", "status"]), models.Index(fields=["status", "requested_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["order_line"],
                condition=models.Q(status="pending"),
                name="one_pending_approval_per_line",
            )
        ]

    def __str__(self) -> str:
        return f"Approval {self.pk} of line {self.order_line_id} ({self.status})"


class BackgroundJob(models.Model):
    """A job that has no row of its own to say it is unfinished (a refund asked for, a takedown's
    revocations): written in the transaction of the change that needs it, sent on commit, and
    marked done when its actor returns (`marketplace.jobs`). Until then the sweep sends it again,
    so a worker that dies, or an embedded broker's memory lost with its process, loses nothing."""

    actor_name = models.CharField(max_length=100)
    args = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # When the periodic sweep sends it again if it is still unfinished: its actor's longest silence
    # (a run up to its time limit, a backoff between retries) plus BACKGROUND_JOB_RESEND_AFTER_S.
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return f"{self.actor_name}{tuple(self.args)} ({self.status})"
