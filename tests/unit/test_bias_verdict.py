"""The bias report in plain words (services/bias/verdict.py through StageReport.headline / summary), the flag
reasons and each metric's distance from its own ideal (the heat map's colour). Pure: hand-built reports."""

from __future__ import annotations

import math

import pytest

from services.bias.clarify_config import split_methods
from services.bias.models import FLAG_WORDS, FacetEntry, MetricValue, StageReport, flag_reason, ideal_distance


def metric(name: str, value: float | None, low: float | None = None, high: float | None = None, error: str = "") -> MetricValue:
    return MetricValue(name, name, value, error, low, high)


def pre_entry(value: str, *metrics: MetricValue, rate_d: float = 0.5, rate_a: float = 0.7) -> FacetEntry:
    counts = {"n_d": 200, "n_a": 800, "rate_d": rate_d, "rate_a": rate_a}
    return FacetEntry(value, metrics, counts)


def stage(*entries: FacetEntry) -> StageReport:
    return StageReport("sentiment", "1", "product_category", entries)


def test_the_headline_says_the_gap_in_points_and_that_its_interval_excludes_0() -> None:
    entry = pre_entry("Trend", metric("DPL", 0.2, 0.12, 0.27), metric("CI", 0.6), metric("KL", 0.01), metric("KS", 0.25))
    headline = stage(entry).headline(entry)
    assert headline.verdict.startswith("For rows with product_category = Trend (d, 200 rows), the label is positive "
                                       "(sentiment = 1) 20.0 percentage points less often than for the rest (a): 50.0% against 70.0%.")
    assert "The 95 % interval of DPL, 0.120 to 0.270, excludes 0: the difference is unlikely to be chance." in headline.verdict
    assert "Flagged: CI, KS far from the ideal (red); DPL worth a check (amber)." in headline.verdict
    assert headline.level == "red"
    assert [(r.metric, r.level) for r in headline.flagged] == [("CI", "red"), ("DPL", "amber"), ("KS", "red")]
    assert "CI = 0.600 is 0.600 from its ideal 0, more than 0.2 (positive means d has fewer rows than a)" in headline.flagged[0].reason


def test_an_interval_that_includes_0_says_the_difference_may_be_chance() -> None:
    entry = pre_entry("Dresses", metric("DPL", -0.03, -0.08, 0.02), rate_d=0.73, rate_a=0.70)
    headline = stage(entry).headline(entry)
    assert "3.0 percentage points more often than for the rest (a): 73.0% against 70.0%" in headline.verdict
    assert "includes 0: the difference may be chance" in headline.verdict
    assert "No metric is flagged" in headline.verdict and headline.level == "green" and headline.flagged == ()


def test_without_intervals_chance_is_not_ruled_out_and_failed_metrics_are_listed() -> None:
    entry = pre_entry("Trend", metric("DPL", 0.15), metric("CDDL", None, error="Group variable is empty or not provided"))
    headline = stage(entry).headline(entry)
    assert "No 95 % interval for DPL was computed" in headline.verdict
    assert "DPL worth a check (amber)" in headline.verdict and headline.level == "amber"
    assert headline.failed == ("CDDL: Group variable is empty or not provided",)


def test_an_empty_group_cannot_be_compared() -> None:
    entry = FacetEntry("(200, 99]", (metric("CI", None, error="empty"),), {"n_d": 0, "n_a": 10, "rate_d": None, "rate_a": 0.5})
    headline = stage(entry).headline(entry)
    assert "product_category in (200, 99] (d, 0 rows) or the rest (a) has no rows" in headline.verdict
    assert "No metric could be computed." in headline.verdict and headline.level == "grey"


def test_post_training_speaks_of_predictions_and_of_di() -> None:
    entry = FacetEntry("Trend", (metric("DPPL", 0.3, 0.25, 0.35), metric("DI", 0.55)),
                       {"n_d": 100, "n_a": 400, "predicted_positive_d": 40, "predicted_positive_a": 280})
    report = stage(entry)
    assert report.stage_name == "post"
    headline = report.headline(entry)
    assert "the model predicts the positive label 30.0 percentage points less often" in headline.verdict
    assert "40.0% against 70.0%" in headline.verdict and "interval of DPPL" in headline.verdict
    reasons = {r.metric: r.reason for r in headline.flagged}
    assert reasons["DI"] == "DI = 0.550 is outside 0.625–1.6: d is predicted positive less often than a."


def test_one_vs_all_names_the_biggest_gap_and_the_values_with_red_metrics() -> None:
    report = stage(pre_entry("Dresses", metric("DPL", -0.02), metric("CI", 0.1)),
                   pre_entry("Trend", metric("DPL", 0.21), metric("CI", 0.97)),
                   pre_entry("Jackets", metric("DPL", 0.05), metric("CI", 0.9)))
    summary = report.summary()
    assert summary.startswith("Each of the 3 product_category values against all the others.")
    assert "The largest gap: product_category = Trend is positive 21.0 percentage points less often" in summary
    assert "2 of 3 values have red metrics: Trend (CI, DPL); Jackets (CI)." in summary


def test_a_negative_value_is_explained_as_the_opposite() -> None:
    reason = flag_reason(metric("FT", -0.41))
    assert reason is not None and reason.level == "red"
    assert reason.reason == ("FT = -0.410 is 0.410 from its ideal 0, more than 0.2 "
                             "(the opposite of: d is favoured over its nearest neighbours in a).")
    assert flag_reason(metric("CI", 0.05)) is None and flag_reason(metric("CI", None)) is None


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("CI", 0.0, 0.0), ("CI", 0.1, 0.5), ("CI", -0.9, -1.0), ("DPL", 0.05, 0.25), ("JS", 0.05, 0.5),
    ("DI", 1.0, 0.0), ("DI", 1.6, 1.0), ("DI", 1 / 1.6, -1.0), ("DI", 0.0, -1.0), ("DI", math.inf, 1.0),
    ("KL", -math.inf, -1.0), ("CI", None, None),
])
def test_each_metric_is_coloured_by_its_distance_from_its_own_ideal(name: str, value: float | None, expected: float | None) -> None:
    distance = ideal_distance(name, value)
    assert distance == (None if expected is None else pytest.approx(expected))


def test_flags_are_words_not_emoji() -> None:
    assert FLAG_WORDS == {"green": "ok", "amber": "check", "red": "flagged", "grey": "n/a"}
    assert all(word.isascii() for word in FLAG_WORDS.values())


def test_clarify_gets_every_metric_but_cddl_and_cddpl_without_a_group_variable() -> None:
    assert split_methods(("all",), has_group=True) == ("all", "all")
    pre, post = split_methods(("all",), has_group=False)
    assert pre == ["CI", "DPL", "JS", "KL", "KS", "LP", "TVD"]
    assert "CDDPL" not in post and {"DI", "DPPL", "FT"} <= set(post)
    assert split_methods(("CDDL", "CI"), has_group=False) == (["CDDL", "CI"], [])  # named: asked for


def test_the_html_report_carries_the_headline_and_flag_words() -> None:
    from services.bias.models import BiasReport

    entry = pre_entry("Trend", metric("DPL", 0.2, 0.12, 0.27), metric("CI", 0.6))
    page = BiasReport(pre=stage(entry), rows=1000).html()
    assert "20.0 percentage points less often" in page and "excludes 0" in page
    assert "<td>flagged</td>" in page and "CI = 0.600 is 0.600 from its ideal 0" in page
    assert all(ord(c) < 0x2600 or c in "…—–·−∞√" for c in page), "no emoji or pictographs"


def test_a_clarify_report_without_counts_takes_the_gap_from_dpl() -> None:
    entry = FacetEntry("Petite", (metric("DPL", -0.12), metric("CI", 0.33)))  # Clarify's analysis.json: no counts
    headline = stage(entry).headline(entry)
    assert headline.verdict.startswith("For rows with product_category = Petite (d), the label is positive (sentiment = 1) "
                                       "12.0 percentage points more often than for the rest (a).")
    assert "no rows" not in headline.verdict and "No 95 % interval for DPL" in headline.verdict
