"""A small line chart drawn server-side as inline SVG, so the studio needs no charting library.

The axes read as a person would label them by hand: amounts at round steps (1, 2 or 5 times a power
of ten) and dates at whole days, weeks or months, with a week shown at least, so sales on one day
sit on a dated axis instead of two identical labels."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# At most this many gridlines on each axis, so labels never collide at the studio's width (a week
# shows each of its eight day boundaries).
MAX_TICKS = 6
MAX_DATE_TICKS = 8
MIN_DAYS_SHOWN = 7
_DAY_STEPS = (1, 2, 7, 14)


@dataclass(frozen=True)
class Point:
    at: dt.datetime
    value: Decimal


def cumulative(points: Sequence[tuple[dt.datetime, Decimal]]) -> list[Point]:
    total = Decimal("0")
    out: list[Point] = []
    for at, amount in sorted(points, key=lambda p: p[0]):
        total += amount
        out.append(Point(at, total))
    return out


def round_ticks(top: float, *, most: int = MAX_TICKS) -> list[Decimal]:
    """0 and round steps up to the first one at or above `top`."""
    if top <= 0:
        return [Decimal("0"), Decimal("1")]
    rough = top / (most - 1)
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    step_d = Decimal(str(step)).normalize()
    count = math.ceil(top / step - 1e-9)
    return [step_d * i for i in range(count + 1)]


def _month_start(day: dt.date, months_later: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 + months_later
    return dt.date(index // 12, index % 12 + 1, 1)


def date_ticks(
    first: dt.date, last: dt.date, *, most: int = MAX_DATE_TICKS
) -> tuple[dt.date, dt.date, list[dt.date]]:
    """The axis's first and last day (at least MIN_DAYS_SHOWN apart, ending the day after the last
    point) and the whole days, weeks or months to label between them."""
    end = last + dt.timedelta(days=1)
    start = min(first, end - dt.timedelta(days=MIN_DAYS_SHOWN))
    days = (end - start).days
    step = next((s for s in _DAY_STEPS if days / s <= most), None)
    if step is not None:
        ticks = [start + dt.timedelta(days=i) for i in range(0, days + 1, step)]
        return start, end, ticks
    months = max(1, math.ceil(days / 30.4 / most))
    start = _month_start(start)
    end = _month_start(end, 1) if end.day > 1 else end
    ticks = []
    tick = start
    while tick <= end:
        ticks.append(tick)
        tick = _month_start(tick, months)
    return start, end, ticks


def _date_label(day: dt.date, previous: dt.date | None) -> str:
    label = f"{day.day} {day:%b}"
    return f"{label} {day.year}" if previous is None or previous.year != day.year else label


def line_chart(
    series: Sequence[Point],
    *,
    title: str,
    legend: str = "Earned to date",
    currency: str = "USD",
    width: int = 640,
    height: int = 240,
) -> SafeString:
    pad_l, pad_r, pad_t, pad_b = 56, 16, 40, 32
    inner_w, inner_h = width - pad_l - pad_r, height - pad_t - pad_b
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<text x="{pad_l}" y="16" class="chart-title">{escape(title)}</text>',
    ]
    if not series:
        parts.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" class="chart-empty">No sales yet</text></svg>'
        )
        return mark_safe("".join(parts))
    # The legend, top right: the line's swatch and what it is.
    lx = width - pad_r - 8 * len(legend) - 30
    parts.append(
        f'<g class="chart-legend"><line x1="{lx}" x2="{lx + 22}" y1="12" y2="12" class="chart-line"/>'
        f'<circle cx="{lx + 11}" cy="12" r="3.5" class="chart-dot"/>'
        f'<text x="{lx + 28}" y="16" class="chart-label">{escape(legend)} ({escape(currency)})</text></g>'
    )
    values = round_ticks(max(float(p.value) for p in series))
    top = float(values[-1])
    day0, day1, days = date_ticks(series[0].at.date(), series[-1].at.date())
    t0 = dt.datetime.combine(day0, dt.time(), tzinfo=series[0].at.tzinfo).timestamp()
    t1 = dt.datetime.combine(day1, dt.time(), tzinfo=series[0].at.tzinfo).timestamp()

    def x_of(t: float) -> float:
        return pad_l + (t - t0) / (t1 - t0) * inner_w

    def y_of(value: float) -> float:
        return pad_t + inner_h - value / top * inner_h

    places = max((-v.as_tuple().exponent for v in values if v.as_tuple().exponent < 0), default=0)  # type: ignore[operator]
    for value in values:
        y = y_of(float(value))
        parts.append(
            f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{y:.1f}" y2="{y:.1f}" class="chart-grid"/>'
            f'<text x="{pad_l - 6}" y="{y + 4:.1f}" text-anchor="end" class="chart-label">{value:.{places}f}</text>'
        )
    previous: dt.date | None = None
    for day in days:
        x = x_of(dt.datetime.combine(day, dt.time(), tzinfo=series[0].at.tzinfo).timestamp())
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{pad_t + inner_h}" y2="{pad_t + inner_h + 4}" class="chart-grid"/>'
            f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle" class="chart-label">{_date_label(day, previous)}</text>'
        )
        previous = day
    coords = [(x_of(p.at.timestamp()), y_of(float(p.value))) for p in series]
    # A step line: the balance holds until the next sale.
    base = pad_t + inner_h
    d = f"M{pad_l},{base:.1f} L{coords[0][0]:.1f},{base:.1f}"
    prev_y: float = base
    for x, y in coords:
        d += f" L{x:.1f},{prev_y:.1f} L{x:.1f},{y:.1f}"
        prev_y = y
    d += f" L{x_of(t1):.1f},{prev_y:.1f}"
    parts.append(f'<path d="{d}" class="chart-line"/>')
    for (x, y), p in zip(coords, series, strict=True):
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" class="chart-dot">'
            f"<title>{p.at:%Y-%m-%d %H:%M}: {p.value:.2f} {escape(currency)}</title></circle>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))
