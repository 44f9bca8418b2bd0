"""A small line chart drawn server-side as inline SVG, so the studio needs no charting library."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class Point:
    at: datetime
    value: Decimal


def cumulative(points: Sequence[tuple[datetime, Decimal]]) -> list[Point]:
    total = Decimal("0")
    out: list[Point] = []
    for at, amount in sorted(points, key=lambda p: p[0]):
        total += amount
        out.append(Point(at, total))
    return out


def line_chart(
    series: Sequence[Point], *, title: str, currency: str = "USD", width: int = 640, height: int = 220
) -> SafeString:
    pad_l, pad_r, pad_t, pad_b = 56, 16, 16, 32
    inner_w, inner_h = width - pad_l - pad_r, height - pad_t - pad_b
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    if not series:
        parts.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" class="chart-empty">No sales yet</text></svg>'
        )
        return mark_safe("".join(parts))
    top = max(float(p.value) for p in series) or 1.0
    t0 = series[0].at.timestamp()
    span = (series[-1].at.timestamp() - t0) or 1.0

    def xy(p: Point) -> tuple[float, float]:
        x = pad_l + (p.at.timestamp() - t0) / span * inner_w if len(series) > 1 else pad_l + inner_w / 2
        return x, pad_t + inner_h - float(p.value) / top * inner_h

    for i in range(5):  # horizontal grid with amounts
        value = top * i / 4
        y = pad_t + inner_h - inner_h * i / 4
        parts.append(
            f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{y:.1f}" y2="{y:.1f}" class="chart-grid"/>'
        )
        parts.append(
            f'<text x="{pad_l - 6}" y="{y + 4:.1f}" text-anchor="end" class="chart-label">{value:.2f}</text>'
        )
    coords = [xy(p) for p in series]
    # A step line: the balance holds until the next sale.
    d = f"M{pad_l},{pad_t + inner_h:.1f} L{coords[0][0]:.1f},{pad_t + inner_h:.1f}"
    prev_y: float = pad_t + inner_h
    for x, y in coords:
        d += f" L{x:.1f},{prev_y:.1f} L{x:.1f},{y:.1f}"
        prev_y = y
    d += f" L{width - pad_r},{prev_y:.1f}"
    parts.append(f'<path d="{d}" class="chart-line"/>')
    for (x, y), p in zip(coords, series, strict=True):
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" class="chart-dot">'
            f"<title>{p.at:%Y-%m-%d %H:%M}: {p.value:.2f} {escape(currency)}</title></circle>"
        )
    parts.append(
        f'<text x="{pad_l}" y="{height - 8}" class="chart-label">{series[0].at:%d %b %Y}</text>'
        f'<text x="{width - pad_r}" y="{height - 8}" text-anchor="end" class="chart-label">{series[-1].at:%d %b %Y}</text>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))
