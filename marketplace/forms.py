"""Forms that more than one part of the site shows (the cart, the local gateway's page)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from marketplace import regions
from marketplace.models import ADDRESS_FIELDS


def country_choices() -> list[tuple[str, str]]:
    from django_countries import countries

    return [("", "Choose a country"), *((code, name) for code, name in countries)]


class ShippingAddressForm(forms.Form):
    """Where a print goes; the rules (and the zone's price) are `marketplace.services.shipping`'s."""

    name = forms.CharField(
        label="Full name",
        max_length=ADDRESS_FIELDS["name"],
        widget=forms.TextInput(attrs={"autocomplete": "shipping name"}),
    )
    line1 = forms.CharField(
        label="Address",
        max_length=ADDRESS_FIELDS["line1"],
        widget=forms.TextInput(attrs={"autocomplete": "shipping address-line1"}),
    )
    line2 = forms.CharField(
        label="Address line 2",
        max_length=ADDRESS_FIELDS["line2"],
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "shipping address-line2"}),
    )
    city = forms.CharField(
        label="City",
        max_length=ADDRESS_FIELDS["city"],
        widget=forms.TextInput(attrs={"autocomplete": "shipping address-level2"}),
    )
    # One select for every country that needs a region, grouped by country; the service checks that
    # the region chosen is the address's country's.
    state = forms.ChoiceField(
        label="State, province or region",
        required=False,
        choices=lambda: [("", "Choose one (where your country has them)"), *regions.state_form_choices()],
        widget=forms.Select(attrs={"autocomplete": "shipping address-level1", "data-region-select": ""}),
        help_text="Needed for the United States, Canada, Australia, Japan, India, Mexico, Brazil and some "
        "other countries.",
    )
    postal_code = forms.CharField(
        label="Postal code",
        max_length=ADDRESS_FIELDS["postal_code"],
        widget=forms.TextInput(attrs={"autocomplete": "shipping postal-code"}),
    )
    country = forms.ChoiceField(
        label="Country",
        choices=country_choices,
        widget=forms.Select(attrs={"autocomplete": "shipping country"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A stored address keeps the region's key; the select's value also names its country.
        state, country = self.initial.get("state"), self.initial.get("country")
        if state and country and regions.FORM_VALUE_SEPARATOR not in state:
            self.initial = {**self.initial, "state": f"{country}{regions.FORM_VALUE_SEPARATOR}{state}"}

    def clean(self) -> dict[str, Any]:
        """The whole address, checked by the same rules as the API's (`shipping_address_clean`), so
        an address the checkout would refuse is refused here, with the field that is wrong."""
        from marketplace.services.shipping import shipping_address_clean

        data = super().clean() or {}
        if self.errors:
            return data
        try:
            return shipping_address_clean({name: data.get(name, "") for name in ADDRESS_FIELDS})
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                field = key.removeprefix("shipping_address.")
                self.add_error(field if field in self.fields else None, messages)
        return data
