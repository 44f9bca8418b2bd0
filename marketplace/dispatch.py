"""When a print job must leave the shop, and under which service level.

Checkout offers one shipping service today (the rate table prices a substrate to a zone, with no
choice of speed), so every job ships "Standard". Its promise is counted in business days (Monday to
Friday; public holidays are not modelled) from the moment the job is released to the print shops,
which is when the buyer approved the proof: before that nobody may print it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

# The one number behind every "ship by" date: business days a print shop has for a Standard job.
STANDARD_DISPATCH_BUSINESS_DAYS = 3


@dataclass(frozen=True)
class DispatchPromise:
    service_level: str
    ship_by: dt.date
    business_days: int


def dispatch_promise(*, released_at: dt.datetime) -> DispatchPromise:
    """The service level and the ship-by date of a job released at `released_at`. A job released on
    a weekend counts from the next Monday."""
    start = np.datetime64(released_at.date(), "D")
    ship_by = np.busday_offset(start, STANDARD_DISPATCH_BUSINESS_DAYS, roll="forward")
    return DispatchPromise(
        service_level="Standard",
        ship_by=ship_by.astype(dt.date),
        business_days=STANDARD_DISPATCH_BUSINESS_DAYS,
    )
