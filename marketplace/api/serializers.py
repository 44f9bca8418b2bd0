"""Input serializers validate shape only; the rules live in the services. Output serializers never
expose a full-resolution file to someone not entitled to it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from marketplace.models import (
    FILES_DELIVERED_STAGES,
    PRINT_SHOP_NAME_MAX_LENGTH,
    SELF_CHOSEN_ROLES,
    BasePattern,
    InfringementReport,
    LicenceUse,
    LicenceVersion,
    LineStage,
    Order,
    OrderLine,
    Personalization,
    PrintShop,
    Product,
    ProductionJob,
    ProductSize,
    RepeatType,
    ReportTarget,
    Style,
    StyleRegions,
    Substrate,
)
from marketplace.proofs import PROOF_TILE_PX, proof_grid, proof_sheet_size
from marketplace.selectors import (
    OutputAccess,
    order_line_output_access,
    order_line_proof_access,
    production_job_started_by,
)
from marketplace.services.accounts import GRANTED_ROLE_REFUSAL, USERNAME_RULE
from marketplace.services.catalogue import (
    DESCRIPTION_MAX_CHARS,
    MAX_EDITION_USES,
    MAX_FEE_PER_USE,
    MAX_REVENUE_CEILING,
    MAX_TAGS,
    MAX_TERRITORIES,
)
from marketplace.services.proofs import MAX_BUYER_RERENDERS


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
    max_length = MAX_TAGS

    def get_value(self, dictionary: Any) -> Any:
        value = super().get_value(dictionary)
        if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str) and "," in value[0]:
            return [part.strip() for part in value[0].split(",") if part.strip()]
        return value

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            data = [part.strip() for part in data.split(",") if part.strip()]
        return super().to_internal_value(data)


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key among the rows the requester may see. Anything else, missing or someone else's,
    gets the same "Invalid pk" answer, so ids cannot be probed for existence."""

    def __init__(self, *, owner_field: str, listed_only: bool = True, **kwargs: Any) -> None:
        self.owner_field = owner_field
        self.listed_only = listed_only
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        queryset: Any = super().get_queryset()
        request = self.context.get("request")
        user_id = getattr(getattr(request, "user", None), "pk", None)
        own = Q(**{f"{self.owner_field}_id": user_id}) if user_id is not None else Q(pk__in=[])
        return queryset.filter(own | Q(active=True)) if self.listed_only else queryset.filter(own)


def _abs(request: Any, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


# --- accounts ---------------------------------------------------------------------------------------


class RegisterInput(StrictInput):
    username = serializers.CharField(min_length=3, max_length=150, help_text=USERNAME_RULE)
    password = serializers.CharField(write_only=True, max_length=128)
    email = serializers.EmailField(max_length=254)
    roles = serializers.ListField(
        child=serializers.ChoiceField(
            choices=[(role.value, role.label) for role in SELF_CHOSEN_ROLES],
            error_messages={"invalid_choice": GRANTED_ROLE_REFUSAL.format(roles='"{input}"')},
        ),
        min_length=1,
        max_length=len(SELF_CHOSEN_ROLES),
        help_text="any of buyer, artist, designer, verifier; staff grant the printer role to approved print shops",
    )


class TokenInput(StrictInput):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128)


class TokenOut(serializers.Serializer):
    token = serializers.CharField()


class RegisterOut(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()
    public_id = serializers.UUIDField()
    roles = serializers.ListField(child=serializers.CharField())
    token = serializers.CharField()


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


def _territories(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(min_length=1, max_length=2),
        min_length=1,
        max_length=MAX_TERRITORIES,
        help_text='ISO 3166-1 alpha-2 codes the goods may ship to (digital files: the buyer\'s country), or ["*"].',
        **kwargs,
    )


def _substrates(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=[*Substrate.values, "*"]),
        min_length=1,
        max_length=len(Substrate.values),
        help_text='The substrates the licence may be printed on, or ["*"].',
        **kwargs,
    )


def _revenue_ceiling(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_REVENUE_CEILING,
        allow_null=True,
        help_text="The total of style fees after which the licence stops selling; null for none.",
        **kwargs,
    )


class LicenceTermsInput(StrictInput):
    allowed_uses = serializers.ListField(
        child=serializers.ChoiceField(choices=LicenceUse.choices), min_length=1, max_length=2
    )
    fee_per_use = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), max_value=MAX_FEE_PER_USE
    )
    royalty_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100")
    )
    max_uses = serializers.IntegerField(
        min_value=1, max_value=MAX_EDITION_USES, required=False, allow_null=True
    )
    exclusive = serializers.BooleanField(required=False, default=False)
    currency = serializers.ChoiceField(choices=["USD"], required=False, default="USD")
    territories = _territories(required=False, default=["*"])
    valid_until = serializers.DateField(required=False, allow_null=True, default=None)
    allowed_substrates = _substrates(required=False, default=["*"])
    attribution_required = serializers.BooleanField(required=False, default=False)
    requires_approval = serializers.BooleanField(required=False, default=False)
    revenue_ceiling = _revenue_ceiling(required=False, default=None)


class StyleCreateInput(LicenceTermsInput):
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=DESCRIPTION_MAX_CHARS
    )
    tags = TagListField(required=False, default=list)
    image = serializers.FileField()
    active = serializers.BooleanField(required=False, default=True)


class StyleUpdateInput(StrictInput):
    title = serializers.CharField(max_length=120, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=DESCRIPTION_MAX_CHARS)
    tags = TagListField(required=False)
    active = serializers.BooleanField(required=False)
    image = serializers.FileField(required=False)
    allowed_uses = serializers.ListField(
        child=serializers.ChoiceField(choices=LicenceUse.choices), min_length=1, max_length=2, required=False
    )
    fee_per_use = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), max_value=MAX_FEE_PER_USE, required=False
    )
    royalty_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100"), required=False
    )
    max_uses = serializers.IntegerField(
        min_value=1, max_value=MAX_EDITION_USES, required=False, allow_null=True
    )
    exclusive = serializers.BooleanField(required=False)
    territories = _territories(required=False)
    valid_until = serializers.DateField(required=False, allow_null=True)
    allowed_substrates = _substrates(required=False)
    attribution_required = serializers.BooleanField(required=False)
    requires_approval = serializers.BooleanField(required=False)
    revenue_ceiling = _revenue_ceiling(required=False)


class LicenceOut(serializers.ModelSerializer):
    allowed_uses = serializers.ListField(child=serializers.CharField())
    territories = serializers.ListField(child=serializers.CharField())
    allowed_substrates = serializers.ListField(child=serializers.CharField())
    document_urls = serializers.SerializerMethodField()

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_document_urls(self, licence: LicenceVersion) -> dict[str, str]:
        """The licence as a person reads it: a page, a PDF and a JSON document."""
        request = self.context.get("request")
        args = [licence.style_id, licence.version]
        return {
            "html": _abs(request, reverse("frontend:licence", args=args)),
            "pdf": _abs(request, reverse("style-licence-pdf", args=args)),
            "json": _abs(request, reverse("style-licence-document", args=args)),
        }

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
            "territories",
            "valid_until",
            "allowed_substrates",
            "attribution_required",
            "requires_approval",
            "revenue_ceiling",
            "terms_sha256",
            "created_at",
            "document_urls",
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
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=DESCRIPTION_MAX_CHARS
    )
    tags = TagListField(required=False, default=list)
    image = serializers.FileField()
    active = serializers.BooleanField(required=False, default=True)
    repeat_type = serializers.ChoiceField(choices=RepeatType.choices, default=RepeatType.BASIC)
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
    description = serializers.CharField(required=False, allow_blank=True, max_length=DESCRIPTION_MAX_CHARS)
    tags = TagListField(required=False)
    active = serializers.BooleanField(required=False)
    image = serializers.FileField(required=False)
    repeat_type = serializers.ChoiceField(choices=RepeatType.choices, required=False)
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
    regions = serializers.ChoiceField(choices=StyleRegions.choices, default=StyleRegions.ALL)


class PersonalizationCreateInput(StrictInput):
    pattern = VisibleRelatedField(queryset=BasePattern.objects.all(), owner_field="designer")
    # `style` shadows DRF's Field.style attribute; the name is the API's contract.
    style = VisibleRelatedField(  # type: ignore[assignment]
        queryset=Style.objects.all(), owner_field="artist", required=False, allow_null=True
    )
    style_image = serializers.FileField(required=False, allow_null=True)
    params = PersonalizationParamsInput(required=False)
    # The same parameters are also accepted flat, as an HTML form sends them.
    strength = serializers.FloatField(min_value=0.0, max_value=1.0, required=False)
    preserve_colors = serializers.BooleanField(required=False)
    style_scale = serializers.FloatField(min_value=0.25, max_value=4.0, required=False)
    seed = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False)
    regions = serializers.ChoiceField(choices=StyleRegions.choices, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        params = dict(attrs.pop("params", None) or PersonalizationParamsInput().to_internal_value({}))
        for name in ("strength", "preserve_colors", "style_scale", "seed", "regions"):
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

    @extend_schema_field(PersonalizationParamsInput)
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
    personalization = VisibleRelatedField(
        queryset=Personalization.objects.all(), owner_field="buyer", listed_only=False
    )
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


class OutputRefusedOut(serializers.Serializer):
    """Why the buyer cannot download a line's file (409 not ready, 410 refunded or failed)."""

    detail = serializers.CharField()
    stage = serializers.CharField()


OUTPUT_KINDS = ("print_png", "print_sheet", "svg")
LEGACY_RENDER_STATUS: dict[str, str] = {
    LineStage.QUEUED: "queued",
    LineStage.RENDERING: "running",
    LineStage.RENDERED: "running",
    LineStage.VECTORIZED: "running",
    LineStage.ATTRIBUTED: "running",
    **{stage: "done" for stage in FILES_DELIVERED_STAGES},
    LineStage.FAILED: "failed",
}


class ProofTilesOut(serializers.Serializer):
    url = serializers.CharField(help_text="a tile's URL once {col} and {row} are filled in")
    tile_px = serializers.IntegerField()
    columns = serializers.IntegerField()
    rows = serializers.IntegerField()
    sheet_w = serializers.IntegerField()
    sheet_h = serializers.IntegerField()


class OrderLineOut(serializers.ModelSerializer):
    product = serializers.CharField(source="product_size.product.slug")
    size = serializers.CharField(source="product_size.slug")
    licence_version = serializers.IntegerField(
        source="licence_version.version", allow_null=True, default=None
    )
    licence_url = serializers.SerializerMethodField()
    files = serializers.SerializerMethodField()
    provenance_record = serializers.SerializerMethodField()
    progress = serializers.IntegerField(source="render_progress", read_only=True)
    # Kept for clients of the first API: the stage, in the old four words.
    render_status = serializers.SerializerMethodField()
    render_error = serializers.CharField(source="failure_reason", read_only=True)
    proof_url = serializers.SerializerMethodField()
    proof_tiles = serializers.SerializerMethodField()
    rerenders_left = serializers.SerializerMethodField()
    seed = serializers.IntegerField(read_only=True)

    def _proof_allowed(self, line: OrderLine) -> bool:
        request = self.context.get("request")
        user = request.user if request is not None else AnonymousUser()
        return order_line_proof_access(line=line, user=user)[0] == OutputAccess.ALLOWED

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_proof_url(self, line: OrderLine) -> str | None:
        """The proof of a physical line, once it is ready (it stays for the buyer after approval):
        the whole print sheet reduced and marked PROOF. The sheet itself goes to the print shop."""
        if not self._proof_allowed(line):
            return None
        return _abs(self.context.get("request"), reverse("order-line-proof", args=[line.order_id, line.pk]))

    @extend_schema_field(ProofTilesOut(allow_null=True))
    def get_proof_tiles(self, line: OrderLine) -> dict[str, Any] | None:
        """The proof at print resolution, as a grid of tiles marked PROOF: replace {col} and {row}."""
        if not self._proof_allowed(line):
            return None
        sheet_w, sheet_h = proof_sheet_size(line.render_info)
        columns, rows = proof_grid(sheet_w, sheet_h)
        first = _abs(
            self.context.get("request"), reverse("order-line-proof-tile", args=[line.order_id, line.pk, 0, 0])
        )
        return {
            "url": first[: first.rindex("/0/0/")] + "/{col}/{row}/",
            "tile_px": PROOF_TILE_PX,
            "columns": columns,
            "rows": rows,
            "sheet_w": sheet_w,
            "sheet_h": sheet_h,
        }

    def get_rerenders_left(self, line: OrderLine) -> int:
        return max(0, MAX_BUYER_RERENDERS - line.rerenders_used) if line.stage == LineStage.PROOF_READY else 0

    def get_licence_url(self, line: OrderLine) -> str | None:
        """The exact licence version the line was sold under, as a person reads it."""
        licence = line.licence_version
        if licence is None:
            return None
        return _abs(
            self.context.get("request"), reverse("frontend:licence", args=[licence.style_id, licence.version])
        )

    def get_render_status(self, line: OrderLine) -> str:
        return LEGACY_RENDER_STATUS.get(line.stage, "")

    def get_files(self, line: OrderLine) -> dict[str, str | None]:
        """Download links, present once the line's files may be downloaded (the entitlement rule)."""
        request = self.context.get("request")
        user = request.user if request is not None else AnonymousUser()
        allowed = order_line_output_access(line=line, user=user)[0] == OutputAccess.ALLOWED
        return {
            kind: _abs(request, reverse("order-line-file", args=[line.order_id, line.pk, kind]))
            if allowed and getattr(line, kind)
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
            "licence_url",
            "style_fee",
            "artist_royalty_percent",
            "designer_royalty_percent",
            "stage",
            "progress",
            "failure_reason",
            "render_status",
            "render_progress",
            "render_error",
            "files",
            "provenance_record",
            "shipping_amount",
            "seed",
            "proof_url",
            "proof_tiles",
            "rerenders_left",
            "approved_at",
            "auto_approved",
        ]


class ShippingAddressIO(StrictInput):
    name = serializers.CharField(max_length=120)
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100)
    postal_code = serializers.CharField(max_length=20)
    country = serializers.CharField(
        min_length=2, max_length=2, help_text="ISO 3166-1 alpha-2, such as GB or US."
    )


class CheckoutInput(StrictInput):
    shipping_address = ShippingAddressIO(
        required=False, help_text="Required when any line is a printed (physical) product."
    )
    country = serializers.CharField(
        min_length=2,
        max_length=2,
        required=False,
        help_text="The buyer's country, for an order of digital files only.",
    )


class ShipmentOut(serializers.Serializer):
    line = serializers.IntegerField(source="order_line_id")
    carrier = serializers.CharField()
    tracking_number = serializers.CharField()
    shipped_at = serializers.DateTimeField()


class OrderOut(serializers.ModelSerializer):
    lines = OrderLineOut(many=True)
    shipping_address = serializers.SerializerMethodField()
    shipments = serializers.SerializerMethodField()

    @extend_schema_field(serializers.JSONField(allow_null=True))
    def get_shipping_address(self, order: Order) -> dict[str, str] | None:
        request = self.context.get("request")
        # The address is the buyer's own data: only they see it here.
        if request is None or request.user.pk != order.buyer_id:
            return None
        return order.shipping_address

    @extend_schema_field(ShipmentOut(many=True))
    def get_shipments(self, order: Order) -> list[dict[str, Any]]:
        jobs = [line.production_job for line in order.lines.all() if hasattr(line, "production_job")]
        return ShipmentOut([job for job in jobs if job.shipped_at is not None], many=True).data  # type: ignore[return-value]

    class Meta:
        model = Order
        fields = [
            "id",
            "status",
            "currency",
            "subtotal",
            "discount",
            "shipping_amount",
            "tax_amount",
            "total",
            "refunded_amount",
            "shipping_address",
            "country",
            "shipments",
            "lines",
            "created_at",
            "checkout_at",
            "paid_at",
            "ready_at",
            "fulfilled_at",
        ]


class RerenderInput(StrictInput):
    seed = serializers.IntegerField(min_value=0, max_value=2**31 - 1)


class ShipInput(StrictInput):
    carrier = serializers.CharField(max_length=60)
    tracking_number = serializers.CharField(max_length=80)


class ProductionJobOut(serializers.ModelSerializer):
    """What a print shop needs for one job, and nothing else of the buyer: the ship-to address."""

    order = serializers.IntegerField(source="order_line.order_id")
    line = serializers.IntegerField(source="order_line_id")
    status = serializers.CharField()
    substrate = serializers.CharField(source="order_line.product_size.product.substrate")
    product = serializers.CharField(source="order_line.product_size.product.name")
    size = serializers.SerializerMethodField()
    quantity = serializers.IntegerField(source="order_line.quantity")
    dpi = serializers.IntegerField(source="order_line.personalization.base_pattern.dpi")
    # The address is the shop's once it has started the job; until then it knows the country only.
    ship_to = serializers.SerializerMethodField()
    ship_to_country = serializers.CharField(source="order_line.order.country")
    print_sheet_url = serializers.SerializerMethodField()
    ticket_url = serializers.SerializerMethodField()

    @extend_schema_field(
        inline_serializer(
            "JobSize",
            {
                "slug": serializers.CharField(),
                "name": serializers.CharField(),
                "width_in": serializers.DecimalField(6, 2),
                "height_in": serializers.DecimalField(6, 2),
                "width_px": serializers.IntegerField(),
                "height_px": serializers.IntegerField(),
            },
        )
    )
    def get_size(self, job: ProductionJob) -> dict[str, Any]:
        size = job.order_line.product_size
        width_px, height_px = size.print_pixels(job.order_line.personalization.base_pattern.dpi)
        return {
            "slug": size.slug,
            "name": size.name,
            "width_in": str(size.width_in),
            "height_in": str(size.height_in),
            "width_px": width_px,
            "height_px": height_px,
        }

    @extend_schema_field(serializers.JSONField(allow_null=True))
    def get_ship_to(self, job: ProductionJob) -> dict[str, str] | None:
        request = self.context.get("request")
        user = request.user if request is not None else AnonymousUser()
        return (
            job.order_line.order.shipping_address if production_job_started_by(job=job, user=user) else None
        )

    def get_print_sheet_url(self, job: ProductionJob) -> str:
        return _abs(self.context.get("request"), reverse("production-job-print-sheet", args=[job.pk]))

    def get_ticket_url(self, job: ProductionJob) -> str:
        return _abs(self.context.get("request"), reverse("frontend:production-ticket", args=[job.pk]))

    class Meta:
        model = ProductionJob
        fields = [
            "id",
            "order",
            "line",
            "status",
            "substrate",
            "product",
            "size",
            "quantity",
            "dpi",
            "ship_to",
            "ship_to_country",
            "print_sheet_url",
            "ticket_url",
            "released_at",
            "started_at",
            "shipped_at",
            "carrier",
            "tracking_number",
        ]


# --- print shops ------------------------------------------------------------------------------------


class PrintShopApplyInput(StrictInput):
    name = serializers.CharField(
        max_length=PRINT_SHOP_NAME_MAX_LENGTH, help_text="the print shop's trading name"
    )


class PrintShopInvitationAcceptInput(StrictInput):
    token = serializers.CharField(max_length=500, help_text="the token of the invitation link staff sent")


class PrintShopOut(serializers.ModelSerializer):
    """An account's print shop standing: only `approved` holds the printer role."""

    class Meta:
        model = PrintShop
        fields = ["name", "status", "applied_at", "decided_at"]


# --- infringement reports ---------------------------------------------------------------------------


class ReportCreateInput(StrictInput):
    target = serializers.ChoiceField(choices=ReportTarget.choices)
    id = serializers.IntegerField(min_value=1, help_text="the style's or the base pattern's id")
    claim = serializers.CharField(
        max_length=5000, help_text="whose work it is, and how the listing infringes it"
    )
    evidence_url = serializers.URLField(max_length=500)


class ReportOut(serializers.ModelSerializer):
    id = serializers.IntegerField()
    listing = serializers.SerializerMethodField()

    class Meta:
        model = InfringementReport
        fields = ["id", "target", "listing", "claim", "evidence_url", "status", "created_at"]

    def get_listing(self, report: InfringementReport) -> int:
        return report.listing.pk
