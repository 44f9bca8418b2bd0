"""The parcel carriers a print shop ships with, and where each one's tracking page is.

One table: the ship form's select, the stored `ProductionJob.carrier_code`, the buyer's tracking
link (order page, "My orders", the shipped e-mail, the API's `tracking_url`) all read it. A shop
that ships with a carrier not listed picks "other" and names it; such a shipment has no link."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from django.db import models


class Carrier(models.TextChoices):
    UPS = "ups", "UPS"
    USPS = "usps", "USPS"
    FEDEX = "fedex", "FedEx"
    DHL = "dhl", "DHL Express"
    ROYAL_MAIL = "royal_mail", "Royal Mail"
    CANADA_POST = "canada_post", "Canada Post"
    AUSTRALIA_POST = "australia_post", "Australia Post"
    LA_POSTE = "la_poste", "La Poste / Colissimo"
    DPD = "dpd", "DPD"
    GLS = "gls", "GLS"
    POSTNL = "postnl", "PostNL"
    DEUTSCHE_POST = "deutsche_post", "Deutsche Post / DHL Paket"
    OTHER = "other", "Other (no tracking link)"


CARRIER_CODE_MAX_CHARS = max(len(code) for code in Carrier.values)


@dataclass(frozen=True)
class CarrierInfo:
    # `{number}` is replaced by the URL-quoted tracking number.
    tracking_url: str
    # Other ways a shop has written the carrier's name, compared without case, spaces or punctuation.
    aliases: tuple[str, ...] = ()


CARRIERS: dict[str, CarrierInfo] = {
    Carrier.UPS: CarrierInfo("https://www.ups.com/track?tracknum={number}", ("unitedparcelservice",)),
    Carrier.USPS: CarrierInfo(
        "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
        ("unitedstatespostalservice", "uspostalservice", "uspostoffice"),
    ),
    Carrier.FEDEX: CarrierInfo("https://www.fedex.com/fedextrack/?trknbr={number}", ("federalexpress",)),
    Carrier.DHL: CarrierInfo(
        "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id={number}",
        ("dhl", "dhlexpress"),
    ),
    Carrier.ROYAL_MAIL: CarrierInfo(
        "https://www.royalmail.com/track-your-item#/tracking-results/{number}", ("royalmail",)
    ),
    Carrier.CANADA_POST: CarrierInfo(
        "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={number}",
        ("canadapost", "postescanada"),
    ),
    Carrier.AUSTRALIA_POST: CarrierInfo(
        "https://auspost.com.au/mypost/track/details/{number}", ("australiapost", "auspost")
    ),
    Carrier.LA_POSTE: CarrierInfo(
        "https://www.laposte.fr/outils/suivre-vos-envois?code={number}",
        ("laposte", "colissimo", "lapostecolissimo"),
    ),
    Carrier.DPD: CarrierInfo("https://tracking.dpd.de/status/en_US/parcel/{number}"),
    Carrier.GLS: CarrierInfo("https://gls-group.com/GROUP/en/parcel-tracking?match={number}"),
    Carrier.POSTNL: CarrierInfo("https://postnl.nl/tracktrace/?B={number}"),
    Carrier.DEUTSCHE_POST: CarrierInfo(
        "https://www.deutschepost.de/de/s/sendungsverfolgung.html?piececode={number}",
        ("deutschepost", "dhlpaket"),
    ),
}


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


_BY_KEY: dict[str, str] = {
    key: code
    for code, info in CARRIERS.items()
    for key in (_key(code), _key(Carrier(code).label), *info.aliases)
}


def carrier_resolve(text: str) -> tuple[str, str]:
    """(code, name) of a carrier as a shop gave it: a code from the table, or a name written any
    way. An unknown name is kept, as "other"."""
    name = " ".join(text.split())
    code = _BY_KEY.get(_key(name), Carrier.OTHER)
    return code, (name if code == Carrier.OTHER else Carrier(code).label)


def tracking_url(*, carrier_code: str, tracking_number: str) -> str | None:
    """The carrier's tracking page for this parcel, or None (an unlisted carrier, no number)."""
    info = CARRIERS.get(carrier_code)
    if info is None or not tracking_number:
        return None
    return info.tracking_url.format(number=quote(tracking_number, safe=""))
