"""Reads that only the pages need: the tags in use, and the sold lines a studio lists. What anyone is
owed comes from the royalty ledger (marketplace.royalties.selectors), never from here."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from marketplace.models import PAID_STATUSES, LicenceVersion, OrderLine, Style, Tag, User


def tags_in_use() -> QuerySet[Tag]:
    return Tag.objects.annotate(n=Count("patterns") + Count("styles")).filter(n__gt=0).order_by("name")


def sold_lines_for_designer(*, designer: User) -> QuerySet[OrderLine]:
    return (
        OrderLine.objects.filter(
            personalization__base_pattern__designer=designer, order__status__in=PAID_STATUSES
        )
        .select_related("order", "personalization__base_pattern", "product_size__product")
        .order_by("order__paid_at", "id")
    )


def licence_versions_for(*, styles: list[Style]) -> dict[int, list[LicenceVersion]]:
    versions: dict[int, list[LicenceVersion]] = {style.pk: [] for style in styles}
    for version in LicenceVersion.objects.filter(style__in=styles).order_by("style_id", "-version"):
        versions[version.style_id].append(version)
    return versions
