"""A self-contained HTML bias report (no scripts, no external files) to download or mail."""

from __future__ import annotations

import html
import math

from services.bias.models import FLAG_WORDS, INFO, BiasReport, FacetEntry, StageReport, flag

COLOURS = {"green": "#d8f3dc", "amber": "#ffe8a3", "red": "#ffd6d6", "grey": "#eeeeee"}
STYLE = """body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin:1rem 0}
td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}th{background:#f4f4f4}
.note{color:#555}.warning{color:#8a4b00}.verdict{font-size:1.05rem;max-width:60rem}"""


def number(value: float | None) -> str:
    if value is None:
        return "—"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return f"{value:.4f}"


def render_html(report: BiasReport) -> str:
    config = report.config
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>Bias report</title><style>{STYLE}</style></head><body>",
             "<h1>Bias report</h1>",
             f"<p>Data: <b>{html.escape(str(config.get('dataset', '')))}</b> · {report.rows:,} rows · "
             f"label <b>{html.escape(report.pre.label)}</b> positive when {html.escape(report.pre.label_value_or_threshold)} · "
             f"facet <b>{html.escape(report.pre.facet)}</b></p>"]
    parts += [f"<p class='warning'>Warning: {html.escape(w)}</p>" for w in report.warnings]
    parts += [f"<p class='note'>{html.escape(n)}</p>" for n in report.notes]
    parts.append(_stage("Pre-training metrics", report.pre))
    if report.post is not None:
        parts.append(_stage("Post-training metrics", report.post))
    parts.append("</body></html>")
    return "\n".join(parts)


def _stage(title: str, stage: StageReport) -> str:
    if stage.error:
        return f"<h2>{title}</h2><p class='warning'>{html.escape(stage.error)}</p>"
    summary = f"<p class='verdict'>{html.escape(stage.summary())}</p>" if len(stage.entries) > 1 else ""
    return f"<h2>{title}</h2>{summary}" + "".join(_entry(stage, entry) for entry in stage.entries)


def _entry(stage: StageReport, entry: FacetEntry) -> str:
    counts = entry.counts
    headline = stage.headline(entry)
    reasons = "".join(f"<li>{html.escape(r.reason)}</li>" for r in headline.flagged)
    verdict = f"<p class='verdict'><b>{html.escape(headline.verdict)}</b></p>" + (f"<ul>{reasons}</ul>" if reasons else "")
    rows = ["<tr><th>Flag</th><th>Metric</th><th>Value</th><th>95 % interval</th><th>Ideal · range</th><th>What it says</th></tr>"]
    for metric in sorted(entry.metrics, key=lambda m: m.name):
        info = INFO[metric.name]
        interval = f"{number(metric.ci_low)} … {number(metric.ci_high)}" if metric.ci_low is not None else ""
        value = number(metric.value) if metric.value is not None else f"error: {html.escape(metric.error)}"
        level = flag(metric.name, metric.value)
        rows.append(f"<tr style='background:{COLOURS[level]}'><td>{FLAG_WORDS[level]}</td><td>{html.escape(metric.description)}</td>"
                    f"<td>{value}</td><td>{interval}</td><td>{info.ideal:g} · {info.range_text}</td>"
                    f"<td>{html.escape(info.plain)} Positive: {html.escape(info.positive_means)}.</td></tr>")
    summary = (f"n_d = {counts.get('n_d', 0):,}, n_a = {counts.get('n_a', 0):,}; positive rate d = {number(counts.get('rate_d'))}, "
               f"a = {number(counts.get('rate_a'))}")
    return (f"<h3>{html.escape(stage.facet)} = {html.escape(entry.value_or_threshold)} (d) vs the rest (a)</h3>"
            f"{verdict}<p>{summary}</p><table>{''.join(rows)}</table>")
