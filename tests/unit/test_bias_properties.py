"""Properties of the Clarify bias metrics that hold on every table, and the bootstrap intervals.

The oracle below re-derives the count-based metrics straight from the spec
(/work/shared/CLARIFY_METRICS.md §3–4) with plain pandas, independently of the engine.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.bias.engine import report_from_frame
from services.bias.models import BiasReport, BiasRequest

SIGN_FLIPPING = ["CI", "DPL", "DPPL", "DCA", "DCR", "DAR", "DRR", "RD", "SD", "AD", "TE"]
SYMMETRIC = ["JS", "LP", "TVD", "KS"]
EXAMPLES = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EPS = 1e-9


def bias_report(frame: pd.DataFrame, **overrides) -> BiasReport:
    params = {"label": "y", "label_values": ("1",), "facet": "f", "facet_values": ("B",), "group": "g",
              "predicted": "yhat", "bootstrap": 0}
    params.update(overrides)
    return report_from_frame(frame, BiasRequest(**params))


def values(report: BiasReport, entry: int = 0) -> dict[str, float | None]:
    assert report.post is not None and not report.post.error, report.post
    metrics = [*report.pre.entries[entry].metrics, *report.post.entries[entry].metrics]
    return {m.name: m.value for m in metrics}


@st.composite
def two_facet_tables(draw: st.DrawFn) -> pd.DataFrame:
    """A table whose facet holds both A and B and whose predictions hold at least one positive."""
    n = draw(st.integers(4, 30))
    column = st.lists(st.integers(0, 1), min_size=n, max_size=n)
    facet = draw(st.lists(st.sampled_from("AB"), min_size=n - 2, max_size=n - 2)) + ["A", "B"]
    order = draw(st.permutations(range(n)))
    yhat = draw(column)
    yhat[draw(st.integers(0, n - 1))] = 1
    return pd.DataFrame({
        "f": [facet[i] for i in order],
        "y": draw(column),
        "yhat": yhat,
        "g": draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)),
        "x": draw(st.lists(st.integers(0, 20), min_size=n, max_size=n)),
    })


# ---------------------------------------------------------------- oracle from the spec


def ratio(x: float, y: float) -> float:
    if y != 0:
        return x / y
    return 0.0 if x == 0 else math.inf


def difference(first: float, second: float) -> float:
    return 0.0 if first == second == math.inf else first - second


def confusion(frame: pd.DataFrame) -> dict[str, int]:
    y, yhat = frame["y"] == 1, frame["yhat"] == 1
    return {"TP": int((y & yhat).sum()), "FP": int((~y & yhat).sum()), "FN": int((y & ~yhat).sum()), "TN": int((~y & ~yhat).sum())}


def spec_post_metrics(frame: pd.DataFrame) -> dict[str, float]:
    a, d = confusion(frame[frame["f"] != "B"]), confusion(frame[frame["f"] == "B"])
    n_a, n_d = sum(a.values()), sum(d.values())
    b = frame["yhat"] - frame["y"] + 1
    return {
        "DPPL": (a["TP"] + a["FP"]) / n_a - (d["TP"] + d["FP"]) / n_d,
        "DI": ratio((d["TP"] + d["FP"]) / n_d, (a["TP"] + a["FP"]) / n_a),
        "DCA": difference(ratio(a["TP"] + a["FN"], a["TP"] + a["FP"]), ratio(d["TP"] + d["FN"], d["TP"] + d["FP"])),
        "DCR": difference(ratio(d["TN"] + d["FP"], d["TN"] + d["FN"]), ratio(a["TN"] + a["FP"], a["TN"] + a["FN"])),
        "DAR": ratio(a["TP"], a["TP"] + a["FP"]) - ratio(d["TP"], d["TP"] + d["FP"]),
        "DRR": ratio(d["TN"], d["TN"] + d["FN"]) - ratio(a["TN"], a["TN"] + a["FN"]),
        "RD": ratio(a["TP"], a["TP"] + a["FN"]) - ratio(d["TP"], d["TP"] + d["FN"]),
        "SD": ratio(d["TN"], d["TN"] + d["FP"]) - ratio(a["TN"], a["TN"] + a["FP"]),
        "AD": (a["TP"] + a["TN"]) / n_a - (d["TP"] + d["TN"]) / n_d,
        "TE": difference(ratio(d["FN"], d["FP"]), ratio(a["FN"], a["FP"])),
        "GE": 0.5 * float(np.var(b)) / float(np.mean(b)) ** 2,
    }


def spec_pre_metrics(frame: pd.DataFrame) -> dict[str, float | None]:
    in_d = frame["f"] == "B"
    y_a, y_d = frame.loc[~in_d, "y"] == 1, frame.loc[in_d, "y"] == 1
    q_a, q_d = float(y_a.mean()), float(y_d.mean())
    common = [(pa, pd_) for pa, pd_ in [(1 - q_a, 1 - q_d), (q_a, q_d)] if pa > 0 and pd_ > 0]
    result: dict[str, float | None] = {"CI": (len(y_a) - len(y_d)) / len(frame), "DPL": q_a - q_d}
    if not common:
        return result | dict.fromkeys(["KL", "JS", "LP", "TVD", "KS"])
    return result | {
        "KL": sum(pa * math.log(pa / pd_) for pa, pd_ in common),
        "JS": 0.5 * sum(pa * math.log(2 * pa / (pa + pd_)) + pd_ * math.log(2 * pd_ / (pa + pd_)) for pa, pd_ in common),
        "LP": math.sqrt(sum((pa - pd_) ** 2 for pa, pd_ in common)),
        "TVD": 0.5 * sum(abs(pa - pd_) for pa, pd_ in common),
        "KS": max(abs(pa - pd_) for pa, pd_ in common),
    }


def same(got: float | None, expected: float | None) -> bool:
    if got is None or expected is None:
        return got is expected
    if math.isinf(expected):
        return got == expected
    return math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12)


@EXAMPLES
@given(two_facet_tables())
def test_count_based_metrics_follow_the_spec_formulas(frame: pd.DataFrame) -> None:
    got = values(bias_report(frame))
    expected = spec_pre_metrics(frame) | spec_post_metrics(frame)
    wrong = {name: (got[name], value) for name, value in expected.items() if not same(got[name], value)}
    assert not wrong, f"(got, spec) {wrong}"


# ---------------------------------------------------------------- swapping a and d


def negated(first: float | None, second: float | None) -> bool:
    if first is None or second is None:
        return False
    return second == -first if math.isinf(first) else math.isclose(second, -first, rel_tol=1e-9, abs_tol=1e-12)


def inverted(first: float | None, second: float | None) -> bool:
    if first is None or second is None:
        return False
    if first == 0 or math.isinf(first):
        return (first, second) in {(0.0, math.inf), (math.inf, 0.0), (0.0, 0.0)}
    return math.isclose(first * second, 1.0, rel_tol=1e-9)


@EXAMPLES
@given(two_facet_tables())
def test_swapping_the_facets_negates_inverts_or_keeps_each_metric(frame: pd.DataFrame) -> None:
    first, second = values(bias_report(frame)), values(bias_report(frame, facet_values=("A",)))
    for name in SIGN_FLIPPING:
        assert negated(first[name], second[name]), (name, first[name], second[name])
    assert inverted(first["DI"], second["DI"]), (first["DI"], second["DI"])
    for name in SYMMETRIC:
        assert same(second[name], first[name]), (name, first[name], second[name])
    assert same(second["GE"], first["GE"])
    groups_with_both_outcomes = frame.groupby("g")["y"].nunique().eq(2).all()
    if groups_with_both_outcomes:
        assert negated(first["CDDL"], second["CDDL"]), (first["CDDL"], second["CDDL"])


# ---------------------------------------------------------------- ranges


def within(value: float | None, low: float, high: float) -> bool:
    return value is not None and low - EPS <= value <= high + EPS


@EXAMPLES
@given(two_facet_tables())
def test_metrics_stay_in_their_ranges(frame: pd.DataFrame) -> None:
    got = values(bias_report(frame))
    assert -1 < got["CI"] < 1
    for name in ["DPL", "DPPL", "FT"]:
        assert within(got[name], -1, 1), (name, got[name])
    assert got["DI"] is not None and got["DI"] >= 0
    assert got["GE"] is not None and got["GE"] >= 0
    for name in ["CDDL", "CDDPL"]:
        assert got[name] is None or within(got[name], -1, 1), (name, got[name])
    if got["JS"] is not None:
        assert within(got["JS"], 0, math.log(2))
        assert within(got["TVD"], 0, 1) and within(got["KS"], 0, 1)
        assert got["TVD"] <= got["KS"] + EPS <= got["LP"] + 2 * EPS


@EXAMPLES
@given(two_facet_tables())
def test_divergences_of_a_binary_label_with_both_outcomes_in_both_facets(frame: pd.DataFrame) -> None:
    both_outcomes = frame.groupby(frame["f"] == "B")["y"].nunique().eq(2).all()
    got = values(bias_report(frame))
    if both_outcomes:
        dpl = abs(got["DPL"])
        assert math.isclose(got["TVD"], dpl, abs_tol=1e-12) and math.isclose(got["KS"], dpl, abs_tol=1e-12)
        assert math.isclose(got["LP"], math.sqrt(2) * dpl, abs_tol=1e-12)
        assert got["KL"] >= -EPS
    else:
        assert got["KS"] is None or math.isclose(got["KS"], abs(got["DPL"]), abs_tol=1e-12)


# ---------------------------------------------------------------- one-vs-all and thresholds


@EXAMPLES
@given(st.lists(st.sampled_from(["A", "B", "C", "D", None]), min_size=1, max_size=25))
def test_one_vs_all_gives_one_entry_per_distinct_value(facet: list[str | None]) -> None:
    frame = pd.DataFrame({"f": [np.nan if v is None else v for v in facet], "y": [i % 2 for i in range(len(facet))]})
    report = bias_report(frame, facet_values=(), group="", predicted="")
    names = ["nan" if v is None else v for v in facet]
    assert [e.value_or_threshold for e in report.pre.entries] == list(dict.fromkeys(names))
    for entry in report.pre.entries:
        n_d = 0 if entry.value_or_threshold == "nan" else names.count(entry.value_or_threshold)
        assert (entry.counts["n_d"], entry.counts["n_a"]) == (n_d, len(facet) - n_d)


@EXAMPLES
@given(st.lists(st.integers(0, 10), min_size=2, max_size=25), st.integers(-1, 11))
def test_facet_threshold_selects_strictly_greater_values(ages: list[int], threshold: int) -> None:
    frame = pd.DataFrame({"f": ages, "y": [i % 2 for i in range(len(ages))]})
    report = bias_report(frame, facet_values=(), facet_threshold=threshold, group="", predicted="")
    entry = report.pre.entries[0]
    assert entry.counts["n_d"] == sum(1 for age in ages if age > threshold)
    top = max(ages)
    assert entry.value_or_threshold == ("" if top == threshold else f"({min(top, threshold)}, {max(top, threshold)}]")


# ---------------------------------------------------------------- bootstrap intervals


def random_table(rows: int = 2000) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    facet = rng.choice(["A", "B"], size=rows, p=[0.6, 0.4])
    y = (rng.random(rows) < np.where(facet == "A", 0.6, 0.4)).astype(int)
    return pd.DataFrame({"f": facet, "y": y})


@pytest.fixture(scope="module")
def bootstrap_reports() -> tuple[BiasReport, BiasReport, BiasReport]:
    frame = random_table()
    runs = [bias_report(frame, group="", predicted="", methods=("CI", "DPL"), bootstrap=200, seed=seed) for seed in (0, 0, 1)]
    return runs[0], runs[1], runs[2]


@pytest.mark.parametrize("name", ["CI", "DPL"])
def test_bootstrap_interval_contains_the_value(bootstrap_reports, name: str) -> None:
    metric = bootstrap_reports[0].pre.entries[0].metric(name)
    assert metric.ci_low is not None and metric.ci_high is not None
    assert metric.ci_low <= metric.value <= metric.ci_high
    # 95 % interval of a proportion difference on 2,000 rows: about ±0.044
    assert 0.04 < metric.ci_high - metric.ci_low < 0.16


@pytest.mark.parametrize("name", ["CI", "DPL"])
def test_bootstrap_intervals_repeat_with_the_same_seed(bootstrap_reports, name: str) -> None:
    first, again, other = (report.pre.entries[0].metric(name) for report in bootstrap_reports)
    assert (first.ci_low, first.ci_high) == (again.ci_low, again.ci_high)
    assert (first.ci_low, first.ci_high) != (other.ci_low, other.ci_high)


def test_no_intervals_without_bootstrap() -> None:
    metric = bias_report(random_table(200), group="", predicted="").pre.entries[0].metric("DPL")
    assert metric.ci_low is None and metric.ci_high is None
