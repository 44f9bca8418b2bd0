"""The engine's failures, each with a message a buyer or designer can read."""


class EngineError(RuntimeError):
    """The transfer could not produce a valid image (e.g. the optimisation diverged)."""


class ImageError(ValueError):
    """An uploaded file is not an image the engine can use."""


class Cancelled(Exception):
    """The caller asked the job to stop (should_cancel returned True)."""
