"""Charts as inline SVG, built by hand: no script, no font, no file, nothing fetched to draw them.

Pure functions over labels and numbers; every label is escaped. The SVG elements carry no ``xmlns`` (inline SVG
in HTML needs none), so the exported file holds no URL at all.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

WIDTH = 640
LABEL_WIDTH = 210
VALUE_WIDTH = 70
ROW_HEIGHT = 20
TOP = 24
MAX_LABEL_CHARS = 32
BAR = "#2563eb"
HIGHLIGHT = "#16a34a"
NEGATIVE = "#dc2626"


def bar_chart(labels: Sequence[str], values: Sequence[float | None], *, title: str, digits: int = 4,
              highlight: int | None = None, colours: Sequence[str] = ()) -> str:
    """Horizontal bars, one per label, from a zero line (negative values go left, in red); a missing or
    infinite value gets no bar and prints as "—"/"∞". ``highlight`` colours one bar green; ``colours`` (one per
    bar) replace the default ones."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    low, high = min([0.0, *finite]), max([0.0, *finite])
    span = (high - low) or 1.0
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    zero = LABEL_WIDTH + plot * (0.0 - low) / span
    height = TOP + ROW_HEIGHT * len(labels) + 6
    rows = [_row(index, label, value, low, span, zero, digits, _colour(index, value, highlight, colours))
            for index, (label, value) in enumerate(zip(labels, values))]
    return (f"<svg class='chart' width='{WIDTH}' height='{height}' viewBox='0 0 {WIDTH} {height}' role='img' "
            f"aria-label='{_esc(title)}'><title>{_esc(title)}</title>"
            f"<text x='0' y='14' class='chart-title'>{_esc(title)}</text>{''.join(rows)}"
            f"<line x1='{zero:.1f}' y1='{TOP - 4}' x2='{zero:.1f}' y2='{height - 4}' stroke='#555' stroke-width='1'/></svg>")


def _colour(index: int, value: float | None, highlight: int | None, colours: Sequence[str]) -> str:
    if index < len(colours):
        return colours[index]
    return HIGHLIGHT if index == highlight else NEGATIVE if value is not None and value < 0 else BAR


def _row(index: int, label: str, value: float | None, low: float, span: float, zero: float, digits: int,
         colour: str) -> str:
    y = TOP + ROW_HEIGHT * index
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    parts = [f"<text x='{LABEL_WIDTH - 6}' y='{y + 14}' text-anchor='end'>{_esc(_short(label))}</text>"]
    if value is not None and math.isfinite(value):
        end = LABEL_WIDTH + plot * (value - low) / span
        parts.append(f"<rect x='{min(zero, end):.1f}' y='{y + 3}' width='{max(abs(end - zero), 1.0):.1f}' "
                     f"height='{ROW_HEIGHT - 6}' fill='{colour}'><title>{_esc(label)}: {number(value, digits)}</title></rect>")
    parts.append(f"<text x='{WIDTH - VALUE_WIDTH + 6}' y='{y + 14}'>{_esc(number(value, digits))}</text>")
    return "".join(parts)


def number(value: float | None, digits: int = 4) -> str:
    """A figure as the file prints it: "—" when missing, "∞"/"−∞", else ``digits`` significant decimals."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return f"{value:,.{digits}f}" if abs(value) < 1e6 else f"{value:,.0f}"


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL_CHARS else label[:MAX_LABEL_CHARS - 1] + "…"


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)
