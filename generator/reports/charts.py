"""Charts for the report pages, drawn at build time as SVG: no script, no library to ship, nothing fetched.

Why SVG written here rather than a charting library: the site must work on an intranet with no
CDN, print on A4, and show Chinese labels; an inline SVG is text the browser lays out with the page's
own fonts (so 繁體中文 renders wherever the page does), prints as vectors, weighs a few kilobytes, and
needs no JavaScript. Each chart is an ``<figure>`` with a text alternative, and its data table stands
beside it on the page (the figures module's table), so nothing is only in the picture.

Three shapes cover the reports: horizontal bars (a Pareto of defect types — long labels read well
across), a line per series over periods (trends), and stacked horizontal bars (receivables ageing).
All text is escaped: labels can be client names.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = ("#3f51b5", "#e8710a", "#1e8e3e", "#d93025", "#9334e6", "#12b5cb", "#f9ab00")
_FONT = 'font-family="var(--md-text-font-family, sans-serif)" font-size="12" fill="currentColor"'


def _figure(svg: str, caption: str) -> str:
    """A chart is read, not searched (its labels are figures): Pagefind leaves it out."""
    return f'<figure class="oa-chart" data-pagefind-ignore="all">{svg}<figcaption>{escape(caption)}</figcaption></figure>'


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:,.2f}".rstrip("0").rstrip(".")


def bars(labels: Sequence[str], values: Sequence[float], caption: str, shown: Sequence[str] | None = None) -> str:
    """One horizontal bar per label, longest first as given; ``shown``: the text at each bar's end."""
    if not values:
        return ""
    width, label_w, row = 640, 170, 24
    top = max(max(values), 0) or 1
    height = row * len(values) + 10
    parts = [f'<svg class="oa-svg" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(caption)}" xmlns="http://www.w3.org/2000/svg">']
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 5 + i * row
        length = (width - label_w - 90) * max(value, 0) / top
        text = shown[i] if shown else _number(value)
        parts.append(f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" {_FONT}>{escape(label[:24])}</text>')
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{length:.1f}" height="{row - 8}" fill="{PALETTE[0]}"><title>{escape(label)}: {escape(text)}</title></rect>'
        )
        parts.append(f'<text x="{label_w + length + 6:.1f}" y="{y + 16}" {_FONT}>{escape(text)}</text>')
    parts.append("</svg>")
    return _figure("".join(parts), caption)


def lines(periods: Sequence[str], series: dict[str, Sequence[float | None]], caption: str, percent: bool = False) -> str:
    """One line per series across the periods (oldest left); a missing value leaves a gap."""
    if len(periods) < 2 or not series:
        return ""
    width, height, left, right, top_pad, bottom = 640, 240, 56, 36, 12, 58
    values = [v for vs in series.values() for v in vs if v is not None]
    top = (max(values) if values else 1) or 1
    top = 1.0 if percent else top
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    step = plot_w / (len(periods) - 1)

    def y(value: float) -> float:
        return top_pad + plot_h * (1 - value / top)

    parts = [f'<svg class="oa-svg" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(caption)}" xmlns="http://www.w3.org/2000/svg">']
    for fraction in (0, 0.5, 1):
        mark = top * fraction
        shown = f"{mark:.0%}" if percent else _number(mark)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(mark):.1f}" y2="{y(mark):.1f}" stroke="currentColor" stroke-opacity=".15"/>')
        parts.append(f'<text x="{left - 6}" y="{y(mark) + 4:.1f}" text-anchor="end" {_FONT}>{shown}</text>')
    every = max(1, len(periods) // 8)
    for i, label in enumerate(periods):
        if i % every == 0 or i == len(periods) - 1:
            parts.append(f'<text x="{left + i * step:.1f}" y="{height - bottom + 16}" text-anchor="middle" {_FONT}>{escape(label)}</text>')
    for n, (name, vs) in enumerate(series.items()):
        colour = PALETTE[n % len(PALETTE)]
        runs: list[list[str]] = [[]]
        for i, v in enumerate(vs):
            if v is None:
                runs.append([])
                continue
            runs[-1].append(f"{left + i * step:.1f},{y(v):.1f}")
            shown = f"{v:.1%}" if percent else _number(v)
            parts.append(
                f'<circle cx="{left + i * step:.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"><title>{escape(name)} {escape(periods[i])}: {shown}</title></circle>'
            )
        for run in runs:
            if len(run) > 1:
                parts.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" stroke-width="2"/>')
        legend_x = left + n * 150
        parts.append(f'<rect x="{legend_x}" y="{height - 20}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{legend_x + 18}" y="{height - 10}" {_FONT}>{escape(name)}</text>')
    parts.append("</svg>")
    return _figure("".join(parts), caption)


def stacked(categories: Sequence[str], segments: dict[str, Sequence[float]], caption: str) -> str:
    """One horizontal bar per category, split into the segments (e.g. ageing buckets), each its own colour."""
    totals = [sum(seg[i] for seg in segments.values()) for i in range(len(categories))]
    if not categories or not any(totals):
        return ""
    width, label_w, row = 640, 70, 30
    height = row * len(categories) + 40
    widest = max(totals) or 1
    parts = [f'<svg class="oa-svg" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(caption)}" xmlns="http://www.w3.org/2000/svg">']
    for i, category in enumerate(categories):
        y = 5 + i * row
        x = float(label_w)
        parts.append(f'<text x="{label_w - 8}" y="{y + 18}" text-anchor="end" {_FONT}>{escape(category)}</text>')
        for n, (name, values) in enumerate(segments.items()):
            length = (width - label_w - 20) * values[i] / widest
            if length > 0:
                fill = PALETTE[n % len(PALETTE)]
                tip = f"{escape(category)} {escape(name)}: {_number(values[i])}"
                parts.append(f'<rect x="{x:.1f}" y="{y + 4}" width="{length:.1f}" height="{row - 10}" fill="{fill}"><title>{tip}</title></rect>')
                x += length
    for n, name in enumerate(segments):
        legend_x = label_w + n * 110
        parts.append(f'<rect x="{legend_x}" y="{height - 22}" width="12" height="12" fill="{PALETTE[n % len(PALETTE)]}"/>')
        parts.append(f'<text x="{legend_x + 16}" y="{height - 12}" {_FONT}>{escape(name)}</text>')
    parts.append("</svg>")
    return _figure("".join(parts), caption)
