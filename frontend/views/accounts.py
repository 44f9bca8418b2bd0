"""Sign-up, sign-in and sign-out. Sign-in shares the token endpoint's rate limits."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from frontend.forms import SignupForm, apply_service_errors
from marketplace.api.throttles import TOO_MANY, LoginRateThrottle, LoginUsernameRateThrottle, page_throttled
from marketplace.models import User
from marketplace.services.accounts import user_register


def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_register(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                email=form.cleaned_data["email"],
                roles=form.cleaned_data["roles"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to Motif, {user.username}.")
            return redirect(_safe_next(request) or _home_for(user))
    return render(request, "frontend/signup.html", {"form": form, "next": request.GET.get("next", "")})


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    ok = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if ok else ""


def _home_for(user: User) -> str:
    if user.is_artist:
        return reverse("frontend:artist-studio")
    if user.is_designer:
        return reverse("frontend:designer-studio")
    if user.is_printer:
        return reverse("frontend:production")
    return reverse("frontend:catalogue")


class LoginView(auth_views.LoginView):
    """Sign-in shares the token endpoint's limits (per address and per username): a 429 with the
    form and the reason once they are spent."""

    template_name = "frontend/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if page_throttled(request, LoginRateThrottle, LoginUsernameRateThrottle) is not None:
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, TOO_MANY)
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = 429
            return response
        return super().post(request, *args, **kwargs)


class LogoutView(auth_views.LogoutView):
    """POST only (Django's LogoutView refuses GET), so a link or a prefetch cannot log anyone out."""
