"""What is listed: styles under versioned licences, base patterns, products and their sizes."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from marketplace.models.accounts import User
from marketplace.models.money import MONEY, PERCENT

# Listing limits. The columns, the services, the API's serializers and the forms all read these.
TITLE_MAX_CHARS = 120
DESCRIPTION_MAX_CHARS = 5000
MAX_TAGS = 12
# A base pattern's print resolution: the repeat's inches are its pixels divided by this.
DPI_RANGE: tuple[int, int] = (72, 600)
DEFAULT_DPI = 150
# Below this many pixels per printed inch a print shows its pixels at arm's length: buyer and designer are warned.
SHARP_PRINT_DPI = 150
# An edition limit above this is no limit; the column is a 32-bit integer.
MAX_EDITION_USES = 1_000_000
MAX_FEE_PER_USE = Decimal("100000")
MAX_REVENUE_CEILING = Decimal("1000000000")
MAX_TERRITORIES = 250


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
    title = models.CharField(max_length=TITLE_MAX_CHARS)
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
    title = models.CharField(max_length=TITLE_MAX_CHARS)
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
    dpi = models.PositiveIntegerField(
        default=DEFAULT_DPI, validators=[MinValueValidator(DPI_RANGE[0]), MaxValueValidator(DPI_RANGE[1])]
    )
    royalty_percent = models.DecimalField(**PERCENT)
    active = models.BooleanField(default=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The design's flat colours as "#rrggbb", most area first: found once at upload, swapped by colourways.
    palette = models.JSONField(default=list, blank=True)

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


class SubstrateProfile(models.Model):
    """The ICC output profile a substrate is proofed and printed through. One per printed substrate;
    the shipped defaults (marketplace/icc) are installed by a migration, and a print shop's staff
    replace them with their own measured profile in the admin."""

    substrate = models.CharField(max_length=16, choices=Substrate.choices, unique=True)
    profile = models.BinaryField()
    name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["substrate"]

    def __str__(self) -> str:
        return f"{self.get_substrate_display()}: {self.name}"


# The true-scale mockup (stylization.engine.mockups) that shows each printed substrate: the order
# e-mails link to the buyer's design on it.
SUBSTRATE_MOCKUP: dict[str, str] = {
    Substrate.FABRIC: "cushion",
    Substrate.WALLPAPER: "wall",
    Substrate.GIFT_WRAP: "gift-box",
}


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

    @property
    def mockup(self) -> str | None:
        """The mockup product this substrate is shown on, or None (a digital file)."""
        return SUBSTRATE_MOCKUP.get(self.substrate)


class ProductSize(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="sizes")
    slug = models.SlugField()
    name = models.CharField(max_length=60)
    width_in = models.DecimalField(max_digits=6, decimal_places=2)
    height_in = models.DecimalField(max_digits=6, decimal_places=2)
    price = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(max_length=3, default="USD")
    # A small piece sold to see and feel the print first; a swatch of an approved proof is cut at this size.
    is_swatch = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["product", "slug"], name="product_size_unique")]
        ordering = ["product_id", "price"]

    def __str__(self) -> str:
        return f"{self.product.name} — {self.name}"

    def print_pixels(self, dpi: int) -> tuple[int, int]:
        """The printed sheet's size in pixels at the base pattern's DPI."""
        return round(self.width_in * dpi), round(self.height_in * dpi)
