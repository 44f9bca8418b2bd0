"""The printer role is granted, never chosen: a print shop applies and staff approve it (in the admin),
or staff invite it with a signed, single-use link. Only an approved shop sees the production queue,
and a shop sees a ship-to address only for the jobs it has started."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone

from marketplace.errors import NotAllowed
from marketplace.models import (
    LineStage,
    PrintShop,
    PrintShopInvitation,
    PrintShopStatus,
    User,
)
from marketplace.services.print_shops import (
    print_shop_apply,
    print_shop_approve,
    print_shop_invite_create,
    print_shop_invite_token,
    print_shop_reject,
)
from tests.conftest import PASSWORD, SHIP_TO
from tests.factories import finished_personalization_make, released_job_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(make_user: Any) -> User:
    user = make_user("buyer")
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user


# --- sign-up offers no printer role ----------------------------------------------------------------


def test_registering_as_a_printer_is_refused_and_names_the_roles_field(client_for: Any) -> None:
    body = {"username": "mallory", "password": PASSWORD, "email": "m@example.com", "roles": ["printer"]}
    response = client_for(None).post("/api/v1/auth/register/", body, format="json")
    assert response.status_code == 400
    assert "roles" in response.json() and "print" in json.dumps(response.json()["roles"])
    mixed = client_for(None).post(
        "/api/v1/auth/register/", {**body, "roles": ["buyer", "printer"]}, format="json"
    )
    assert mixed.status_code == 400 and "roles" in mixed.json()
    assert not User.objects.filter(username__iexact="mallory").exists()


def test_the_signup_page_offers_no_printer_role(client: Any) -> None:
    page = client.get("/accounts/signup/").content.decode()
    assert 'value="printer"' not in page
    assert 'value="buyer"' in page and 'value="artist"' in page and 'value="designer"' in page
    assert "/print-shops/apply/" in page  # where a print shop goes instead
    posted = client.post(
        "/accounts/signup/",
        {"username": "mallory", "email": "m@example.com", "password": PASSWORD, "roles": ["printer"]},
    )
    assert posted.status_code == 200 and not User.objects.filter(username__iexact="mallory").exists()


# --- an applicant is not a print shop ---------------------------------------------------------------


def test_an_unapproved_applicant_sees_no_jobs(
    make_user: Any, client_for: Any, client: Any, buyer: Any, pattern: Any, style: Any, products: Any
) -> None:
    job = released_job_make(
        buyer=buyer,
        personalization=finished_personalization_make(buyer=buyer, pattern=pattern, style=style),
        size=products["swatch"],
    )
    mallory = make_user("buyer")
    api = client_for(mallory)
    applied = api.post("/api/v1/print-shops/apply/", {"name": "Mallory Prints"}, format="json")
    assert applied.status_code == 201 and applied.json()["status"] == "pending"
    assert PrintShop.objects.get(user=mallory).status == PrintShopStatus.PENDING

    mallory = User.objects.get(pk=mallory.pk)
    assert not mallory.has_role("printer") and "printer" not in api.get("/api/v1/auth/me/").json()["roles"]
    assert api.get("/api/v1/production/jobs/").status_code == 403
    assert api.get(f"/api/v1/production/jobs/{job.pk}/").status_code == 403
    assert api.get(f"/api/v1/production/jobs/{job.pk}/print-sheet/").status_code == 403
    assert api.post(f"/api/v1/production/jobs/{job.pk}/start/").status_code == 403
    client.force_login(mallory)
    assert client.get("/studio/production/").status_code == 403
    assert client.get(f"/studio/production/jobs/{job.pk}/").status_code == 403
    assert client.post(f"/studio/production/jobs/{job.pk}/start/").status_code == 403
    job.order_line.refresh_from_db()
    assert job.order_line.stage == LineStage.APPROVED  # still waiting for a real shop


def test_a_rejected_shop_loses_the_queue_and_cannot_reapply(
    make_user: Any, staff: User, client_for: Any
) -> None:
    shop = print_shop_apply(user=make_user("buyer"), name="Once Good")
    print_shop_approve(shop=shop, actor=staff)
    assert client_for(User.objects.get(pk=shop.user_id)).get("/api/v1/production/jobs/").status_code == 200
    print_shop_reject(shop=shop, actor=staff)
    user = User.objects.get(pk=shop.user_id)
    assert not user.has_role("printer")
    assert client_for(user).get("/api/v1/production/jobs/").status_code == 403
    again = client_for(user).post("/api/v1/print-shops/apply/", {"name": "Once Good"}, format="json")
    assert again.status_code == 409


def test_only_staff_approve_a_print_shop(make_user: Any) -> None:
    shop = print_shop_apply(user=make_user("buyer"), name="Self Approved")
    with pytest.raises(NotAllowed):
        print_shop_approve(shop=shop, actor=User.objects.get(pk=shop.user_id))
    with pytest.raises(NotAllowed):
        print_shop_approve(shop=shop, actor=make_user("printer"))  # an approved shop is not staff
    assert PrintShop.objects.get(pk=shop.pk).status == PrintShopStatus.PENDING


def test_applying_needs_a_shop_name(make_user: Any, client_for: Any) -> None:
    api = client_for(make_user("buyer"))
    assert api.post("/api/v1/print-shops/apply/", {}, format="json").status_code == 400
    blank = api.post("/api/v1/print-shops/apply/", {"name": "   "}, format="json")
    assert blank.status_code == 400 and "name" in blank.json()
    assert (
        client_for(None).post("/api/v1/print-shops/apply/", {"name": "X"}, format="json").status_code == 401
    )


# --- the ship-to is for the shop that started the job ---------------------------------------------


def test_an_approved_shop_sees_the_address_only_for_jobs_it_started(
    make_user: Any, client_for: Any, client: Any, buyer: Any, pattern: Any, style: Any, products: Any
) -> None:
    mine = released_job_make(
        buyer=buyer,
        personalization=finished_personalization_make(buyer=buyer, pattern=pattern, style=style),
        size=products["swatch"],
    )
    waiting = released_job_make(
        buyer=buyer,
        personalization=finished_personalization_make(buyer=buyer, pattern=pattern, style=style),
        size=products["swatch"],
    )
    shop = make_user("printer")
    api = client_for(shop)
    queue = {job["id"]: job for job in api.get("/api/v1/production/jobs/").json()["results"]}
    assert set(queue) == {mine.pk, waiting.pk}
    assert all(job["ship_to"] is None for job in queue.values())
    assert all(job["ship_to_country"] == "US" for job in queue.values())  # enough to choose a job
    assert SHIP_TO["line1"] not in json.dumps(queue) and SHIP_TO["city"] not in json.dumps(queue)
    assert api.get(f"/api/v1/production/jobs/{mine.pk}/").json()["ship_to"] is None

    started = api.post(f"/api/v1/production/jobs/{mine.pk}/start/")
    assert started.status_code == 200 and started.json()["ship_to"] == SHIP_TO
    queue = {job["id"]: job for job in api.get("/api/v1/production/jobs/").json()["results"]}
    assert queue[mine.pk]["ship_to"] == SHIP_TO and queue[waiting.pk]["ship_to"] is None

    client.force_login(shop)
    assert SHIP_TO["line1"] in client.get(f"/studio/production/jobs/{mine.pk}/").content.decode()
    unstarted = client.get(f"/studio/production/jobs/{waiting.pk}/").content.decode()
    assert SHIP_TO["line1"] not in unstarted and SHIP_TO["name"] not in unstarted
    studio = client.get("/studio/production/").content.decode()
    assert studio.count(SHIP_TO["city"]) == 1  # the started job's row only


# --- the invitation link ----------------------------------------------------------------------------


def test_an_invitation_link_grants_the_printer_role_once(
    staff: User, make_user: Any, client: Any, client_for: Any
) -> None:
    invitation = print_shop_invite_create(actor=staff, shop_name="Pia's Prints", email="pia@example.com")
    token = print_shop_invite_token(invitation=invitation)
    invited = make_user("buyer")
    client.force_login(invited)
    link = f"/print-shops/invitations/{token}/"
    assert "Pia&#x27;s Prints" in client.get(link).content.decode()
    assert client.post(link).status_code == 302
    shop = PrintShop.objects.get(user=invited)
    assert (
        shop.status == PrintShopStatus.APPROVED and shop.decided_by == staff and shop.name == "Pia's Prints"
    )
    assert User.objects.get(pk=invited.pk).has_role("printer")
    assert client.get("/studio/production/").status_code == 200

    # The same link again, by anyone, grants nothing.
    mallory = make_user("buyer")
    reuse = client_for(mallory).post(
        "/api/v1/print-shops/invitations/accept/", {"token": token}, format="json"
    )
    assert reuse.status_code == 409
    assert not User.objects.get(pk=mallory.pk).has_role("printer")
    assert not PrintShop.objects.filter(user=mallory).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_by == invited


def test_an_expired_or_forged_invitation_grants_nothing(staff: User, make_user: Any, client_for: Any) -> None:
    invitation = print_shop_invite_create(actor=staff, shop_name="Late Prints")
    token = print_shop_invite_token(invitation=invitation)
    PrintShopInvitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - dt.timedelta(days=30), expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    api = client_for(make_user("buyer"))
    expired = api.post("/api/v1/print-shops/invitations/accept/", {"token": token}, format="json")
    assert expired.status_code == 400 and "token" in expired.json()
    forged = api.post("/api/v1/print-shops/invitations/accept/", {"token": token[:-2] + "xx"}, format="json")
    assert forged.status_code == 400 and "token" in forged.json()
    assert not PrintShop.objects.exists()


def test_only_staff_create_invitations(make_user: Any) -> None:
    with pytest.raises(NotAllowed):
        print_shop_invite_create(actor=make_user("printer"), shop_name="Friend of Mine")


# --- the admin ---------------------------------------------------------------------------------------


def test_approving_an_application_in_the_admin_grants_the_printer_role(
    make_user: Any, staff: User, client: Any, client_for: Any
) -> None:
    applicant = make_user("buyer")
    shop = print_shop_apply(user=applicant, name="Real Prints")
    client.force_login(staff)
    listing = client.get("/admin/marketplace/printshop/")
    assert listing.status_code == 200 and "Real Prints" in listing.content.decode()
    done = client.post(
        "/admin/marketplace/printshop/", {"action": "approve_print_shops", "_selected_action": [shop.pk]}
    )
    assert done.status_code == 302
    shop.refresh_from_db()
    assert (
        shop.status == PrintShopStatus.APPROVED and shop.decided_by == staff and shop.decided_at is not None
    )
    assert client_for(User.objects.get(pk=applicant.pk)).get("/api/v1/production/jobs/").status_code == 200


def test_staff_create_an_invitation_link_in_the_admin(staff: User, client: Any) -> None:
    client.force_login(staff)
    created = client.post(
        "/admin/marketplace/printshopinvitation/add/",
        {"shop_name": "Linked Prints", "email": "l@example.com"},
        follow=True,
    )
    assert created.status_code == 200
    invitation = PrintShopInvitation.objects.get()
    assert invitation.created_by == staff and invitation.expires_at > timezone.now()
    assert "/print-shops/invitations/" in created.content.decode()


def test_the_demo_print_shop_is_approved_and_sees_the_queue(client_for: Any) -> None:
    from marketplace.management.commands.seed_demo import Command

    people = Command()._people()
    pia = people["pia"]
    assert pia.has_role("printer") and PrintShop.objects.get(user=pia).status == PrintShopStatus.APPROVED
    assert client_for(pia).get("/api/v1/production/jobs/").status_code == 200
    assert Command()._people()["pia"].pk == pia.pk  # seeding again changes nothing
    assert not any(people[name].has_role("printer") for name in people if name != "pia")
