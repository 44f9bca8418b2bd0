"""The marketplace's domain: people and their roles, styles under versioned licences, base patterns,
products, personalizations (the stylization job) and orders, one module per domain.

Models hold data and the invariants that belong to one row (state machines). Every write that
matters goes through a function in `marketplace.services`; nothing here has business logic in
`save()` or in signals. This package re-exports every domain module's names, so importers (and the
migrations, which name the upload paths) keep writing `from marketplace.models import ...`.
"""

from marketplace.models.accounts import (
    PRINT_SHOP_INVITATION_TTL,
    PRINT_SHOP_NAME_MAX_LENGTH,
    SELF_CHOSEN_ROLES,
    CaseInsensitiveUserManager,
    PrintShop,
    PrintShopInvitation,
    PrintShopStatus,
    Role,
    User,
)
from marketplace.models.catalogue import (
    ANYWHERE,
    BasePattern,
    LicenceUse,
    LicenceVersion,
    Product,
    ProductSize,
    RepeatType,
    Style,
    StyleArtworkFeatures,
    StyleFingerprint,
    Substrate,
    Tag,
    _pattern_upload_to,
    _style_upload_to,
    worldwide,
)
from marketplace.models.jobs import (
    BackgroundJob,
    JobStatus,
)
from marketplace.models.moderation import (
    InfringementReport,
    ModerationAction,
    ModerationDecision,
    ReportStatus,
    ReportTarget,
    TakedownReason,
)
from marketplace.models.money import (
    LEDGER_MONEY,
    MONEY,
    PERCENT,
)
from marketplace.models.notifications import (
    EmailMessageLog,
)
from marketplace.models.orders import (
    FILES_DELIVERED_STAGES,
    IN_FULFILMENT_STATUSES,
    LINE_TRANSITIONS,
    ORDER_TRANSITIONS,
    PAID_STATUSES,
    PROOF_VISIBLE_STAGES,
    REFUNDED_STAGES,
    UNFINISHED_STAGES,
    InvalidTransition,
    LineStage,
    Order,
    OrderLine,
    OrderStatus,
    _output_upload_to,
)
from marketplace.models.personalizations import (
    Personalization,
    StyleRegions,
    _personalization_upload_to,
)
from marketplace.models.production import (
    PRODUCTION_STATUS_OF_STAGE,
    ApprovalStatus,
    DerivativeApproval,
    ProductionJob,
    ProductionStatus,
)
from marketplace.models.shipping import (
    ShippingRate,
    ShippingZone,
)

__all__ = [
    # The migrations name the upload paths through this package.
    "_output_upload_to",
    "_pattern_upload_to",
    "_personalization_upload_to",
    "_style_upload_to",
    "ANYWHERE",
    "ApprovalStatus",
    "BackgroundJob",
    "BasePattern",
    "CaseInsensitiveUserManager",
    "DerivativeApproval",
    "EmailMessageLog",
    "FILES_DELIVERED_STAGES",
    "IN_FULFILMENT_STATUSES",
    "InfringementReport",
    "InvalidTransition",
    "JobStatus",
    "LEDGER_MONEY",
    "LINE_TRANSITIONS",
    "LicenceUse",
    "LicenceVersion",
    "LineStage",
    "MONEY",
    "ModerationAction",
    "ModerationDecision",
    "ORDER_TRANSITIONS",
    "Order",
    "OrderLine",
    "OrderStatus",
    "PAID_STATUSES",
    "PERCENT",
    "PRINT_SHOP_INVITATION_TTL",
    "PRINT_SHOP_NAME_MAX_LENGTH",
    "PRODUCTION_STATUS_OF_STAGE",
    "PROOF_VISIBLE_STAGES",
    "Personalization",
    "PrintShop",
    "PrintShopInvitation",
    "PrintShopStatus",
    "Product",
    "ProductSize",
    "ProductionJob",
    "ProductionStatus",
    "REFUNDED_STAGES",
    "RepeatType",
    "ReportStatus",
    "ReportTarget",
    "Role",
    "SELF_CHOSEN_ROLES",
    "ShippingRate",
    "ShippingZone",
    "Style",
    "StyleArtworkFeatures",
    "StyleFingerprint",
    "StyleRegions",
    "Substrate",
    "Tag",
    "TakedownReason",
    "UNFINISHED_STAGES",
    "User",
    "worldwide",
]
