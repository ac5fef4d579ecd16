"""The Train page's rule table: rows prefilled from the catalog, and the DebuggerConfig the ticked rows make."""

from __future__ import annotations

import pytest

from services.debugger.models import DebuggerConfig, RuleConfig, config_from_rows, format_parameters, parse_parameters, rule_rows
from services.errors import InvalidInput

CATALOG = {"LossNotDecreasing": {"kind": "debug", "description": "flat loss",
                                 "parameters": {"tensor_regex": "", "num_steps": "10", "diff_percent": "0.1"}},
           "CPUBottleneck": {"kind": "profiler", "description": "busy", "parameters": {"threshold": "50"}}}


def test_rows_start_unticked_with_the_defaults() -> None:
    rows = rule_rows(CATALOG)
    assert [(r["use"], r["rule"], r["kind"]) for r in rows] == [(False, "LossNotDecreasing", "debug"),
                                                               (False, "CPUBottleneck", "profiler")]
    assert rows[0]["parameters"] == "tensor_regex=; num_steps=10; diff_percent=0.1"
    assert parse_parameters("LossNotDecreasing", rows[0]["parameters"]) == {"tensor_regex": "", "num_steps": "10",
                                                                            "diff_percent": "0.1"}


def test_ticked_rows_keep_only_the_changed_parameters() -> None:
    rows = rule_rows(CATALOG)
    rows[0] |= {"use": True, "parameters": "tensor_regex=; num_steps=5; diff_percent=0.1"}
    rows[1]["use"] = True
    assert config_from_rows(rows, CATALOG, stop_on_issue=True) == DebuggerConfig(
        (RuleConfig("LossNotDecreasing", {"num_steps": "5"}), RuleConfig("CPUBottleneck")), stop_on_issue=True)


def test_nothing_ticked_is_no_config_and_stop_without_rules_is_refused() -> None:
    assert config_from_rows(rule_rows(CATALOG), CATALOG, stop_on_issue=False) is None
    with pytest.raises(InvalidInput, match="needs at least one rule"):
        config_from_rows(rule_rows(CATALOG), CATALOG, stop_on_issue=True)


def test_a_parameter_without_equals_names_its_rule() -> None:
    with pytest.raises(InvalidInput, match="LossNotDecreasing's parameter 'num_steps 5'"):
        parse_parameters("LossNotDecreasing", "num_steps 5")
    assert format_parameters({"tensor_regex": ".*loss,acc.*"}) == "tensor_regex=.*loss,acc.*"


def test_where_rules_fired_is_drawn_on_the_curves_and_the_system_chart() -> None:
    """A rule with a step gets a dashed line on the metric curves at that step; a rule that fired by time only (the
    profiler rules) on the system chart at its second; a rule without an issue gets none."""
    from components.debugger_views import curves_figure, system_figure
    from services.debugger.models import RuleStatus

    statuses = [RuleStatus("LossNotDecreasing", "LossNotDecreasing", "IssuesFound", "flat", 5, 2.5),
                RuleStatus("CPUBottleneck", "CPUBottleneck", "IssuesFound", "busy", None, 1.0),
                RuleStatus("Overfit", "Overfit", "NoIssuesFound", "fine")]
    scalars = tuple({"name": "train:loss", "value": 1.0, "step": i, "seconds": i / 2, "mode": "TRAIN"} for i in range(8))
    system = tuple({"seconds": i / 2, "cpu": [90.0, 95.0], "memory_percent": 20.0} for i in range(4))
    curves, usage = curves_figure(scalars, statuses), system_figure(system, statuses)
    assert curves is not None and usage is not None
    assert [(s.x0, a.text) for s, a in zip(curves.layout.shapes, curves.layout.annotations, strict=True)] == [
        (5, "LossNotDecreasing")]
    assert [(s.x0, a.text) for s, a in zip(usage.layout.shapes, usage.layout.annotations, strict=True)] == [
        (1.0, "CPUBottleneck")]
