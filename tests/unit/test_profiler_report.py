"""The ProfilerReport HTML: step durations and Debugger's StepOutlier criterion by hand, the heat map's buckets,
and a self-contained page (no script, no network reference)."""

from __future__ import annotations

import re

from services.debugger.models import DebugSeries, RuleStatus
from services.debugger.profiler_report import (
    StepDuration,
    cpu_matrix,
    profiler_html,
    step_durations,
    step_outliers,
)
from services.models import Job

JOB = Job(name="review-minilm", kind="training", status="Completed", secondary_status="Completed",
          created_at="2026-12-05T14:00:00+00:00")


def scalar(step: int, seconds: float, mode: str = "TRAIN", name: str = "loss") -> dict:
    return {"name": name, "value": 1.0 / (step + 1), "step": step, "seconds": seconds, "mode": mode}


def test_step_durations_use_the_first_time_each_train_step_was_seen_and_spread_gaps():
    points = [scalar(0, 0.0), scalar(1, 1.0), scalar(1, 1.5, name="accuracy"), scalar(1, 9.0, mode="EVAL"),
              scalar(3, 5.0)]
    assert step_durations(points) == [StepDuration(1, 1.0), StepDuration(3, 2.0)]


def test_step_outliers_follow_step_outlier_mean_plus_three_standard_deviations():
    durations = [StepDuration(i, 1.0) for i in range(1, 20)] + [StepDuration(20, 10.0)]
    # mean = 29/20 = 1.45; population std = sqrt((19 * 0.45**2 + 8.55**2) / 20) = 1.9615; threshold 7.33
    assert step_outliers(durations) == [StepDuration(20, 10.0)]
    assert step_outliers(durations, stddev=5) == []  # threshold 11.26
    assert step_outliers([StepDuration(1, 5.0)]) == []


def test_cpu_matrix_averages_samples_into_at_most_the_given_columns():
    system = [{"seconds": s * 0.5, "cpu": [s * 10.0, 100.0]} for s in range(4)]
    matrix, start, end = cpu_matrix(system, columns=2)
    assert (start, end) == (0.0, 1.5)
    assert matrix == [[5.0, 25.0], [100.0, 100.0]]


def test_report_is_self_contained_and_names_rules_advice_and_outliers():
    scalars = [scalar(i, float(i)) for i in range(21)] + [scalar(21, 40.0)]
    system = [{"seconds": i * 0.5, "cpu": [90.0, 10.0], "memory_percent": 40.0 + i, "rss_mb": 300.0} for i in range(10)]
    statuses = [RuleStatus("LossNotDecreasing", "LossNotDecreasing", "IssuesFound", "loss <b>flat</b>", fired_at_step=12)]
    catalog = {"LossNotDecreasing": {"advice": "Lower the learning rate."}}
    page = profiler_html(JOB, DebugSeries(scalars=tuple(scalars), system=tuple(system)), statuses, catalog).decode()
    assert page.startswith("<!doctype html>") and "<script" not in page
    assert not re.search(r"(src|href)=['\"]?https?:", page)
    assert "Lower the learning rate." in page and "loss &lt;b&gt;flat&lt;/b&gt;" in page
    assert "<td>21</td><td>20.000</td>" in page  # the one outlier step and its duration
    assert "49.0 %" in page and "90 %" in page  # memory peak, busiest core
    assert page.count("<title>core 0:") == 10 and page.count("<title>core 1:") == 10


def test_report_without_recordings_says_so():
    page = profiler_html(JOB, DebugSeries(), []).decode()
    assert "No rules were configured" in page and "No system metrics were recorded" in page
    assert "No step timings were recorded" in page
