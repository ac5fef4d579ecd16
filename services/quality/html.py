"""The report as one self-contained HTML page: inline SVG bar charts and CSS, no scripts, no network."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

from services.quality.models import Bin, ColumnProfile, QualityReport, ValueCount

STYLE = """body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:1100px}table{border-collapse:collapse;margin:.6rem 0}
td,th{border:1px solid #ccc;padding:.25rem .55rem;text-align:left;vertical-align:top}th{background:#f4f4f4}
.note{color:#555}.high{color:#a00000}.medium{color:#8a4b00}.low{color:#555}.column{border-top:1px solid #ddd;padding-top:.6rem}
.charts{display:flex;gap:1.5rem;flex-wrap:wrap}svg text{font-size:10px;fill:#444}.flag{font-weight:bold;color:#a00000}"""
BAR = "#4c78a8"
WIDTH, HEIGHT = 360, 140


def esc(value: Any) -> str:
    return html.escape(str(value))


def fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return "—" if math.isnan(value) else f"{value:,.4g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return esc(value)


def bar_chart(labels: Sequence[str], counts: Sequence[int], title: str) -> str:
    """Vertical bars with the first and last label under them; each bar's value in its tooltip (<title>)."""
    top = max(counts, default=0) or 1
    width = (WIDTH - 20) / max(1, len(counts))
    bars = []
    for i, (label, count) in enumerate(zip(labels, counts, strict=True)):
        height = (HEIGHT - 30) * count / top
        bars.append(f"<rect x='{10 + i * width:.1f}' y='{HEIGHT - 18 - height:.1f}' width='{max(1.0, width - 1):.1f}' "
                    f"height='{height:.1f}' fill='{BAR}'><title>{esc(label)}: {count:,}</title></rect>")
    first, last = (esc(labels[0]), esc(labels[-1])) if labels else ("", "")
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{HEIGHT}' role='img' aria-label='{esc(title)}'>"
            f"<text x='10' y='10'>{esc(title)}</text>{''.join(bars)}<text x='10' y='{HEIGHT - 4}'>{first}</text>"
            f"<text x='{WIDTH - 10}' y='{HEIGHT - 4}' text-anchor='end'>{last}</text></svg>")


def histogram_chart(bins: tuple[Bin, ...], title: str) -> str:
    return bar_chart([f"{b.low:,.4g} – {b.high:,.4g}" for b in bins], [b.count for b in bins], title)


def values_chart(values: tuple[ValueCount, ...], title: str) -> str:
    """Horizontal bars, one per value, labelled."""
    top = max((v.count for v in values), default=0) or 1
    rows = []
    for i, v in enumerate(values):
        length = 180 * v.count / top
        y = i * 16
        rows.append(f"<text x='0' y='{y + 26}'>{esc(v.value[:28])}</text><rect x='170' y='{y + 16}' width='{max(1.0, length):.1f}' "
                    f"height='12' fill='{BAR}'/><text x='{175 + length:.1f}' y='{y + 26}'>{v.count:,}</text>")
    height = len(values) * 16 + 24
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH + 60}' height='{height}' role='img' aria-label='{esc(title)}'>"
            f"<text x='0' y='10'>{esc(title)}</text>{''.join(rows)}</svg>")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{fmt(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def render_html(report: QualityReport) -> str:
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>Data quality report: {esc(report.source)}</title>"
             f"<style>{STYLE}</style></head><body><h1>Data quality &amp; insights: {esc(report.source)}</h1>",
             f"<p>{report.rows:,} rows · {len(report.columns)} columns · {fmt(report.duplicate_rows)} duplicate rows · "
             f"computed in {report.seconds:.1f} s</p>"]
    if report.sql:
        parts.append(f"<pre>{esc(report.sql)}</pre>")
    parts += [f"<p class='note'>{esc(n)}</p>" for n in report.notes]
    parts.append(_warnings(report))
    parts.append(_target(report))
    parts.append(_leakage(report))
    parts.append(_quick_model(report))
    parts.append("<h2>Columns</h2>")
    parts.append(table(["column", "type", "kind", "missing", "distinct", "min", "max", "mean"],
                       [(c.name, c.type, c.kind, c.missing, c.distinct, c.minimum, c.maximum, c.mean) for c in report.columns]))
    parts += [_column(c) for c in report.columns]
    parts.append("<h2>Queries</h2>" + "".join(f"<pre>{esc(q)}</pre>" for q in report.queries))
    return "".join(parts) + "</body></html>"


def _warnings(report: QualityReport) -> str:
    if not report.warnings:
        return "<h2>Warnings</h2><p>No warnings.</p>"
    items = "".join(f"<li class='{esc(w.severity)}'><b>{esc(w.severity)}</b>: {esc(w.message)}</li>" for w in report.warnings)
    return f"<h2>Warnings</h2><ul>{items}</ul>"


def _target(report: QualityReport) -> str:
    target = report.target
    if target is None:
        return ""
    chart = values_chart(target.classes, f"{target.column}: class balance") if target.classes else \
        histogram_chart(target.histogram, f"{target.column}: distribution")
    return f"<h2>Target: {esc(target.column)} ({esc(target.problem_type or 'one value')})</h2>{chart}"


def _leakage(report: QualityReport) -> str:
    if not report.leakage:
        return ""
    rows = [(s.feature, s.method, s.metric, s.score, s.baseline, s.power, "near-perfect: leakage?" if s.flagged else "")
            for s in report.leakage]
    return ("<h2>Target leakage</h2><p class='note'>Each feature alone, cross-validated on the sample; power 0 = no better than "
            "the baseline, 1 = perfect.</p>" + table(["feature", "model", "metric", "score", "baseline", "power", ""], rows))


def _quick_model(report: QualityReport) -> str:
    model = report.quick_model
    if model is None:
        return ""
    chart = values_chart(tuple(ValueCount(name, round(value * 1000)) for name, value in model.importances[:15]),
                         "feature importance (‰)")
    return (f"<h2>Quick Model</h2><p>{esc(model.problem_type)}: {esc(model.metric)} = {model.score:.4f} on {model.test_rows:,} "
            f"test rows (trained on {model.train_rows:,}).</p>{chart}")


def _column(c: ColumnProfile) -> str:
    charts = []
    if c.histogram:
        charts.append(histogram_chart(c.histogram, f"{c.name}: histogram"))
    if c.top_values:
        charts.append(values_chart(c.top_values, f"{c.name}: top values"))
    details = []
    if c.quantiles:
        details.append("quantiles: " + ", ".join(f"p{round(q * 100)} = {fmt(v)}" for q, v in c.quantiles))
    if c.outliers is not None:
        o = c.outliers
        details.append(f"outliers (sample of {o.sample_rows:,}): {o.count:,} outside [{fmt(o.low_fence)}, {fmt(o.high_fence)}]"
                       + (f", e.g. {', '.join(fmt(v) for v in o.examples)}" if o.examples else ""))
    if c.text is not None:
        t = c.text
        details.append(f"length {fmt(t.length_min)}–{fmt(t.length_max)} (mean {fmt(t.length_mean)}), {t.empty:,} empty, "
                       f"{t.very_short:,} shorter than {t.short_length} characters")
        charts.append(histogram_chart(t.length_histogram, f"{c.name}: text length"))
        if t.top_words:
            charts.append(values_chart(t.top_words, f"{c.name}: top words (sample of {t.sample_rows:,})"))
    text = "".join(f"<p class='note'>{esc(d)}</p>" for d in details)
    return f"<div class='column'><h3>{esc(c.name)} <small>{esc(c.type)} · {esc(c.kind)}</small></h3>{text}" \
           f"<div class='charts'>{''.join(charts)}</div></div>"
