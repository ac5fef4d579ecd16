"""The report's warnings: what looks wrong, in plain words, and what to do about it. Pure: a report in, warnings out."""

from __future__ import annotations

from services.quality.models import (
    HIGH,
    LOW,
    MEDIUM,
    OTHER,
    TEXT,
    ColumnProfile,
    QualityReport,
    QualityWarning,
    TargetSummary,
)

MISSING_HIGH = 0.5
MISSING_MEDIUM = 0.05
IDENTIFIER_SHARE = 0.9  # distinct / non-missing above this: the column looks like an identifier
IDENTIFIER_MIN_ROWS = 50
OUTLIER_SHARE = 0.01
IMBALANCED = 0.1  # the smallest class below this share of the rows


def report_warnings(report: QualityReport) -> list[QualityWarning]:
    warnings = _leakage(report) + _table(report)
    for column in report.columns:
        warnings += _column(column, report)
    if report.target is not None:
        warnings += _target(report.target, report)
    order = {HIGH: 0, MEDIUM: 1, LOW: 2}
    return sorted(warnings, key=lambda w: order[w.severity])


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "0%"


def _leakage(report: QualityReport) -> list[QualityWarning]:
    found = []
    target = report.target.column if report.target else ""
    for score in report.flagged_leakage:
        if score.metric == "balanced_accuracy":
            how = f"{score.score:.2f} balanced accuracy on its own (the majority class alone scores {score.baseline:.2f})"
        else:
            how = f"R² {score.score:.2f} on its own"
        found.append(QualityWarning(HIGH, score.feature, f"Target leakage: {score.feature} predicts {target} with {how}: it is "
                                    f"probably derived from the target or recorded after it — drop it before training."))
    return found


def _table(report: QualityReport) -> list[QualityWarning]:
    if report.rows == 0:
        return [QualityWarning(HIGH, "", "The data has no rows: check the table's files or the query's filters.")]
    if report.duplicate_rows:
        share = _share(report.duplicate_rows, report.rows)
        severity = MEDIUM if report.duplicate_rows / report.rows >= MISSING_MEDIUM else LOW
        return [QualityWarning(severity, "", f"{report.duplicate_rows:,} rows ({share}) repeat another row exactly: remove them "
                               "(SELECT DISTINCT) before training, or the same rows land in both training and test data.")]
    return []


def _column(column: ColumnProfile, report: QualityReport) -> list[QualityWarning]:
    rows, name, found = report.rows, column.name, []
    if not rows:
        return []
    present = rows - column.missing
    if column.missing and column.missing / rows >= MISSING_MEDIUM:
        severity = HIGH if column.missing / rows >= MISSING_HIGH else MEDIUM
        found.append(QualityWarning(severity, name, f"{name} is missing in {column.missing:,} rows ({_share(column.missing, rows)}): "
                                    "fill the gaps (median, most frequent value or a 'missing' category) or drop the column."))
    if present and column.distinct <= 1 and column.kind != OTHER:
        found.append(QualityWarning(MEDIUM, name, f"{name} has a single value: it tells a model nothing — drop it."))
    is_target = report.target is not None and report.target.column == name
    if (not is_target and column.kind != TEXT and present >= IDENTIFIER_MIN_ROWS and column.distinct >= IDENTIFIER_SHARE * present
            and column.kind in ("categorical", "numeric") and (column.kind == "categorical" or _whole(column))):
        found.append(QualityWarning(LOW, name, f"{name} has a different value in almost every row ({column.distinct:,} distinct): it "
                                    "looks like an identifier — leave it out of the features."))
    outliers = column.outliers
    if outliers is not None and outliers.count and outliers.share >= OUTLIER_SHARE:
        found.append(QualityWarning(LOW, name, f"{name}: {outliers.count:,} of {outliers.sample_rows:,} sampled values "
                                    f"({outliers.share:.1%}) lie outside [{outliers.low_fence:g}, {outliers.high_fence:g}] "
                                    "(1.5 × IQR beyond the quartiles): check them for entry errors; clip or transform "
                                    "them if they are real."))
    if column.text is not None and (column.text.empty or column.text.very_short):
        text = column.text
        found.append(QualityWarning(MEDIUM, name, f"{name}: {text.empty:,} texts are empty and {text.very_short:,} have fewer "
                                    f"than {text.short_length} characters: drop those rows or fill them before training on the text."))
    return found


def _whole(column: ColumnProfile) -> bool:
    return "int" in column.type.lower()


def _target(target: TargetSummary, report: QualityReport) -> list[QualityWarning]:
    found = []
    profile = report.column(target.column)
    if profile.missing:
        found.append(QualityWarning(MEDIUM, target.column, f"The target {target.column} is missing in {profile.missing:,} rows: "
                                    "drop them before training (a model cannot learn from rows without a label)."))
    if not target.problem_type:
        found.append(QualityWarning(HIGH, target.column, f"The target {target.column} has fewer than two values in the data: "
                                    "there is nothing to predict — pick another target or other rows."))
    share = target.minority_share
    if share is not None and share < IMBALANCED and len(target.classes) >= 2:
        smallest = min(target.classes, key=lambda c: c.count)
        found.append(QualityWarning(MEDIUM, target.column, f"The target is imbalanced: the smallest class {smallest.value!r} has "
                                    f"{share:.1%} of the rows — balance the classes (resample) and judge models by balanced "
                                    "accuracy or F1, not accuracy."))
    return found
