"""What a bias analysis asks for and what it returns, and Clarify's ``analysis.json`` layout.

``BiasReport.analysis_json()`` writes exactly Clarify's layout (metrics alphabetical, ±∞ as the
strings "Infinity"/"-Infinity", failed metrics as ``value: null`` plus ``error``);
``BiasReport.from_analysis_json`` reads one back (ours or a Clarify processing job's).
Our extras — the counts behind every value and bootstrap intervals — live beside it, not in it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from services.bias.metrics import ALL_POST, ALL_PRE
from services.models import DataSource

METRIC_NAMES = (*ALL_PRE, *ALL_POST)  # every metric a request may name, in Clarify's order
ANALYSIS_VERSION = "1.0"
PRE_TRAINING = "pre_training_bias_metrics"
POST_TRAINING = "post_training_bias_metrics"


@dataclass(frozen=True)
class BiasRequest:
    """One facet against one label, like one entry of Clarify's analysis config.

    Facet d (the sensitive group) is the rows whose facet is in ``facet_values`` or strictly above
    ``facet_threshold``; with neither, every distinct facet value is analysed one-vs-all. The label
    is positive when in ``label_values`` or strictly above ``label_threshold``. A prediction column
    (``predicted``) or a registered model (``model_id``, scored first) adds the post-training metrics.
    """

    source: DataSource = field(default_factory=DataSource)  # a catalog table or a file …
    sql: str = ""  # … or the result of this SQL (run through the query engine)
    label: str = ""
    label_values: tuple[str, ...] = ()
    label_threshold: float | None = None
    facet: str = ""
    facet_values: tuple[str, ...] = ()
    facet_threshold: float | None = None
    group: str = ""  # the group variable for CDDL / CDDPL
    predicted: str = ""
    predicted_threshold: float | None = None  # for score columns; default: the label's rule
    model_id: str = ""
    methods: tuple[str, ...] = ("all",)
    flip_test_rows: int = 10_000  # FlipTest reads a sample of at most this many rows
    flip_test_features: tuple[str, ...] = ()  # default: every other column, as Clarify does
    bootstrap: int = 200  # resamples for the 95 % intervals; 0 = none
    seed: int = 0

    @property
    def source_label(self) -> str:
        return "SQL result" if self.sql else self.source.label


def request_from_json(config: dict[str, Any]) -> BiasRequest:
    """A ``BiasRequest`` back from ``dataclasses.asdict`` output (a job's config)."""
    fields = dict(config)
    fields["source"] = DataSource(**fields.get("source", {}))
    for name in ("label_values", "facet_values", "methods", "flip_test_features"):
        if name in fields:
            fields[name] = tuple(fields[name])
    return BiasRequest(**fields)


@dataclass(frozen=True)
class MetricValue:
    name: str
    description: str
    value: float | None  # None when the metric failed; may be ±inf
    error: str = ""
    ci_low: float | None = None
    ci_high: float | None = None

    def to_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"name": self.name, "description": self.description, "value": json_number(self.value)}
        if self.error:
            entry["error"] = self.error
        return entry


@dataclass(frozen=True)
class FacetEntry:
    """One facet group (one value, a set of values, or a threshold interval)."""

    value_or_threshold: str
    metrics: tuple[MetricValue, ...]
    counts: dict[str, Any] = field(default_factory=dict)  # n_a, n_d, positive rates, confusion matrices

    def metric(self, name: str) -> MetricValue:
        return next(m for m in self.metrics if m.name == name)


@dataclass(frozen=True)
class FlagReason:
    """One metric outside its ideal band: its traffic light and the reason in words."""

    metric: str
    level: str  # amber | red
    reason: str


@dataclass(frozen=True)
class Headline:
    """What one facet group's report says: a verdict in plain words, the worst flag, the flagged metrics."""

    verdict: str
    level: str  # the worst flag: green | amber | red | grey (nothing computed)
    flagged: tuple[FlagReason, ...]
    failed: tuple[str, ...] = ()  # "FT: FlipTest needs a prediction column." — metrics that could not be computed


@dataclass(frozen=True)
class StageReport:
    """Pre- or post-training metrics for one label and one facet column."""

    label: str
    label_value_or_threshold: str
    facet: str
    entries: tuple[FacetEntry, ...]
    error: str = ""  # the whole stage failed (e.g. no positive predictions at all)

    @property
    def stage_name(self) -> str:
        """pre | post, from the metrics it holds."""
        post = any(INFO[m.name].stage == "post" for e in self.entries for m in e.metrics if m.name in INFO)
        return "post" if post else "pre"

    def headline(self, entry: FacetEntry) -> Headline:
        """What ``entry`` says in plain words: the size of the difference, its interval, the flagged metrics."""
        from services.bias.verdict import entry_headline  # verdict reads this module

        return entry_headline(self, entry, self.stage_name)

    def summary(self) -> str:
        """One-vs-all in one sentence: the value that differs most and the values with red metrics."""
        from services.bias.verdict import stage_summary

        return stage_summary(self, self.stage_name)

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "label_value_or_threshold": self.label_value_or_threshold,
                "facets": {self.facet: [{"value_or_threshold": e.value_or_threshold,
                                         "metrics": [m.to_json() for m in sorted(e.metrics, key=lambda m: m.name)]}
                                        for e in self.entries]}}


@dataclass(frozen=True)
class BiasReport:
    pre: StageReport
    post: StageReport | None = None
    rows: int = 0
    notes: tuple[str, ...] = ()  # e.g. "FlipTest on a sample of 10,000 of 2,000,000 rows"
    warnings: tuple[str, ...] = ()  # e.g. "no row has a positive label": likely a wrong configuration
    config: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def html(self) -> str:
        """The report as one self-contained HTML page (the page's "HTML report" download)."""
        from services.bias.html_report import render_html  # html_report reads this module

        return render_html(self)

    def analysis_json(self) -> dict[str, Any]:
        """Clarify's ``analysis.json``."""
        analysis: dict[str, Any] = {"version": ANALYSIS_VERSION, PRE_TRAINING: self.pre.to_json()}
        if self.post is not None and not self.post.error:
            analysis[POST_TRAINING] = self.post.to_json()
        return analysis

    def extras_json(self) -> dict[str, Any]:
        """What Clarify does not give: counts, intervals, notes, stage errors."""
        def stage(report: StageReport | None) -> dict[str, Any] | None:
            if report is None:
                return None
            return {"error": report.error,
                    "entries": [{"value_or_threshold": e.value_or_threshold, "counts": e.counts,
                                 "intervals": {m.name: [json_number(m.ci_low), json_number(m.ci_high)]
                                               for m in e.metrics if m.ci_low is not None}}
                                for e in report.entries]}
        return {"rows": self.rows, "notes": list(self.notes), "warnings": list(self.warnings), "config": self.config,
                "seconds": self.seconds,
                "pre": stage(self.pre), "post": stage(self.post)}

    @classmethod
    def from_analysis_json(cls, analysis: dict[str, Any], extras: dict[str, Any] | None = None) -> BiasReport:
        """Read an ``analysis.json`` (ours or a Clarify job's) and, when present, our extras."""
        extras = extras or {}
        pre = _stage_from_json(analysis.get(PRE_TRAINING), (extras.get("pre") or {}))
        post_json = analysis.get(POST_TRAINING)
        post = _stage_from_json(post_json, extras.get("post") or {}) if post_json else None
        if post is None and (extras.get("post") or {}).get("error"):
            post = StageReport(pre.label, pre.label_value_or_threshold, pre.facet, (), extras["post"]["error"])
        return cls(pre=pre, post=post, rows=int(extras.get("rows", 0)), notes=tuple(extras.get("notes", ())),
                   warnings=tuple(extras.get("warnings", ())),
                   config=dict(extras.get("config", {})), seconds=float(extras.get("seconds", 0.0)))


def json_number(value: float | None) -> float | str | None:
    """Clarify writes ±∞ as strings and NaN as null."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return float(value)


def parse_number(value: Any) -> float | None:
    if value is None:
        return None
    if value == "Infinity":
        return math.inf
    if value == "-Infinity":
        return -math.inf
    return float(value)


def _stage_from_json(stage: dict[str, Any] | None, extras: dict[str, Any]) -> StageReport:
    if not stage:
        return StageReport("", "", "", (), "No pre-training metrics in this analysis.")
    facets = stage.get("facets") or {}
    facet, groups = next(iter(facets.items())) if facets else ("", [])
    extra_entries = extras.get("entries") or []
    entries = []
    for i, group in enumerate(groups):
        extra = extra_entries[i] if i < len(extra_entries) else {}
        intervals = extra.get("intervals", {})
        metrics = tuple(
            MetricValue(m["name"], m.get("description", ""), parse_number(m.get("value")), m.get("error", ""),
                        *(parse_number(v) for v in intervals.get(m["name"], [None, None])))
            for m in group.get("metrics", [])
        )
        entries.append(FacetEntry(str(group.get("value_or_threshold", "")), metrics, dict(extra.get("counts", {}))))
    return StageReport(stage.get("label", ""), str(stage.get("label_value_or_threshold", "")), facet, tuple(entries),
                       extras.get("error", ""))


# -- the glossary: what each bias metric means in plain words, its ideal value and range, and a traffic-light flag.
# The flags are our reading aid, not Clarify's: green within ``tolerance`` of the ideal, amber
# within twice that, red beyond (DI uses the four-fifths rule: 0.8–1.25 is green).


@dataclass(frozen=True)
class MetricInfo:
    name: str
    stage: str  # pre | post
    plain: str  # one sentence an analyst can read
    positive_means: str
    ideal: float
    range_text: str
    tolerance: float = 0.1


INFO = {i.name: i for i in (
    MetricInfo("CI", "pre", "Is the sensitive group d under-represented in the data compared with everyone else (a)?",
               "d has fewer rows than a", 0.0, "(-1, 1)"),
    MetricInfo("DPL", "pre", "Difference between a's and d's share of positive labels.",
               "d gets the positive outcome less often", 0.0, "[-1, 1]"),
    MetricInfo("KL", "pre", "How far d's label distribution is from a's (Kullback-Leibler, a relative to d).",
               "the label distributions differ", 0.0, "[0, ∞) — can dip below 0 when an outcome is missing in d"),
    MetricInfo("JS", "pre", "Symmetric distance between the label distributions of a and d (Jensen-Shannon).",
               "the label distributions differ", 0.0, "[0, ln 2]", 0.05),
    MetricInfo("LP", "pre", "Euclidean distance between the label distributions of a and d.",
               "the label distributions differ", 0.0, "[0, √2]"),
    MetricInfo("TVD", "pre", "Half the total absolute difference between the label distributions of a and d.",
               "the label distributions differ", 0.0, "[0, 1]"),
    MetricInfo("KS", "pre", "Largest gap between the label distributions of a and d.",
               "the label distributions differ", 0.0, "[0, 1]"),
    MetricInfo("CDDL", "pre", "Does d hold a bigger share of rejections than of acceptances, within each subgroup (weighted)?",
               "d is over-represented among rejected rows", 0.0, "[-1, 1]"),
    MetricInfo("DPPL", "post", "Difference between a's and d's share of positive predictions.",
               "the model predicts the positive outcome for d less often", 0.0, "[-1, 1]"),
    MetricInfo("DI", "post", "Ratio of d's positive-prediction rate to a's (disparate impact).",
               "above 1: d is predicted positive more often; below 1: less often", 1.0, "[0, ∞)"),
    MetricInfo("DCA", "post", "Observed positives per predicted positive, a minus d (conditional acceptance).",
               "a's acceptances are more under-predicted than d's", 0.0, "(-∞, ∞)"),
    MetricInfo("DCR", "post", "Observed negatives per predicted negative, d minus a (conditional rejection).",
               "d's rejections are more under-predicted than a's", 0.0, "(-∞, ∞)"),
    MetricInfo("RD", "post", "Recall (true-positive rate), a minus d.", "the model finds a's positives more reliably",
               0.0, "[-1, 1]"),
    MetricInfo("SD", "post", "Specificity (true-negative rate), d minus a.", "the model finds d's negatives more reliably",
               0.0, "[-1, 1]"),
    MetricInfo("DAR", "post", "Precision, a minus d (difference in acceptance rates).",
               "a's positive predictions are more often right", 0.0, "[-1, 1]"),
    MetricInfo("DRR", "post", "Negative predictive value, d minus a (difference in rejection rates).",
               "d's negative predictions are more often right", 0.0, "[-1, 1]"),
    MetricInfo("AD", "post", "Accuracy, a minus d.", "the model is more accurate for a", 0.0, "[-1, 1]"),
    MetricInfo("CDDPL", "post", "CDDL on the predicted labels: d's share of predicted rejections vs acceptances per subgroup.",
               "d is over-represented among predicted rejections", 0.0, "[-1, 1]"),
    MetricInfo("TE", "post", "False negatives per false positive, d minus a (treatment equality).",
               "d's errors lean more towards false negatives", 0.0, "(-∞, ∞)"),
    MetricInfo("FT", "post", "Would d's members get a different prediction if they were in a? (k-NN flip test)",
               "d is favoured over its nearest neighbours in a", 0.0, "[-1, 1]"),
    MetricInfo("GE", "post", "How unequally the model's benefits (errors and hits) are spread over all rows (α = 2).",
               "benefits are spread unequally", 0.0, "[0, ∞)", 0.05),
)}


def flag(name: str, value: float | None) -> str:
    """green | amber | red | grey (no value)."""
    if value is None or math.isnan(value):
        return "grey"
    if name == "DI":
        if math.isinf(value) or value <= 0:
            return "red"
        distance = abs(math.log(value))
        return "green" if distance <= math.log(1.25) else "amber" if distance <= math.log(1.6) else "red"
    if math.isinf(value):
        return "red"
    info = INFO[name]
    distance = abs(value - info.ideal)
    return "green" if distance <= info.tolerance else "amber" if distance <= 2 * info.tolerance else "red"


FLAG_WORDS = {"green": "ok", "amber": "check", "red": "flagged", "grey": "n/a"}  # the flags as words (no emoji)
DI_RED = 1.6  # DI beyond 1/1.6 … 1.6 is red, as ``flag`` reads it


def flag_reason(metric: MetricValue) -> FlagReason | None:
    """Why ``metric`` is amber or red, in words (``None`` when it is ok or has no value)."""
    level = flag(metric.name, metric.value)
    if level not in ("amber", "red") or metric.value is None:
        return None
    info = INFO[metric.name]
    value = _short(metric.value)
    if metric.name == "DI":
        band = "0.8–1.25 (the four-fifths rule)" if level == "amber" else f"{1 / DI_RED:.3g}–{DI_RED:g}"
        direction = "less" if metric.value < 1 else "more"
        return FlagReason("DI", level, f"DI = {value} is outside {band}: d is predicted positive {direction} often than a.")
    distance = abs(metric.value - info.ideal)
    limit = info.tolerance if level == "amber" else 2 * info.tolerance
    side = f"positive means {info.positive_means}" if metric.value > info.ideal else f"the opposite of: {info.positive_means}"
    return FlagReason(metric.name, level, f"{metric.name} = {value} is {_short(distance)} from its ideal {info.ideal:g}, "
                                          f"more than {limit:g} ({side}).")


def ideal_distance(name: str, value: float | None) -> float | None:
    """Signed distance of ``value`` from the metric's own ideal, in units of its red threshold, within ±1:
    0 is ideal, ±0.5 the amber line, ±1 red and beyond. DI is measured on a log scale (0.5 and 2 are equally
    far). What the one-vs-all heat map colours, so no metric's range dominates the others'."""
    if value is None or math.isnan(value):
        return None
    if name == "DI":
        if value <= 0:
            return -1.0
        if math.isinf(value):
            return 1.0
        return max(-1.0, min(1.0, math.log(value) / math.log(DI_RED)))
    if math.isinf(value):
        return 1.0 if value > 0 else -1.0
    info = INFO[name]
    return max(-1.0, min(1.0, (value - info.ideal) / (2 * info.tolerance)))


def group_words(value_or_threshold: str) -> str:
    """How the report names a facet group: "= Trend", "in {A,B}" or "in (40, 99]"."""
    if value_or_threshold.startswith("(") and value_or_threshold.endswith("]"):
        return f"in {value_or_threshold}"
    return f"= {value_or_threshold}" if "," not in value_or_threshold else f"in {{{value_or_threshold}}}"


def _short(value: float) -> str:
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return f"{value:.3f}"


def ideal_text(name: str) -> str:
    info = INFO[name]
    return f"{info.ideal:g}"
