"""A licence a person can read: each licence version as a JSON document, an HTML page and a PDF
(WeasyPrint, as the attribution certificates). All three say the same thing from the same
`licence_document`, which carries the exact terms hashed into every manifest sold under it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from PIL import ImageFile

from marketplace.models import ANYWHERE, LicenceUse, LicenceVersion, Substrate

# The largest ids the columns hold (a 64-bit id, a 32-bit version); a larger one names nothing.
_MAX_STYLE_ID = 2**63 - 1
_MAX_VERSION = 2**31 - 1


def licence_version_find(*, style_id: int, version: int) -> LicenceVersion | None:
    """Any version of any style's licence, withdrawn styles' too: buyers keep the rights of the
    version they bought under."""
    if not (0 < style_id <= _MAX_STYLE_ID and 0 < version <= _MAX_VERSION):
        return None
    return (
        LicenceVersion.objects.select_related("style__artist")
        .filter(style_id=style_id, version=version)
        .first()
    )


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def licence_clauses(licence: LicenceVersion) -> list[dict[str, str]]:
    """The terms in plain words, one clause per term, in the order a licensee reads them."""
    uses = licence.allowed_uses
    use_words = (
        "personal and commercial use (goods made for sale, and for oneself)"
        if LicenceUse.COMMERCIAL in uses
        else "personal use only (things the buyer makes for themselves, not for sale)"
    )
    substrates = (
        "any material Motif prints on"
        if ANYWHERE in licence.allowed_substrates
        else ", ".join(Substrate(s).label.lower() for s in sorted(licence.allowed_substrates))
    )
    territories = "worldwide" if ANYWHERE in licence.territories else ", ".join(sorted(licence.territories))
    limit = licence.edition_limit
    return [
        {"term": "allowed_uses", "title": "Use", "text": f"The style may be used for {use_words}."},
        {
            "term": "fee_per_use",
            "title": "Fee and royalty",
            "text": f"Each printed design pays the artist {_money(licence.fee_per_use, licence.currency)} and "
            f"{licence.royalty_percent} % of the price of each item.",
        },
        {
            "term": "max_uses",
            "title": "Edition",
            "text": "Exclusive: exactly one buyer may ever use the style."
            if licence.exclusive
            else f"At most {limit:,} designs may be sold in this style."
            if limit is not None
            else "There is no edition limit.",
        },
        {"term": "allowed_substrates", "title": "Materials", "text": f"Prints may be made on {substrates}."},
        {
            "term": "territories",
            "title": "Territory",
            "text": f"Goods may be shipped to: {territories}. A digital file may be sold to a buyer in those countries.",
        },
        {
            "term": "valid_until",
            "title": "Term",
            "text": f"Orders may be placed until {licence.valid_until.isoformat()} inclusive; orders paid before then "
            "keep their rights."
            if licence.valid_until
            else "The licence has no end date.",
        },
        {
            "term": "revenue_ceiling",
            "title": "Revenue ceiling",
            "text": f"The licence stops selling once the style's fees reach {_money(licence.revenue_ceiling, licence.currency)}."
            if licence.revenue_ceiling is not None
            else "There is no revenue ceiling.",
        },
        {
            "term": "attribution_required",
            "title": "Attribution",
            "text": "Each print carries a selvedge strip, outside the repeat, naming the design, the artist and the "
            "designer, with a QR code of the attribution record."
            if licence.attribution_required
            else "No printed attribution is required; every sale is still recorded on chain.",
        },
        {
            "term": "requires_approval",
            "title": "Approval of derivatives",
            "text": "The artist approves each design made with the style before it is printed; a declined design is "
            "refunded."
            if licence.requires_approval
            else "Designs are printed without the artist's approval.",
        },
    ]


def licence_document(licence: LicenceVersion) -> dict[str, Any]:
    style = licence.style
    return {
        "licence": f"Motif style licence {style.pk} version {licence.version}",
        "style": {"id": style.pk, "title": style.title, "image_sha256": style.image_sha256},
        "licensor": {"public_id": str(style.artist.public_id), "username": style.artist.username},
        "version": licence.version,
        "in_force": style.licence_id == licence.pk,
        "issued_at": licence.created_at.isoformat(),
        "terms": licence.terms(),
        "terms_sha256": licence.terms_sha256,
        "clauses": licence_clauses(licence),
        "note": "`terms` is what each attribution manifest sold under this version records.",
    }


def licence_html(licence: LicenceVersion, *, for_print: bool = False, csp_nonce: str = "") -> str:
    """`csp_nonce`: the request's, when a browser shows the page (its <style> needs it under the CSP)."""
    return render_to_string(
        "marketplace/licence.html",
        {
            "licence": licence,
            "document": licence_document(licence),
            "for_print": for_print,
            "csp_nonce": csp_nonce,
        },
    )


def licence_pdf(licence: LicenceVersion) -> bytes:
    # Importing weasyprint sets Pillow's global LOAD_TRUNCATED_IMAGES (see provenance.certificates);
    # the upload checks rely on it staying off.
    truncated = ImageFile.LOAD_TRUNCATED_IMAGES
    from weasyprint import HTML

    ImageFile.LOAD_TRUNCATED_IMAGES = truncated
    pdf: bytes = HTML(string=licence_html(licence, for_print=True)).write_pdf()
    return pdf
