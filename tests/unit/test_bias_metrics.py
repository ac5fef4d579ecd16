"""Clarify bias metrics on small hand-worked tables (the expected values come from the spec, not the engine).

Every expected number below was worked out on paper from /work/shared/CLARIFY_METRICS.md; the
comment beside each table gives its confusion counts so the arithmetic can be re-checked.
Facet d is ``f == "B"`` and the positive label is ``y == 1`` unless a test says otherwise.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from services.bias.engine import report_from_frame
from services.bias.models import BiasReport, BiasRequest, MetricValue

PRE_NAMES = ["CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"]
POST_NAMES = ["AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "FT", "GE", "RD", "SD", "TE"]
DESCRIPTIONS = {
    "CI": "Class Imbalance (CI)",
    "DPL": "Difference in Positive Proportions in Labels (DPL)",
    "KL": "Kullback-Liebler Divergence (KL)",
    "JS": "Jensen-Shannon Divergence (JS)",
    "LP": "L-p Norm (LP)",
    "TVD": "Total Variation Distance (TVD)",
    "KS": "Kolmogorov-Smirnov Distance (KS)",
    "CDDL": "Conditional Demographic Disparity in Labels (CDDL)",
    "DPPL": "Difference in Positive Proportions in Predicted Labels (DPPL)",
    "DI": "Disparate Impact (DI)",
    "DCA": "Difference in Conditional Acceptance (DCA)",
    "DCR": "Difference in Conditional Rejection (DCR)",
    "RD": "Recall Difference (RD)",
    "SD": "Specificity Difference (SD)",
    "DAR": "Difference in Acceptance Rates (DAR)",
    "DRR": "Difference in Rejection Rates (DRR)",
    "AD": "Accuracy Difference (AD)",
    "CDDPL": "Conditional Demographic Disparity in Predicted Labels (CDDPL)",
    "TE": "Treatment Equality (TE)",
    "FT": "Flip Test (FT)",
    "GE": "Generalized Entropy (GE)",
}
DIVERGENCES = ["KL", "JS", "LP", "TVD", "KS"]
FACET_CHECKED_POST = ["DPPL", "DI", "DCA", "DCR", "RD", "SD", "DAR", "DRR", "AD", "TE", "FT"]


# ---------------------------------------------------------------- helpers


def bias_report(frame: pd.DataFrame, **overrides) -> BiasReport:
    params = {"label": "y", "label_values": ("1",), "facet": "f", "facet_values": ("B",), "bootstrap": 0}
    params.update(overrides)
    return report_from_frame(frame, BiasRequest(**params))


def cells(facet, *, tp: int = 0, fp: int = 0, fn: int = 0, tn: int = 0, **columns) -> list[dict]:
    """Rows of one facet value with the given confusion counts (y, yhat) and constant extra columns."""
    pairs = [(1, 1)] * tp + [(0, 1)] * fp + [(1, 0)] * fn + [(0, 0)] * tn
    return [{"f": facet, "y": y, "yhat": yhat, **columns} for y, yhat in pairs]


def frame_of(*row_lists: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([row for rows in row_lists for row in rows])


def assert_value(metric: MetricValue, expected: float) -> None:
    assert not metric.error, f"{metric.name} failed: {metric.error}"
    assert metric.value is not None, metric.name
    if math.isinf(expected):
        assert metric.value == expected, metric.name
    else:
        assert metric.value == pytest.approx(expected, rel=1e-9, abs=1e-12), metric.name


def assert_failed(metric: MetricValue, *words: str) -> None:
    assert metric.value is None, f"{metric.name} should have failed, got {metric.value}"
    assert metric.error, f"{metric.name} has no error message"
    for word in words:
        assert word.lower() in metric.error.lower(), f"{metric.name}: {word!r} not in {metric.error!r}"


def pre_metric(report: BiasReport, name: str, entry: int = 0) -> MetricValue:
    return report.pre.entries[entry].metric(name)


def post_metric(report: BiasReport, name: str, entry: int = 0) -> MetricValue:
    assert report.post is not None and not report.post.error, report.post
    return report.post.entries[entry].metric(name)


# ---------------------------------------------------------------- the main table (20 rows, two groups)
# a (f=A, 12 rows): TP 4, FP 2, FN 1, TN 5  ->  n_a(1) = 5, n̂_a(1) = 6
# d (f=B,  8 rows): TP 1, FP 1, FN 2, TN 4  ->  n_d(1) = 3, n̂_d(1) = 2
# group g=1 (6 rows):  A TP 2, TN 1;  B FN 1, TN 2
# group g=2 (14 rows): A TP 2, FP 2, FN 1, TN 4;  B TP 1, FP 1, FN 1, TN 2


def main_table() -> pd.DataFrame:
    return frame_of(cells("A", tp=2, tn=1, g=1), cells("B", fn=1, tn=2, g=1),
                    cells("A", tp=2, fp=2, fn=1, tn=4, g=2), cells("B", tp=1, fp=1, fn=1, tn=2, g=2))


MAIN_PRE = {
    "CI": (12 - 8) / 20,
    "DPL": 5 / 12 - 3 / 8,  # 1/24
    # P_a = (7/12, 5/12), P_d = (5/8, 3/8) over (negative, positive)
    "KL": 7 / 12 * math.log((7 / 12) / (5 / 8)) + 5 / 12 * math.log((5 / 12) / (3 / 8)),
    # M = (29/48, 19/48)
    "JS": 0.5 * (7 / 12 * math.log(28 / 29) + 5 / 12 * math.log(20 / 19) + 5 / 8 * math.log(30 / 29) + 3 / 8 * math.log(18 / 19)),
    "LP": math.sqrt(2) / 24,
    "TVD": 1 / 24,
    "KS": 1 / 24,
    # g1: A_1 = 1/3, D_1 = 2/3; g2: A_2 = 2/5, D_2 = 1/3; (6·1/3 + 14·(−1/15)) / 20
    "CDDL": 4 / 75,
}
MAIN_POST = {
    "DPPL": 6 / 12 - 2 / 8,
    "DI": (2 / 8) / (6 / 12),
    "DCA": 5 / 6 - 3 / 2,  # c = (TP+FN)/(TP+FP)
    "DCR": 5 / 6 - 7 / 6,  # r_d − r_a, r = (TN+FP)/(TN+FN)
    "DAR": 4 / 6 - 1 / 2,
    "DRR": 4 / 6 - 5 / 6,
    "RD": 4 / 5 - 1 / 3,
    "SD": 4 / 5 - 5 / 7,
    "AD": 9 / 12 - 5 / 8,
    "TE": 2 / 1 - 1 / 2,
    # ŷ: g1: A_1 = 0/2, D_1 = 3/4; g2: A_2 = 2/6, D_2 = 3/8; (6·3/4 + 14·1/24) / 20
    "CDDPL": 61 / 240,
    # b: 14 correct (1), 3 FP (2), 3 FN (0): μ = 1, Var = 26/20 − 1 = 0.3, GE = ½·0.3
    "GE": 0.15,
}


@pytest.fixture(scope="module")
def main_report() -> BiasReport:
    return bias_report(main_table(), group="g", predicted="yhat")


@pytest.mark.parametrize("name", sorted(MAIN_PRE))
def test_pre_training_metric_on_the_main_table(main_report: BiasReport, name: str) -> None:
    assert_value(pre_metric(main_report, name), MAIN_PRE[name])


@pytest.mark.parametrize("name", sorted(MAIN_POST))
def test_post_training_metric_on_the_main_table(main_report: BiasReport, name: str) -> None:
    assert_value(post_metric(main_report, name), MAIN_POST[name])


def test_all_methods_give_every_metric_once(main_report: BiasReport) -> None:
    assert sorted(m.name for m in main_report.pre.entries[0].metrics) == PRE_NAMES
    assert sorted(m.name for m in main_report.post.entries[0].metrics) == POST_NAMES


def test_counts_behind_the_main_table(main_report: BiasReport) -> None:
    pre_counts = main_report.pre.entries[0].counts
    assert (pre_counts["n_a"], pre_counts["n_d"], pre_counts["positive_a"], pre_counts["positive_d"]) == (12, 8, 5, 3)
    assert pre_counts["rate_a"] == pytest.approx(5 / 12) and pre_counts["rate_d"] == pytest.approx(3 / 8)
    post_counts = main_report.post.entries[0].counts
    assert (post_counts["predicted_positive_a"], post_counts["predicted_positive_d"]) == (6, 2)
    assert dict(post_counts["confusion_a"]) == {"TP": 4, "FP": 2, "FN": 1, "TN": 5}
    assert dict(post_counts["confusion_d"]) == {"TP": 1, "FP": 1, "FN": 2, "TN": 4}


def test_swapping_the_facet_negates_cddl_when_every_group_has_both_outcomes() -> None:
    swapped = bias_report(main_table(), group="g", facet_values=("A",))
    assert_value(pre_metric(swapped, "CDDL"), -4 / 75)
    assert_value(pre_metric(swapped, "CI"), -0.2)


# ---------------------------------------------------------------- safe ratio, infinities, both-infinite rule
# a: TP 0, FP 0, FN 2, TN 2 (no predicted positives);  d: TP 1, FP 1, FN 1, TN 1

def a_without_predicted_positives() -> pd.DataFrame:
    return frame_of(cells("A", fn=2, tn=2), cells("B", tp=1, fp=1, fn=1, tn=1))


A_WITHOUT_PREDICTED_POSITIVES = {
    "DPPL": 0 - 2 / 4,
    "DI": math.inf,  # R(1/2, 0)
    "DCA": math.inf,  # c_a = R(2, 0) = ∞, c_d = 1
    "DCR": 2 / 2 - 2 / 4,
    "DAR": 0 - 1 / 2,  # a's precision is R(0, 0) = 0
    "DRR": 1 / 2 - 2 / 4,
    "RD": 0 / 2 - 1 / 2,
    "SD": 1 / 2 - 2 / 2,
    "AD": 2 / 4 - 2 / 4,
    "TE": -math.inf,  # τ_d = 1, τ_a = R(2, 0) = ∞
    "GE": 7 / 18,  # b = 0,0,1,1 | 1,2,0,1: μ = 3/4, E[b²] = 1
}


@pytest.mark.parametrize("name", sorted(A_WITHOUT_PREDICTED_POSITIVES))
def test_safe_ratio_when_facet_a_has_no_predicted_positives(name: str) -> None:
    report = bias_report(a_without_predicted_positives(), predicted="yhat")
    assert_value(post_metric(report, name), A_WITHOUT_PREDICTED_POSITIVES[name])


@pytest.mark.parametrize(("name", "expected"), [("DI", 0.0), ("DCA", -math.inf), ("TE", math.inf), ("DAR", 0.5), ("DCR", -0.5)])
def test_safe_ratio_with_the_roles_swapped(name: str, expected: float) -> None:
    # d = the rows without predicted positives: DI = R(0, 1/2) = 0, c_d = ∞, τ_d = ∞
    report = bias_report(a_without_predicted_positives(), predicted="yhat", facet_values=("A",))
    assert_value(post_metric(report, name), expected)


# every prediction positive. a: TP 2, FP 1;  d: TP 1, FP 2
ALL_PREDICTED_POSITIVE = {
    "DCR": 0.0,  # r_a = R(1, 0) = ∞ and r_d = R(2, 0) = ∞: both infinite → 0
    "DRR": 0.0,  # R(0, 0) − R(0, 0)
    "DCA": 2 / 3 - 1 / 3,
    "DI": 1.0,
    "DPPL": 0.0,
    "DAR": 2 / 3 - 1 / 3,
    "RD": 1.0 - 1.0,
    "SD": 0.0 - 0.0,  # R(0, 2) − R(0, 1)
    "TE": 0.0,  # R(0, 2) − R(0, 1)
    "AD": 2 / 3 - 1 / 3,
    "GE": 1 / 18,  # b = 1,1,2,1,2,2: μ = 3/2, Var = 1/4
}


@pytest.mark.parametrize("name", sorted(ALL_PREDICTED_POSITIVE))
def test_every_prediction_positive(name: str) -> None:
    frame = frame_of(cells("A", tp=2, fp=1), cells("B", tp=1, fp=2))
    assert_value(post_metric(bias_report(frame, predicted="yhat"), name), ALL_PREDICTED_POSITIVE[name])


def test_cddpl_errors_when_every_prediction_is_positive() -> None:
    frame = frame_of(cells("A", tp=2, fp=1, g=1), cells("B", tp=1, fp=2, g=1))
    assert_failed(post_metric(bias_report(frame, predicted="yhat", group="g"), "CDDPL"), "negative")


def test_treatment_equality_both_infinite_is_zero() -> None:
    # FP = 0 and FN > 0 on both sides: τ_a = R(1, 0) = ∞, τ_d = R(2, 0) = ∞
    frame = frame_of(cells("A", tp=1, fn=1, tn=1), cells("B", tp=1, fn=2, tn=1))
    report = bias_report(frame, predicted="yhat")
    assert_value(post_metric(report, "TE"), 0.0)
    assert_value(post_metric(report, "DCA"), 2 / 1 - 3 / 1)
    assert_value(post_metric(report, "GE"), 0.375)  # b = 1,0,1 | 1,0,0,1: μ = 4/7


def test_treatment_equality_zero_over_zero_is_zero() -> None:
    # a: every prediction right, τ_a = R(0, 0) = 0;  d: FN 1, FP 2, τ_d = 1/2
    frame = frame_of(cells("A", tp=2, tn=2), cells("B", tp=1, fp=2, fn=1, tn=1))
    assert_value(post_metric(bias_report(frame, predicted="yhat"), "TE"), 0.5)


# ---------------------------------------------------------------- d without positive labels: KL < 0, zero-dropping
# a (10 rows): TP 3, FN 1, FP 1, TN 5 -> q_a = 0.4;  d (5 rows): FP 1, TN 4 -> q_d = 0

def d_without_positives() -> pd.DataFrame:
    return frame_of(cells("A", tp=3, fn=1, fp=1, tn=5), cells("B", fp=1, tn=4))


D_WITHOUT_POSITIVES_PRE = {
    "CI": 5 / 15,
    "DPL": 0.4,
    "KL": 0.6 * math.log(0.6),  # only "negative" is common; no renormalising, so KL < 0
    "JS": 0.5 * (0.6 * math.log(0.6 / 0.8) + 1.0 * math.log(1.0 / 0.8)),
    "LP": 0.4,
    "TVD": 0.2,  # ½|DPL|
    "KS": 0.4,  # |DPL|
}
D_WITHOUT_POSITIVES_POST = {
    "RD": 3 / 4 - 0.0,  # d's recall is R(0, 0) = 0
    "SD": 4 / 5 - 5 / 6,
    "DCA": 4 / 4 - 0.0,  # c_d = R(0, 1)
    "DCR": 5 / 4 - 6 / 6,
    "DAR": 3 / 4 - 0 / 1,
    "DRR": 4 / 4 - 5 / 6,
    "AD": 8 / 10 - 4 / 5,
    "TE": 0 / 1 - 1 / 1,
    "DI": (1 / 5) / (4 / 10),
    "DPPL": 4 / 10 - 1 / 5,
    "GE": (20 * (15 / 16) ** 2 - 15) / 30,  # Σb = 16, Σb² = 20, N = 15
}


@pytest.mark.parametrize("name", sorted(D_WITHOUT_POSITIVES_PRE))
def test_pre_training_when_facet_d_has_no_positive_labels(name: str) -> None:
    assert_value(pre_metric(bias_report(d_without_positives()), name), D_WITHOUT_POSITIVES_PRE[name])


def test_kl_is_negative_when_facet_d_has_no_positive_labels() -> None:
    assert pre_metric(bias_report(d_without_positives()), "KL").value < 0


@pytest.mark.parametrize("name", sorted(D_WITHOUT_POSITIVES_POST))
def test_post_training_when_facet_d_has_no_positive_labels(name: str) -> None:
    report = bias_report(d_without_positives(), predicted="yhat")
    assert_value(post_metric(report, name), D_WITHOUT_POSITIVES_POST[name])


def test_divergences_error_when_the_groups_share_no_label_value() -> None:
    # a all positive, d all negative: no label value has P_a > 0 and P_d > 0
    frame = pd.DataFrame({"f": ["A"] * 3 + ["B"] * 3, "y": [1, 1, 1, 0, 0, 0]})
    report = bias_report(frame)
    for name in DIVERGENCES:
        assert_failed(pre_metric(report, name))
    assert_value(pre_metric(report, "DPL"), 1.0)
    assert_value(pre_metric(report, "CI"), 0.0)


# ---------------------------------------------------------------- empty facets


def test_empty_facet_d_errors_per_metric_and_the_rest_still_compute() -> None:
    report = bias_report(main_table(), facet_values=("Z",), group="g", predicted="yhat")
    for name in ["CI", "DPL", *DIVERGENCES]:
        assert_failed(pre_metric(report, name))
    for name in FACET_CHECKED_POST:
        assert_failed(post_metric(report, name))
    assert_value(pre_metric(report, "CDDL"), 0.0)  # CDD does not check the facet
    assert_value(post_metric(report, "CDDPL"), 0.0)
    assert_value(post_metric(report, "GE"), 0.15)  # GE does not depend on the facet


def test_every_row_in_facet_d_errors_per_metric() -> None:
    report = bias_report(main_table(), facet_values=("A", "B"), group="g", predicted="yhat")
    for name in ["CI", "DPL", *DIVERGENCES]:
        assert_failed(pre_metric(report, name))
    for name in FACET_CHECKED_POST:
        assert_failed(post_metric(report, name))
    assert_value(pre_metric(report, "CDDL"), 0.0)  # A_g = D_g = 1 in every group
    assert_value(post_metric(report, "CDDPL"), 0.0)
    assert_value(post_metric(report, "GE"), 0.15)


def test_no_positive_prediction_fails_the_whole_post_training_stage() -> None:
    # every row a false negative (μ = 0 for GE) is one such case: the stage fails before GE runs
    frame = main_table().assign(yhat=0)
    report = bias_report(frame, group="g", predicted="yhat")
    assert report.post is not None and report.post.error
    assert_value(pre_metric(report, "CI"), 0.2)
    analysis = report.analysis_json()
    assert "post_training_bias_metrics" not in analysis
    assert "pre_training_bias_metrics" in analysis


def test_post_training_only_with_a_prediction_column() -> None:
    report = bias_report(main_table(), group="g")
    assert report.post is None or not report.post.entries
    assert "post_training_bias_metrics" not in report.analysis_json()


# ---------------------------------------------------------------- CDDL / CDDPL
# g=1: 4 rejections (1 in d), no acceptance  -> A_1 = 0, D_1 = 1/4, weight 4
# g=2: A y 1,1,0; B y 1,0,0                  -> A_2 = 1/3, D_2 = 2/3, weight 6
# g=3: A y 1; B y 1, no rejection            -> A_3 = 1/2, D_3 = 0, weight 2
# CDD = (4·1/4 + 6·1/3 + 2·(−1/2)) / 12 = 1/6   (unweighted mean would be 1/36)

def cdd_table() -> pd.DataFrame:
    return pd.DataFrame({
        "f": ["B", "A", "A", "A", "A", "A", "A", "B", "B", "B", "A", "B"],
        "y": [0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1],
        "g": [1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3],
    })


def test_cddl_weights_subgroups_by_size_and_empty_terms_count_zero() -> None:
    assert_value(pre_metric(bias_report(cdd_table(), group="g"), "CDDL"), 1 / 6)


def test_cddl_drops_rows_whose_numeric_group_is_nan() -> None:
    # three more rejected d-rows without a group: counted as a group they would give 1/3
    extra = pd.DataFrame({"f": ["B"] * 3, "y": [0] * 3, "g": [np.nan] * 3})
    frame = pd.concat([cdd_table().astype({"g": float}), extra], ignore_index=True)
    report = bias_report(frame, group="g")
    assert_value(pre_metric(report, "CDDL"), 1 / 6)
    assert_value(pre_metric(report, "CI"), (7 - 8) / 15)  # the rows still count elsewhere


def test_cddl_with_a_single_group_is_demographic_disparity() -> None:
    # DD = n_d(0)/n(0) − n_d(1)/n(1) = 3/7 − 2/5
    report = bias_report(cdd_table().assign(g=7), group="g")
    assert_value(pre_metric(report, "CDDL"), 3 / 7 - 2 / 5)


def test_cddl_asked_for_without_a_group_variable_errors() -> None:
    report = bias_report(cdd_table(), methods=("CDDL", "CI"))
    assert_failed(pre_metric(report, "CDDL"), "group")
    assert_value(pre_metric(report, "CI"), (7 - 5) / 12)


def test_all_without_a_group_variable_leaves_out_cddl_and_cddpl() -> None:
    report = bias_report(cdd_table().assign(yhat=1), predicted="yhat")
    assert report.post is not None
    assert [m.name for m in report.pre.entries[0].metrics] == ["CI", "DPL", "JS", "KL", "KS", "LP", "TVD"]
    assert "CDDPL" not in {m.name for m in report.post.entries[0].metrics}
    assert {"CDDL", "CI"} <= {m.name for m in bias_report(cdd_table(), group="g").pre.entries[0].metrics}


def test_cddl_checks_the_group_before_the_labels() -> None:
    report = bias_report(cdd_table().assign(y=0), methods=("CDDL",))
    assert_failed(pre_metric(report, "CDDL"), "group")


def test_cddl_errors_without_positive_labels() -> None:
    assert_failed(pre_metric(bias_report(cdd_table().assign(y=0), group="g"), "CDDL"), "positive")


def test_cddl_errors_without_negative_labels() -> None:
    assert_failed(pre_metric(bias_report(cdd_table().assign(y=1), group="g"), "CDDL"), "negative")


def test_cddl_errors_on_a_string_group_containing_nan() -> None:
    # np.unique cannot sort a mix of str and float NaN
    frame = cdd_table().assign(g=["x", "x", "y", "y", np.nan, "x", "y", "y", "x", "x", "y", "x"])
    report = bias_report(frame, group="g")
    assert_failed(pre_metric(report, "CDDL"))
    assert_value(pre_metric(report, "CI"), (7 - 5) / 12)


# ---------------------------------------------------------------- FlipTest
# k = 1 (n_a = 4). a: x = 0, 10, 20, 30 with ŷ = 0, 1, 0, 1.
# d: x = 1 (ŷ 1, f 0: +1), 11 (ŷ 1, f 1: 0), 19 (ŷ 1, f 0: +1), 29 (ŷ 0, f 1: −1)  ->  FT = 1/4

def flip_table_k1() -> pd.DataFrame:
    yhat = [0, 1, 0, 1, 1, 1, 1, 0]
    return pd.DataFrame({"f": ["A"] * 4 + ["B"] * 4, "x": [0.0, 10, 20, 30, 1, 11, 19, 29], "y": yhat, "yhat": yhat})


# a: x = 0..9 with ŷ below; d: x = 0.2 (ŷ 0), 4.6 (ŷ 1), 2.3 (ŷ 1). No distance ties at the k-th neighbour.
A_PREDICTIONS = [1, 0, 0, 0, 0, 1, 1, 1, 1, 0]


def flip_table(n_a: int, d_x: list[float], d_yhat: list[int]) -> pd.DataFrame:
    yhat = A_PREDICTIONS[:n_a] + d_yhat
    return pd.DataFrame({"f": ["A"] * n_a + ["B"] * len(d_x), "x": [float(v) for v in range(n_a)] + d_x, "y": yhat, "yhat": yhat})


def test_flip_test_with_one_neighbour_and_its_sign() -> None:
    # positive: d-members were favoured over their a-neighbours
    assert_value(post_metric(bias_report(flip_table_k1(), predicted="yhat"), "FT"), 0.25)


def test_flip_test_uses_five_neighbours_above_nine_a_rows() -> None:
    # k=5: f = 0 (0.2: a ŷ 1,0,0,0,0), 1 (4.6: 1,0,1,0,1), 0 (2.3: 0,0,0,0,1) -> (0 + 0 + 1)/3
    # (k=1 would give f = 1, 1, 0 -> 0)
    frame = flip_table(10, [0.2, 4.6, 2.3], [0, 1, 1])
    assert_value(post_metric(bias_report(frame, predicted="yhat"), "FT"), 1 / 3)


def test_flip_test_uses_one_neighbour_at_nine_a_rows() -> None:
    # k=1: f = 1 (0.2 -> x0), 0 (2.3 -> x2), 1 (6.2 -> x6) -> (−1 + 1 − 1)/3  (k=5 would give 0)
    frame = flip_table(9, [0.2, 2.3, 6.2], [0, 1, 0])
    assert_value(post_metric(bias_report(frame, predicted="yhat"), "FT"), -1 / 3)


def test_flip_test_rejects_non_numeric_feature_columns() -> None:
    frame = flip_table_k1().assign(name=list("pqrstuvw"))
    report = bias_report(frame, predicted="yhat")
    assert_failed(post_metric(report, "FT"), "numeric")
    assert_value(post_metric(report, "DPPL"), 2 / 4 - 3 / 4)  # the other metrics still compute
    chosen = bias_report(frame, predicted="yhat", flip_test_features=("x",))
    assert_value(post_metric(chosen, "FT"), 0.25)


def test_flip_test_features_include_the_group_column() -> None:
    frame = flip_table_k1().assign(g=["u", "v"] * 4)
    assert_failed(post_metric(bias_report(frame, predicted="yhat", group="g"), "FT"), "numeric")


def test_flip_test_fails_on_missing_feature_values() -> None:
    frame = flip_table_k1()
    frame.loc[2, "x"] = np.nan
    assert_failed(post_metric(bias_report(frame, predicted="yhat"), "FT"))


# ---------------------------------------------------------------- Generalized entropy


def test_generalized_entropy_can_exceed_one_half() -> None:
    # b: 8 FN (0), 1 FP (2), 1 TP (1): μ = 0.3, E[b²] = 0.5, GE = ½·0.41/0.09 = 41/18
    frame = frame_of(cells("A", fn=4, fp=1), cells("B", fn=4, tp=1))
    value = post_metric(bias_report(frame, predicted="yhat"), "GE")
    assert_value(value, 41 / 18)
    assert value.value > 0.5


# ---------------------------------------------------------------- facet and label modes


def test_categorical_facet_values_given_as_strings_match_an_int_column() -> None:
    frame = pd.DataFrame({"f": [0, 1, 2, 1, 0, 2, 1, 0, 2, 1], "y": [1, 0, 1, 1, 0, 0, 1, 1, 0, 1]})
    one = bias_report(frame, facet_values=("1",))
    assert one.pre.entries[0].value_or_threshold == "1"
    assert_value(pre_metric(one, "CI"), (6 - 4) / 10)
    assert_value(pre_metric(one, "DPL"), 3 / 6 - 3 / 4)
    # two values on a numeric column: equality on each, not a range
    two = bias_report(frame, facet_values=("1", "2"))
    assert two.pre.entries[0].value_or_threshold == "1,2"
    assert_value(pre_metric(two, "CI"), (3 - 7) / 10)


def test_nan_facet_rows_belong_to_facet_a() -> None:
    frame = pd.DataFrame({"f": ["A", "B", np.nan, "B", "A", np.nan], "y": [1, 0, 1, 1, 0, 1]})
    report = bias_report(frame)
    counts = report.pre.entries[0].counts
    assert (counts["n_a"], counts["n_d"]) == (4, 2)
    assert_value(pre_metric(report, "CI"), 2 / 6)
    assert_value(pre_metric(report, "DPL"), 3 / 4 - 1 / 2)


def test_multi_class_label_with_a_set_of_positive_values_and_nan_label() -> None:
    frame = pd.DataFrame({
        "f": ["A"] * 6 + ["B"] * 5,
        "y": ["low", "mid", "high", "low", "low", np.nan, "low", "low", "low", "low", "high"],
    })
    report = bias_report(frame, label_values=("mid", "high"))
    assert report.pre.label_value_or_threshold == "mid,high"
    assert_value(pre_metric(report, "DPL"), 2 / 6 - 1 / 5)  # the NaN label is negative


def test_label_value_given_as_a_string_matches_a_float_label_and_nan_is_negative() -> None:
    frame = pd.DataFrame({"f": ["A"] * 4 + ["B"] * 4, "y": [1.0, 0.0, np.nan, 1.0, 1.0, np.nan, 0.0, 0.0]})
    report = bias_report(frame)  # label_values ("1",): y == 1.0, not a threshold
    assert (report.pre.entries[0].counts["positive_a"], report.pre.entries[0].counts["positive_d"]) == (2, 1)
    assert_value(pre_metric(report, "DPL"), 2 / 4 - 1 / 4)


def test_one_vs_all_gives_an_entry_per_value_in_order_of_appearance() -> None:
    frame = pd.DataFrame({
        "f": ["B", "A", "B", np.nan, "C", "A", "B", "C", "A", "B"],
        "y": [1, 0, 1, 0, 1, 1, 0, 1, 0, 1],
        "yhat": [1, 0, 0, 1, 1, 0, 1, 0, 0, 1],
    })
    report = bias_report(frame, facet_values=(), predicted="yhat")
    assert [e.value_or_threshold for e in report.pre.entries] == ["B", "A", "nan", "C"]
    assert [e.value_or_threshold for e in report.post.entries] == ["B", "A", "nan", "C"]
    cis = [pre_metric(report, "CI", i) for i in range(4)]
    for metric, expected in zip([cis[0], cis[1], cis[3]], [(6 - 4) / 10, (7 - 3) / 10, (8 - 2) / 10]):
        assert_value(metric, expected)
    assert_failed(cis[2])  # NaN is its own entry with an empty d
    assert_failed(pre_metric(report, "DPL", 2))
    assert_value(pre_metric(report, "DPL", 0), 3 / 6 - 3 / 4)
    assert_value(pre_metric(report, "DPL", 1), 5 / 7 - 1 / 3)
    assert_value(pre_metric(report, "DPL", 3), 4 / 8 - 2 / 2)
    # GE ignores the facet: b = 1,1,0,2,1,0,2,0,1,1 -> μ = 0.9, Σb² = 13
    for i in range(4):
        assert_value(post_metric(report, "GE", i), (13 / 0.81 - 10) / 20)


# ---------------------------------------------------------------- thresholds and interval strings


def test_facet_threshold_is_strict_and_nan_is_not_d() -> None:
    frame = pd.DataFrame({"f": [25.0, 40.0, 40.1, 55.5, 79.9, 33.0, np.nan, 62.0], "y": [1, 1, 0, 0, 1, 1, 1, 0]})
    report = bias_report(frame, facet_values=(), facet_threshold=40.0)
    entry = report.pre.entries[0]
    assert entry.value_or_threshold == "(40.0, 79.9]"
    assert (entry.counts["n_a"], entry.counts["n_d"]) == (4, 4)
    assert_value(entry.metric("CI"), 0.0)
    assert_value(entry.metric("DPL"), 4 / 4 - 1 / 4)


@pytest.mark.parametrize(("threshold", "interval", "n_d"), [(50, "(50, 80]", 3), (80, "", 0), (90, "(80, 90]", 0)])
def test_facet_interval_strings_on_an_int_column(threshold: int, interval: str, n_d: int) -> None:
    frame = pd.DataFrame({"f": [20, 50, 51, 80, 35, 65], "y": [1, 0, 0, 1, 1, 0]})
    report = bias_report(frame, facet_values=(), facet_threshold=threshold)
    entry = report.pre.entries[0]
    assert entry.value_or_threshold == interval
    assert entry.counts["n_d"] == n_d
    if n_d:
        assert_value(entry.metric("DPL"), 2 / 3 - 1 / 3)
    else:
        assert_failed(entry.metric("CI"))


def test_facet_interval_drops_the_maximum_when_its_absolute_value_equals_the_threshold() -> None:
    # smclarify leaves the max out of the breaks when |max| == t, so there is no interval at all
    frame = pd.DataFrame({"f": [-9, -7, -5, -8], "y": [1, 0, 1, 0]})
    report = bias_report(frame, facet_values=(), facet_threshold=5)
    assert report.pre.entries[0].value_or_threshold == ""
    assert_failed(pre_metric(report, "CI"))


def test_label_threshold_is_strict_with_its_interval_string() -> None:
    frame = pd.DataFrame({"f": ["A"] * 4 + ["B"] * 4, "y": [0.2, 0.5, 0.7, 0.9, 0.5, 0.5, 0.6, 0.1]})
    report = bias_report(frame, label_values=(), label_threshold=0.5)
    assert report.pre.label_value_or_threshold == "(0.5, 0.9]"
    assert_value(pre_metric(report, "DPL"), 2 / 4 - 1 / 4)  # ">=" would give 0


def test_predictions_use_the_label_threshold() -> None:
    frame = pd.DataFrame({
        "f": ["A"] * 4 + ["B"] * 4,
        "y": [0.2, 0.5, 0.7, 0.9, 0.5, 0.5, 0.6, 0.1],
        "yhat": [0.6, 0.4, 0.5, 0.8, 0.9, 0.5, 0.5, 0.2],
    })
    report = bias_report(frame, label_values=(), label_threshold=0.5, predicted="yhat")
    assert_value(post_metric(report, "DPPL"), 2 / 4 - 1 / 4)  # ">=" would give 0


def test_predicted_threshold_turns_scores_into_strict_predictions() -> None:
    frame = pd.DataFrame({
        "f": ["A"] * 4 + ["B"] * 4,
        "y": [1, 1, 0, 0, 1, 0, 0, 1],
        "score": [0.9, 0.5, 0.2, 0.7, 0.5, 0.6, 0.1, 0.5],
    })
    report = bias_report(frame, predicted="score", predicted_threshold=0.5)
    assert_value(post_metric(report, "DPPL"), 2 / 4 - 1 / 4)  # ">=" would give 0
    assert_value(post_metric(report, "DI"), 0.5)
    counts = report.post.entries[0].counts
    assert dict(counts["confusion_a"]) == {"TP": 1, "FP": 1, "FN": 1, "TN": 1}
    assert dict(counts["confusion_d"]) == {"TP": 0, "FP": 1, "FN": 2, "TN": 1}


# ---------------------------------------------------------------- methods


def test_methods_restrict_the_metrics_and_dcacc_is_dca() -> None:
    report = bias_report(main_table(), group="g", predicted="yhat", methods=("CI", "DPL", "DCAcc", "DI"))
    assert sorted(m.name for m in report.pre.entries[0].metrics) == ["CI", "DPL"]
    assert sorted(m.name for m in report.post.entries[0].metrics) == ["DCA", "DI"]
    assert_value(post_metric(report, "DCA"), MAIN_POST["DCA"])


# ---------------------------------------------------------------- analysis.json


def test_analysis_json_layout(main_report: BiasReport) -> None:
    analysis = main_report.analysis_json()
    assert set(analysis) == {"version", "pre_training_bias_metrics", "post_training_bias_metrics"}
    assert analysis["version"] == "1.0"
    for key, names in [("pre_training_bias_metrics", PRE_NAMES), ("post_training_bias_metrics", POST_NAMES)]:
        stage = analysis[key]
        assert stage["label"] == "y"
        assert stage["label_value_or_threshold"] == "1"
        assert list(stage["facets"]) == ["f"]
        [entry] = stage["facets"]["f"]
        assert entry["value_or_threshold"] == "B"
        assert [m["name"] for m in entry["metrics"]] == names
        assert {m["name"]: m["description"] for m in entry["metrics"]} == {n: DESCRIPTIONS[n] for n in names}
        for metric in entry["metrics"]:
            assert isinstance(metric["value"], float) and "error" not in metric, metric
    dpl = next(m for m in analysis["pre_training_bias_metrics"]["facets"]["f"][0]["metrics"] if m["name"] == "DPL")
    assert dpl["value"] == pytest.approx(1 / 24)
    json.dumps(analysis, allow_nan=False)


def test_analysis_json_writes_infinity_as_strings_and_errors_as_null() -> None:
    report = bias_report(a_without_predicted_positives(), predicted="yhat", facet_values=("B", "C"),
                         methods=("CI", "DI", "DCA", "TE", "CDDPL", "DPPL"))
    analysis = report.analysis_json()
    json.dumps(analysis, allow_nan=False)
    [entry] = analysis["post_training_bias_metrics"]["facets"]["f"]
    assert entry["value_or_threshold"] == "B,C"
    metrics = {m["name"]: m for m in entry["metrics"]}
    assert metrics["DI"]["value"] == "Infinity"
    assert metrics["DCA"]["value"] == "Infinity"
    assert metrics["TE"]["value"] == "-Infinity"
    assert metrics["CDDPL"]["value"] is None and metrics["CDDPL"]["error"]  # asked for, but no group variable
    assert "error" not in metrics["DPPL"]
