"""Orders and their lines, with the state machines of both."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.utils import timezone

from marketplace.models.accounts import User
from marketplace.models.catalogue import LicenceUse, LicenceVersion, ProductSize
from marketplace.models.money import MONEY, PERCENT
from marketplace.models.personalizations import Personalization

# An order line's quantity, and how many lines one order may hold.
QUANTITY_RANGE: tuple[int, int] = (1, 1000)
MAX_ORDER_LINES = 50
# The files a line's fulfilment makes: the OrderLine columns that hold them, in the order they are made.
OUTPUT_FILE_KINDS: tuple[str, ...] = ("print_png", "print_sheet", "svg")
# Each kind's download name and its label on the order page.
OUTPUT_FILE_NAMES: dict[str, str] = {
    "print_png": "print.png",
    "print_sheet": "print-sheet.png",
    "svg": "print.svg",
}
OUTPUT_FILE_LABELS: dict[str, str] = {"print_png": "Print PNG", "print_sheet": "Print sheet", "svg": "SVG"}
# What a buyer reads when a line failed for good, and what staff read of the technical cause.
FAILURE_REASON_MAX_CHARS = 1000
FAILURE_DETAIL_MAX_CHARS = 2000
# A swatch's price is credited to a full-size order of the same design checked out within this many
# days of the swatch's payment.
SWATCH_CREDIT_DAYS = 30


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
    OrderStatus.NEEDS_ATTENTION,
)
# Orders whose money has been taken (and not all given back). READY is assigned no more, but an
# order the first API left there was paid for.
PAID_STATUSES: tuple[str, ...] = (*IN_FULFILMENT_STATUSES, OrderStatus.READY, OrderStatus.FULFILLED)

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
        for status in (*IN_FULFILMENT_STATUSES, OrderStatus.READY)
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
# A proof the buyer (or the proof's timer) approved: what a swatch of the proof may be cut from.
APPROVED_PROOF_STAGES: tuple[str, ...] = (LineStage.APPROVED, LineStage.IN_PRODUCTION, LineStage.SHIPPED)
# Lines whose money goes back to the buyer.
REFUNDED_STAGES: tuple[str, ...] = (LineStage.FAILED, LineStage.CANCELLED)
# A line with nothing left to do: a digital file delivered, a print shipped.
FINISHED_STAGES: tuple[str, ...] = (LineStage.DELIVERED, LineStage.SHIPPED)
# A physical line's proof waits for the artist, then for the buyer.
PROOF_STAGES: tuple[str, ...] = (LineStage.AWAITING_ARTIST_APPROVAL, LineStage.PROOF_READY)
# The buyer may cancel a line (refunded in full) until it is printed.
CANCELLABLE_STAGES: tuple[str, ...] = (
    LineStage.AWAITING_ARTIST_APPROVAL,
    LineStage.PROOF_READY,
    LineStage.APPROVED,
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
    quantity = models.PositiveIntegerField(
        validators=[MinValueValidator(QUANTITY_RANGE[0]), MaxValueValidator(QUANTITY_RANGE[1])]
    )
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
    # A swatch of another line's approved proof: its print sheet is cut from that line's, not rendered.
    swatch_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="swatches"
    )
    # The later order this swatch's price was credited to (see `marketplace.services.swatches`).
    swatch_credit_order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="swatch_credits"
    )

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
        self.failure_reason = reason[:FAILURE_REASON_MAX_CHARS]
        self.lease_until = None
        self.render_info = {**self.render_info, "error": detail[:FAILURE_DETAIL_MAX_CHARS]}
