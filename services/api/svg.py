"""Inline SVG charts for the dashboard, drawn in Python: no JavaScript, no build step. Each chart
names its axes and units and labels every series it draws (a legend entry only for a drawn line)."""
from __future__ import annotations

import datetime as dt
from html import escape

W, H = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 28, 36
COLOURS = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700")


def _ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    if hi <= lo:
        return [lo]
    return [lo + (hi - lo) * i / n for i in range(n + 1)]


def _x_scale(xs: list, width: int):
    lo, hi = min(xs), max(xs)
    span = (hi - lo).total_seconds() if isinstance(lo, (dt.date, dt.datetime)) else hi - lo
    inner = width - LEFT - RIGHT

    def f(x):
        if not span:
            return LEFT + inner / 2
        d = (x - lo).total_seconds() if isinstance(x, (dt.date, dt.datetime)) else x - lo
        return LEFT + inner * d / span
    return f


def _frame(title: str, y_label: str, y_lo: float, y_hi: float, y_fmt: str, x_first, x_last,
           width: int, height: int) -> list[str]:
    inner_h = height - TOP - BOTTOM
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
             f'width="100%" aria-label="{escape(title)}">',
             f'<text x="{LEFT}" y="16" class="chart-title">{escape(title)}</text>',
             f'<text x="12" y="{TOP + inner_h / 2}" transform="rotate(-90 12 {TOP + inner_h / 2})" '
             f'class="axis-label" text-anchor="middle">{escape(y_label)}</text>']
    for v in _ticks(y_lo, y_hi):
        y = TOP + inner_h * (1 - (v - y_lo) / (y_hi - y_lo)) if y_hi > y_lo else TOP + inner_h / 2
        parts.append(f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">'
                     f'{format(v, y_fmt)}</text>')
    parts.append(f'<text x="{LEFT}" y="{height - 10}" class="tick">{_label(x_first)}</text>'
                 f'<text x="{width - RIGHT}" y="{height - 10}" text-anchor="end" class="tick">'
                 f'{_label(x_last)}</text>')
    return parts


def _label(x) -> str:
    if isinstance(x, dt.datetime):
        return x.strftime("%Y-%m-%d %H:%M")
    return escape(str(x))


def _y_scale(lo: float, hi: float, height: int):
    inner_h = height - TOP - BOTTOM
    return lambda v: TOP + inner_h * (1 - (v - lo) / (hi - lo)) if hi > lo else TOP + inner_h / 2


def line_chart(series: dict[str, list[tuple]], title: str, y_label: str, y_fmt: str = ",.0f",
               width: int = W, height: int = H, y_zero: bool = False) -> str:
    """Lines of (x, y) points (x dates or numbers); a legend names each drawn series."""
    drawn = {name: [(x, y) for x, y in pts if y is not None] for name, pts in series.items()}
    drawn = {name: pts for name, pts in drawn.items() if pts}
    if not drawn:
        return f'<p class="empty">{escape(title)}: no data in this range</p>'
    xs = [x for pts in drawn.values() for x, _ in pts]
    ys = [y for pts in drawn.values() for _, y in pts]
    lo, hi = (min(0.0, min(ys)) if y_zero else min(ys)), max(ys)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    fx, fy = _x_scale(xs, width), _y_scale(lo, hi, height)
    parts = _frame(title, y_label, lo, hi, y_fmt, min(xs), max(xs), width, height)
    for i, (name, pts) in enumerate(drawn.items()):
        colour = COLOURS[i % len(COLOURS)]
        path = " ".join(f"{'M' if j == 0 else 'L'}{fx(x):.1f},{fy(y):.1f}" for j, (x, y) in enumerate(pts))
        parts.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="1.8" class="series"/>')
        if len(pts) == 1:
            parts.append(f'<circle cx="{fx(pts[0][0]):.1f}" cy="{fy(pts[0][1]):.1f}" r="3" fill="{colour}"/>')
        if len(drawn) > 1:                      # legend under the plot, between the x labels
            lx = width / 2 - 150 + 170 * i
            parts.append(f'<rect x="{lx}" y="{height - 17}" width="12" height="3" fill="{colour}"/>'
                         f'<text x="{lx + 16}" y="{height - 10}" class="tick legend">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(bars: list[tuple], title: str, y_label: str, width: int = W, height: int = H) -> str:
    """Bars of (x, count) at their x position (dates or datetimes), from zero."""
    bars = [(x, y) for x, y in bars if y is not None]
    if not bars:
        return f'<p class="empty">{escape(title)}: no data in this range</p>'
    hi = max(y for _, y in bars) or 1
    fx, fy = _x_scale([x for x, _ in bars], width), _y_scale(0, hi, height)
    bar_w = max(1.0, (width - LEFT - RIGHT) / max(len(bars), 1) * 0.8)
    parts = _frame(title, y_label, 0, hi, ",.0f", bars[0][0], bars[-1][0], width, height)
    for x, y in bars:
        top = fy(y)
        parts.append(f'<rect x="{fx(x) - bar_w / 2:.1f}" y="{top:.1f}" width="{bar_w:.1f}" '
                     f'height="{fy(0) - top:.1f}" class="bar"/>')
    parts.append("</svg>")
    return "".join(parts)


def interval_chart(rows: list[dict], title: str, x_label: str) -> str:
    """Horizontal point estimates with their 95% intervals (label, value, low, high, significant),
    a vertical line at zero; significant rows drawn solid, others hollow and grey."""
    if not rows:
        return f'<p class="empty">{escape(title)}: nothing scored</p>'
    height = TOP + BOTTOM + 22 * len(rows)
    lo = min(0.0, *(r["low"] for r in rows))
    hi = max(0.0, *(r["high"] for r in rows))
    if hi == lo:
        hi = lo + 1
    left = 280
    inner = W - left - RIGHT
    fx = lambda v: left + inner * (v - lo) / (hi - lo)  # noqa: E731
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {W} {height}" '
             f'width="100%" aria-label="{escape(title)}">',
             f'<text x="8" y="16" class="chart-title">{escape(title)}</text>',
             f'<line x1="{fx(0):.1f}" x2="{fx(0):.1f}" y1="{TOP}" y2="{height - BOTTOM}" class="zero"/>',
             f'<text x="{left + inner / 2}" y="{height - 8}" text-anchor="middle" class="axis-label">'
             f'{escape(x_label)}</text>']
    for v in _ticks(lo, hi):
        parts.append(f'<text x="{fx(v):.1f}" y="{height - BOTTOM + 14}" text-anchor="middle" '
                     f'class="tick">{v:+.2f}</text>')
    for i, r in enumerate(rows):
        y = TOP + 22 * i + 11
        cls = "sig" if r["significant"] else "nonsig"
        parts.append(f'<text x="{left - 8}" y="{y + 4}" text-anchor="end" class="tick">{escape(r["label"])}</text>'
                     f'<line x1="{fx(r["low"]):.1f}" x2="{fx(r["high"]):.1f}" y1="{y}" y2="{y}" class="ci {cls}"/>'
                     f'<circle cx="{fx(r["value"]):.1f}" cy="{y}" r="4" class="pt {cls}"/>')
    parts.append("</svg>")
    return "".join(parts)
