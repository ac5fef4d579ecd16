"""A bias report in words an analyst can repeat: how big the difference is, whether its interval
includes 0, and which metrics are flagged and why.

Pure functions over a report's plain data (``StageReport``, ``FacetEntry``), reached through
``StageReport.headline`` / ``StageReport.summary``; the page and the HTML report say the same sentences.
"""

from __future__ import annotations

import math

from services.bias.models import FacetEntry, FlagReason, Headline, MetricValue, StageReport, flag, flag_reason, group_words

SEVERITY = {"grey": 0, "green": 1, "amber": 2, "red": 3}
GAP_METRICS = {"pre": "DPL", "post": "DPPL"}  # the difference in (predicted) positive rates, a minus d


def entry_headline(stage: StageReport, entry: FacetEntry, stage_name: str = "pre") -> Headline:
    """The verdict for one facet group of a stage (``stage_name``: pre | post)."""
    reasons = tuple(r for r in (flag_reason(m) for m in sorted(entry.metrics, key=lambda m: m.name)) if r is not None)
    failed = tuple(f"{m.name}: {m.error}" for m in entry.metrics if m.value is None and m.error)
    levels = [flag(m.name, m.value) for m in entry.metrics]
    level = max(levels, key=SEVERITY.__getitem__, default="grey")
    sentences = [_gap_sentence(stage, entry, stage_name), _flag_sentence(reasons, entry)]
    return Headline(" ".join(s for s in sentences if s), level, reasons, failed)


def stage_summary(stage: StageReport, stage_name: str = "pre") -> str:
    """One-vs-all in one sentence: which value differs most, and which values have flagged metrics."""
    metric_name = GAP_METRICS[stage_name]
    gaps = [(e, _metric(e, metric_name)) for e in stage.entries]
    known = [(e, m.value) for e, m in gaps if m is not None and m.value is not None and not math.isinf(m.value)]
    parts = [f"Each of the {len(stage.entries)} {stage.facet} values against all the others."]
    if known:
        entry, value = max(known, key=lambda pair: abs(pair[1]))
        direction = "less" if value > 0 else "more"
        outcome = "predicted positive" if stage_name == "post" else "positive"
        parts.append(f"The largest gap: {stage.facet} {group_words(entry.value_or_threshold)} is {outcome} "
                     f"{_points(value)} {direction} often than the rest ({metric_name} = {_number(value)}).")
    red = [(e.value_or_threshold, sorted(m.name for m in e.metrics if flag(m.name, m.value) == "red")) for e in stage.entries]
    flagged = [(v, names) for v, names in red if names]
    if flagged:
        listed = "; ".join(f"{v} ({', '.join(names)})" for v, names in flagged)
        parts.append(f"{len(flagged)} of {len(stage.entries)} values have red metrics: {listed}.")
    else:
        parts.append("No value has a red metric.")
    return " ".join(parts)


def _gap_sentence(stage: StageReport, entry: FacetEntry, stage_name: str) -> str:
    """How big the difference in (predicted) positive rates is, and whether its interval includes 0."""
    metric_name = GAP_METRICS[stage_name]
    counts, metric = entry.counts, _metric(entry, metric_name)
    outcome = ("the model predicts the positive label" if stage_name == "post"
               else f"the label is positive ({stage.label} {group_words(stage.label_value_or_threshold)})")
    d_words = f"{stage.facet} {group_words(entry.value_or_threshold)}"
    if "n_d" not in counts:  # a Clarify job's analysis.json has no counts; its DPL / DPPL is the same gap
        if metric is None or metric.value is None or math.isinf(metric.value):
            return ""
        size = (f"For rows with {d_words} (d), {outcome} {_points(metric.value)} "
                f"{'less' if metric.value > 0 else 'more'} often than for the rest (a).")
        return f"{size} {_interval_sentence(metric, metric_name)}"
    rate_d, rate_a = _rates(counts, stage_name)
    d_words = f"{d_words} (d, {counts.get('n_d', 0):,} rows)"
    if rate_d is None or rate_a is None:
        return f"The group {d_words} or the rest (a) has no rows, so the groups cannot be compared."
    gap = rate_a - rate_d
    if abs(gap) < 0.0005:
        size = f"For rows with {d_words}, {outcome} as often as for the rest (a): {rate_d:.1%} each."
    else:
        size = (f"For rows with {d_words}, {outcome} {_points(gap)} {'less' if gap > 0 else 'more'} often "
                f"than for the rest (a): {rate_d:.1%} against {rate_a:.1%}.")
    return f"{size} {_interval_sentence(metric, metric_name)}"


def _interval_sentence(metric: MetricValue | None, name: str) -> str:
    if metric is None or metric.ci_low is None or metric.ci_high is None:
        return f"No 95 % interval for {name} was computed, so chance cannot be ruled out."
    low, high = _number(metric.ci_low), _number(metric.ci_high)
    if metric.ci_low <= 0 <= metric.ci_high:
        return f"The 95 % interval of {name}, {low} to {high}, includes 0: the difference may be chance."
    return f"The 95 % interval of {name}, {low} to {high}, excludes 0: the difference is unlikely to be chance."


def _flag_sentence(reasons: tuple[FlagReason, ...], entry: FacetEntry) -> str:
    if not any(m.value is not None for m in entry.metrics):
        return "No metric could be computed."
    if not reasons:
        return "No metric is flagged: every value is within its tolerance of the ideal."
    red = [r.metric for r in reasons if r.level == "red"]
    amber = [r.metric for r in reasons if r.level == "amber"]
    parts = ([f"{', '.join(red)} far from the ideal (red)"] if red else [])
    parts += [f"{', '.join(amber)} worth a check (amber)"] if amber else []
    return f"Flagged: {'; '.join(parts)}."


def _rates(counts: dict[str, object], stage_name: str) -> tuple[float | None, float | None]:
    if stage_name == "pre":
        return _float(counts.get("rate_d")), _float(counts.get("rate_a"))
    n_d, n_a = _float(counts.get("n_d")), _float(counts.get("n_a"))
    hits_d, hits_a = _float(counts.get("predicted_positive_d")), _float(counts.get("predicted_positive_a"))
    rate_d = hits_d / n_d if n_d and hits_d is not None else None
    rate_a = hits_a / n_a if n_a and hits_a is not None else None
    return rate_d, rate_a


def _metric(entry: FacetEntry, name: str) -> MetricValue | None:
    return next((m for m in entry.metrics if m.name == name), None)


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _points(difference: float) -> str:
    points = abs(difference) * 100
    return f"{points:.1f} percentage point{'s' if round(points, 1) != 1 else ''}"


def _number(value: float) -> str:
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return f"{value:.3f}"
