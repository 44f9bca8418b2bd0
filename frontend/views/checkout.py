"""The cart, its shipping estimate, and checkout: an order is made from the cart (or an unpaid order
is paid again) and the buyer is sent to the payments app's checkout page."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from frontend import cart as cart_store
from frontend.forms import BuyerCountryForm, CartAddForm
from frontend.views.orders import own_order
from marketplace import selectors
from marketplace.errors import Conflict, NotAllowed
from marketplace.forms import ShippingAddressForm
from marketplace.models import Order
from marketplace.payments.gateways import GatewayUnavailable
from marketplace.payments.services import payment_checkout_start
from marketplace.services.approvals import artist_approval_days
from marketplace.services.orders import OrderLineRequest, order_create, order_line_check
from marketplace.services.personalizations import personalization_allowed_uses
from marketplace.services.shipping import shipping_quote
from marketplace.services.swatch_credits import swatch_credit_preview


def _cart_shipping(lines: list[Any], country: str) -> dict[str, Any]:
    """The cart's shipping quote to `country`: the same pricing the checkout charges."""
    physical = any(line.size.product.is_physical for line in lines)
    goods = sum((line.total for line in lines), Decimal("0"))
    if not physical:
        return {"physical": False, "amount": Decimal("0"), "total": goods, "error": ""}
    try:
        quote = shipping_quote(items=[(line.size, line.quantity) for line in lines], country=country or None)
    except ValidationError as exc:
        return {"physical": True, "amount": None, "total": None, "error": " ".join(exc.messages)}
    return {
        "physical": True,
        "amount": quote.amount,
        "total": goods + quote.amount,
        "error": "",
        "zone": quote.zone,
        "by_letter": quote.by_letter,
    }


def _needs_artist_approval(line: Any) -> bool:
    style = line.personalization.style
    return style is not None and style.licence is not None and style.licence.requires_approval


def _cart_page(
    request: HttpRequest,
    lines: list[Any],
    *,
    country: str,
    address_form: ShippingAddressForm,
    country_form: BuyerCountryForm,
    status: int = 200,
) -> HttpResponse:
    shipping = _cart_shipping(lines, country)
    swatch_credit = swatch_credit_preview(
        buyer=request.user,  # type: ignore[arg-type]
        lines=[(line.personalization.pk, line.size, line.total) for line in lines],
    )
    if shipping["total"] is not None:
        shipping["total"] -= swatch_credit
    context = {
        "lines": [(line, _needs_artist_approval(line)) for line in lines],
        "goods": sum((line.total for line in lines), Decimal("0")),
        "swatch_credit": swatch_credit,
        "shipping": shipping,
        "country": country,
        "address_form": address_form,
        "country_form": country_form,
        "approval_days": artist_approval_days(),
    }
    return render(request, "frontend/cart.html", context, status=status)


@login_required
def cart(request: HttpRequest) -> HttpResponse:
    lines = cart_store.cart_lines(request, buyer=request.user)  # type: ignore[arg-type]
    last = selectors.order_list(buyer=request.user).exclude(shipping_address=None).first()  # type: ignore[arg-type]
    initial = dict(last.shipping_address) if last and last.shipping_address else {}
    country = str(request.GET.get("country") or initial.get("country") or "US").upper()[:2]
    if country != initial.get("country"):
        initial.pop("state", None)  # a region of the last address's country
    return _cart_page(
        request,
        lines,
        country=country,
        address_form=ShippingAddressForm(prefix="ship", initial={**initial, "country": country}),
        country_form=BuyerCountryForm(prefix="buyer", initial={"country": initial.get("country", "")}),
    )


@require_POST
@login_required
def cart_add(request: HttpRequest) -> HttpResponse:
    form = CartAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a product, a size and a quantity.")
        return redirect("frontend:configure")
    job = get_object_or_404(
        selectors.personalization_list(buyer=request.user),  # type: ignore[arg-type]
        pk=form.cleaned_data["personalization"],
    )
    size = cart_store.sizes_by_id().get(form.cleaned_data["size"])
    if size is None:
        raise Http404("No such product size.")
    if size.product.use not in personalization_allowed_uses(job):
        messages.error(
            request,
            f"This style's licence does not allow {size.product.use} use, which {size.product.name} needs.",
        )
        return redirect(f"{reverse('frontend:configure')}?{urlencode({'job': job.pk})}")
    try:  # a withdrawn style, or a licence term (substrate, term, ceiling), refuses the line here already
        order_line_check(
            buyer=job.buyer, line=OrderLineRequest(personalization=job, product_size=size, quantity=1)
        )
    except (ValidationError, Conflict) as exc:
        reasons = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        messages.error(request, " ".join(r.removeprefix("Line 1: ") for r in reasons))
        return redirect(f"{reverse('frontend:configure')}?{urlencode({'job': job.pk})}")
    cart_store.cart_add(
        request, personalization_id=job.pk, size_id=size.pk, quantity=form.cleaned_data["quantity"]
    )
    messages.success(request, f"Added {size} to your cart.")
    return redirect("frontend:cart")


@require_POST
@login_required
def cart_remove(request: HttpRequest, index: int) -> HttpResponse:
    cart_store.cart_remove(request, index=index)
    return redirect("frontend:cart")


def _destination_from(
    request: HttpRequest, *, physical: bool
) -> tuple[dict[str, str] | None, str | None, Any]:
    """The ship-to address (or, for digital files, the buyer's country) posted with a checkout, and
    the bound form to show again when it is incomplete."""
    if physical:
        form = ShippingAddressForm(request.POST, prefix="ship")
        return (form.cleaned_data if form.is_valid() else None), None, form
    country_form = BuyerCountryForm(request.POST, prefix="buyer")
    country = country_form.cleaned_data.get("country") if country_form.is_valid() else None
    return None, country or None, country_form


def _redirect_to_payment(
    request: HttpRequest,
    order: Order,
    *,
    shipping_address: dict[str, str] | None = None,
    country: str | None = None,
) -> HttpResponseRedirect:
    """Sends the buyer to the gateway's checkout page (Stripe Checkout or the local test gateway)
    that the payments service opens, else to the order page with the reason."""
    order_page = reverse("frontend:order", args=[order.pk])
    try:
        payment = payment_checkout_start(
            order=order,
            actor=request.user,  # type: ignore[arg-type]
            shipping_address=shipping_address,
            country=country,
        )
    except (ValidationError, Conflict, NotAllowed, GatewayUnavailable) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))
        return HttpResponseRedirect(order_page)
    url = payment.checkout_url or ""
    if not url:
        return HttpResponseRedirect(order_page)
    # Gateways build absolute links from SITE_URL; a link to this site keeps the buyer on this host.
    target = urlsplit(url)
    if target.netloc in (urlsplit(settings.SITE_URL).netloc, request.get_host()):
        url = target.path + (f"?{target.query}" if target.query else "")
    return HttpResponseRedirect(url)


def _quoted(request: HttpRequest) -> Decimal | None:
    """The shipping the cart page showed (a hidden field), or None when it is not an amount."""
    try:
        amount = Decimal(request.POST.get("quoted_shipping", ""))
    except ArithmeticError:
        return None
    return amount if amount.is_finite() else None


@require_POST
@login_required
def cart_checkout(request: HttpRequest) -> HttpResponse:
    lines = cart_store.cart_lines(request, buyer=request.user)  # type: ignore[arg-type]
    if not lines:
        messages.error(request, "Your cart is empty.")
        return redirect("frontend:cart")
    physical = any(line.size.product.is_physical for line in lines)
    address, country, form = _destination_from(request, physical=physical)
    if physical:
        # The page again, with what was typed and each wrong field marked; or, where the address's
        # country ships at another price than the page showed, the new quote to confirm. Either way
        # the buyer pays exactly the shipping they last saw.
        posted_country = str(form.data.get("ship-country", "")).upper()[:2]
        page = partial(
            _cart_page,
            request,
            lines,
            address_form=form,
            country_form=BuyerCountryForm(prefix="buyer"),
        )
        if address is None:
            messages.error(request, "Check the address your prints ship to: the marked fields need a change.")
            return page(country=posted_country or "US", status=400)
        quote = _cart_shipping(lines, address["country"])
        if quote["amount"] is None or quote["amount"] != _quoted(request):
            shown = quote["amount"] if quote["amount"] is not None else "not possible"
            messages.error(
                request,
                f"Shipping to {address['country']} is {shown}, not what this page showed: check the total "
                "and check out again.",
            )
            return page(country=address["country"], status=409)
    try:
        order = order_create(
            buyer=request.user,  # type: ignore[arg-type]
            lines=[
                OrderLineRequest(
                    personalization=line.personalization, product_size=line.size, quantity=line.quantity
                )
                for line in lines
            ],
        )
    except (ValidationError, Conflict) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("frontend:cart")
    cart_store.cart_clear(request)
    return _redirect_to_payment(request, order, shipping_address=address, country=country)


@require_POST
@login_required
def order_checkout_again(request: HttpRequest, pk: int) -> HttpResponse:
    order = own_order(request, pk)
    physical = any(line.product_size.product.is_physical for line in order.lines.all())
    address, country, _form = _destination_from(request, physical=physical)
    return _redirect_to_payment(
        request,
        order,
        shipping_address=address or order.shipping_address,
        country=country or order.country or None,
    )
