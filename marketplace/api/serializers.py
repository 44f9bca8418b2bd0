"""Input serializers validate shape only; the rules live in the services. Output serializers never
expose a full-resolution file to someone not entitled to it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace.models import (
    BasePattern,
    LicenceUse,
    LicenceVersion,
    Order,
    OrderLine,
    Personalization,
    Product,
    ProductSize,
    RepeatType,
    Role,
    Style,
)


class StrictInput(serializers.Serializer):
    """Refuses fields it does not know, so a typo is an error instead of a silently ignored value."""

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "keys"):
            unknown = sorted(set(data.keys()) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class TagListField(serializers.ListField):
    """Tags as a JSON list, repeated form fields, or one comma-separated string."""

    child = serializers.CharField(max_length=40)

    def get_value(self, dictionary: Any) -> Any:
        value = super().get_value(dictionary)
        if isinstance(value, list) and len(value) == 1 and "," in value[0]:
            return [part.strip() for part in value[0].split(",") if part.strip()]
        return value

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            data = [part.strip() for part in data.split(",") if part.strip()]
        return super().to_internal_value(data)


def _abs(request: Any, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


# --- accounts ---------------------------------------------------------------------------------------


class RegisterInput(StrictInput):
    username = serializers.RegexField(r"^[\w.@+-]{3,150}$")
    password = serializers.CharField(write_only=True, max_length=128)
    email = serializers.EmailField()
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.values), min_length=1)


class TokenInput(StrictInput):
    username = serializers.CharField()
    password = serializers.CharField(max_length=128)


class UserOut(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()
    public_id = serializers.UUIDField()
    roles = serializers.ListField(child=serializers.CharField())


class PersonOut(serializers.Serializer):
    public_id = serializers.UUIDField()
    username = serializers.CharField()


# --- styles and licences ----------------------------------------------------------------------------


class LicenceTermsInput(StrictInput):
    allowed_uses = serializers.ListField(child=serializers.ChoiceField(choices=LicenceUse.values), min_length=1)
    fee_per_use = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"))
    royalty_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100")
    )
    max_uses = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    exclusive = serializers.BooleanField(required=False, default=False)
    currency = serializers.ChoiceField(choices=["USD"], required=False, default="USD")


class StyleCreateInput(LicenceTermsInput):
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    tags = TagListField(required=False, default=list)
    image = serializers.FileField()


class StyleUpdateInput(StrictInput):
    title = serializers.CharField(max_length=120, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    tags = TagListField(required=False)
    active = serializers.BooleanField(required=False)
    image = serializers.FileField(required=False)
    allowed_uses = serializers.ListField(
        child=serializers.ChoiceField(choices=LicenceUse.values), min_length=1, required=False
    )
    fee_per_use = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False
    )
    royalty_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100"), required=False
    )
    max_uses = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    exclusive = serializers.BooleanField(required=False)


class LicenceOut(serializers.ModelSerializer):
    allowed_uses = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = LicenceVersion
        fields = [
            "version",
            "allowed_uses",
            "fee_per_use",
            "currency",
            "royalty_percent",
            "max_uses",
            "exclusive",
            "terms_sha256",
            "created_at",
        ]


class StyleModelOut(serializers.Serializer):
    status = serializers.ChoiceField(choices=["queued", "training", "ready", "failed"])
    progress = serializers.IntegerField()
    trained_at = serializers.DateTimeField(allow_null=True)


class StyleOut(serializers.ModelSerializer):
    artist = PersonOut()
    tags = serializers.SerializerMethodField()
    licence = LicenceOut()
    thumbnail_url = serializers.SerializerMethodField()
    image_url = serializers.SerializerMethodField()
    editions_left = serializers.SerializerMethodField()
    model = serializers.SerializerMethodField()

    class Meta:
        model = Style
        fields = [
            "id",
            "title",
            "description",
            "tags",
            "artist",
            "licence",
            "thumbnail_url",
            "image_url",
            "image_sha256",
            "width_px",
            "height_px",
            "uses_taken",
            "editions_left",
            "active",
            "created_at",
            "model",
        ]

    def get_tags(self, style: Style) -> list[str]:
        return sorted(tag.name for tag in style.tags.all())

    @extend_schema_field(StyleModelOut(allow_null=True))
    def get_model(self, style: Style) -> dict[str, object] | None:
        """The feed-forward preview model of the style's current image: {status, progress, trained_at}."""
        from stylization.services import style_model_status  # the worker app depends on this one

        return style_model_status(style=style)

    def get_thumbnail_url(self, style: Style) -> str:
        return _abs(self.context.get("request"), reverse("style-thumbnail", args=[style.pk]))

    def get_image_url(self, style: Style) -> str | None:
        request = self.context.get("request")
        if request is None or request.user.pk != style.artist_id:
            return None
        return _abs(request, reverse("style-image", args=[style.pk]))

    def get_editions_left(self, style: Style) -> int | None:
        limit = style.licence.edition_limit if style.licence else None
        return None if limit is None else max(0, limit - style.uses_taken)


# --- base patterns ----------------------------------------------------------------------------------


class PatternCreateInput(StrictInput):
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    tags = TagListField(required=False, default=list)
    image = serializers.FileField()
    repeat_type = serializers.ChoiceField(choices=RepeatType.values, default=RepeatType.BASIC)
    repeat_width_in = serializers.DecimalField(
        max_digits=6, decimal_places=3, min_value=Decimal("0.1"), required=False, allow_null=True
    )
    repeat_height_in = serializers.DecimalField(
        max_digits=6, decimal_places=3, min_value=Decimal("0.1"), required=False, allow_null=True
    )
    dpi = serializers.IntegerField(min_value=72, max_value=600, default=150)
    royalty_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100"), default=Decimal("0")
    )


class PatternUpdateInput(StrictInput):
    title = serializers.CharField(max_length=120, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    tags = TagListField(required=False)
    active = serializers.BooleanField(required=False)
    image = serializers.FileField(required=False)
    repeat_type = serializers.ChoiceField(choices=RepeatType.values, required=False)
    repeat_width_in = serializers.DecimalField(
        max_digits=6, decimal_places=3, min_value=Decimal("0.1"), required=False
    )
    repeat_height_in = serializers.DecimalField(
        max_digits=6, decimal_places=3, min_value=Decimal("0.1"), required=False
    )
    dpi = serializers.IntegerField(min_value=72, max_value=600, required=False)
    royalty_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100"), required=False
    )


class PatternOut(serializers.ModelSerializer):
    designer = PersonOut()
    tags = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    image_url = serializers.SerializerMethodField()

    class Meta:
        model = BasePattern
        fields = [
            "id",
            "title",
            "description",
            "tags",
            "designer",
            "repeat_type",
            "repeat_width_in",
            "repeat_height_in",
            "dpi",
            "width_px",
            "height_px",
            "royalty_percent",
            "thumbnail_url",
            "image_url",
            "image_sha256",
            "active",
            "created_at",
        ]

    def get_tags(self, pattern: BasePattern) -> list[str]:
        return sorted(tag.name for tag in pattern.tags.all())

    def get_thumbnail_url(self, pattern: BasePattern) -> str:
        return _abs(self.context.get("request"), reverse("pattern-thumbnail", args=[pattern.pk]))

    def get_image_url(self, pattern: BasePattern) -> str | None:
        request = self.context.get("request")
        if request is None or request.user.pk != pattern.designer_id:
            return None
        return _abs(request, reverse("pattern-image", args=[pattern.pk]))


# --- products ---------------------------------------------------------------------------------------


class ProductSizeOut(serializers.ModelSerializer):
    class Meta:
        model = ProductSize
        fields = ["id", "slug", "name", "width_in", "height_in", "price", "currency"]


class ProductOut(serializers.ModelSerializer):
    sizes = ProductSizeOut(many=True)

    class Meta:
        model = Product
        fields = ["id", "slug", "name", "substrate", "use", "description", "sizes"]


# --- personalizations -------------------------------------------------------------------------------


class PersonalizationParamsInput(StrictInput):
    strength = serializers.FloatField(min_value=0.0, max_value=1.0, default=0.7)
    preserve_colors = serializers.BooleanField(default=False)
    style_scale = serializers.FloatField(min_value=0.25, max_value=4.0, default=1.0)
    seed = serializers.IntegerField(min_value=0, max_value=2**31 - 1, default=0)


class PersonalizationCreateInput(StrictInput):
    pattern = serializers.PrimaryKeyRelatedField(queryset=BasePattern.objects.all())
    # `style` shadows DRF's Field.style attribute; the name is the API's contract.
    style = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=Style.objects.all(), required=False, allow_null=True
    )
    style_image = serializers.FileField(required=False, allow_null=True)
    params = PersonalizationParamsInput(required=False)
    # The same parameters are also accepted flat, as an HTML form sends them.
    strength = serializers.FloatField(min_value=0.0, max_value=1.0, required=False)
    preserve_colors = serializers.BooleanField(required=False)
    style_scale = serializers.FloatField(min_value=0.25, max_value=4.0, required=False)
    seed = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        params = dict(attrs.pop("params", None) or PersonalizationParamsInput().to_internal_value({}))
        for name in ("strength", "preserve_colors", "style_scale", "seed"):
            if name in attrs:
                params[name] = attrs.pop(name)
        attrs["params"] = params
        if bool(attrs.get("style")) == bool(attrs.get("style_image")):
            raise serializers.ValidationError({"style": ["Give either a style or a style_image, not both."]})
        return attrs


class PersonalizationOut(serializers.ModelSerializer):
    pattern = serializers.IntegerField(source="base_pattern_id")
    style = serializers.IntegerField(source="style_id", allow_null=True)  # type: ignore[assignment]
    params = serializers.SerializerMethodField()
    preview_url = serializers.SerializerMethodField()
    instant_preview_url = serializers.SerializerMethodField()
    repeat_type = serializers.CharField(source="base_pattern.repeat_type")

    class Meta:
        model = Personalization
        fields = [
            "id",
            "pattern",
            "style",
            "uses_own_image",
            "params",
            "status",
            "progress",
            "error",
            "preview_url",
            "instant_preview_url",
            "repeat_type",
            "engine_info",
            "created_at",
            "finished_at",
        ]

    def get_params(self, personalization: Personalization) -> dict[str, object]:
        return personalization.params()

    def get_preview_url(self, personalization: Personalization) -> str | None:
        if not personalization.preview:
            return None
        url = reverse("personalization-preview", args=[personalization.pk])
        return _abs(self.context.get("request"), url)

    def get_instant_preview_url(self, personalization: Personalization) -> str | None:
        if not personalization.instant_preview:
            return None
        url = reverse("personalization-instant-preview", args=[personalization.pk])
        return _abs(self.context.get("request"), url)


# --- orders -----------------------------------------------------------------------------------------


class OrderLineInput(StrictInput):
    personalization = serializers.PrimaryKeyRelatedField(queryset=Personalization.objects.all())
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    size = serializers.CharField(max_length=50)
    quantity = serializers.IntegerField(min_value=1, max_value=1000)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        size_key = attrs.pop("size")
        product = attrs.pop("product")
        sizes = product.sizes.all()
        size = next((s for s in sizes if s.slug == size_key or str(s.pk) == size_key), None)
        if size is None:
            choices = ", ".join(s.slug for s in sizes)
            raise serializers.ValidationError({"size": [f"{product.name} comes in: {choices}."]})
        attrs["product_size"] = size
        return attrs


class OrderCreateInput(StrictInput):
    lines = OrderLineInput(many=True, allow_empty=False)


OUTPUT_KINDS = ("print_png", "print_sheet", "svg")


class OrderLineOut(serializers.ModelSerializer):
    product = serializers.CharField(source="product_size.product.slug")
    size = serializers.CharField(source="product_size.slug")
    licence_version = serializers.IntegerField(source="licence_version.version", allow_null=True, default=None)
    files = serializers.SerializerMethodField()
    provenance_record = serializers.SerializerMethodField()

    def get_files(self, line: OrderLine) -> dict[str, str | None]:
        """Download links for the buyer (the order endpoints answer only the order's buyer)."""
        request = self.context.get("request")
        return {
            kind: _abs(request, reverse("order-line-file", args=[line.order_id, line.pk, kind]))
            if getattr(line, kind)
            else None
            for kind in OUTPUT_KINDS
        }

    def get_provenance_record(self, line: OrderLine) -> dict[str, str] | None:
        record = getattr(line, "attribution_record", None)
        if record is None:
            return None
        return {"record_id": record.record_id, "status": record.status, "revoked": record.revoked}

    class Meta:
        model = OrderLine
        fields = [
            "id",
            "personalization",
            "product",
            "size",
            "quantity",
            "unit_price",
            "line_total",
            "licence_use",
            "licence_version",
            "style_fee",
            "artist_royalty_percent",
            "designer_royalty_percent",
            "render_status",
            "render_progress",
            "render_error",
            "files",
            "provenance_record",
        ]


class OrderOut(serializers.ModelSerializer):
    lines = OrderLineOut(many=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "status",
            "currency",
            "subtotal",
            "discount",
            "total",
            "lines",
            "created_at",
            "checkout_at",
            "paid_at",
            "ready_at",
        ]
