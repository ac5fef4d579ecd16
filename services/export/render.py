"""The export as one HTML document: inline CSS and SVG only, every user string escaped, nothing to fetch.

Pure: ``render_html(SessionData)`` reads nothing but its argument. Every section is present; one with nothing
says "Nothing yet" and what to do, one cut by a cap says how many it shows, one that could not be read says why.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from services.bias.models import INFO, FacetEntry, Headline, StageReport, flag
from services.export import collect
from services.export.data import BiasEntry, Leaderboard, Listing, ScoredReview, SectionSummary, SessionData
from services.export.svg import bar_chart, number
from services.label_map import label_map
from services.models import HistoryEntry, Job, RunSummary

MAX_SQL_CHARS = 2_000
MAX_FACET_GROUPS = 6
MAX_COLUMNS = 12  # parameters (and metrics) of the runs table
MAX_JOB_METRICS = 8
MAX_CHART_BARS = 20
POSITIVE_RGB = "22, 163, 74"  # as the Score page shades words: green pushes towards the class
NEGATIVE_RGB = "220, 38, 38"  # red pushes away from it
FLAG_COLOURS = {"green": "#d8f3dc", "amber": "#ffe8a3", "red": "#ffd6d6", "grey": "#eeeeee"}  # metric cells
LEVEL_COLOURS = {"green": "#16a34a", "amber": "#d97706", "red": "#dc2626", "grey": "#9aa5b1"}  # a verdict's worst flag
STYLE = """body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1100px;color:#1f2933;
padding:0 1rem}h1{margin-bottom:.2rem}h2{border-bottom:2px solid #2563eb;padding-bottom:.2rem;margin-top:2.5rem}
table{border-collapse:collapse;margin:.8rem 0;font-size:.9rem}td,th{border:1px solid #cbd2d9;padding:.25rem .5rem;
text-align:left;vertical-align:top}th{background:#f0f4f8}td.num{text-align:right;white-space:nowrap}
pre{white-space:pre-wrap;word-break:break-word;margin:0;font-size:.85rem}.note{color:#52606d}.error{color:#b91c1c}
.warning{color:#8a4b00}.empty{color:#52606d;font-style:italic}.card{border:1px solid #cbd2d9;border-radius:6px;
padding:.6rem .9rem;margin:.8rem 0}.words{line-height:2;font-size:1.05rem}.words span{border-radius:3px;padding:1px 0}
.label{font-weight:600}
.verdict{padding:.2rem .6rem;font-weight:600}svg.chart text{font-size:11px;fill:#323f4b}svg.chart .chart-title{font-weight:600}
nav li{margin:.1rem 0}.state-FAILED,.state-CANCELLED,.state-Failed,.state-Stopped{color:#b91c1c}"""

SECTIONS = (
    ("queries", "Queries run"), ("bias", "Bias reports"), ("leaderboards", "Autopilot leaderboards"),
    ("training", "Training jobs"), ("runs", "Compared runs"), ("reviews", "Scored reviews"),
)
NOTHING_YET = {
    "queries": "Nothing yet: run a query on the Query page.",
    "bias": "Nothing yet: run a bias analysis as a job on the Bias page.",
    "leaderboards": "Nothing yet: start an Autopilot job on the Train page.",
    "training": "Nothing yet: train a model on the Train page.",
    "runs": "Nothing yet: every training or Autopilot job logs its runs here.",
    "reviews": "Nothing yet: deploy a model on the Endpoints page and score a review on the Score page.",
}
SOURCES = {
    "queries": "From the query history (Athena's: every statement with its state, rows and run time).",
    "bias": "The newest completed bias jobs (Clarify's analysis.json and the workbench's intervals).",
    "leaderboards": "The newest Autopilot jobs, each with its best candidates.",
    "training": "The newest training jobs with the metrics they reported.",
    "runs": "The newest experiment runs (MLflow), their parameters and metrics side by side.",
    "reviews": "From the endpoints' data capture (what each endpoint was asked and answered, newest first); an endpoint "
               "deployed with data capture off records nothing.",
}
CAPS = {"queries": collect.MAX_QUERIES, "bias": collect.MAX_BIAS_REPORTS, "leaderboards": collect.MAX_LEADERBOARDS,
        "training": collect.MAX_TRAINING_JOBS, "runs": collect.MAX_RUNS, "reviews": collect.MAX_REVIEWS}


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def listings(data: SessionData) -> dict[str, Listing[Any]]:
    return {"queries": data.queries, "bias": data.bias, "leaderboards": data.leaderboards, "training": data.training,
            "runs": data.runs, "reviews": data.reviews}


def section_summaries(data: SessionData) -> tuple[SectionSummary, ...]:
    """How many items each section of the file holds."""
    found = listings(data)
    return tuple(SectionSummary(key, title, len(found[key].items), found[key].more, found[key].error)
                 for key, title in SECTIONS)


def render_html(data: SessionData) -> str:
    """The whole document."""
    found = listings(data)
    bodies = {"queries": lambda: queries_html(data.queries.items), "bias": lambda: bias_html(data.bias.items),
              "leaderboards": lambda: leaderboards_html(data.leaderboards.items),
              "training": lambda: training_html(data.training.items), "runs": lambda: runs_html(data.runs.items),
              "reviews": lambda: reviews_html(data.reviews.items)}
    sections = [section_html(key, title, found[key], bodies[key]) for key, title in SECTIONS]
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>Workbench session {esc(data.created_at[:10])}</title><style>{STYLE}</style></head><body>"
            "<h1>Practical Data Science Workbench: session</h1>"
            f"<p class='note'>Exported {esc(data.created_at[:19].replace('T', ' '))} UTC · backend: {esc(data.backend)}. "
            "This file is self-contained: no script, no external file, nothing fetched.</p>"
            f"{contents_html(section_summaries(data))}{''.join(sections)}</body></html>")


def contents_html(summaries: Iterable[SectionSummary]) -> str:
    items = [f"<li><a href='#{s.key}'>{esc(s.title)}</a>: {s.count}{'+' if s.more else ''}"
             f"{' (could not be read)' if s.error else ''}</li>" for s in summaries]
    return f"<nav><ul>{''.join(items)}</ul></nav>"


def section_html(key: str, title: str, listing: Listing[Any], body: Callable[[], str]) -> str:
    head = f"<section id='{key}'><h2>{esc(title)}</h2><p class='note'>{esc(SOURCES[key])}</p>"
    if listing.error:
        return f"{head}<p class='error'>Could not be read: {esc(listing.error)}</p></section>"
    if not listing.items:
        return f"{head}<p class='empty'>{esc(NOTHING_YET[key])}</p></section>"
    cap = "" if not listing.more else (f"<p class='note'>Showing the newest {len(listing.items)}; older ones were left "
                                       f"out (the file keeps at most {CAPS[key]}).</p>")
    return f"{head}{cap}{body()}</section>"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """``rows`` hold HTML already escaped."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(cell if cell.startswith("<td") else f"<td>{cell}</td>" for cell in row) + "</tr>"
                   for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def num_cell(value: float | int | None, digits: int = 4) -> str:
    text = f"{value:,}" if isinstance(value, int) else number(value, digits)
    return f"<td class='num'>{esc(text)}</td>"


# -- queries ----------------------------------------------------------------------------------------------------------


def queries_html(entries: Sequence[HistoryEntry]) -> str:
    rows = [(esc(e.submitted_at[:19].replace("T", " ")), sql_cell(e.sql), esc(e.database or "—"),
             f"<span class='state-{esc(e.status)}'>{esc(e.status)}</span>", num_cell(e.rows),
             num_cell(None if e.elapsed_ms is None else e.elapsed_ms / 1000, 3),
             num_cell(e.bytes_scanned), esc(e.error)) for e in entries]
    timed = [e for e in entries if e.elapsed_ms is not None][:MAX_CHART_BARS]
    chart = bar_chart([f"{e.submitted_at[11:19]} {first_line(e.sql)}" for e in timed],
                      [(e.elapsed_ms or 0) / 1000 for e in timed], title="Run time (s) of the newest queries", digits=3)
    return (table(("Submitted (UTC)", "SQL", "Database", "State", "Rows", "Time (s)", "Bytes scanned", "Error"), rows)
            + (chart if timed else ""))


def sql_cell(sql: str) -> str:
    cut = len(sql) > MAX_SQL_CHARS
    shown = sql[:MAX_SQL_CHARS] + (f"\n… ({len(sql) - MAX_SQL_CHARS:,} more characters left out)" if cut else "")
    return f"<pre>{esc(shown)}</pre>"


def first_line(text: str) -> str:
    return " ".join(text.split())[:40]


# -- bias -------------------------------------------------------------------------------------------------------------


def bias_html(entries: Sequence[BiasEntry]) -> str:
    return "".join(bias_entry_html(entry) for entry in entries)


def bias_entry_html(entry: BiasEntry) -> str:
    head = f"<h3>{esc(entry.job_name)} <span class='note'>· {esc(entry.created_at[:19].replace('T', ' '))}</span></h3>"
    if entry.report is None:
        return f"{head}<p class='error'>The report could not be read: {esc(entry.error)}</p>"
    report = entry.report
    parts = [head, f"<p>{esc(report.config.get('dataset', '') or 'Data')}: {report.rows:,} rows · label "
                   f"<b>{esc(report.pre.label)}</b> positive when {esc(report.pre.label_value_or_threshold)} · facet "
                   f"<b>{esc(report.pre.facet)}</b></p>"]
    parts += [f"<p class='warning'>Warning: {esc(w)}</p>" for w in report.warnings]
    parts += [f"<p class='note'>{esc(n)}</p>" for n in report.notes]
    parts.append(stage_html("Pre-training metrics", report.pre))
    if report.post is not None:
        parts.append(stage_html("Post-training metrics", report.post))
    return "".join(parts)


def stage_html(title: str, stage: StageReport) -> str:
    if stage.error:
        return f"<h4>{esc(title)}</h4><p class='warning'>{esc(stage.error)}</p>"
    shown = stage.entries[:MAX_FACET_GROUPS]
    cut = (f"<p class='note'>{len(shown)} of {len(stage.entries)} facet groups shown.</p>"
           if len(stage.entries) > len(shown) else "")
    summary = f"<p class='label'>{esc(stage.summary())}</p>" if len(stage.entries) > 1 else ""
    return f"<h4>{esc(title)}</h4>{summary}{cut}" + "".join(facet_html(stage, entry) for entry in shown)


def headline_html(headline: Headline) -> str:
    """The verdict in plain words (coloured by its worst flag) and why each flagged metric is flagged."""
    reasons = "".join(f"<li>{esc(r.reason)}</li>" for r in headline.flagged)
    failed = "".join(f"<li>{esc(f)}</li>" for f in headline.failed)
    return (f"<p class='verdict' style='border-left:4px solid {LEVEL_COLOURS.get(headline.level, '#9aa5b1')}'>"
            f"{esc(headline.verdict)}</p>" + (f"<ul>{reasons}</ul>" if reasons else "")
            + (f"<p class='note'>Not computed:</p><ul>{failed}</ul>" if failed else ""))


def facet_html(stage: StageReport, entry: FacetEntry) -> str:
    facet = stage.facet
    metrics = sorted(entry.metrics, key=lambda m: m.name)
    rows = []
    for m in metrics:
        colour = FLAG_COLOURS[flag(m.name, m.value)] if m.name in INFO else FLAG_COLOURS["grey"]
        interval = f"{number(m.ci_low)} … {number(m.ci_high)}" if m.ci_low is not None else ""
        value = esc(number(m.value)) if m.value is not None else f"error: {esc(m.error)}"
        ideal = f"{INFO[m.name].ideal:g}" if m.name in INFO else ""
        rows.append((esc(m.name), esc(m.description), f"<td class='num' style='background:{colour}'>{value}</td>",
                     esc(interval), esc(ideal)))
    chart = bar_chart([m.name for m in metrics], [m.value for m in metrics],
                      title=f"{facet} = {entry.value_or_threshold}: metric values (coloured by distance from the ideal)",
                      colours=[LEVEL_COLOURS[flag(m.name, m.value)] if m.name in INFO else LEVEL_COLOURS["grey"] for m in metrics])
    return (f"<h5>{esc(facet)} = {esc(entry.value_or_threshold)} (d) vs the rest (a)</h5>" + headline_html(stage.headline(entry))
            + table(("Metric", "Meaning", "Value", "95 % interval", "Ideal"), rows) + chart)


# -- Autopilot and training -------------------------------------------------------------------------------------------


def leaderboards_html(boards: Sequence[Leaderboard]) -> str:
    return "".join(leaderboard_html(board) for board in boards)


def leaderboard_html(board: Leaderboard) -> str:
    head = (f"<h3>{esc(board.job_name)} <span class='note'>· {esc(board.status)} · "
            f"{esc(board.created_at[:19].replace('T', ' '))}</span></h3>")
    if board.error:
        return f"{head}<p class='error'>{esc(board.error)}</p>"
    if not board.candidates:
        return f"{head}<p class='empty'>No candidates yet.</p>"
    rows = [(str(rank), esc(c.name), esc(c.algorithm), esc(c.objective_name), num_cell(c.objective_value),
             num_cell(c.training_seconds, 1), esc(c.status)) for rank, c in enumerate(board.candidates, start=1)]
    cut = (f"<p class='note'>The best {len(board.candidates)} candidates are shown.</p>" if board.more else "")
    shown = board.candidates[:MAX_CHART_BARS]
    chart = bar_chart([c.name for c in shown], [c.objective_value for c in shown], highlight=0,
                      title=f"{shown[0].objective_name or 'objective'} per candidate (best first)")
    return head + cut + table(("Rank", "Candidate", "Algorithm", "Objective", "Value", "Training (s)", "Status"), rows) + chart


def training_html(jobs: Sequence[Job]) -> str:
    rows = [(esc(j.name), f"<span class='state-{esc(j.status)}'>{esc(j.status)}</span>",
             esc(j.created_at[:19].replace("T", " ")), esc(j.config.get("algorithm", "")), esc(j.model_id or "—"),
             metrics_text(j.metrics), esc(j.failure_reason)) for j in jobs]
    return table(("Job", "Status", "Created (UTC)", "Algorithm", "Model", "Metrics", "Failure"), rows) + metric_chart(
        [(j.name, j.metrics) for j in jobs], "jobs")


def metrics_text(metrics: dict[str, float]) -> str:
    shown = sorted(metrics.items())[:MAX_JOB_METRICS]
    more = f" (+{len(metrics) - len(shown)} more)" if len(metrics) > len(shown) else ""
    return esc(", ".join(f"{k} {number(v)}" for k, v in shown) + more) or "—"


def metric_chart(named: Sequence[tuple[str, dict[str, float]]], what: str) -> str:
    """Bars of the metric most of the items have, one per item that has it."""
    common = Counter(k for _, metrics in named for k in metrics).most_common(1)
    if not common:
        return ""
    metric = common[0][0]
    having = [(name, metrics[metric]) for name, metrics in named if metric in metrics][:MAX_CHART_BARS]
    return bar_chart([n for n, _ in having], [v for _, v in having], title=f"{metric} of the {what} that report it")


# -- runs -------------------------------------------------------------------------------------------------------------


def runs_html(runs: Sequence[RunSummary]) -> str:
    params = common_keys([r.params for r in runs])
    metrics = common_keys([r.metrics for r in runs])
    headers = ("Run", "Experiment", "Status", "Started (UTC)", *(f"param: {p}" for p in params), *metrics)
    rows = [(esc(r.name or r.run_id), esc(r.experiment), esc(r.status), esc(r.start_time[:19].replace("T", " ")),
             *(esc(r.params.get(p, "")) for p in params), *(num_cell(r.metrics.get(m)) for m in metrics)) for r in runs]
    note = ""
    if len(params) == MAX_COLUMNS or len(metrics) == MAX_COLUMNS:
        note = f"<p class='note'>The {MAX_COLUMNS} parameters and metrics most runs have are shown.</p>"
    return note + table(headers, rows) + metric_chart([(r.name or r.run_id, r.metrics) for r in runs], "runs")


def common_keys(mappings: Sequence[Mapping[str, object]]) -> list[str]:
    counts = Counter(k for m in mappings for k in m)
    return sorted(k for k, _ in counts.most_common(MAX_COLUMNS))


# -- scored reviews ---------------------------------------------------------------------------------------------------


def reviews_html(reviews: Sequence[ScoredReview]) -> str:
    return "".join(review_html(review) for review in reviews)


def review_html(review: ScoredReview) -> str:
    probability = f" ({review.probability:.1%})" if review.probability is not None else ""
    head = (f"<p><span class='label'>{esc(label_name(review.predicted_label, review.probabilities))}</span>{esc(probability)} "
            f"<span class='note'>· {esc(review.endpoint)} · {esc(review.variant)} · "
            f"{esc(review.inference_time[:19].replace('T', ' '))} UTC</span></p>")
    words = shaded_words(review) if review.tokens and review.token_scores else (
        f"<p class='words'>{esc(review.text)}</p>" + ("<p class='note'>Scored without word attributions (ask the "
                                                        "Score page to show the words to record them).</p>" if review.is_review else ""))
    cut = "<p class='note'>The text was cut to 2,000 characters.</p>" if review.text_cut else ""
    chart = ""
    if review.probabilities:
        classes = list(review.probabilities)
        chart = bar_chart([label_name(c, classes) for c in classes], [review.probabilities[c] for c in classes],
                          title="Class probabilities", digits=3,
                          highlight=classes.index(review.predicted_label) if review.predicted_label in classes else None)
    return f"<div class='card'>{head}{words}{cut}{chart}</div>"


def shaded_words(review: ScoredReview) -> str:
    """The review with each word shaded by its contribution to the predicted class, as the Score page shows it."""
    label = review.predicted_label if review.predicted_label in review.token_scores else next(iter(review.token_scores))
    scores = review.token_scores[label]
    largest = max((abs(s) for s in scores), default=0.0) or 1.0
    spans = "".join(
        f"<span title='{score:+.4f}' style='background:rgba({POSITIVE_RGB if score > 0 else NEGATIVE_RGB},"
        f"{min(1.0, abs(score) / largest) * 0.85:.2f})'>{esc(token)}</span>"
        for token, score in zip(review.tokens, scores))
    return (f"<p class='words'>{spans}</p><p class='note'>Green words push the review towards "
            f"{esc(label_name(label, review.token_scores))}, red words push it away.</p>")


def label_name(label: str, classes: Iterable[str]) -> str:
    """How every page names a class (the one label map): ``positive (1)`` among the review-sentiment classes."""
    return label_map(classes).display(label)

