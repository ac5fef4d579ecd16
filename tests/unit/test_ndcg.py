"""NDCG of feature-attribution rankings, checked against sums worked out by hand."""

from __future__ import annotations

import math

import pytest

from services.monitoring.ndcg import ndcg, ranked

BASELINE = {"a": 3.0, "b": 2.0, "c": 1.0}
LOG2_3 = math.log2(3)


def test_the_same_order_scores_one_whatever_the_live_magnitudes() -> None:
    assert ndcg(BASELINE, {"a": 0.3, "b": 0.2, "c": 0.1}) == pytest.approx(1.0)


def test_a_reversed_order_scores_the_baseline_gains_in_the_live_order() -> None:
    dcg = 1 / 1 + 2 / LOG2_3 + 3 / 2  # live order c, b, a; gains are the baseline attributions
    ideal = 3 / 1 + 2 / LOG2_3 + 1 / 2
    assert ndcg(BASELINE, {"a": 1.0, "b": 2.0, "c": 3.0}) == pytest.approx(dcg / ideal)
    assert dcg / ideal == pytest.approx(0.78999, abs=1e-5)


def test_only_the_top_k_positions_count() -> None:
    live = {"a": 2.0, "b": 3.0, "c": 0.0}  # b, a, c
    assert ndcg(BASELINE, live, top_k=2) == pytest.approx((2 + 3 / LOG2_3) / (3 + 2 / LOG2_3))
    assert ndcg(BASELINE, live, top_k=1) == pytest.approx(2 / 3)
    assert ndcg(BASELINE, {"a": 9.0, "b": 1.0, "c": 2.0}, top_k=1) == pytest.approx(1.0)  # c/b swap is past k


def test_sagemakers_college_admissions_example_falls_below_the_default_threshold() -> None:
    training = {"SAT score": 0.70, "GPA": 0.50, "Class rank": 0.05}
    live = {"SAT score": 0.10, "GPA": 0.20, "Class rank": 0.70}
    expected = (0.05 + 0.50 / LOG2_3 + 0.70 / 2) / (0.70 + 0.50 / LOG2_3 + 0.05 / 2)
    assert ndcg(training, live) == pytest.approx(expected)
    assert ndcg(training, live) < 0.90


def test_a_swap_of_important_features_costs_more_than_a_swap_of_unimportant_ones() -> None:
    baseline = {"a": 10.0, "b": 5.0, "c": 0.2, "d": 0.1}
    top_swapped = ndcg(baseline, {"a": 5.0, "b": 10.0, "c": 0.2, "d": 0.1})
    tail_swapped = ndcg(baseline, {"a": 10.0, "b": 5.0, "c": 0.1, "d": 0.2})
    assert top_swapped < tail_swapped < 1.0


def test_features_missing_on_one_side() -> None:
    # "a" not seen live ranks last; "z" (not in the baseline) has no gain.
    live = {"b": 2.0, "c": 1.0, "z": 5.0}
    assert ndcg(BASELINE, live) == pytest.approx((0 + 2 / LOG2_3 + 1 / 2 + 3 / math.log2(5)) /
                                                 (3 + 2 / LOG2_3 + 1 / 2))


def test_nothing_to_rank_scores_one_and_negative_attributions_are_refused() -> None:
    assert ndcg({"a": 0.0, "b": 0.0}, {"a": 1.0, "b": 2.0}) == 1.0
    assert ndcg({}, {}) == 1.0
    with pytest.raises(ValueError, match="non-negative"):
        ndcg({"a": -1.0}, {"a": 1.0})


def test_ties_rank_by_name() -> None:
    assert ranked({"b": 1.0, "a": 1.0, "c": 2.0}) == ["c", "a", "b"]
