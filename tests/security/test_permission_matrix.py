"""The permission matrix: every endpoint on this branch (API and pages) × every role (anonymous,
buyer, artist, designer, verifier, staff) × owner or not. Each cell is the exact status code.

A stranger reaches nothing private: originals, previews, order-line files, orders, payments,
statements and studios answer 401/403/404 (404 where the item's existence is itself private), and
only the owner gets 200. `test_every_route_is_in_the_matrix` fails when an endpoint is added
without a row here, so the matrix grows with the URLconf. The print shops have a matrix of their own
at the bottom (SHOP_ROWS × SHOP_ACTORS: an applicant, a rejected shop, two approved shops, others)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from marketplace.models import (
    BasePattern,
    JobStatus,
    LineStage,
    Order,
    OrderLine,
    OrderStatus,
    Personalization,
    Style,
    User,
)
from marketplace.payments.services import payment_checkout_start
from marketplace.services.orders import OrderLineRequest, order_create
from tests.conftest import SHIP_TO, create_products, image_bytes
from tests.factories import released_job_make

ACTORS = ("anonymous", "buyer", "artist", "designer", "verifier", "staff", "owner")
LOGIN = 302  # a page's answer to an anonymous visitor: to the login form


@dataclass(frozen=True)
class Row:
    route: str  # the URL pattern's name, to check that every route has a row
    method: str
    url: str  # formatted with the world's ids
    expect: dict[str, int]  # actor -> status; missing actors take `default`
    default: int = 0
    body: dict[str, Any] = field(default_factory=dict)
    owner: str = "buyer"  # whose resource it is: buyer, artist, designer, payee
    api: bool = True

    def status_for(self, actor: str) -> int:
        return self.expect.get(actor, self.default)


def private(owner_ok: int, *, stranger: int = 404, anonymous: int = 401) -> dict[str, int]:
    return {a: stranger for a in ACTORS} | {"anonymous": anonymous, "owner": owner_ok}


def signed_in(ok: int, *, anonymous: int = 401) -> dict[str, int]:
    return {a: ok for a in ACTORS} | {"anonymous": anonymous}


def everyone(code: int) -> dict[str, int]:
    return dict.fromkeys(ACTORS, code)


def artist_only(ok: int, *, anonymous: int = 401) -> dict[str, int]:
    return signed_in(403, anonymous=anonymous) | {"artist": ok, "owner": ok}


def payee_only(ok: int, *, anonymous: int = 401) -> dict[str, int]:
    return signed_in(403, anonymous=anonymous) | {"artist": ok, "designer": ok, "owner": ok}


S, P, ORD, Q, L, PAY, HS = (
    "{style}",
    "{pattern}",
    "{order}",
    "{paid}",
    "{line}",
    "{payment}",
    "{hidden_style}",
)
ROWS = [
    # --- accounts
    Row("auth-register", "post", "/api/v1/auth/register/", everyone(400)),
    Row("auth-token", "post", "/api/v1/auth/token/", everyone(400)),
    Row("auth-me", "get", "/api/v1/auth/me/", signed_in(200)),
    # --- styles (owner: the artist who listed it)
    Row("style-list", "get", "/api/v1/styles/", everyone(200)),
    Row(
        "style-list",
        "post",
        "/api/v1/styles/",
        signed_in(403) | {"artist": 201, "owner": 201},
        owner="artist",
        body={
            "title": "S",
            "allowed_uses": ["personal"],
            "fee_per_use": "1",
            "royalty_percent": "5",
            "image": "png",
        },
    ),
    Row("style-detail", "get", f"/api/v1/styles/{S}/", everyone(200), owner="artist"),
    Row("style-detail", "get", f"/api/v1/styles/{HS}/", everyone(404) | {"owner": 200}, owner="artist"),
    Row(
        "style-detail",
        "patch",
        f"/api/v1/styles/{S}/",
        private(200, stranger=403),
        owner="artist",
        body={"title": "X"},
    ),
    Row("style-detail", "delete", f"/api/v1/styles/{S}/", private(204, stranger=403), owner="artist"),
    Row("style-licences", "get", f"/api/v1/styles/{S}/licences/", everyone(200), owner="artist"),
    # A licence version is public, even a withdrawn style's: buyers keep the rights they bought.
    Row("style-licence-document", "get", f"/api/v1/styles/{HS}/licences/1/", everyone(200), owner="artist"),
    Row(
        "style-licence-pdf",
        "get",
        f"/api/v1/styles/{S}/licences/1/licence.pdf",
        everyone(200),
        owner="artist",
    ),
    # Approvals of derivatives: an artist's own only; one that is not theirs is missing.
    Row("approval-list", "get", "/api/v1/approvals/", artist_only(200), owner="artist"),
    Row("approval-approve", "post", "/api/v1/approvals/999999/approve/", artist_only(404), owner="artist"),
    Row(
        "approval-decline",
        "post",
        "/api/v1/approvals/999999/decline/",
        artist_only(404),
        owner="artist",
        body={"reason": "not mine"},
    ),
    Row("approval-proof", "get", "/api/v1/approvals/999999/proof/", artist_only(404), owner="artist"),
    Row(
        "report-create",
        "post",
        "/api/v1/reports/",
        signed_in(201),
        body={
            "target": "style",
            "id": S,
            "claim": "This style copies my painting of 2019.",
            "evidence_url": "https://example.com/evidence",
        },
    ),
    Row("style-thumbnail", "get", f"/api/v1/styles/{S}/thumbnail/", everyone(200), owner="artist"),
    Row("style-image", "get", f"/api/v1/styles/{S}/image/", private(200, stranger=403), owner="artist"),
    Row("style-image", "get", f"/api/v1/styles/{HS}/image/", private(200), owner="artist"),
    # --- patterns (owner: the designer)
    Row("pattern-list", "get", "/api/v1/patterns/", everyone(200)),
    Row(
        "pattern-list",
        "post",
        "/api/v1/patterns/",
        signed_in(403) | {"designer": 201, "owner": 201},
        owner="designer",
        body={"title": "P", "image": "png", "dpi": "72"},
    ),
    Row("pattern-detail", "get", f"/api/v1/patterns/{P}/", everyone(200), owner="designer"),
    Row(
        "pattern-detail",
        "patch",
        f"/api/v1/patterns/{P}/",
        private(200, stranger=403),
        owner="designer",
        body={"title": "X"},
    ),
    Row("pattern-detail", "delete", f"/api/v1/patterns/{P}/", private(204, stranger=403), owner="designer"),
    Row("pattern-thumbnail", "get", f"/api/v1/patterns/{P}/thumbnail/", everyone(200), owner="designer"),
    Row("pattern-image", "get", f"/api/v1/patterns/{P}/image/", private(200, stranger=403), owner="designer"),
    Row("product-list", "get", "/api/v1/products/", everyone(200)),
    Row("substrate-list", "get", "/api/v1/substrates/", everyone(200)),
    # --- personalizations, orders, files (owner: the buyer)
    Row("personalization-list", "get", "/api/v1/personalizations/", signed_in(200)),
    Row("personalization-list", "post", "/api/v1/personalizations/", signed_in(400)),
    Row("personalization-detail", "get", "/api/v1/personalizations/{personalization}/", private(200)),
    Row(
        "personalization-preview", "get", "/api/v1/personalizations/{personalization}/preview/", private(200)
    ),
    Row(
        "personalization-instant-preview",
        "get",
        "/api/v1/personalizations/{personalization}/instant-preview/",
        private(200),
    ),
    Row(
        "personalization-mockup",
        "get",
        "/api/v1/personalizations/{personalization}/mockups/cushion.png",
        private(200),
    ),
    Row(
        "personalization-softproof",
        "get",
        "/api/v1/personalizations/{personalization}/softproof/?substrate=fabric",
        private(200),
    ),
    # A listed pattern's mockup is its public share image.
    Row(
        "pattern-mockup", "get", f"/api/v1/patterns/{P}/mockups/cushion.png", everyone(200), owner="designer"
    ),
    Row("order-list", "get", "/api/v1/orders/", signed_in(200)),
    Row("order-list", "post", "/api/v1/orders/", signed_in(400)),
    Row("order-detail", "get", f"/api/v1/orders/{ORD}/", private(200)),
    Row(
        "order-checkout",
        "post",
        f"/api/v1/orders/{ORD}/checkout/",
        private(200),
        body={"shipping_address": SHIP_TO},
    ),
    Row("order-approve", "post", f"/api/v1/orders/{ORD}/approve/", private(409)),  # no proof is waiting
    Row(
        "order-line-rerender",
        "post",
        f"/api/v1/orders/{Q}/lines/{L}/rerender/",
        private(400),
        body={"seed": "x"},
    ),
    Row("order-line-approve", "post", f"/api/v1/orders/{Q}/lines/{L}/approve/", private(200)),
    Row("order-line-cancel", "post", f"/api/v1/orders/{Q}/lines/{L}/cancel/", private(200)),
    # The paid line is a swatch size already, so its buyer gets 400; anyone else finds no such line.
    Row("order-line-swatch", "post", f"/api/v1/orders/{Q}/lines/{L}/swatch/", private(400)),
    # --- print shops: any account may apply or accept an invitation; the role is then staff's grant
    Row(
        "print-shop-apply",
        "post",
        "/api/v1/print-shops/apply/",
        signed_in(201),
        body={"name": "A Print Shop"},
    ),
    Row(
        "print-shop-invitation-accept",
        "post",
        "/api/v1/print-shops/invitations/accept/",
        signed_in(400),
        body={"token": "not-a-token"},
    ),
    Row(
        "frontend:print-shop-apply", "get", "/print-shops/apply/", signed_in(200, anonymous=LOGIN), api=False
    ),
    Row(
        "frontend:print-shop-invitation",
        "get",
        "/print-shops/invitations/not-a-token/",
        signed_in(400, anonymous=LOGIN),
        api=False,
    ),
    # --- print production: print shops only (no actor here holds the printer role; see SHOP_ROWS)
    Row("production-job-list", "get", "/api/v1/production/jobs/", signed_in(403)),
    Row("production-job-detail", "get", "/api/v1/production/jobs/999999/", signed_in(403)),
    Row("production-job-start", "post", "/api/v1/production/jobs/999999/start/", signed_in(403)),
    Row("production-job-ship", "post", "/api/v1/production/jobs/999999/ship/", signed_in(403)),
    Row("production-job-print-sheet", "get", "/api/v1/production/jobs/999999/print-sheet/", signed_in(403)),
    Row("production-job-print-file", "get", "/api/v1/production/jobs/999999/print-file/", signed_in(403)),
    Row("order-cancel", "post", f"/api/v1/orders/{ORD}/cancel/", private(200)),
    # A print's production files go to staff (and the print shop's job), never to its buyer, who views
    # the proof instead; 404 to anyone else.
    Row(
        "order-line-file",
        "get",
        f"/api/v1/orders/{Q}/lines/{L}/files/print_png/",
        private(403) | {"staff": 200},
    ),
    Row("order-line-proof", "get", f"/api/v1/orders/{Q}/lines/{L}/proof/", private(200) | {"staff": 200}),
    Row(
        "order-line-proof-tile",
        "get",
        f"/api/v1/orders/{Q}/lines/{L}/proof/tiles/0/0/",
        private(200) | {"staff": 200},
    ),
    Row(
        "payments-local-confirm",
        "post",
        f"/api/v1/payments/local/{PAY}/confirm/",
        private(200),
        body={"outcome": "declined"},
    ),
    Row("payments-stripe-webhook", "post", "/api/v1/payments/stripe/webhook/", everyone(400)),
    # --- payouts and royalties (owner: a payee, here the artist; no Stripe configured: 503)
    Row("payouts-onboarding", "post", "/api/v1/payouts/onboarding/", payee_only(503), owner="artist"),
    Row(
        "payouts-onboarding-refresh",
        "get",
        "/api/v1/payouts/onboarding/refresh/",
        payee_only(503),
        owner="artist",
    ),
    Row(
        "payouts-onboarding-return",
        "get",
        "/api/v1/payouts/onboarding/return/",
        payee_only(200),
        owner="artist",
    ),
    Row("royalty-list", "get", "/api/v1/royalties/", payee_only(200), owner="artist"),
    Row(
        "royalty-statement-csv",
        "get",
        "/api/v1/royalties/statement.csv?month=2026-11",
        payee_only(200),
        owner="artist",
    ),
    # --- provenance: public, rate-limited
    Row("provenance-verify", "get", "/api/v1/provenance/verify/?sha256=" + "0" * 64, everyone(200)),
    Row("provenance-verify", "post", "/api/v1/provenance/verify/", everyone(400)),
    Row("provenance-record", "get", "/api/v1/provenance/records/{record}/", everyone(404)),
    Row(
        "provenance-certificate-json",
        "get",
        "/api/v1/provenance/records/{record}/certificate.json",
        everyone(404),
    ),
    Row("provenance-certificate", "get", "/api/v1/provenance/records/{record}/certificate/", everyone(404)),
    # Public, like the other certificates: a record that does not exist is 404 for everyone.
    Row(
        "provenance-certificate-pdf",
        "get",
        "/api/v1/provenance/records/{record}/certificate.pdf",
        everyone(404),
    ),
    Row("schema", "get", "/api/schema/", everyone(200)),
    Row("swagger-ui", "get", "/api/docs/", everyone(200)),
    Row("healthz", "get", "/healthz/", everyone(200), api=False),
    # --- pages
    Row("frontend:catalogue", "get", "/", everyone(200), api=False),
    Row("frontend:pattern", "get", f"/patterns/{P}/", everyone(200), owner="designer", api=False),
    Row("frontend:configure", "get", "/configure/", everyone(200), api=False),
    Row(
        "frontend:configure-preview",
        "post",
        "/configure/preview/",
        signed_in(400, anonymous=LOGIN),
        api=False,
    ),
    Row(
        "frontend:configure-job",
        "get",
        "/configure/jobs/{personalization}/",
        private(200, anonymous=LOGIN),
        api=False,
    ),
    Row("frontend:cart", "get", "/cart/", signed_in(200, anonymous=LOGIN), api=False),
    Row("frontend:cart-add", "post", "/cart/add/", signed_in(302, anonymous=LOGIN), api=False),
    Row("frontend:cart-remove", "post", "/cart/remove/0/", signed_in(302, anonymous=LOGIN), api=False),
    Row("frontend:cart-checkout", "post", "/cart/checkout/", signed_in(302, anonymous=LOGIN), api=False),
    Row("frontend:orders", "get", "/orders/", signed_in(200, anonymous=LOGIN), api=False),
    Row("frontend:order", "get", f"/orders/{ORD}/", private(200, anonymous=LOGIN), api=False),
    # Approving and cancelling a proof-ready line ask first: the owner gets the confirmation page.
    Row(
        "frontend:order-line-approve",
        "post",
        f"/orders/{Q}/lines/{L}/approve/",
        private(200, anonymous=LOGIN),
        api=False,
    ),
    Row(
        "frontend:order-approve", "post", f"/orders/{ORD}/approve/", private(302, anonymous=LOGIN), api=False
    ),
    Row(
        "frontend:order-line-rerender",
        "post",
        f"/orders/{Q}/lines/{L}/rerender/",
        private(302, anonymous=LOGIN),
        api=False,
    ),
    Row(
        "frontend:order-line-cancel",
        "post",
        f"/orders/{Q}/lines/{L}/cancel/",
        private(200, anonymous=LOGIN),
        api=False,
    ),
    Row(
        "frontend:order-line-variations",
        "post",
        f"/orders/{Q}/lines/{L}/variations/",
        private(302, anonymous=LOGIN),
        api=False,
    ),
    Row(
        "frontend:order-line-swatch",
        "post",
        f"/orders/{Q}/lines/{L}/swatch/",
        private(302, anonymous=LOGIN),
        api=False,
    ),
    Row("frontend:production", "get", "/studio/production/", signed_in(403, anonymous=LOGIN), api=False),
    Row(
        "frontend:production-ticket",
        "get",
        "/studio/production/jobs/999999/",
        signed_in(403, anonymous=LOGIN),
        api=False,
    ),
    Row(
        "frontend:production-sheet",
        "get",
        "/studio/production/jobs/999999/print-sheet.png",
        signed_in(403, anonymous=LOGIN),
        api=False,
    ),
    Row(
        "frontend:production-start",
        "post",
        "/studio/production/jobs/999999/start/",
        signed_in(403, anonymous=LOGIN),
        api=False,
    ),
    Row(
        "frontend:production-ship",
        "post",
        "/studio/production/jobs/999999/ship/",
        signed_in(403, anonymous=LOGIN),
        api=False,
    ),
    Row(
        "frontend:order-checkout",
        "post",
        f"/orders/{ORD}/checkout/",
        private(302, anonymous=LOGIN),
        api=False,
    ),
    Row(
        "frontend:order-output",
        "get",
        f"/orders/{Q}/lines/{L}/print.png",
        private(403, anonymous=LOGIN) | {"staff": 200},
        api=False,
    ),
    Row(
        "frontend:artist-studio",
        "get",
        "/studio/artist/",
        payee_only(200, anonymous=LOGIN) | {"designer": 403},
        owner="artist",
        api=False,
    ),
    Row(
        "frontend:artist-licence",
        "post",
        f"/studio/artist/styles/{S}/licence/",
        payee_only(404, anonymous=LOGIN) | {"designer": 403, "owner": 400},
        owner="artist",
        api=False,
    ),
    Row(
        "frontend:artist-approval",
        "post",
        "/studio/artist/approvals/999999/",
        payee_only(404, anonymous=LOGIN) | {"designer": 403},
        owner="artist",
        api=False,
    ),
    Row(
        "frontend:artist-listing",
        "post",
        f"/studio/artist/styles/{S}/listing/",
        payee_only(404, anonymous=LOGIN) | {"designer": 403, "owner": 200},  # withdrawing asks first,
        owner="artist",
        api=False,
    ),
    Row(
        "frontend:artist-payouts",
        "post",
        "/studio/artist/payouts/",
        payee_only(302, anonymous=LOGIN) | {"designer": 403},
        owner="artist",
        api=False,
    ),
    Row(
        "frontend:designer-studio",
        "get",
        "/studio/designer/",
        payee_only(200, anonymous=LOGIN) | {"artist": 403},
        owner="designer",
        api=False,
    ),
    Row(
        "frontend:designer-pattern",
        "get",
        f"/studio/designer/patterns/{P}/",
        payee_only(404, anonymous=LOGIN) | {"artist": 403, "owner": 200},
        owner="designer",
        api=False,
    ),
    Row(
        "frontend:designer-listing",
        "post",
        f"/studio/designer/patterns/{P}/listing/",
        payee_only(404, anonymous=LOGIN) | {"artist": 403, "owner": 302},
        owner="designer",
        api=False,
    ),
    Row("frontend:verify", "get", "/verify/", everyone(200), api=False),
    Row("frontend:licence", "get", f"/licences/{HS}/v1/", everyone(200), owner="artist", api=False),
    Row("frontend:signup", "get", "/accounts/signup/", everyone(200), api=False),
    Row("frontend:login", "get", "/accounts/login/", signed_in(302, anonymous=200), api=False),
    Row("frontend:logout", "post", "/accounts/logout/", everyone(302), api=False),
    Row("payments-local-page", "get", f"/payments/local/{PAY}/", private(200, anonymous=LOGIN), api=False),
    Row("admin:index", "get", "/admin/", signed_in(302, anonymous=302) | {"staff": 200}, api=False),
]


@pytest.fixture
def world(
    make_user: Callable[..., User],
    make_style: Callable[..., Style],
    make_pattern: Callable[..., BasePattern],
    settings: Any,
) -> dict[str, Any]:
    settings.DEBUG = True  # the local test gateway
    people = {
        "buyer": make_user("buyer"),
        "artist": make_user("artist"),
        "designer": make_user("designer"),
        "verifier": make_user("verifier"),
    }
    staff = make_user("buyer")
    staff.is_staff = staff.is_superuser = True
    staff.save(update_fields=["is_staff", "is_superuser"])
    people["staff"] = staff
    owners = {"buyer": make_user("buyer"), "artist": make_user("artist"), "designer": make_user("designer")}
    style = make_style(owners["artist"])
    hidden = make_style(owners["artist"])
    Style.objects.filter(pk=hidden.pk).update(active=False)
    pattern = make_pattern(owners["designer"])
    sizes = create_products()
    personalization = Personalization.objects.create(
        buyer=owners["buyer"], base_pattern=pattern, style=style, status=JobStatus.DONE, progress=100
    )
    personalization.preview.save("p.png", ContentFile(image_bytes()), save=False)
    personalization.instant_preview.save("i.png", ContentFile(image_bytes()), save=False)
    personalization.save()

    def order() -> Order:
        line = OrderLineRequest(personalization=personalization, product_size=sizes["swatch"], quantity=1)
        return order_create(buyer=owners["buyer"], lines=[line])

    draft, paid, paying = order(), order(), order()
    Order.objects.filter(pk=paid.pk).update(status=OrderStatus.PROOF_READY)
    line = OrderLine.objects.get(order=paid)
    line.print_png.save("print.png", ContentFile(image_bytes()), save=False)
    line.print_sheet.save("print-sheet.png", ContentFile(image_bytes()), save=False)
    line.stage = LineStage.PROOF_READY  # its proof is shown (the entitlement rule)
    line.save()
    payment = payment_checkout_start(order=paying, actor=owners["buyer"], shipping_address=SHIP_TO)
    ids = {
        "style": style.pk,
        "hidden_style": hidden.pk,
        "pattern": pattern.pk,
        "personalization": personalization.pk,
        "order": draft.pk,
        "paid": paid.pk,
        "line": line.pk,
        "payment": payment.pk,
        "record": "ab" * 32,
    }
    return {"people": people, "owners": owners, "ids": ids}


def _actor(world: dict[str, Any], actor: str, row: Row) -> User | None:
    if actor == "anonymous":
        return None
    if actor == "owner":
        return world["owners"][row.owner]
    return world["people"][actor]


def _body(row: Row, ids: dict[str, Any]) -> dict[str, Any]:
    import io

    # A body may name the world's ids too ({style}), as the URLs do.
    body = {key: value.format(**ids) if isinstance(value, str) else value for key, value in row.body.items()}
    if body.get("image") == "png":
        from tests.conftest import pattern_bytes

        upload = io.BytesIO(pattern_bytes("basic", 96))
        upload.name = "x.png"
        body["image"] = upload
    return body


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.method.upper()} {r.url}")
def test_permission_matrix(row: Row, actor: str, world: dict[str, Any]) -> None:
    user = _actor(world, actor, row)
    url = row.url.format(**world["ids"])
    client: Any = APIClient() if row.api else Client()
    if user is not None:
        if row.api:
            client.force_authenticate(user)
        else:
            client.force_login(user)
    body = _body(row, world["ids"])
    kwargs: dict[str, Any] = {}
    if row.api and row.method in ("post", "patch"):
        files_or_empty = not body or any(hasattr(v, "read") for v in body.values())
        kwargs["format"] = "multipart" if files_or_empty else "json"
    response = getattr(client, row.method)(url, body, **kwargs) if row.method != "get" else client.get(url)
    expected = row.status_for(actor)
    assert response.status_code == expected, f"{actor}: {row.method.upper()} {url} → {response.status_code}"


def _route_names(patterns: list[Any], namespace: str = "") -> set[str]:
    names: set[str] = set()
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= _route_names(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(f"{namespace}{entry.name}")
    return names


def test_every_route_is_in_the_matrix() -> None:
    routes = {name for name in _route_names(get_resolver().url_patterns) if not name.startswith("admin:")}
    assert {
        row.route for row in SHOP_ROWS if row.route.startswith(("production", "frontend:production"))
    } == {row.route for row in ROWS if row.route.startswith(("production", "frontend:production"))}, (
        "every production endpoint has a row in the print shops' matrix too"
    )
    covered = {row.route for row in ROWS}
    assert routes - covered == set(), "add these endpoints to the permission matrix"


def test_a_stranger_never_gets_a_private_file() -> None:
    private_routes = {
        "style-image",
        "pattern-image",
        "personalization-preview",
        "personalization-instant-preview",
        "personalization-mockup",
        "order-line-file",
        "frontend:order-output",
        "royalty-statement-csv",
        "order-line-proof",
        "order-line-proof-tile",
    }
    for row in ROWS:
        if row.route in private_routes:
            for actor in ACTORS:
                staff_may = actor == "staff" and row.route in (
                    "order-line-file",
                    "frontend:order-output",
                    "order-line-proof",
                    "order-line-proof-tile",
                )
                if (
                    actor != "owner"
                    and not staff_may
                    and not (
                        row.owner == "artist"
                        and actor in ("artist", "designer")
                        and row.route == "royalty-statement-csv"
                    )
                ):
                    assert row.status_for(actor) in (302, 401, 403, 404), (row.route, actor)


# --- the print shops' matrix: who holds the printer role ---------------------------------------------
# The printer role is granted (an approved PrintShop), never chosen. An applicant, a rejected shop and
# every other role get 403 from the production queue; an approved shop sees the released jobs, and a
# job started by another shop is missing for it (404). Applying again is 409 once decided.

SHOP_ACTORS = ("buyer", "staff", "applicant", "rejected", "shop", "other_shop")
JOB, STARTED, TOKEN = "{job}", "{started}", "{token}"


def shops_only(ok: int, *, other_shop: int | None = None) -> dict[str, int]:
    return dict.fromkeys(SHOP_ACTORS, 403) | {
        "shop": ok,
        "other_shop": ok if other_shop is None else other_shop,
    }


SHOP_ROWS = [
    Row("production-job-list", "get", "/api/v1/production/jobs/", shops_only(200)),
    Row("production-job-detail", "get", f"/api/v1/production/jobs/{JOB}/", shops_only(200)),
    Row(
        "production-job-detail", "get", f"/api/v1/production/jobs/{STARTED}/", shops_only(200, other_shop=404)
    ),
    # The print sheet goes to the shop that started the job: a released job's sheet is refused to every shop.
    Row("production-job-print-sheet", "get", f"/api/v1/production/jobs/{JOB}/print-sheet/", shops_only(403)),
    Row(
        "production-job-print-sheet",
        "get",
        f"/api/v1/production/jobs/{STARTED}/print-sheet/",
        shops_only(200, other_shop=404),
    ),
    # The CMYK print file, like the sheet, goes to the shop that started the job.
    Row("production-job-print-file", "get", f"/api/v1/production/jobs/{JOB}/print-file/", shops_only(403)),
    Row(
        "production-job-print-file",
        "get",
        f"/api/v1/production/jobs/{STARTED}/print-file/",
        shops_only(200, other_shop=404),
    ),
    Row("production-job-start", "post", f"/api/v1/production/jobs/{JOB}/start/", shops_only(200)),
    Row(
        "production-job-ship",
        "post",
        f"/api/v1/production/jobs/{STARTED}/ship/",
        shops_only(200, other_shop=404),
        body={"carrier": "UPS", "tracking_number": "1Z999AA10123456784"},
    ),
    Row("frontend:production", "get", "/studio/production/", shops_only(200), api=False),
    Row(
        "frontend:production-ticket",
        "get",
        f"/studio/production/jobs/{STARTED}/",
        shops_only(200, other_shop=404),
        api=False,
    ),
    Row(
        "frontend:production-sheet",
        "get",
        f"/studio/production/jobs/{JOB}/print-sheet.png",
        shops_only(403),
        api=False,
    ),
    Row(
        "frontend:production-sheet",
        "get",
        f"/studio/production/jobs/{STARTED}/print-sheet.png",
        shops_only(200, other_shop=404),
        api=False,
    ),
    Row(
        "frontend:production-start",
        "post",
        f"/studio/production/jobs/{JOB}/start/",
        shops_only(302),
        api=False,
    ),
    Row(
        "frontend:production-ship",
        "post",
        f"/studio/production/jobs/{STARTED}/ship/",
        shops_only(302, other_shop=404),
        api=False,
        body={"carrier": "UPS", "tracking_number": "1Z999AA10123456784"},
    ),
    # Applying: a first application or a pending one's new name; a decided shop cannot apply again.
    Row(
        "print-shop-apply",
        "post",
        "/api/v1/print-shops/apply/",
        dict.fromkeys(SHOP_ACTORS, 201) | {"rejected": 409, "shop": 409, "other_shop": 409},
        body={"name": "Again"},
    ),
    # A live invitation makes its first taker an approved shop; an approved shop has nothing to accept.
    Row(
        "print-shop-invitation-accept",
        "post",
        "/api/v1/print-shops/invitations/accept/",
        dict.fromkeys(SHOP_ACTORS, 200) | {"shop": 409, "other_shop": 409},
        body={"token": TOKEN},
    ),
    Row(
        "frontend:print-shop-apply", "get", "/print-shops/apply/", dict.fromkeys(SHOP_ACTORS, 200), api=False
    ),
    Row(
        "frontend:print-shop-invitation",
        "get",
        f"/print-shops/invitations/{TOKEN}/",
        dict.fromkeys(SHOP_ACTORS, 200),
        api=False,
    ),
]


@pytest.fixture
def shop_world(make_user: Callable[..., User], make_pattern: Callable[..., BasePattern]) -> dict[str, Any]:
    from marketplace.models import ProductionJob
    from marketplace.services.print_shops import (
        print_shop_apply,
        print_shop_invite_create,
        print_shop_invite_token,
        print_shop_reject,
    )

    people = {
        "buyer": make_user("buyer"),
        "staff": make_user("buyer"),
        "applicant": make_user("buyer"),
        "rejected": make_user("buyer"),
        "shop": make_user("printer"),
        "other_shop": make_user("printer"),
    }
    people["staff"].is_staff = True
    people["staff"].save(update_fields=["is_staff"])
    print_shop_apply(user=people["applicant"], name="Applicant Prints")
    print_shop_reject(
        shop=print_shop_apply(user=people["rejected"], name="Rejected Prints"), actor=people["staff"]
    )
    buyer, size = make_user("buyer"), create_products()["swatch"]
    personalization = Personalization.objects.create(
        buyer=buyer, base_pattern=make_pattern(), status=JobStatus.DONE, progress=100
    )

    def released(stage: str) -> ProductionJob:
        return released_job_make(
            buyer=buyer, personalization=personalization, size=size, stage=stage, sheet_side=64
        )

    job, started = released(LineStage.APPROVED), released(LineStage.IN_PRODUCTION)
    ProductionJob.objects.filter(pk=started.pk).update(printer=people["shop"], started_at=started.released_at)
    Order.objects.filter(pk=started.order_line.order_id).update(status=OrderStatus.IN_PRODUCTION)
    invitation = print_shop_invite_create(actor=people["staff"], shop_name="Invited Prints")
    ids = {"job": job.pk, "started": started.pk, "token": print_shop_invite_token(invitation=invitation)}
    return {"people": people, "ids": ids}


@pytest.mark.parametrize("row", SHOP_ROWS, ids=lambda r: f"{r.method.upper()} {r.url}")
def test_print_shop_matrix(row: Row, shop_world: dict[str, Any]) -> None:
    """Each actor's request runs in a savepoint that is rolled back, so all of them meet the same world
    (one world per row keeps this matrix cheap)."""
    from django.db import transaction

    url, body = row.url.format(**shop_world["ids"]), _body(row, shop_world["ids"])
    answers = {}
    for actor in SHOP_ACTORS:
        user = User.objects.get(pk=shop_world["people"][actor].pk)
        client: Any = APIClient() if row.api else Client()
        if row.api:
            client.force_authenticate(user)
        else:
            client.force_login(user)
        kwargs: dict[str, Any] = {"format": "json"} if row.api and row.method == "post" else {}
        with transaction.atomic():
            response = (
                getattr(client, row.method)(url, body, **kwargs) if row.method != "get" else client.get(url)
            )
            transaction.set_rollback(True)
        answers[actor] = response.status_code
    assert answers == {actor: row.status_for(actor) for actor in SHOP_ACTORS}
