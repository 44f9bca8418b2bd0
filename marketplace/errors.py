"""Domain errors that the API, the pages and the CLI turn into clear messages.

Rule violations in what a person sent are Django's `ValidationError` (400); these two are for
requests that are well formed but cannot be granted now."""


class Conflict(Exception):
    """The request conflicts with the current state (an edition sold out, an order already paid): 409."""


class NotAllowed(Exception):
    """The person may not do this to this object: 403."""
