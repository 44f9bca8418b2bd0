"""Reads. Listing queries have a fixed number of SQL queries whatever the page size."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, Q, QuerySet

from marketplace.models import (
    FILES_DELIVERED_STAGES,
    PAID_STATUSES,
    PRODUCTION_STATUS_OF_STAGE,
    PROOF_VISIBLE_STAGES,
    REFUNDED_STAGES,
    SEED_MAX,
    SWATCH_CREDIT_DAYS,
    BasePattern,
    DerivativeApproval,
    JobStatus,
    LineStage,
    Order,
    OrderLine,
    OrderStatus,
    Personalization,
    PrintShop,
    Product,
    ProductionJob,
    ProductSize,
    Style,
    SubstrateProfile,
    User,
)


@dataclass(frozen=True)
class CatalogueFilters:
    tag: str | None = None
    repeat_type: str | None = None
    artist: str | None = None
    designer: str | None = None
    licence_use: str | None = None
    search: str | None = None
    owner: User | None = None  # an owner also sees their withdrawn items
    only_owner: bool = False


def _visible(filters: CatalogueFilters, owner_field: str) -> Q:
    if filters.only_owner and filters.owner is not None:
        return Q(**{owner_field: filters.owner})
    visible = Q(active=True)
    if filters.owner is not None:
        visible |= Q(**{owner_field: filters.owner})
    return visible


def style_list(*, filters: CatalogueFilters) -> QuerySet[Style]:
    qs = Style.objects.filter(_visible(filters, "artist"))
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag)
    if filters.artist:
        qs = qs.filter(artist__username=filters.artist)
    if filters.licence_use:
        qs = qs.filter(**{f"licence__{filters.licence_use}_use": True})
    if filters.search:
        qs = qs.filter(Q(title__icontains=filters.search) | Q(description__icontains=filters.search))
    # feedforward_models: the API's `model` of each style (one query per page, not per style).
    return (
        qs.select_related("artist", "licence")
        .prefetch_related("tags", "feedforward_models")
        .distinct()
        .order_by("-created_at", "-id")
    )


def pattern_list(*, filters: CatalogueFilters) -> QuerySet[BasePattern]:
    qs = BasePattern.objects.filter(_visible(filters, "designer"))
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag)
    if filters.repeat_type:
        qs = qs.filter(repeat_type=filters.repeat_type)
    if filters.designer:
        qs = qs.filter(designer__username=filters.designer)
    if filters.search:
        qs = qs.filter(Q(title__icontains=filters.search) | Q(description__icontains=filters.search))
    return qs.select_related("designer").prefetch_related("tags").distinct().order_by("-created_at", "-id")


def product_list() -> QuerySet[Product]:
    return Product.objects.filter(active=True).prefetch_related(
        Prefetch("sizes", queryset=ProductSize.objects.order_by("price"))
    )


def product_sizes_active() -> QuerySet[ProductSize]:
    """Every size of every active product, with its product (the size guidance reads both)."""
    return ProductSize.objects.filter(product__active=True).select_related("product")


def substrate_profile_list() -> QuerySet[SubstrateProfile]:
    return SubstrateProfile.objects.defer("profile").order_by("substrate")


def personalization_list(*, buyer: User) -> QuerySet[Personalization]:
    return Personalization.objects.filter(buyer=buyer).select_related("base_pattern", "style")


def order_lines_prefetch() -> Prefetch:
    return Prefetch(
        "lines",
        queryset=OrderLine.objects.select_related(
            "personalization__base_pattern__designer",
            "personalization__style__artist",
            "product_size__product",
            "licence_version",
            "production_job",
            "swatch_of",
        ).prefetch_related("attribution_records"),
    )


def order_list(*, buyer: User) -> QuerySet[Order]:
    """The buyer's orders, newest first, with everything their lines show (a fixed query count)."""
    return (
        Order.objects.filter(buyer=buyer)
        .prefetch_related(order_lines_prefetch())
        .order_by("-created_at", "-id")
    )


class OutputAccess(enum.Enum):
    """Whether an order line's print files may be downloaded, and if not, what to answer."""

    ALLOWED = "allowed"
    NOT_FOUND = "not_found"  # a stranger: the line might as well not exist (404)
    NOT_YET = "not_yet"  # the buyer, but the line is not delivered (409)
    WITHDRAWN = "withdrawn"  # the buyer, but the order was refunded or cancelled (410)
    PROOF_ONLY = "proof_only"  # the buyer of a physical line: it sells the print, not its files (403)

    @property
    def http_status(self) -> int:
        return {"allowed": 200, "not_found": 404, "not_yet": 409, "withdrawn": 410, "proof_only": 403}[
            self.value
        ]


PROOF_ONLY_REASON = (
    "A print sells the printed item, not its files: view the proof in your order. "
    "The print shop that makes it gets the production files."
)


def _line_entitlement(*, line: OrderLine, user: User | AnonymousUser) -> tuple[OutputAccess, str]:
    """What a line's buyer and staff are owed from its files being made on: the line's own checks."""
    is_staff = bool(getattr(user, "is_staff", False))
    if not (is_staff or (user.is_authenticated and line.order.buyer_id == user.pk)):
        return OutputAccess.NOT_FOUND, "No such file."
    if line.order.status in (OrderStatus.REFUNDED, OrderStatus.CANCELLED):
        return (
            OutputAccess.WITHDRAWN,
            f"This order was {line.order.status}; its files are no longer available.",
        )
    if line.stage not in FILES_DELIVERED_STAGES:
        if line.stage == LineStage.FAILED:
            return OutputAccess.WITHDRAWN, "This line could not be made and was refunded; it has no files."
        if line.stage == LineStage.CANCELLED:
            return OutputAccess.WITHDRAWN, "This line was cancelled and refunded; it has no files."
        return OutputAccess.NOT_YET, "This line's files are not ready yet."
    if line.stage == LineStage.AWAITING_ARTIST_APPROVAL and not is_staff:
        # A derivative the artist may still decline (and the buyer be refunded) is not handed over yet.
        return OutputAccess.NOT_YET, "The artist of the style approves this design first."
    return OutputAccess.ALLOWED, ""


def order_line_output_access(*, line: OrderLine, user: User | AnonymousUser) -> tuple[OutputAccess, str]:
    """The one entitlement rule for a line's print PNG, print sheet and SVG, used by the API, the
    pages and the certificate: a digital file's, once delivered, while its order is not refunded or
    cancelled, to its buyer or staff. A physical line's production files go to the print shop that
    starts its job (`production_job_visible`), never to its buyer, who views the proof instead
    (`order_line_proof_access`). Returns the verdict and a reason for the buyer."""
    access, reason = _line_entitlement(line=line, user=user)
    if (
        access in (OutputAccess.ALLOWED, OutputAccess.NOT_YET)
        and line.product_size.product.is_physical
        and not getattr(user, "is_staff", False)
    ):
        return OutputAccess.PROOF_ONLY, PROOF_ONLY_REASON
    return access, reason


def order_line_proof_access(*, line: OrderLine, user: User | AnonymousUser) -> tuple[OutputAccess, str]:
    """The proof views of a physical line (marketplace.proofs): to its buyer and staff, from the
    proof on, while the order is not refunded or cancelled. A digital line has no proof."""
    access, reason = _line_entitlement(line=line, user=user)
    if access == OutputAccess.ALLOWED and not (line.product_size.product.is_physical and line.print_sheet):
        return OutputAccess.NOT_FOUND, "This line has no proof."
    if access == OutputAccess.ALLOWED and line.stage not in PROOF_VISIBLE_STAGES:
        return OutputAccess.NOT_FOUND, "This line has no proof."
    return access, reason


# --- production (the print shops' side) -------------------------------------------------------------

STAGES_OF_PRODUCTION_STATUS: dict[str, str] = {
    status: stage for stage, status in PRODUCTION_STATUS_OF_STAGE.items()
}


def production_job_list(*, printer: User, status: str | None = None) -> QuerySet[ProductionJob]:
    """The jobs a print shop may see: released ones nobody has taken yet, and its own. A job whose
    line was cancelled before printing drops out of every queue; an account that is not an approved
    print shop sees none."""
    if not printer.is_printer:
        return ProductionJob.objects.none()
    jobs = (
        ProductionJob.objects.filter(order_line__stage__in=PRODUCTION_STATUS_OF_STAGE)
        .filter(Q(printer__isnull=True) | Q(printer=printer))
        .select_related(
            "order_line__order",
            "order_line__product_size__product",
            "order_line__personalization__base_pattern",
        )
    )
    if status is not None:
        jobs = jobs.filter(order_line__stage=STAGES_OF_PRODUCTION_STATUS[status])
    return jobs.order_by("released_at", "id")


def print_shop_of(*, user: User) -> PrintShop | None:
    """The account's print shop application, whatever its status, if it has applied or been invited."""
    return PrintShop.objects.filter(user=user).first()


def production_job_visible(*, job: ProductionJob, user: User | AnonymousUser) -> bool:
    """Whether `user` may see this job's ticket and print files: an approved print shop, while the job
    is released (its line approved and not cancelled) and not taken by another print shop."""
    if not (user.is_authenticated and user.is_printer):  # type: ignore[union-attr]
        return False
    if job.order_line.stage not in PRODUCTION_STATUS_OF_STAGE:
        return False
    return job.printer_id is None or job.printer_id == user.pk


def production_job_started_by(*, job: ProductionJob, user: User | AnonymousUser) -> bool:
    """Whether `user` is the print shop that started this job, and so may read the buyer's name and
    address and download the print sheet. A queued job shows every shop its size, substrate and
    destination country, nothing more: production files go to the shop that takes the job."""
    return (
        production_job_visible(job=job, user=user)
        and job.started_at is not None
        and job.printer_id == user.pk
    )


def approval_list(*, artist: User) -> QuerySet[DerivativeApproval]:
    """The derivatives of an artist's styles, with what their list and studio pages show."""
    return DerivativeApproval.objects.filter(artist=artist).select_related(
        "order_line__order",
        "order_line__product_size__product",
        "order_line__personalization__style",
        "order_line__personalization__base_pattern",
    )


# The free re-render offers this many seeds, each shown as a preview to pick from.
RERENDER_SEED_CHOICES = 3


def rerender_seed_choices(*, line: OrderLine) -> list[int]:
    """The seeds the free re-render offers: the next ones after the proof's, wrapping at SEED_MAX."""
    return [(line.seed + k) % (SEED_MAX + 1) for k in range(1, RERENDER_SEED_CHOICES + 1)]


def seed_previews_for_line(*, line: OrderLine) -> list[Personalization]:
    """The buyer's previews of this line's design with each offered seed (newest per seed, failed ones
    left out), in the order of the seeds; empty until they are requested."""
    base = line.personalization
    seeds = rerender_seed_choices(line=line)
    found = (
        Personalization.objects.filter(
            buyer_id=base.buyer_id,
            base_pattern_id=base.base_pattern_id,
            style=base.style,
            style_image_sha256=base.style_image_sha256,
            strength=base.strength,
            style_scale=base.style_scale,
            preserve_colors=base.preserve_colors,
            regions=base.regions,
            seed__in=seeds,
        )
        .exclude(status=JobStatus.FAILED)
        .select_related("base_pattern")
        .order_by("-created_at", "-id")
    )
    newest: dict[int, Personalization] = {}
    for preview in found:
        newest.setdefault(preview.seed, preview)
    return [newest[seed] for seed in seeds if seed in newest]


def swatch_credits_open(
    *, buyer: User, personalization_ids: Iterable[int], at: dt.datetime, order: Order | None = None
) -> QuerySet[OrderLine]:
    """The buyer's paid swatches of these designs whose price may still be credited at `at` (paid
    within SWATCH_CREDIT_DAYS, not refunded), and not held by another order: a credit is free, or
    bound to `order`, or to an order that went back to draft or was cancelled."""
    return (
        OrderLine.objects.filter(
            order__buyer=buyer,
            swatch_of__isnull=False,
            personalization_id__in=list(personalization_ids),
            order__status__in=PAID_STATUSES,
            order__paid_at__gte=at - dt.timedelta(days=SWATCH_CREDIT_DAYS),
        )
        .exclude(stage__in=REFUNDED_STAGES)
        .filter(
            Q(swatch_credit_order__isnull=True)
            | Q(swatch_credit_order__status__in=(OrderStatus.DRAFT, OrderStatus.CANCELLED))
            | Q(swatch_credit_order=order)
        )
        .order_by("order__paid_at", "pk")
    )
