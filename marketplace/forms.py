"""Forms that more than one part of the site shows (the cart, the local gateway's page)."""

from __future__ import annotations

from django import forms

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
