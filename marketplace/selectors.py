"""Reads. Listing queries have a fixed number of SQL queries whatever the page size."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from marketplace.models import (
    BasePattern,
    Order,
    OrderLine,
    Personalization,
    Product,
    ProductSize,
    Style,
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
    return (qs.select_related("artist", "licence").prefetch_related("tags", "feedforward_models").distinct()
            .order_by("-created_at", "-id"))


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
            "attribution_record",
        ),
    )


def order_list(*, buyer: User) -> QuerySet[Order]:
    return Order.objects.filter(buyer=buyer).prefetch_related(order_lines_prefetch())
