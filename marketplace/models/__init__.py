from marketplace.models.orders import *  # noqa: F403
from marketplace.models.orders import (  # noqa: F401
    _output_upload_to,
    _pattern_upload_to,
    _personalization_upload_to,
    _style_upload_to,
)
