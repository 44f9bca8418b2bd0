"""An artist's licence terms: validated as one value (`LicenceTerms`) and written as a new, hashed `LicenceVersion` each time they change."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from marketplace.models import (
    ANYWHERE,
    MAX_EDITION_USES,
    MAX_FEE_PER_USE,
    MAX_REVENUE_CEILING,
    MAX_TERRITORIES,
    LicenceUse,
    LicenceVersion,
    Style,
    Substrate,
)

_COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")


def _restriction_list(values: Iterable[str], *, upper: bool = False) -> tuple[str, ...]:
    """A territory or substrate list as stored: sorted, without repeats; ["*"] stands alone."""
    cleaned = {v.strip().upper() if upper else v.strip() for v in values}
    return (ANYWHERE,) if ANYWHERE in cleaned else tuple(sorted(cleaned))


@dataclass(frozen=True)
class LicenceTerms:
    allowed_uses: tuple[str, ...] = (LicenceUse.PERSONAL,)
    fee_per_use: Decimal = Decimal("0")
    royalty_percent: Decimal = Decimal("0")
    max_uses: int | None = None
    exclusive: bool = False
    currency: str = "USD"
    territories: tuple[str, ...] = (ANYWHERE,)
    valid_until: dt.date | None = None
    allowed_substrates: tuple[str, ...] = (ANYWHERE,)
    attribution_required: bool = False
    requires_approval: bool = False
    revenue_ceiling: Decimal | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "territories", _restriction_list(self.territories, upper=True))
        object.__setattr__(self, "allowed_substrates", _restriction_list(self.allowed_substrates))

    def validate(self) -> None:
        errors: dict[str, str] = {}
        uses = set(self.allowed_uses)
        if not uses or not uses <= set(LicenceUse.values):
            errors["allowed_uses"] = "Choose one or more of: personal, commercial."
        if self.fee_per_use < 0:
            errors["fee_per_use"] = "The fee per use cannot be negative."
        if not Decimal("0") <= self.royalty_percent <= Decimal("100"):
            errors["royalty_percent"] = "The royalty percent must be between 0 and 100."
        if self.max_uses is not None and not 1 <= self.max_uses <= MAX_EDITION_USES:
            errors["max_uses"] = f"An edition limit must be between 1 and {MAX_EDITION_USES:,}."
        if self.fee_per_use > MAX_FEE_PER_USE:
            errors["fee_per_use"] = f"The fee per use can be at most {MAX_FEE_PER_USE:,}."
        bad_codes = [c for c in self.territories if c != ANYWHERE and not _COUNTRY_CODE.fullmatch(c)]
        if not self.territories or bad_codes or len(self.territories) > MAX_TERRITORIES:
            errors["territories"] = (
                'Give ISO 3166-1 alpha-2 country codes (such as "FR", "US"), or ["*"] for worldwide.'
            )
        substrates = set(self.allowed_substrates) - {ANYWHERE}
        if not self.allowed_substrates or not substrates <= set(Substrate.values):
            errors["allowed_substrates"] = (
                f'Choose substrates among: {", ".join(Substrate.values)}; or ["*"] for all.'
            )
        if (
            self.revenue_ceiling is not None
            and not Decimal("0") < self.revenue_ceiling <= MAX_REVENUE_CEILING
        ):
            errors["revenue_ceiling"] = (
                f"A revenue ceiling must be above 0 and at most {MAX_REVENUE_CEILING:,}."
            )
        if errors:
            raise ValidationError(errors)

    def as_dict(self) -> dict[str, object]:
        return {
            "allowed_uses": sorted(set(self.allowed_uses)),
            "fee_per_use": str(self.fee_per_use.quantize(Decimal("0.01"))),
            "royalty_percent": str(self.royalty_percent.quantize(Decimal("0.01"))),
            "max_uses": self.max_uses,
            "exclusive": self.exclusive,
            "currency": self.currency,
            "territories": list(self.territories),
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "allowed_substrates": list(self.allowed_substrates),
            "attribution_required": self.attribution_required,
            "requires_approval": self.requires_approval,
            "revenue_ceiling": (
                str(self.revenue_ceiling.quantize(Decimal("0.01")))
                if self.revenue_ceiling is not None
                else None
            ),
        }

    def columns(self) -> dict[str, object]:
        """The terms as LicenceVersion's columns (the uses are two booleans there)."""
        return {
            "personal_use": LicenceUse.PERSONAL in self.allowed_uses,
            "commercial_use": LicenceUse.COMMERCIAL in self.allowed_uses,
            **{name: getattr(self, name) for name in _SCALAR_TERMS},
            **{name: list(getattr(self, name)) for name in _LIST_TERMS},
        }

    @classmethod
    def of(cls, version: LicenceVersion) -> LicenceTerms:
        values: dict[str, Any] = {name: getattr(version, name) for name in _SCALAR_TERMS}
        values.update({name: tuple(getattr(version, name)) for name in _LIST_TERMS})
        return cls(allowed_uses=tuple(version.allowed_uses), **values)


_SCALAR_TERMS = (
    "fee_per_use",
    "royalty_percent",
    "max_uses",
    "exclusive",
    "currency",
    "valid_until",
    "attribution_required",
    "requires_approval",
    "revenue_ceiling",
)


_LIST_TERMS = ("territories", "allowed_substrates")


def _terms_sha256(terms: LicenceTerms) -> str:
    return hashlib.sha256(
        json.dumps(terms.as_dict(), sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()


def licence_version_create(*, style: Style, terms: LicenceTerms) -> LicenceVersion:
    """A new version of the style's licence; it becomes the one in force. Earlier versions stay as
    they were, because orders refer to the version they were sold under."""
    terms.validate()
    with transaction.atomic():
        style = Style.objects.select_for_update().get(pk=style.pk)
        current = style.licence
        if current is not None and LicenceTerms.of(current).as_dict() == terms.as_dict():
            return current
        if terms.exclusive and style.uses_taken > 0:
            raise ValidationError({"exclusive": "A style that has been used cannot become exclusive."})
        if terms.max_uses is not None and terms.max_uses < style.uses_taken:
            raise ValidationError(
                {"max_uses": f"The edition limit cannot be below the {style.uses_taken} uses already sold."}
            )
        version = LicenceVersion.objects.create(
            style=style,
            version=(current.version + 1) if current else 1,
            **terms.columns(),
            terms_sha256=_terms_sha256(terms),
        )
        style.licence = version
        style.save(update_fields=["licence"])
    return version


def licence_terms_check_current(terms: LicenceTerms) -> None:
    """A style is listed only under a licence that still sells. Ending a listed style's licence (a
    version with a past `valid_until`) stays possible: orders then stop at that date."""
    if terms.valid_until is not None and terms.valid_until < timezone.localdate():
        raise ValidationError(
            {"valid_until": "This licence has already ended: give today or a later date to list the style."}
        )
