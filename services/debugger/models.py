"""SageMaker Debugger's rules and profiler in its shapes.

A training request carries ``DebuggerConfig``: rule configurations (``DebugRuleConfigurations`` /
``ProfilerRuleConfigurations``: ``RuleConfigurationName``, the built-in rule, ``RuleParameters``) and whether to
stop the job when a rule finds an issue (the ``StopTraining`` action). A job's rule statuses are
``DebugRuleEvaluationStatuses`` as DescribeTrainingJob returns them.

Locally a job records into ``jobs/<name>/debug-output/``: ``scalars.jsonl`` (every metric point the job reports:
``{"name", "value", "step", "seconds", "mode"}`` with mode TRAIN | EVAL), ``tensors.jsonl`` (gradient / weight
statistics from the hook: ``{"name", "step", "mean", "std", "min", "max", "norm", "abs_mean"}``), ``system.jsonl``
(every 500 ms: ``{"seconds", "cpu": [per-core %], "memory_percent", "rss_mb", "read_mb", "write_mb"}``), and
``rules.json`` (the statuses, rewritten as they change).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.errors import InvalidInput

RULE_STATUSES = ("InProgress", "NoIssuesFound", "IssuesFound", "Error", "Stopping", "Stopped")
DEBUG_RULES = ("LossNotDecreasing", "Overfit", "Overtraining", "StalledTrainingRule", "ClassImbalance",
               "VanishingGradient", "ExplodingTensor")
PROFILER_RULES = ("CPUBottleneck", "LowCPUUtilization", "MemoryUsage")
ALL_RULES = DEBUG_RULES + PROFILER_RULES
ACTIONS = ("StopTraining",)  # plus a notification in the app, always
SYSTEM_SAMPLE_MS = 500


@dataclass(frozen=True)
class RuleConfig:
    """One ``DebugRuleConfiguration``: ``name`` is the RuleConfigurationName (default: the rule's own name)."""

    rule: str  # one of ALL_RULES
    parameters: dict[str, str] = field(default_factory=dict)  # SageMaker's RuleParameters, e.g. num_steps=10
    name: str = ""

    @property
    def configuration_name(self) -> str:
        return self.name or self.rule

    def as_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "parameters": dict(self.parameters), "name": self.name}


@dataclass(frozen=True)
class DebuggerConfig:
    rules: tuple[RuleConfig, ...] = ()
    stop_on_issue: bool = False  # the StopTraining action on every rule
    profiler: bool = True  # sample system metrics (ProfilerConfig) and write the profiler report

    def as_json(self) -> dict[str, Any]:
        return {"rules": [rule.as_json() for rule in self.rules], "stop_on_issue": self.stop_on_issue,
                "profiler": self.profiler}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> DebuggerConfig | None:
        if not data:
            return None
        rules = tuple(RuleConfig(r["rule"], dict(r.get("parameters") or {}), r.get("name", "")) for r in data["rules"])
        return cls(rules, bool(data.get("stop_on_issue")), bool(data.get("profiler", True)))


@dataclass(frozen=True)
class RuleStatus:
    """One entry of ``DebugRuleEvaluationStatuses`` (or ``ProfilerRuleEvaluationStatuses``), plus where it fired."""

    configuration_name: str  # RuleConfigurationName
    rule: str
    status: str  # one of RULE_STATUSES
    details: str = ""  # StatusDetails: plain words, with advice when an issue was found
    fired_at_step: int | None = None
    fired_at_seconds: float | None = None
    last_modified: str = ""

    def as_api(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"RuleConfigurationName": self.configuration_name, "RuleEvaluationStatus": self.status}
        if self.details:
            entry["StatusDetails"] = self.details
        if self.last_modified:
            entry["LastModifiedTime"] = self.last_modified
        return entry


@dataclass(frozen=True)
class DebugSeries:
    """What the Jobs page draws: scalar curves, tensor statistics and system utilisation."""

    scalars: tuple[dict[str, Any], ...] = ()
    tensors: tuple[dict[str, Any], ...] = ()
    system: tuple[dict[str, Any], ...] = ()


# The Train page's rule table: one row per built-in rule, its parameters prefilled from the catalog, and the
# DebuggerConfig the ticked rows make (pure; the form only draws the rows).


def format_parameters(parameters: Mapping[str, Any]) -> str:
    """``num_steps=10; diff_percent=0.1`` (a ``;`` list, since a regex may hold commas)."""
    return "; ".join(f"{name}={value}" for name, value in parameters.items())


def parse_parameters(rule: str, text: str) -> dict[str, str]:
    """The inverse of ``format_parameters``; ``InvalidInput`` naming the rule for a piece without ``=``."""
    pairs: dict[str, str] = {}
    for piece in (p.strip() for p in text.split(";")):
        if not piece:
            continue
        name, equals, value = piece.partition("=")
        if not equals or not name.strip():
            raise InvalidInput(f"{rule}'s parameter {piece!r} is not name=value.",
                               hint="Write the parameters as name=value, separated by ';'.")
        pairs[name.strip()] = value.strip()
    return pairs


def rule_rows(catalog: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One unticked row per rule the backend can run (``available`` not false): use, rule, kind, parameters (the
    defaults), description."""
    return [{"use": False, "rule": name, "kind": entry.get("kind", ""),
             "parameters": format_parameters(entry.get("parameters") or {}), "description": entry.get("description", "")}
            for name, entry in catalog.items() if entry.get("available", True)]


def config_from_rows(rows: Sequence[Mapping[str, Any]], catalog: Mapping[str, Mapping[str, Any]], *,
                     stop_on_issue: bool, profiler: bool = True) -> DebuggerConfig | None:
    """The ticked rules with the parameters that differ from the catalog's defaults (SageMaker applies its own
    defaults, and an empty default such as ``tensor_regex=`` means "not given"); ``None`` when nothing is asked."""
    rules = []
    for row in rows:
        if not row.get("use"):
            continue
        rule = str(row["rule"])
        defaults = {k: str(v) for k, v in ((catalog.get(rule) or {}).get("parameters") or {}).items()}
        given = parse_parameters(rule, str(row.get("parameters") or ""))
        rules.append(RuleConfig(rule, {k: v for k, v in given.items() if defaults.get(k) != v}))
    if not rules and not stop_on_issue:
        return None
    if not rules:
        raise InvalidInput("'Stop training on an issue' needs at least one rule.", hint="Tick the rules to evaluate.")
    return DebuggerConfig(tuple(rules), stop_on_issue=stop_on_issue, profiler=profiler)
