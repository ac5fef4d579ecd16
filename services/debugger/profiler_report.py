"""Debugger's ProfilerReport as one self-contained HTML file: inline SVG and CSS, no scripts, no network.

Pure: a job, its recorded series and its rule statuses in, bytes out. The sections follow SageMaker's
``profiler-report.html``: a training job summary, the rule summary (with advice), system utilisation per core over
time, and the step-duration histogram with outliers. Outliers use Debugger's ``StepOutlier`` criterion: a step is an
outlier when its duration is above the mean plus ``stddev`` (default 3) standard deviations; the report lists at
most ``n_outliers`` (default 10) of them, slowest first.
"""

from __future__ import annotations

import html
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.debugger.models import DebugSeries, RuleStatus
from services.models import Job

STDDEV = 3  # StepOutlier's default ``stddev``
N_OUTLIERS = 10  # StepOutlier's default ``n_outliers``
MAX_COLUMNS = 120  # heat-map time buckets: long jobs are averaged into this many columns
HISTOGRAM_BINS = 20
STATUS_COLOURS = {"IssuesFound": "#ffd6d6", "NoIssuesFound": "#d8f3dc", "InProgress": "#e8eefc", "Error": "#ffe8a3",
                  "Stopped": "#eeeeee", "Stopping": "#eeeeee"}
STYLE = """body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:1100px}table{border-collapse:collapse;margin:.6rem 0}
td,th{border:1px solid #ccc;padding:.25rem .55rem;text-align:left;vertical-align:top}th{background:#f4f4f4}
.note{color:#555}svg text{font-size:10px;fill:#444}"""


@dataclass(frozen=True)
class StepDuration:
    step: int
    seconds: float


def esc(value: Any) -> str:
    return html.escape(str(value))


def step_durations(scalars: Sequence[dict[str, Any]]) -> list[StepDuration]:
    """Seconds per step between consecutive TRAIN steps (first time each step was reported); a gap of several steps
    is spread evenly over them, as the time was."""
    first_seen: dict[int, float] = {}
    for point in scalars:
        step, seconds = point.get("step"), point.get("seconds")
        if point.get("mode", "TRAIN") != "TRAIN" or step is None or seconds is None:
            continue
        first_seen[int(step)] = min(float(seconds), first_seen.get(int(step), math.inf))
    ordered = sorted(first_seen.items())
    return [StepDuration(step, (seconds - before) / (step - previous))
            for (previous, before), (step, seconds) in zip(ordered, ordered[1:], strict=False)]


def step_outliers(durations: Sequence[StepDuration], stddev: float = STDDEV,
                  limit: int = N_OUTLIERS) -> list[StepDuration]:
    """Steps slower than mean + ``stddev`` × standard deviation (Debugger's StepOutlier), slowest first."""
    if len(durations) < 2:
        return []
    values = [d.seconds for d in durations]
    threshold = statistics.fmean(values) + stddev * statistics.pstdev(values)
    return sorted((d for d in durations if d.seconds > threshold), key=lambda d: -d.seconds)[:limit]


def cpu_matrix(system: Sequence[dict[str, Any]], columns: int = MAX_COLUMNS) -> tuple[list[list[float]], float, float]:
    """Per-core CPU % averaged into at most ``columns`` time buckets: (rows = cores, first second, last second)."""
    samples = [s for s in system if s.get("cpu")]
    if not samples:
        return [], 0.0, 0.0
    cores = max(len(s["cpu"]) for s in samples)
    start, end = float(samples[0]["seconds"]), float(samples[-1]["seconds"])
    width = max(1, min(columns, len(samples)))
    sums = [[0.0] * width for _ in range(cores)]
    counts = [0] * width
    for sample in samples:
        column = min(width - 1, int((float(sample["seconds"]) - start) / ((end - start) or 1) * width))
        counts[column] += 1
        for core, value in enumerate(sample["cpu"]):
            sums[core][column] += float(value)
    return [[total / counts[c] if counts[c] else math.nan for c, total in enumerate(row)] for row in sums], start, end


def heat_colour(percent: float) -> str:
    """White (idle) to dark red (busy)."""
    if math.isnan(percent):
        return "#f4f4f4"
    level = max(0.0, min(1.0, percent / 100))
    return f"rgb({255 - int(level * 80)},{255 - int(level * 200)},{255 - int(level * 200)})"


def heat_map(system: Sequence[dict[str, Any]]) -> str:
    matrix, start, end = cpu_matrix(system)
    if not matrix:
        return "<p class='note'>No system metrics were recorded.</p>"
    cell_w, cell_h = 800 / len(matrix[0]), 14
    cells = [f"<rect x='{50 + c * cell_w:.1f}' y='{16 + core * cell_h}' width='{cell_w + 0.2:.1f}' height='{cell_h - 1}' "
             f"fill='{heat_colour(value)}'><title>core {core}: {value:.0f}%</title></rect>"
             for core, row in enumerate(matrix) for c, value in enumerate(row)]
    labels = [f"<text x='0' y='{16 + core * cell_h + 10}'>core {core}</text>" for core in range(len(matrix))]
    height = 16 + len(matrix) * cell_h + 16
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='860' height='{height}' role='img' "
            f"aria-label='CPU utilisation per core'><text x='50' y='10'>CPU % per core over time (white 0 %, red 100 %)</text>"
            f"{''.join(labels)}{''.join(cells)}<text x='50' y='{height - 2}'>{start:.0f} s</text>"
            f"<text x='850' y='{height - 2}' text-anchor='end'>{end:.0f} s</text></svg>")


def histogram(values: Sequence[float], bins: int = HISTOGRAM_BINS) -> str:
    if not values:
        return "<p class='note'>No step timings were recorded (the job reported no steps).</p>"
    low, high = min(values), max(values)
    size = (high - low) / bins or 1.0
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, int((value - low) / size))] += 1
    top, bar_w = max(counts), 800 / bins
    bars = [f"<rect x='{10 + i * bar_w:.1f}' y='{150 - 120 * n / top:.1f}' width='{bar_w - 1:.1f}' height='{120 * n / top:.1f}' "
            f"fill='#4c78a8'><title>{low + i * size:.3g}–{low + (i + 1) * size:.3g} s: {n} steps</title></rect>"
            for i, n in enumerate(counts)]
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='820' height='170' role='img' aria-label='Step durations'>"
            f"<text x='10' y='12'>Step duration (s), {len(values)} steps</text>{''.join(bars)}"
            f"<text x='10' y='166'>{low:.3g} s</text><text x='810' y='166' text-anchor='end'>{high:.3g} s</text></svg>")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], colours: Sequence[str] = ()) -> str:
    """Rows with an optional background colour each (the rule summary colours rows by status)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    lines = []
    for index, row in enumerate(rows):
        style = f" style='background:{colours[index]}'" if index < len(colours) and colours[index] else ""
        lines.append(f"<tr{style}>" + "".join(f"<td>{esc('—' if c is None else c)}</td>" for c in row) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(lines)}</table>"


def summary(job: Job, series: DebugSeries) -> list[tuple[str, Any]]:
    """(label, value) rows: duration, steps, CPU and memory peaks."""
    system = series.system
    seconds = float(system[-1]["seconds"]) - float(system[0]["seconds"]) if len(system) > 1 else None
    steps = [int(p["step"]) for p in series.scalars if p.get("step") is not None]
    cpu = [statistics.fmean(s["cpu"]) for s in system if s.get("cpu")]
    core_peak = max((max(s["cpu"]) for s in system if s.get("cpu")), default=None)
    memory = [float(s["memory_percent"]) for s in system if s.get("memory_percent") is not None]
    rss = [float(s["rss_mb"]) for s in system if s.get("rss_mb") is not None]
    return [("Job", job.name), ("Status", job.status), ("Kind", job.kind),
            ("Profiled for", f"{seconds:,.1f} s" if seconds is not None else None),
            ("Steps", f"{max(steps):,}" if steps else None), ("System samples", f"{len(system):,}"),
            ("CPU peak (mean of cores)", f"{max(cpu):.0f} %" if cpu else None),
            ("CPU peak (busiest core)", f"{core_peak:.0f} %" if core_peak is not None else None),
            ("Memory peak", f"{max(memory):.1f} %" if memory else None),
            ("Process memory peak (RSS)", f"{max(rss):,.0f} MB" if rss else None)]


def rule_rows(statuses: Sequence[RuleStatus], catalog: dict[str, dict[str, Any]]) -> list[list[Any]]:
    return [[s.configuration_name, s.rule, s.status, s.details, s.fired_at_step,
             (catalog.get(s.rule) or {}).get("advice", "")] for s in statuses]


def profiler_html(job: Job, series: DebugSeries, statuses: list[RuleStatus],
                  catalog: dict[str, dict[str, Any]] | None = None) -> bytes:
    """The report as UTF-8 HTML; ``catalog`` (the port's ``rule_catalog()``) supplies each rule's advice."""
    durations = step_durations(series.scalars)
    outliers = step_outliers(durations)
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>Profiler report: {esc(job.name)}</title>"
             f"<style>{STYLE}</style></head><body><h1>Profiler report: {esc(job.name)}</h1>",
             "<h2>Training job summary</h2>", table(["", ""], summary(job, series)),
             "<h2>Rule summary</h2>"]
    if statuses:
        parts.append(table(["Rule configuration", "Rule", "Status", "Details", "Fired at step", "Advice"],
                           rule_rows(statuses, catalog or {}), [STATUS_COLOURS.get(s.status, "") for s in statuses]))
    else:
        parts.append("<p class='note'>No rules were configured for this job.</p>")
    parts += ["<h2>System utilisation</h2>", heat_map(series.system), "<h2>Step durations</h2>",
              histogram([d.seconds for d in durations]),
              f"<p class='note'>Outliers: steps slower than the mean plus {STDDEV} standard deviations "
              f"(Debugger's StepOutlier rule); at most {N_OUTLIERS} shown.</p>"]
    parts.append(table(["Step", "Duration (s)"], [[d.step, f"{d.seconds:.3f}"] for d in outliers]) if outliers
                 else "<p>No step outliers.</p>")
    parts.append("</body></html>")
    return "".join(parts).encode("utf-8")
