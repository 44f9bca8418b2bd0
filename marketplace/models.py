"""The marketplace's domain: people and their roles, styles under versioned licences, base patterns,
products, personalizations (the stylization job) and orders.

Models hold data and the invariants that belong to one row (state machines). Every write that
matters goes through a function in `marketplace.services`; nothing here has business logic in
`save()` or in signals.
"""

from __future__ import annotations

import uuid
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
    VERIFIER = "verifier"


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
        constraints = [models.UniqueConstraint(Lower("username"), name="user_username_case_insensitive_unique")]

    @property
    def roles(self) -> list[str]:
        return [role.value for role in Role if getattr(self, f"is_{role.value}")]

    def has_role(self, role: Role | str) -> bool:
        return bool(getattr(self, f"is_{Role(role).value}"))


class Tag(models.Model):
    name = models.SlugField(max_length=40, unique=True)

    def __str__(self) -> str:
        return self.name


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
    active = models.BooleanField(default=True)
    # The licence in force now; orders keep the version they were sold under.
    licence = models.ForeignKey(
        "LicenceVersion", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    # Uses reserved by open checkouts plus uses paid for; the edition limit is checked against it
    # under a row lock, so concurrent checkouts can never oversell.
    uses_taken = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["active", "-created_at"])]

    def __str__(self) -> str:
        return self.title


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
        }


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
        }


class OrderStatus(models.TextChoices):
    DRAFT = "draft"
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    RENDERING = "rendering"
    READY = "ready"
    # A line failed for good and was refunded; the rest of the order goes on. Staff can re-render it.
    NEEDS_ATTENTION = "needs_attention", "Needs attention"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


# Orders whose money has been taken (and not all given back).
PAID_STATUSES: tuple[str, ...] = (
    OrderStatus.PAID,
    OrderStatus.RENDERING,
    OrderStatus.READY,
    OrderStatus.NEEDS_ATTENTION,
    OrderStatus.FULFILLED,
)
# Paid orders whose lines the fulfilment workflow is still moving (or may move again, after a re-render).
IN_FULFILMENT_STATUSES: tuple[str, ...] = (
    OrderStatus.PAID,
    OrderStatus.RENDERING,
    OrderStatus.NEEDS_ATTENTION,
)

ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.DRAFT: frozenset({OrderStatus.AWAITING_PAYMENT, OrderStatus.CANCELLED}),
    # Back to draft when a payment is declined or a checkout expires, so the buyer can try again.
    OrderStatus.AWAITING_PAYMENT: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.DRAFT}),
    OrderStatus.PAID: frozenset(
        {OrderStatus.RENDERING, OrderStatus.READY, OrderStatus.NEEDS_ATTENTION, OrderStatus.REFUNDED}
    ),
    OrderStatus.RENDERING: frozenset({OrderStatus.READY, OrderStatus.NEEDS_ATTENTION, OrderStatus.REFUNDED}),
    # A staff re-render of the failed line moves the order on again.
    OrderStatus.NEEDS_ATTENTION: frozenset({OrderStatus.RENDERING, OrderStatus.READY, OrderStatus.REFUNDED}),
    OrderStatus.READY: frozenset({OrderStatus.FULFILLED, OrderStatus.REFUNDED}),
    OrderStatus.FULFILLED: frozenset({OrderStatus.REFUNDED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}


class LineStage(models.TextChoices):
    """Where a paid order line is in fulfilment. Only `marketplace.services.fulfilment` and the step
    services (each setting its own stage) change it; nothing infers it from which files exist."""

    QUEUED = "queued"
    RENDERING = "rendering"
    RENDERED = "rendered"
    VECTORIZED = "vectorized"
    ATTRIBUTED = "attributed"
    DELIVERED = "delivered"
    FAILED = "failed"


LINE_TRANSITIONS: dict[str, frozenset[str]] = {
    # "" is a line of an order that is not paid yet.
    "": frozenset({LineStage.QUEUED}),
    LineStage.QUEUED: frozenset({LineStage.RENDERING, LineStage.FAILED}),
    LineStage.RENDERING: frozenset({LineStage.RENDERED, LineStage.FAILED}),
    LineStage.RENDERED: frozenset({LineStage.VECTORIZED, LineStage.FAILED}),
    LineStage.VECTORIZED: frozenset({LineStage.ATTRIBUTED, LineStage.FAILED}),
    LineStage.ATTRIBUTED: frozenset({LineStage.DELIVERED, LineStage.FAILED}),
    LineStage.DELIVERED: frozenset(),
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

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Order {self.pk}"

    def can_transition_to(self, status: str) -> bool:
        return status in ORDER_TRANSITIONS[self.status]

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

    stage = models.CharField(max_length=12, choices=LineStage.choices, blank=True, default="")
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

    class Meta:
        ordering = ["order_id", "id"]
        indexes = [models.Index(fields=["stage", "stage_changed_at"])]

    def __str__(self) -> str:
        return f"Order {self.order_id} line {self.pk}"

    def can_move_to(self, stage: str) -> bool:
        return stage in LINE_TRANSITIONS[self.stage]

    def move_to(self, stage: str, *, now: Any = None) -> None:
        if not self.can_move_to(stage):
            raise InvalidTransition(f"An order line cannot go from {self.stage or 'unpaid'} to {stage}.")
        self.stage = stage
        self.stage_changed_at = now or timezone.now()

    # What a failure writes (`record_failure`), for `save(update_fields=...)`.
    FAILURE_FIELDS: ClassVar[tuple[str, ...]] = (
        "stage", "stage_changed_at", "failure_reason", "lease_until", "render_info"
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
