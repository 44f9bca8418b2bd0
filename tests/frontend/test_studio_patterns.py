"""The designer edits and withdraws patterns as an artist does styles; the studios show the truth:
the repeat check's edge warning, a refused upload keeping its values, a style's live-model training."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from marketplace import selectors
from marketplace.errors import NotAllowed
from marketplace.models import BasePattern, Order, Style, User
from marketplace.services.catalogue import PatternRepeat, pattern_create, pattern_update, pattern_withdraw
from marketplace.services.orders import OrderLineRequest, order_create
from marketplace.services.personalizations import personalization_create
from stylization.engine.patterns import pattern_plane
from stylization.models import StyleModel, StyleModelStatus
from stylization.selectors import style_model_config, style_model_identity
from stylization.services import encoder_identity
from tests.conftest import image_bytes


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_refused_upload_keeps_the_chosen_repeat_and_dpi(designer: User) -> None:
    response = logged_in(designer).post(
        "/studio/designer/",
        {
            "title": "Kept",
            "image": ContentFile(b"not an image", name="x.png"),
            "repeat_type": "half_drop",
            "dpi": "300",
            "royalty_percent": "6",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    # The radio and the Alpine state that drives it both start from the posted values, not Basic.
    assert "'half_drop', 300)" in page
    assert 'value="half_drop" x-model="repeat" x-on:change="redraw()" checked' in page
    assert 'value="basic" x-model="repeat" x-on:change="redraw()" checked' not in page
    assert 'value="Kept"' in page


def test_the_designer_edits_a_pattern(designer: User, pattern: BasePattern) -> None:
    client = logged_in(designer)
    assert client.get(f"/studio/designer/patterns/{pattern.pk}/").status_code == 200
    response = client.post(
        f"/studio/designer/patterns/{pattern.pk}/",
        {
            "title": "Renamed",
            "repeat_type": "half_drop",
            "dpi": "96",
            "royalty_percent": "8",
            "tags": "sea, waves",
            "description": "Now a half drop.",
        },
    )
    assert response.status_code == 302
    pattern.refresh_from_db()
    assert (pattern.title, pattern.repeat_type, pattern.dpi, pattern.royalty_percent) == (
        "Renamed",
        "half_drop",
        96,
        Decimal("8"),
    )
    assert set(pattern.tags.values_list("name", flat=True)) == {"sea", "waves"}


def test_a_bad_edit_is_a_400_that_keeps_the_values(designer: User, pattern: BasePattern) -> None:
    response = logged_in(designer).post(
        f"/studio/designer/patterns/{pattern.pk}/",
        {"title": "Still here", "repeat_type": "spiral", "dpi": "96", "royalty_percent": "8"},
    )
    assert response.status_code == 400
    assert 'value="Still here"' in response.content.decode()
    pattern.refresh_from_db()
    assert pattern.repeat_type == "basic"


def test_another_designer_cannot_edit_or_withdraw(make_user, pattern: BasePattern) -> None:
    other = logged_in(make_user("designer"))
    assert other.get(f"/studio/designer/patterns/{pattern.pk}/").status_code == 404
    assert other.post(f"/studio/designer/patterns/{pattern.pk}/listing/", {"active": "0"}).status_code == 404
    with pytest.raises(NotAllowed):
        pattern_update(pattern=pattern, actor=make_user("designer"), title="Mine now")


def test_a_withdrawn_pattern_leaves_the_catalogue_and_its_orders_stand(
    designer: User, buyer: User, pattern: BasePattern, style: Style, products
) -> None:
    personalization = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    order = order_create(buyer=buyer, lines=[OrderLineRequest(personalization, products["swatch"], 1)])
    status_before = order.status
    response = logged_in(designer).post(f"/studio/designer/patterns/{pattern.pk}/listing/", {"active": "0"})
    assert response.status_code == 302
    pattern.refresh_from_db()
    assert not pattern.active
    assert pattern not in selectors.pattern_list(filters=selectors.CatalogueFilters())
    assert f"/patterns/{pattern.pk}/" not in Client().get("/").content.decode()
    order.refresh_from_db()
    assert order.status == status_before and order.lines.count() == 1
    assert Order.objects.get(pk=order.pk).lines.get().personalization.base_pattern_id == pattern.pk
    # And it can be listed again.
    logged_in(designer).post(f"/studio/designer/patterns/{pattern.pk}/listing/", {"active": "1"})
    pattern.refresh_from_db()
    assert pattern.active


def test_pattern_withdraw_is_the_owner_s_alone(designer: User, make_user, pattern: BasePattern) -> None:
    with pytest.raises(NotAllowed):
        pattern_withdraw(pattern=pattern, actor=make_user("designer"))
    pattern_withdraw(pattern=pattern, actor=designer)
    pattern.refresh_from_db()
    assert not pattern.active


def _png(image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_the_repeat_check_warns_of_motifs_cut_at_the_edge(designer: User, pattern: BasePattern) -> None:
    client = logged_in(designer)
    seamless = client.get(f"/studio/designer/patterns/{pattern.pk}/").content.decode()
    assert 'data-testid="edge-cut-ok"' in seamless and "edge-cut-warning" not in seamless
    cropped = pattern_plane("basic", size=160, seed=41, kind="motifs", cols=2, rows=2).crop((0, 0, 128, 128))
    cut = pattern_create(
        designer=designer,
        title="Cut",
        image=_png(cropped),
        repeat=PatternRepeat(repeat_type="basic", dpi=72, royalty_percent=Decimal("5")),
    )
    page = client.get(f"/studio/designer/patterns/{cut.pk}/").content.decode()
    assert 'data-testid="edge-cut-warning"' in page and "cut by the tile" in page


def test_the_upload_message_warns_of_cut_motifs(designer: User) -> None:
    cropped = pattern_plane("basic", size=160, seed=41, kind="motifs", cols=2, rows=2).crop((0, 0, 128, 128))
    client = logged_in(designer)
    response = client.post(
        "/studio/designer/",
        {
            "title": "Cut upload",
            "image": ContentFile(_png(cropped), name="c.png"),
            "repeat_type": "basic",
            "dpi": "72",
            "royalty_percent": "5",
        },
        follow=True,
    )
    assert "cut by the tile" in response.content.decode()


@pytest.mark.parametrize(
    ("status", "progress", "expected"),
    [
        (StyleModelStatus.TRAINING, 40, "Training the live model: 40 %"),
        (StyleModelStatus.QUEUED, 0, "Live model queued for training."),
        (StyleModelStatus.READY, 100, "Live model ready"),
        (StyleModelStatus.FAILED, 10, "Live model training failed."),
    ],
)
def test_the_artist_sees_the_style_model_status(
    artist: User, style: Style, status, progress, expected
) -> None:
    encoder_name, encoder_sha = encoder_identity()
    config = style_model_config()
    StyleModel.objects.update_or_create(
        style=style,
        identity=style_model_identity(style=style, encoder_sha256=encoder_sha),
        defaults={
            "style_sha256": style.image_sha256,
            "encoder_name": encoder_name,
            "encoder_sha256": encoder_sha,
            "config": config.as_dict(),
            "config_sha256": config.sha256(),
            "status": status,
            "progress": progress,
        },
    )
    page = logged_in(artist).get("/studio/artist/").content.decode()
    assert expected in page
    assert f'data-status="{status}"' in page
    if status == StyleModelStatus.TRAINING:
        assert 'max="100" value="40"' in page


def test_an_image_upload_that_fails_is_not_half_stored(designer: User) -> None:
    # A refused upload stores nothing, so the form's values are all the designer has to retry with.
    before = BasePattern.objects.count()
    logged_in(designer).post(
        "/studio/designer/",
        {
            "title": "Tiny",
            "image": ContentFile(image_bytes(16, 16), name="t.png"),
            "repeat_type": "basic",
            "dpi": "72",
            "royalty_percent": "5",
        },
    )
    assert BasePattern.objects.count() == before
