"""Debugger's command-line flags, the same on ``train``, ``train-script``, ``tune`` and ``autopilot``:

  --rule NAME                  a built-in rule (repeatable), e.g. --rule LossNotDecreasing --rule Overfit
  --rule-param NAME:KEY=VALUE  one of its RuleParameters, e.g. --rule-param LossNotDecreasing:num_steps=5
  --stop-on-rule-issue         SageMaker's StopTraining action: the first rule that finds an issue stops the job

For a script job the rules read the series its ``--metric`` definitions make; a loss rule's ``tensor_regex``
picks which (default: the losses collection — names with loss, rmse, mse, mae or error).
"""

from __future__ import annotations

import argparse
from typing import Any

from services.debugger.models import DebuggerConfig, RuleConfig
from services.debugger.rules import check_config
from services.errors import InvalidInput

STATUS_KEYS = ("DebugRuleEvaluationStatuses", "ProfilerRuleEvaluationStatuses")


def add_debugger_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rule", action="append", default=[], dest="rules", metavar="NAME",
                        help="a Debugger built-in rule evaluated while the job runs (repeatable)")
    parser.add_argument("--rule-param", action="append", default=[], dest="rule_params", metavar="NAME:KEY=VALUE",
                        help="a parameter of a --rule, e.g. LossNotDecreasing:num_steps=5 (repeatable)")
    parser.add_argument("--stop-on-rule-issue", action="store_true",
                        help="stop the job when a rule finds an issue (Debugger's StopTraining action)")


def debugger_from_args(args: argparse.Namespace) -> DebuggerConfig | None:
    """The Debugger section the flags describe (None without any), checked against the rule catalog."""
    rules: list[str] = list(getattr(args, "rules", []) or [])
    params: dict[str, dict[str, str]] = {rule: {} for rule in rules}
    for item in getattr(args, "rule_params", []) or []:
        rule, key, value = _rule_param(item)
        if rule not in params:
            raise InvalidInput(f"--rule-param {item!r} is for {rule}, which is not a --rule.",
                               hint=f"Add --rule {rule}.")
        params[rule][key] = value
    stop = bool(getattr(args, "stop_on_rule_issue", False))
    if not rules and not stop:
        return None
    config = DebuggerConfig(tuple(RuleConfig(rule, params[rule]) for rule in dict.fromkeys(rules)), stop_on_issue=stop)
    check_config(config)
    return config


def _rule_param(item: str) -> tuple[str, str, str]:
    rule, colon, rest = item.partition(":")
    key, equals, value = rest.partition("=")
    if not colon or not equals or not rule.strip() or not key.strip():
        raise InvalidInput(f"--rule-param {item!r} is not NAME:KEY=VALUE.", hint="e.g. LossNotDecreasing:num_steps=5.")
    return rule.strip(), key.strip(), value.strip()


def status_fields(result: dict[str, Any]) -> dict[str, Any]:
    """A job result's rule statuses, as DescribeTrainingJob has them (nothing when the job had no rules)."""
    return {key: result[key] for key in STATUS_KEYS if result.get(key)}
