"""Forms that more than one part of the site shows (the cart, the local gateway's page)."""

from __future__ import annotations

from django import forms


def country_choices() -> list[tuple[str, str]]:
    from django_countries import countries

    return [("", "Choose a country"), *((code, name) for code, name in countries)]


class ShippingAddressForm(forms.Form):
    """Where a print goes; the rules (and the zone's price) are `marketplace.services.shipping`'s."""

    name = forms.CharField(
        label="Full name", max_length=120, widget=forms.TextInput(attrs={"autocomplete": "shipping name"})
    )
    line1 = forms.CharField(
        label="Address",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "shipping address-line1"}),
    )
    line2 = forms.CharField(
        label="Address line 2",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "shipping address-line2"}),
    )
    city = forms.CharField(
        label="City",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "shipping address-level2"}),
    )
    postal_code = forms.CharField(
        label="Postal code",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "shipping postal-code"}),
    )
    country = forms.ChoiceField(
        label="Country",
        choices=country_choices,
        widget=forms.Select(attrs={"autocomplete": "shipping country"}),
    )
