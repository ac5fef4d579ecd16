"""Plain data of the data quality & insights report (SageMaker Data Wrangler's "Data Quality and Insights").

Everything here crosses the quality port: the request, and a report made of small frozen parts. Parts
computed by aggregation queries over every row say nothing; parts computed on the sample carry
``sample_rows`` so the report can say which part came from a sample and its size.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

DEFAULT_SAMPLE_ROWS = 100_000
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)

# column kinds
NUMERIC, CATEGORICAL, TEXT, BOOLEAN, DATETIME, OTHER = "numeric", "categorical", "text", "boolean", "datetime", "other"
# warning severities
HIGH, MEDIUM, LOW = "high", "medium", "low"


@dataclass(frozen=True)
class QualityRequest:
    """A catalog table (``database.table``) or a SQL result (``sql``, bare names under ``database``)."""

    table: str = ""
    sql: str = ""
    database: str = ""
    target: str = ""
    sample_rows: int = DEFAULT_SAMPLE_ROWS

    @property
    def source_label(self) -> str:
        return self.table or "SQL result"


@dataclass(frozen=True)
class Bin:
    """One histogram bar: values in [low, high) (the last bar includes high)."""

    low: float
    high: float
    count: int


@dataclass(frozen=True)
class ValueCount:
    value: str
    count: int


@dataclass(frozen=True)
class Outliers:
    """Tukey's IQR rule on the sample: below ``low_fence`` = Q1 − 1.5·IQR or above ``high_fence`` = Q3 + 1.5·IQR."""

    low_fence: float
    high_fence: float
    count: int
    sample_rows: int
    examples: tuple[float, ...] = ()

    @property
    def share(self) -> float:
        return self.count / self.sample_rows if self.sample_rows else 0.0


@dataclass(frozen=True)
class TextProfile:
    """Lengths (characters) over every row; top words on the sample."""

    length_min: float | None
    length_mean: float | None
    length_max: float | None
    length_histogram: tuple[Bin, ...]
    empty: int  # blank after trimming
    very_short: int  # fewer than ``short_length`` characters, not blank
    short_length: int
    top_words: tuple[ValueCount, ...] = ()
    sample_rows: int = 0


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    type: str  # the engine's (Athena) type name
    kind: str  # numeric | categorical | text | boolean | datetime | other
    missing: int
    distinct: int  # approximate (HyperLogLog) on large data
    minimum: Any = None
    maximum: Any = None
    mean: float | None = None
    quantiles: tuple[tuple[float, float], ...] = ()  # (q, value)
    histogram: tuple[Bin, ...] = ()
    top_values: tuple[ValueCount, ...] = ()
    outliers: Outliers | None = None
    text: TextProfile | None = None

    def quantile(self, q: float) -> float | None:
        return dict(self.quantiles).get(q)


@dataclass(frozen=True)
class TargetSummary:
    """Class balance (classification) or the distribution (regression) of the target, over every row."""

    column: str
    problem_type: str  # BinaryClassification | MulticlassClassification | Regression
    classes: tuple[ValueCount, ...] = ()
    histogram: tuple[Bin, ...] = ()

    @property
    def minority_share(self) -> float | None:
        total = sum(c.count for c in self.classes)
        return min(c.count for c in self.classes) / total if self.classes and total else None


@dataclass(frozen=True)
class LeakageScore:
    """How well one feature alone predicts the target, cross-validated on the sample.

    ``score`` is balanced accuracy (classification) or R² (regression); ``power`` rescales it so that
    the majority class / mean baseline is 0 and a perfect predictor 1."""

    feature: str
    method: str  # "per value" | "binned"
    metric: str  # balanced_accuracy | r2
    score: float
    baseline: float
    power: float
    flagged: bool


@dataclass(frozen=True)
class QuickModelSummary:
    """Data Wrangler's Quick Model: a small random forest on a train/test split of the sample."""

    problem_type: str
    metric: str  # f1 (macro) | r2
    score: float
    importances: tuple[tuple[str, float], ...]  # largest first, summing to 1
    train_rows: int
    test_rows: int


@dataclass(frozen=True)
class QualityWarning:
    severity: str  # high | medium | low
    column: str  # "" for the whole table
    message: str  # plain words, with what to do


@dataclass(frozen=True)
class QualityReport:
    source: str
    rows: int
    duplicate_rows: int | None  # None when the engine could not count them (a note says why)
    columns: tuple[ColumnProfile, ...]
    sample_rows: int  # rows in the sample the sampled parts used
    sampled: bool  # True when the sample is a part of the rows, not all of them
    target: TargetSummary | None = None
    leakage: tuple[LeakageScore, ...] = ()
    quick_model: QuickModelSummary | None = None
    warnings: tuple[QualityWarning, ...] = ()
    notes: tuple[str, ...] = ()
    queries: tuple[str, ...] = ()  # the SQL the report ran, in order
    bytes_scanned: int = 0
    seconds: float = 0.0
    sql: str = ""
    extras: dict[str, Any] = field(default_factory=dict)

    def column(self, name: str) -> ColumnProfile:
        for profile in self.columns:
            if profile.name == name:
                return profile
        raise KeyError(name)

    @property
    def flagged_leakage(self) -> tuple[LeakageScore, ...]:
        return tuple(s for s in self.leakage if s.flagged)

    def summary_json(self) -> dict[str, Any]:
        """What the CLI prints: the headline numbers, warnings and leakage scores."""
        return {
            "Source": self.source, "Rows": self.rows, "DuplicateRows": self.duplicate_rows,
            "SampleRows": self.sample_rows, "Sampled": self.sampled,
            "Columns": [{"Name": c.name, "Type": c.type, "Kind": c.kind, "Missing": c.missing, "Distinct": c.distinct}
                        for c in self.columns],
            "Target": asdict(self.target) if self.target else None,
            "Warnings": [asdict(w) for w in self.warnings],
            "Leakage": [asdict(s) for s in self.leakage],
            "QuickModel": asdict(self.quick_model) if self.quick_model else None,
            "Notes": list(self.notes), "BytesScanned": self.bytes_scanned, "Seconds": self.seconds,
        }

    def html(self) -> str:
        """The whole report as one self-contained HTML page (inline SVG charts, no network needed)."""
        from services.quality.html import render_html  # html reads this module

        return render_html(self)
