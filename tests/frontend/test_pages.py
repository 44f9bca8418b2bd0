"""The pages through Django's test client: who may see what, and what the forms do."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from marketplace.models import (
    QUANTITY_RANGE,
    STRENGTH_RANGE,
    STYLE_SCALE_RANGE,
    BasePattern,
    JobStatus,
    LineStage,
    Order,
    OrderStatus,
    Personalization,
    ProductSize,
    Style,
    User,
)
from marketplace.payments.services import payment_checkout_start, payment_local_confirm
from marketplace.services.catalogue import pattern_withdraw
from marketplace.services.orders import OrderLineRequest, order_create
from marketplace.services.personalizations import personalization_create
from tests.conftest import PASSWORD, SHIP_TO, image_bytes

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _local_gateway(settings: Any) -> None:
    # The local test gateway only exists while DEBUG is on, as in `make run`.
    settings.DEBUG = True


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def sold_order(buyer: User, pattern: BasePattern, style: Style, products: dict[str, ProductSize]) -> Order:
    """A paid, ready order whose line has its print files."""
    job = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    order = order_create(buyer=buyer, lines=[OrderLineRequest(job, products["swatch"], 1)])
    pay(order, buyer)
    line = order.lines.get()
    line.print_png.save("print.png", ContentFile(image_bytes(96, 96)), save=False)
    line.print_sheet.save("print-sheet.png", ContentFile(image_bytes(96, 96)), save=False)
    line.svg.save("print.svg", ContentFile(b"<svg xmlns='http://www.w3.org/2000/svg'/>"), save=False)
    line.stage = LineStage.PROOF_READY
    line.save()
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PROOF_READY)
    order.refresh_from_db()
    return order


def pay(order: Order, buyer: User) -> None:
    """What the local test gateway's "Pay" does: the order is paid and the royalty ledger written."""
    payment = payment_checkout_start(order=order, actor=buyer, shipping_address=SHIP_TO)
    payment_local_confirm(payment=payment, actor=buyer, outcome="succeeded")


# --- accounts ---------------------------------------------------------------------------------------


def test_signup_registers_with_roles_and_logs_in(client: Client) -> None:
    response = client.post(
        "/accounts/signup/",
        {"username": "ada", "email": "ada@example.com", "password": PASSWORD, "roles": ["artist", "buyer"]},
    )
    assert response.status_code == 302
    user = User.objects.get(username="ada")
    assert user.is_artist and user.is_buyer and not user.is_designer
    assert response["Location"] == "/studio/artist/"
    assert client.get("/cart/").status_code == 200  # logged in


def test_signup_shows_the_services_rules(client: Client, make_user: Callable[..., User]) -> None:
    make_user("buyer", username="taken")
    response = client.post(
        "/accounts/signup/",
        {"username": "taken", "email": "t@example.com", "password": PASSWORD, "roles": ["buyer"]},
    )
    assert response.status_code == 200
    assert "A user with that username already exists." in response.content.decode()
    response = client.post(
        "/accounts/signup/",
        {"username": "bob", "email": "b@example.com", "password": "short", "roles": ["buyer"]},
    )
    assert "too short" in response.content.decode()
    assert not User.objects.filter(username="bob").exists()


def test_login_and_post_only_logout(client: Client, buyer: User) -> None:
    page = client.get("/accounts/login/")
    assert b"Log in" in page.content and b"csrfmiddlewaretoken" in page.content
    response = client.post("/accounts/login/", {"username": buyer.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/accounts/logout/").status_code == 405  # a link cannot log anyone out
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/cart/").status_code == 302


def test_forms_refuse_posts_without_csrf_token(buyer: User) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post("/accounts/signup/", {"username": "x"}).status_code == 403
    client.force_login(buyer)
    assert client.post("/cart/checkout/").status_code == 403
    assert client.post("/verify/", {"sha256": "0" * 64}).status_code == 403


# --- catalogue --------------------------------------------------------------------------------------


def test_catalogue_lists_filters_and_lazy_loads_thumbnails(
    client: Client, make_pattern: Callable[..., BasePattern], style: Style
) -> None:
    make_pattern(title="Roses", repeat_type="half_drop", tags=("floral",))
    make_pattern(title="Stripes", repeat_type="basic", tags=("geometric",))
    page = client.get("/").content.decode()
    assert "Roses" in page and "Stripes" in page and "Test style" in page
    assert 'loading="lazy"' in page and "/thumbnail/" in page
    filtered = client.get("/", {"repeat_type": "half_drop"}).content.decode()
    assert "Roses" in filtered and "Stripes" not in filtered
    assert "Test style" not in filtered  # a repeat filter says nothing about styles
    assert "Stripes" in client.get("/", {"tag": "geometric"}).content.decode()
    assert "Roses" not in client.get("/", {"q": "stripe"}).content.decode()
    by_licence = client.get("/", {"licence_use": "commercial"}).content.decode()
    assert "Test style" in by_licence and "Roses" not in by_licence


def test_pattern_page_tiles_the_thumbnail_at_true_scale(
    client: Client, make_pattern: Callable[..., BasePattern]
) -> None:
    pattern = make_pattern(repeat_type="mirror", side=96)  # 96 px at 72 DPI: 1.333 in
    page = client.get(f"/patterns/{pattern.pk}/").content.decode()
    assert 'data-repeat="mirror"' in page
    assert 'data-tile-w="53.32"' in page  # 1.333 in × 40 CSS px per inch
    assert f"/api/v1/patterns/{pattern.pk}/thumbnail/" in page
    assert f"/api/v1/patterns/{pattern.pk}/image/" not in page  # never the original


def test_withdrawn_pattern_is_gone_for_everyone_but_its_designer(
    client: Client, pattern: BasePattern, designer: User
) -> None:
    pattern_withdraw(pattern=pattern, actor=designer)
    assert client.get(f"/patterns/{pattern.pk}/").status_code == 404
    assert logged_in(designer).get(f"/patterns/{pattern.pk}/").status_code == 200


# --- configurator -----------------------------------------------------------------------------------


def test_configurator_form_has_the_contract_labels(
    client: Client, pattern: BasePattern, style: Style
) -> None:
    page = client.get(f"/configure/?pattern={pattern.pk}&style={style.pk}").content.decode()
    for label in ("Style strength", "Style scale", "Preserve colours", "Seed"):
        assert f">{label}</label>" in page or f"> {label}</label>" in page, label
    assert f'<option value="{pattern.pk}" selected' in page
    assert re.search(rf'<option value="{style.pk}"( data-live="[01]")? selected', page)
    assert "Log in</a>" in page  # an anonymous visitor is asked to log in before previewing
    # The sliders' ends are the engine's ranges, through the limits context processor.
    assert (
        f'id="id_strength" min="{STRENGTH_RANGE[0]}" max="{STRENGTH_RANGE[1]}"' in page
        and f'id="id_style_scale" min="{STYLE_SCALE_RANGE[0]}" max="{STYLE_SCALE_RANGE[1]}"' in page
    )


def test_preview_needs_an_account(client: Client, pattern: BasePattern, style: Style) -> None:
    response = client.post("/configure/preview/", {"pattern": pattern.pk, "style": style.pk})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not Personalization.objects.exists()


def test_preview_creates_a_personalization_and_answers_a_polling_progress_bar(
    buyer: User, pattern: BasePattern, style: Style
) -> None:
    response = logged_in(buyer).post(
        "/configure/preview/",
        {
            "pattern": pattern.pk,
            "style": style.pk,
            "strength": "0.4",
            "style_scale": "2",
            "seed": "7",
            "preserve_colors": "on",
        },
        **HTMX,
    )
    job = Personalization.objects.get()
    assert (job.buyer, job.strength, job.style_scale, job.seed, job.preserve_colors) == (
        buyer,
        0.4,
        2.0,
        7,
        True,
    )
    page = response.content.decode()
    assert 'role="progressbar"' in page and 'aria-valuenow="0"' in page
    assert f'hx-get="/configure/jobs/{job.pk}/"' in page and 'hx-trigger="every 500ms"' in page


def test_preview_refuses_a_style_and_own_image_together(
    buyer: User, pattern: BasePattern, style: Style
) -> None:
    upload = ContentFile(image_bytes(96, 96), name="mine.png")
    response = logged_in(buyer).post(
        "/configure/preview/",
        {
            "pattern": pattern.pk,
            "style": style.pk,
            "style_image": upload,
            "strength": "0.5",
            "style_scale": "1",
            "seed": "0",
        },
        **HTMX,
    )
    assert "not both" in response.content.decode()
    assert not Personalization.objects.exists()


def test_finished_job_stops_polling_and_offers_the_product_picker(
    buyer: User, pattern: BasePattern, style: Style, products: dict[str, ProductSize]
) -> None:
    job = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    job.preview.save("preview.png", ContentFile(image_bytes(96, 96)), save=False)
    job.status, job.progress = JobStatus.DONE, 100
    job.save()
    page = logged_in(buyer).get(f"/configure/jobs/{job.pk}/").content.decode()
    assert 'aria-valuenow="100"' in page and "hx-trigger" not in page
    assert f"/api/v1/personalizations/{job.pk}/preview/" in page
    assert "Add to cart" in page and "licence version 1" in page
    assert f'id="id_quantity" min="{QUANTITY_RANGE[0]}" max="{QUANTITY_RANGE[1]}"' in page


def test_someone_elses_job_is_missing(
    make_user: Callable[..., User], pattern: BasePattern, style: Style
) -> None:
    owner, other = make_user("buyer"), make_user("buyer")
    job = personalization_create(buyer=owner, base_pattern=pattern, style=style)
    assert logged_in(other).get(f"/configure/jobs/{job.pk}/").status_code == 404
    assert logged_in(other).get(f"/api/v1/personalizations/{job.pk}/preview/").status_code == 404


# --- cart and checkout ------------------------------------------------------------------------------


def test_cart_refuses_a_product_the_licence_does_not_cover(
    buyer: User, pattern: BasePattern, make_style: Callable[..., Style], products: dict[str, ProductSize]
) -> None:
    personal_only = make_style(allowed_uses=("personal",))
    job = personalization_create(buyer=buyer, base_pattern=pattern, style=personal_only)
    client = logged_in(buyer)
    response = client.post(
        "/cart/add/",
        {"personalization": job.pk, "size": products["commercial"].pk, "quantity": 1},
        follow=True,
    )
    assert "does not allow commercial use" in response.content.decode()
    assert client.session.get("motif_cart") in (None, [])


def test_checkout_turns_the_cart_into_an_order_awaiting_payment(
    buyer: User, pattern: BasePattern, style: Style, products: dict[str, ProductSize]
) -> None:
    job = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    client = logged_in(buyer)
    client.post("/cart/add/", {"personalization": job.pk, "size": products["yard"].pk, "quantity": 2})
    cart = client.get("/cart/").content.decode()
    assert "48.00" in cart and "Checkout" in cart
    refused = client.post("/cart/checkout/")  # prints need a ship-to address
    assert refused.status_code == 400 and not Order.objects.exists()
    address = {f"ship-{name}": value for name, value in SHIP_TO.items()}
    address["ship-state"] = f"US:{SHIP_TO['state']}"  # the select's value names its country
    response = client.post("/cart/checkout/", {**address, "quoted_shipping": "7.00"})
    order = Order.objects.get()
    assert order.status == OrderStatus.AWAITING_PAYMENT
    # 2 yards of fabric to the US: 48.00 of goods and 4.00 + 2 × 1.50 of shipping.
    assert (
        order.total == Decimal("55.00")
        and order.shipping_amount == Decimal("7.00")
        and order.lines.get().quantity == 2
    )
    # The order page until payments provides a gateway; the gateway's page once it does.
    assert response.status_code == 302
    assert response["Location"] in (f"/orders/{order.pk}/",) or "/payments/" in response["Location"]
    assert not client.session.get("motif_cart")


def test_cart_only_shows_the_buyers_own_personalizations(
    make_user: Callable[..., User], pattern: BasePattern, style: Style, products: dict[str, ProductSize]
) -> None:
    owner, other = make_user("buyer"), make_user("buyer")
    job = personalization_create(buyer=owner, base_pattern=pattern, style=style)
    client = logged_in(other)
    assert (
        client.post(
            "/cart/add/", {"personalization": job.pk, "size": products["swatch"].pk, "quantity": 1}
        ).status_code
        == 404
    )
    assert client.post("/cart/checkout/").status_code == 302
    assert not Order.objects.exists()


# --- orders and their files -------------------------------------------------------------------------


def test_order_page_shows_timeline_and_the_proof_but_no_print_file_to_its_buyer(
    sold_order: Order, buyer: User
) -> None:
    client = logged_in(buyer)
    page = client.get(f"/orders/{sold_order.pk}/").content.decode()
    assert (
        "Paid" in page
        and "Rendering" in page
        and "Proof ready" in page
        and "In production" in page
        and "Fulfilled" in page
    )
    line = sold_order.lines.get()
    for name in ("print.png", "print-sheet.png", "print.svg"):
        url = f"/orders/{sold_order.pk}/lines/{line.pk}/{name}"
        assert url not in page
        assert client.get(url).status_code == 403
    proof = client.get(f"/api/v1/orders/{sold_order.pk}/lines/{line.pk}/proof/")
    assert f"/api/v1/orders/{sold_order.pk}/lines/{line.pk}/proof/" in page
    assert proof.status_code == 200 and proof["Cache-Control"] == "private, no-store"


def test_orders_and_outputs_are_refused_to_everyone_else(
    sold_order: Order, make_user: Callable[..., User], client: Client
) -> None:
    line = sold_order.lines.get()
    urls = [f"/orders/{sold_order.pk}/"] + [
        f"/orders/{sold_order.pk}/lines/{line.pk}/{name}"
        for name in ("print.png", "print-sheet.png", "print.svg")
    ]
    stranger = logged_in(make_user("buyer"))
    for url in urls:
        anonymous = client.get(url)
        assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
        assert stranger.get(url).status_code == 404


def test_outputs_are_refused_once_the_order_is_refunded(
    sold_order: Order, buyer: User, make_user: Any
) -> None:
    line = sold_order.lines.get()
    url = f"/orders/{sold_order.pk}/lines/{line.pk}/print.png"
    assert logged_in(buyer).get(url).status_code == 403  # a print's buyer views its proof
    Order.objects.filter(pk=sold_order.pk).update(status=OrderStatus.REFUNDED)
    refused = logged_in(buyer).get(url)
    assert refused.status_code == 410 and b"refunded" in refused.content
    assert logged_in(make_user("buyer")).get(url).status_code == 404  # a stranger learns nothing


# --- studios ----------------------------------------------------------------------------------------


def test_studios_require_their_roles(buyer: User, artist: User, designer: User, client: Client) -> None:
    assert client.get("/studio/artist/").status_code == 302
    assert logged_in(buyer).get("/studio/artist/").status_code == 403
    assert logged_in(buyer).get("/studio/designer/").status_code == 403
    assert logged_in(artist).get("/studio/artist/").status_code == 200
    assert logged_in(designer).get("/studio/designer/").status_code == 200
    assert logged_in(designer).get("/studio/artist/").status_code == 403


def style_post(**extra: Any) -> dict[str, Any]:
    return {
        "title": "Night sea",
        "image": ContentFile(image_bytes(128, 96, fmt="JPEG"), name="sea.jpg"),
        "tags": "blue, sea",
        "allowed_uses": ["personal", "commercial"],
        "fee_per_use": "1.50",
        "royalty_percent": "12",
        **extra,
    }


def test_artist_uploads_a_style_with_commercial_terms(artist: User) -> None:
    response = logged_in(artist).post("/studio/artist/", style_post())
    assert response.status_code == 302
    style = Style.objects.get(artist=artist)
    assert style.licence is not None
    assert (style.licence.version, style.licence.commercial_use, style.licence.fee_per_use) == (
        1,
        True,
        Decimal("1.50"),
    )
    assert sorted(t.name for t in style.tags.all()) == ["blue", "sea"]


def test_artist_upload_shows_the_upload_rules(artist: User) -> None:
    tiny = ContentFile(image_bytes(32, 32), name="tiny.png")
    response = logged_in(artist).post("/studio/artist/", style_post(image=tiny))
    assert response.status_code == 200 and "each side must be at least" in response.content.decode()
    assert not Style.objects.exists()


def test_changing_licence_terms_makes_a_new_version(artist: User, style: Style) -> None:
    prefix = f"licence-{style.pk}"
    response = logged_in(artist).post(
        f"/studio/artist/styles/{style.pk}/licence/",
        {
            f"{prefix}-allowed_uses": ["personal"],
            f"{prefix}-fee_per_use": "3",
            f"{prefix}-royalty_percent": "5",
        },
    )
    assert response.status_code == 302
    style.refresh_from_db()
    assert style.licence is not None and style.licence.version == 2 and not style.licence.commercial_use
    assert style.licence_versions.count() == 2


def test_artist_cannot_change_someone_elses_licence(make_user: Callable[..., User], style: Style) -> None:
    other = make_user("artist")
    prefix = f"licence-{style.pk}"
    response = logged_in(other).post(
        f"/studio/artist/styles/{style.pk}/licence/",
        {
            f"{prefix}-allowed_uses": ["personal"],
            f"{prefix}-fee_per_use": "0",
            f"{prefix}-royalty_percent": "0",
        },
    )
    assert response.status_code == 404
    style.refresh_from_db()
    assert style.licence is not None and style.licence.version == 1


def test_artist_studio_shows_uses_and_earnings_after_a_sale(sold_order: Order, artist: User) -> None:
    page = logged_in(artist).get("/studio/artist/").content.decode()
    # Fee 2.00 plus 10 % of the 5.00 swatch.
    assert 'data-testid="uses">1<' in page and 'data-testid="earned">2.50<' in page
    assert "<svg" in page and "chart-line" in page


def test_designer_publishes_a_pattern_and_sees_sales(designer: User, sold_order: Order) -> None:
    client = logged_in(designer)
    response = client.post(
        "/studio/designer/",
        {
            "title": "Waves",
            "image": ContentFile(image_bytes(144, 72), name="w.png"),
            "repeat_type": "half_brick",
            "dpi": "72",
            "royalty_percent": "7.5",
            "tags": "sea",
        },
    )
    assert response.status_code == 302
    waves = BasePattern.objects.get(title="Waves")
    assert (waves.repeat_type, waves.repeat_width_in, waves.royalty_percent) == (
        "half_brick",
        Decimal("2.000"),
        Decimal("7.5"),
    )
    page = client.get("/studio/designer/").content.decode()
    assert 'data-testid="sales-count">1<' in page


def test_designer_upload_refuses_an_unknown_repeat(designer: User) -> None:
    response = logged_in(designer).post(
        "/studio/designer/",
        {
            "title": "X",
            "image": ContentFile(image_bytes(96, 96), name="x.png"),
            "repeat_type": "spiral",
            "dpi": "72",
            "royalty_percent": "5",
        },
    )
    assert response.status_code == 400
    assert not BasePattern.objects.filter(title="X").exists()


# --- verification -----------------------------------------------------------------------------------


def test_verify_page_is_public_and_has_the_contract_controls(client: Client) -> None:
    page = client.get("/verify/").content.decode()
    assert '<label for="id_file">File</label>' in page and ">Verify</button>" in page


def test_verify_asks_for_a_file_or_a_hash(client: Client) -> None:
    page = client.post("/verify/", {"sha256": "not-a-hash"}).content.decode()
    assert "64 hexadecimal characters" in page


def test_verify_renders_the_verdict_and_the_attribution_chain(
    client: Client, monkeypatch: pytest.MonkeyPatch, artist: User, designer: User
) -> None:
    seen: dict[str, Any] = {}

    def fake(*, data: bytes | None, sha256: str | None) -> dict[str, Any]:
        seen.update(data=data, sha256=sha256)
        return {
            "verdict": "verified",
            "found_by": "sha256",
            "reasons": [],
            "record_id": "ab" * 32,
            "attribution": {
                "base_pattern": {
                    "title": "Leaves",
                    "repeat_type": "half_drop",
                    "sha256": "1" * 64,
                    "designer": {"username": designer.username, "public_id": str(designer.public_id)},
                },
                "style": {
                    "title": "Harbour",
                    "sha256": "2" * 64,
                    "artist": {"username": artist.username, "public_id": str(artist.public_id)},
                },
            },
            "chain": {"status": "confirmed", "tx_hash": "0x" + "9" * 64, "block_number": 7},
        }

    monkeypatch.setattr("frontend.views.verify.verify_submission", fake)
    page = client.post("/verify/", {"sha256": "AB" * 32}).content.decode()
    assert seen == {"data": None, "sha256": "ab" * 32}
    assert 'data-verdict="verified"' in page
    assert (
        f'data-role="artist">{artist.username}<' in page
        and f'data-role="designer">{designer.username}<' in page
    )
    assert "0x" + "9" * 64 in page


def test_verify_explains_a_file_it_cannot_check(client: Client) -> None:
    page = client.post("/verify/", {"file": ContentFile(b"not an image", name="note.txt")}).content.decode()
    assert "neither one of Motif" in page and "data-verdict" not in page
