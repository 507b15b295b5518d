"""Inline SVG charts for the dashboard, drawn here in Python so the page needs no script and no library.

Two shapes: horizontal bars (one labelled row per key, its number printed after the bar) and bars stacked per
day (one segment per channel). Every bar is `<rect class="bar" data-key=… data-value=…>` and every printed
number is an element with `data-figure=KEY`, so a test can read a chart back; all text is escaped here, since
labels include what people typed. Sizes are viewBox units: the charts scale to the width of the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

FONT = 13  # px, the SVG text size; an average character is about 0.55 em wide
CHAR_W = FONT * 0.55
PALETTE = ("#3b6ea8", "#2e7d4f", "#c7782a", "#7c3a84", "#b3261e", "#5b4fc4", "#6b7785", "#229ed9")
MAX_DAYS = 400  # a longer period is drawn on its days with messages only: 400 bars is already too thin to read


@dataclass(frozen=True, slots=True)
class Row:
    key: str  # what data-key and data-figure carry
    label: str  # the text at the left of the bar
    value: int
    color: str = PALETTE[0]


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _clip(text: str, chars: int) -> str:
    """Shorten a label to what fits its column; the whole text stays in the bar's tooltip."""
    return text if len(text) <= chars else text[:max(chars - 1, 1)].rstrip() + "…"


def hbars(chart_id: str, rows: list[Row], *, label_width: int = 170, width: int = 720, title: str = "") -> str:
    """One horizontal bar per row, scaled to the largest value, with the value printed after it."""
    row_h, bar_h, value_w = 28, 18, 56
    plot_w = width - label_width - value_w
    top = max((row.value for row in rows), default=0) or 1  # all zero: zero-width bars, never a division by 0
    height = row_h * len(rows) + 8
    parts = [f'<svg id="{_attr(chart_id)}" class="chart hbars" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" aria-label="{_attr(title)}" '
             f'xmlns="http://www.w3.org/2000/svg" font-size="{FONT}">']
    chars = int((label_width - 10) / CHAR_W)
    for index, row in enumerate(rows):
        y = 4 + index * row_h
        bar_w = round(plot_w * row.value / top, 1)
        text_y = y + row_h / 2
        key = _attr(row.key)
        parts.append(
            f'<g class="row" data-key="{key}">'
            f'<text class="label" x="{label_width - 8}" y="{text_y}" text-anchor="end" dominant-baseline="middle">'
            f'{escape(_clip(row.label, chars))}<title>{escape(row.label)}</title></text>'
            f'<rect class="bar" data-key="{key}" data-value="{row.value}" x="{label_width}" '
            f'y="{y + (row_h - bar_h) / 2}" width="{bar_w}" height="{bar_h}" rx="2" fill="{_attr(row.color)}">'
            f'<title>{escape(row.label)}: {row.value}</title></rect>'
            f'<text class="value" data-figure="{key}" x="{label_width + bar_w + 6}" y="{text_y}" '
            f'dominant-baseline="middle">{row.value}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def period_days(since: str, until: str, with_data: set[str]) -> list[str]:
    """Every day of the period, so a quiet day shows as a gap; a very long period keeps its busy days only."""
    first, last = date.fromisoformat(since), date.fromisoformat(until)
    count = (last - first).days + 1
    if count > MAX_DAYS or count < 1:
        return sorted(with_data)
    return [(first + timedelta(days=offset)).isoformat() for offset in range(count)]


def stacked_days(chart_id: str, days: list[str], series: list[str], values: dict[tuple[str, str], int],
                 colors: dict[str, str], *, width: int = 960, title: str = "") -> str:
    """A bar per day, one segment per series (bottom up, in `series` order), the day's total above it."""
    left, right, top_pad, bottom = 8, 8, 22, 34
    plot_h = 200
    height = top_pad + plot_h + bottom
    slot = (width - left - right) / max(len(days), 1)
    bar_w = max(slot * 0.72, 1.0)
    totals = {day: sum(values.get((day, name), 0) for name in series) for day in days}
    scale = plot_h / (max(totals.values(), default=0) or 1)
    base = top_pad + plot_h
    label_every = max(1, -(-len(days) // 12))  # about a dozen dates along the axis
    parts = [f'<svg id="{_attr(chart_id)}" class="chart stacked" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" aria-label="{_attr(title)}" '
             f'xmlns="http://www.w3.org/2000/svg" font-size="{FONT - 2}">',
             f'<line class="axis" x1="{left}" x2="{width - right}" y1="{base}" y2="{base}" stroke="#c4cbd3"/>']
    for index, day in enumerate(days):
        x = left + index * slot + (slot - bar_w) / 2
        center = round(x + bar_w / 2, 1)
        y = float(base)
        parts.append(f'<g class="day" data-day="{_attr(day)}">')
        for name in series:
            value = values.get((day, name), 0)
            if not value:
                continue
            h = round(value * scale, 2)
            y -= h
            parts.append(f'<rect class="bar" data-day="{_attr(day)}" data-key="{_attr(name)}" data-value="{value}" '
                         f'x="{round(x, 1)}" y="{round(y, 2)}" width="{round(bar_w, 1)}" height="{h}" '
                         f'fill="{_attr(colors[name])}"><title>{escape(day)} · {escape(name)}: {value}</title></rect>')
        if totals[day] and slot >= 14:  # narrower bars have no room for a number: their tooltips still say it
            parts.append(f'<text class="total" data-figure="{_attr(day)}" x="{center}" y="{round(y - 4, 2)}" '
                         f'text-anchor="middle">{totals[day]}</text>')
        if index % label_every == 0:
            parts.append(f'<text class="day-label" x="{center}" y="{base + 16}" text-anchor="middle">'
                         f'{escape(day[5:])}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)
