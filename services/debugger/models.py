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

from dataclasses import dataclass, field
from typing import Any

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
