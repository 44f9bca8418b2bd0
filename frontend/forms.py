"""The pages' forms. They only parse and bound what a person typed; the rules themselves stay in the
marketplace services, whose `ValidationError`s are mapped back onto these forms' fields."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from marketplace.carriers import Carrier
from marketplace.forms import country_choices
from marketplace.models import (
    ANYWHERE,
    CARRIER_MAX_CHARS,
    DEFAULT_DPI,
    DPI_RANGE,
    PRINT_SHOP_NAME_MAX_LENGTH,
    QUANTITY_RANGE,
    SEED_MAX,
    SELF_CHOSEN_ROLES,
    STRENGTH_RANGE,
    STYLE_SCALE_RANGE,
    TITLE_MAX_CHARS,
    TRACKING_NUMBER_MAX_CHARS,
    BasePattern,
    LicenceUse,
    RepeatType,
    Style,
    StyleRegions,
    Substrate,
)
from marketplace.selectors import CatalogueFilters
from marketplace.services.catalogue import PatternRepeat
from marketplace.services.licence_terms import LicenceTerms


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's field errors on the matching fields, the rest at the top of the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = field if field in form.fields else None
            for message in errors:
                form.add_error(target, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


# --- accounts ---------------------------------------------------------------------------------------


class SignupForm(forms.Form):
    username = forms.CharField(
        label="Username", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username"})
    )
    email = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        label="Password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, and not a common password.",
    )
    roles = forms.MultipleChoiceField(
        label="I am joining as",
        choices=[(role.value, role.label) for role in SELF_CHOSEN_ROLES],
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose one or more; you can hold several roles.",
    )


class PrintShopApplyForm(forms.Form):
    name = forms.CharField(label="Print shop's name", max_length=PRINT_SHOP_NAME_MAX_LENGTH)


# --- catalogue --------------------------------------------------------------------------------------


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100)
    tag = forms.SlugField(label="Tag", required=False)
    repeat_type = forms.ChoiceField(
        label="Repeat type", required=False, choices=[("", "Any repeat")] + list(RepeatType.choices)
    )
    designer = forms.CharField(label="Designer", required=False, max_length=150)
    artist = forms.CharField(label="Artist", required=False, max_length=150)
    licence_use = forms.ChoiceField(
        label="Licence",
        required=False,
        choices=[
            ("", "Any licence"),
            (LicenceUse.PERSONAL, "Personal use"),
            (LicenceUse.COMMERCIAL, "Commercial use"),
        ],
    )

    def filters(self) -> CatalogueFilters:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return CatalogueFilters(
            search=data.get("q") or None,
            tag=data.get("tag") or None,
            repeat_type=data.get("repeat_type") or None,
            designer=data.get("designer") or None,
            artist=data.get("artist") or None,
            licence_use=data.get("licence_use") or None,
        )


# --- configurator -----------------------------------------------------------------------------------


class PreviewForm(forms.Form):
    """One personalization. The querysets are set by the view to what the visitor may see."""

    pattern: forms.ModelChoiceField = forms.ModelChoiceField(
        label="Base pattern", queryset=BasePattern.objects.none()
    )
    style: forms.ModelChoiceField = forms.ModelChoiceField(
        label="Style", queryset=Style.objects.none(), required=False, empty_label="My own image"
    )
    style_image = forms.FileField(
        label="Your own image", required=False, help_text="Printed for personal use only."
    )
    strength = forms.FloatField(
        label="Style strength", min_value=STRENGTH_RANGE[0], max_value=STRENGTH_RANGE[1], initial=0.7
    )
    style_scale = forms.FloatField(
        label="Style scale", min_value=STYLE_SCALE_RANGE[0], max_value=STYLE_SCALE_RANGE[1], initial=1.0
    )
    preserve_colors = forms.BooleanField(label="Preserve colours", required=False)
    seed = forms.IntegerField(label="Seed", min_value=0, max_value=SEED_MAX, initial=0)
    regions = forms.ChoiceField(
        label="Paint", choices=StyleRegions.choices, initial=StyleRegions.ALL, required=False
    )

    def clean_regions(self) -> str:
        # An older page, or a client that leaves the choice out, paints the whole pattern.
        return self.cleaned_data.get("regions") or StyleRegions.ALL

    def __init__(self, *args: Any, patterns: Any, styles: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pattern"].queryset = patterns  # type: ignore[attr-defined]
        self.fields["style"].queryset = styles  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("style") and data.get("style_image"):
            raise ValidationError("Choose a listed style or upload your own image, not both.")
        if not data.get("style") and not data.get("style_image") and not self.errors:
            raise ValidationError("Choose a style, or upload your own image.")
        return data


class CartAddForm(forms.Form):
    personalization = forms.IntegerField(widget=forms.HiddenInput)
    size = forms.IntegerField(label="Product and size")
    quantity = forms.IntegerField(
        label="Quantity", min_value=QUANTITY_RANGE[0], max_value=QUANTITY_RANGE[1], initial=1
    )


class BuyerCountryForm(forms.Form):
    country = forms.ChoiceField(label="Your country", choices=country_choices, required=False)


class RerenderForm(forms.Form):
    seed = forms.IntegerField(label="New seed", min_value=0, max_value=SEED_MAX)


class ShipForm(forms.Form):
    """The carrier from the table in `marketplace.carriers` (its tracking page is linked for the
    buyer), or "other" and its name."""

    carrier = forms.ChoiceField(label="Carrier", choices=[("", "Choose the carrier"), *Carrier.choices])
    carrier_other = forms.CharField(
        label="Carrier's name, if other", max_length=CARRIER_MAX_CHARS, required=False
    )
    tracking_number = forms.CharField(label="Tracking number", max_length=TRACKING_NUMBER_MAX_CHARS)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("carrier") == Carrier.OTHER and not data.get("carrier_other", "").strip():
            self.add_error("carrier_other", "Name the carrier.")
        return data

    def shipment(self) -> dict[str, str]:
        """The `production_job_ship` arguments: a carrier's code, or the other carrier's name."""
        data = self.cleaned_data
        carrier = data["carrier_other"] if data["carrier"] == Carrier.OTHER else data["carrier"]
        return {"carrier": carrier, "tracking_number": data["tracking_number"]}


# --- studios ----------------------------------------------------------------------------------------


class LicenceTermsForm(forms.Form):
    allowed_uses = forms.MultipleChoiceField(
        label="Allowed uses",
        choices=[(LicenceUse.PERSONAL, "Personal use"), (LicenceUse.COMMERCIAL, "Commercial use")],
        widget=forms.CheckboxSelectMultiple,
        initial=[LicenceUse.PERSONAL],
        help_text="Personal use covers things a buyer makes for themselves. Commercial use lets them sell "
        "what they make (resale fabric, wallpaper for a client); it includes personal use.",
    )
    fee_per_use = forms.DecimalField(
        label="Fee per use (USD)",
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        initial=Decimal("0"),
        help_text="A fixed amount you receive each time a buyer orders a print in your style.",
    )
    royalty_percent = forms.DecimalField(
        label="Royalty (% of each sale)",
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
        initial=Decimal("10"),
        help_text="A share of the price of each printed item, on top of the fee.",
    )
    max_uses = forms.IntegerField(
        label="Edition limit",
        min_value=1,
        required=False,
        help_text="How many prints may ever be sold in this style. Leave empty for no limit.",
    )
    exclusive = forms.BooleanField(
        label="Exclusive",
        required=False,
        help_text="Exactly one buyer may ever use this style (an edition of one).",
    )

    territories = forms.CharField(
        label="Territories",
        required=False,
        max_length=1000,
        help_text="Country codes the prints may ship to, separated by commas (FR, DE, US). Empty: worldwide.",
    )
    allowed_substrates = forms.MultipleChoiceField(
        label="Materials",
        required=False,
        choices=Substrate.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="What the style may be printed on. None ticked: every material.",
    )
    valid_until = forms.DateField(
        label="Sells until",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Orders after this day are refused; prints already paid for keep their rights.",
    )
    revenue_ceiling = forms.DecimalField(
        label="Revenue ceiling (USD)",
        required=False,
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        help_text="The licence stops selling once your fees from this style reach this total. Empty: no ceiling.",
    )
    attribution_required = forms.BooleanField(
        label="Print my name on the selvedge",
        required=False,
        help_text="Each print carries a strip outside the repeat with the design's title, your name and a QR "
        "code of its attribution record.",
    )
    requires_approval = forms.BooleanField(
        label="Approve each design before it is printed",
        required=False,
        help_text="You see each proof in your studio and approve or decline it; a declined design is refunded.",
    )

    def terms(self) -> LicenceTerms:
        data = self.cleaned_data
        codes = [c.strip() for c in (data.get("territories") or "").split(",") if c.strip()]
        return LicenceTerms(
            allowed_uses=tuple(data["allowed_uses"]),
            fee_per_use=data["fee_per_use"],
            royalty_percent=data["royalty_percent"],
            max_uses=data.get("max_uses"),
            exclusive=bool(data.get("exclusive")),
            territories=tuple(codes) or (ANYWHERE,),
            allowed_substrates=tuple(data.get("allowed_substrates") or ()) or (ANYWHERE,),
            valid_until=data.get("valid_until"),
            revenue_ceiling=data.get("revenue_ceiling"),
            attribution_required=bool(data.get("attribution_required")),
            requires_approval=bool(data.get("requires_approval")),
        )

    @classmethod
    def initial_from(cls, terms: LicenceTerms) -> dict[str, Any]:
        return {
            "allowed_uses": list(terms.allowed_uses),
            "fee_per_use": terms.fee_per_use,
            "royalty_percent": terms.royalty_percent,
            "max_uses": terms.max_uses,
            "exclusive": terms.exclusive,
            "territories": "" if ANYWHERE in terms.territories else ", ".join(terms.territories),
            "allowed_substrates": []
            if ANYWHERE in terms.allowed_substrates
            else list(terms.allowed_substrates),
            "valid_until": terms.valid_until,
            "revenue_ceiling": terms.revenue_ceiling,
            "attribution_required": terms.attribution_required,
            "requires_approval": terms.requires_approval,
        }


class StyleUploadForm(LicenceTermsForm):
    title = forms.CharField(label="Title", max_length=TITLE_MAX_CHARS)
    image = forms.FileField(
        label="Artwork image", help_text="PNG, JPEG or WebP. Only a small thumbnail is ever shown publicly."
    )
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    tags = forms.CharField(label="Tags", required=False, help_text="Separated by commas.")

    field_order = ["title", "image", "description", "tags"]

    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data.get("tags", "").split(",") if t.strip()]


class PatternUploadForm(forms.Form):
    title = forms.CharField(label="Title", max_length=TITLE_MAX_CHARS)
    image = forms.FileField(
        label="Pattern image", help_text="One seamless repeat tile: PNG, JPEG or WebP, at the DPI below."
    )
    repeat_type = forms.ChoiceField(
        label="Repeat type", choices=RepeatType.choices, initial=RepeatType.BASIC, widget=forms.RadioSelect
    )
    dpi = forms.IntegerField(
        label="DPI",
        min_value=DPI_RANGE[0],
        max_value=DPI_RANGE[1],
        initial=DEFAULT_DPI,
        help_text="The repeat's printed size is its pixels divided by this.",
    )
    royalty_percent = forms.DecimalField(
        label="Your royalty (%)",
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
        initial=Decimal("5"),
        help_text="Your share of the price of each printed item.",
    )
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    tags = forms.CharField(label="Tags", required=False, help_text="Separated by commas.")

    def repeat(self) -> PatternRepeat:
        return _pattern_repeat(self.cleaned_data)

    def tag_list(self) -> list[str]:
        return _tag_list(self.cleaned_data)


def _pattern_repeat(data: dict[str, Any]) -> PatternRepeat:
    return PatternRepeat(
        repeat_type=data["repeat_type"], dpi=data["dpi"], royalty_percent=data["royalty_percent"]
    )


def _tag_list(data: dict[str, Any]) -> list[str]:
    return [t.strip() for t in data.get("tags", "").split(",") if t.strip()]


class PatternEditForm(forms.Form):
    """A published pattern's details and repeat; the image stays (a new image is a new pattern)."""

    title = PatternUploadForm.base_fields["title"]
    repeat_type = PatternUploadForm.base_fields["repeat_type"]
    dpi = PatternUploadForm.base_fields["dpi"]
    royalty_percent = PatternUploadForm.base_fields["royalty_percent"]
    description = PatternUploadForm.base_fields["description"]
    tags = PatternUploadForm.base_fields["tags"]

    def repeat(self) -> PatternRepeat:
        return _pattern_repeat(self.cleaned_data)

    def tag_list(self) -> list[str]:
        return _tag_list(self.cleaned_data)


# --- verification -----------------------------------------------------------------------------------


class VerifyForm(forms.Form):
    file = forms.FileField(label="File", required=False, help_text="Any image or SVG you want to check.")
    sha256 = forms.RegexField(
        label="SHA-256",
        required=False,
        regex=r"^\s*[0-9a-fA-F]{64}\s*$",
        error_messages={"invalid": "A SHA-256 hash is 64 hexadecimal characters."},
        help_text="Or paste the file's SHA-256 hash instead.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("file") and not data.get("sha256") and not self.errors:
            raise ValidationError("Choose a file or paste a hash.")
        if data.get("sha256"):
            data["sha256"] = data["sha256"].strip().lower()
        return data
