"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, printable, testable."""
import math
from datetime import datetime, timezone, tzinfo

from markupsafe import Markup, escape

PAD_L, PAD_R, PAD_T, PAD_B = 56, 12, 24, 40
UTC = timezone.utc


def nice_max(value: float) -> float:
    """A round axis maximum at or above `value` (1, 2, 2.5, 5 x 10^n)."""
    if value <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp:
            return step * exp
    return 10 * exp


def whole_max(value: float, ticks: int = 4) -> int:
    """An axis maximum for counts: `ticks` equal integer steps (1, 2, 3, 5 x 10^n) reaching `value`."""
    raw = max(value, 1) / ticks
    exp = 10 ** max(0, math.floor(math.log10(raw)))
    step = next(m * exp for m in (1, 2, 3, 5, 10) if raw <= m * exp)
    return int(step * ticks)


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")


def _frame(width: int, height: int, top: float, unit: str, title: str) -> list[str]:
    inner_h = height - PAD_T - PAD_B
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">', f"<title>{escape(title)}</title>"]
    for i in range(5):
        y = PAD_T + inner_h - inner_h * i / 4
        parts.append(f'<line class="grid" x1="{PAD_L}" x2="{width - PAD_R}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="tick" x="{PAD_L - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(top * i / 4)}</text>')
    parts.append(f'<text class="unit" x="4" y="14">{escape(unit)}</text>')
    return parts


def _legend(series_names: list[tuple[str, str]], width: int) -> list[str]:
    parts, x = [], width - PAD_R
    for name, css in reversed(series_names):
        x -= 8 * len(name) + 26
        parts.append(f'<rect class="{css}" x="{x}" y="4" width="10" height="10"/>'
                     f'<text class="legend" x="{x + 14}" y="13">{escape(name)}</text>')
    return parts


def line_chart(series: list[tuple[str, list[tuple[datetime, float]], str]], title: str, unit: str,
               width: int = 720, height: int = 240, zone: tzinfo = UTC) -> Markup:
    """Time series as polylines sharing one time axis and one value axis; the axis ends read in `zone`."""
    points = [p for _, pts, _ in series for p in pts]
    if not points:
        return Markup(f'<p class="muted chart-empty">{escape(title)}: no samples yet.</p>')
    t0, t1 = min(p[0] for p in points), max(p[0] for p in points)
    span = max((t1 - t0).total_seconds(), 1.0)
    top = nice_max(max(p[1] for p in points))
    inner_w, inner_h = width - PAD_L - PAD_R, height - PAD_T - PAD_B
    parts = _frame(width, height, top, unit, title)
    for name, pts, css in series:
        if not pts:
            continue
        coords = " ".join(f"{PAD_L + inner_w * (t - t0).total_seconds() / span:.1f},"
                          f"{PAD_T + inner_h - inner_h * v / top:.1f}" for t, v in pts)
        parts.append(f'<polyline class="line {css}" points="{coords}"><title>{escape(name)}</title></polyline>')
    for frac, when in ((0, t0), (1, t1)):
        anchor = "start" if frac == 0 else "end"
        parts.append(f'<text class="tick" x="{PAD_L + inner_w * frac:.1f}" y="{height - PAD_B + 16}" '
                     f'text-anchor="{anchor}">{when.astimezone(zone):%H:%M:%S %Z}</text>')
    parts += _legend([(n, c) for n, _, c in series], width)
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(labels: list[str], series: list[tuple[str, list[float], str]], title: str, unit: str,
              width: int = 720, height: int = 240, label_every: int | None = None, whole: bool = False,
              value_format=None) -> Markup:
    """Grouped bars: one group per label, one bar per series. `whole`: the values are counts, so the axis
    ticks are integers; `value_format` writes each bar's value in its tooltip (as the page's tables do)."""
    values = [v for _, vals, _ in series for v in vals]
    if not labels or not values:
        return Markup(f'<p class="muted chart-empty">{escape(title)}: no data in this period.</p>')
    top = whole_max(max(values)) if whole else nice_max(max(values))
    shown = value_format or _fmt
    inner_w, inner_h = width - PAD_L - PAD_R, height - PAD_T - PAD_B
    group_w = inner_w / len(labels)
    bar_w = min(48.0, max(1.0, group_w * 0.8 / len(series)))
    every = label_every or max(1, math.ceil(len(labels) / 12))
    parts = _frame(width, height, top, unit, title)
    for i, label in enumerate(labels):
        x0 = PAD_L + group_w * i + (group_w - bar_w * len(series)) / 2
        for j, (name, vals, css) in enumerate(series):
            v = vals[i]
            h = inner_h * v / top
            parts.append(f'<rect class="bar {css}" x="{x0 + j * bar_w:.1f}" y="{PAD_T + inner_h - h:.1f}" '
                         f'width="{bar_w:.1f}" height="{h:.1f}"><title>{escape(label)} · {escape(name)}: '
                         f'{shown(v)} {escape(unit)}</title></rect>')
        if i % every == 0:
            parts.append(f'<text class="tick" x="{PAD_L + group_w * (i + 0.5):.1f}" y="{height - PAD_B + 16}" '
                         f'text-anchor="middle">{escape(label)}</text>')
    if len(series) > 1:
        parts += _legend([(n, c) for n, _, c in series], width)
    parts.append("</svg>")
    return Markup("".join(parts))
