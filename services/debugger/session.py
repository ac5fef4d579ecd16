"""The live part of Debugger in the job worker: record while the job runs and evaluate its rules.

``DebuggerSession.start`` creates ``debug-output/``, tells the job's code what to record (``SM_DEBUGGER_*``
variables, the hook module on a script's path), starts the system sampler (when the profiler is on) and a rule
thread. Every ``EVALUATE_SECONDS`` the thread reads what was appended since its last look (offsets kept), mirrors
metric points into ``scalars.jsonl``, and evaluates the rules still ``InProgress`` on what it has; ``rules.json`` is
rewritten when a status changes. A rule that finds an issue ends ``IssuesFound`` at once, with the step and seconds
where it fired; with ``stop_on_issue`` (SageMaker's StopTraining action) or a StalledTrainingRule's
``stop_training_on_fire`` the session calls ``stop(reason)`` — the
worker sends SIGTERM to the job's group as for a Stop request and records ``Stopped`` with ``stop_reason``.
``finish`` evaluates once more on everything and ends the remaining rules: ``NoIssuesFound`` (with "Nothing to
evaluate" when their series never appeared) or ``Error`` when a series could not be read.

Memory stays bounded: at most ``MAX_POINTS`` points of each file are kept (the newest; the details say when), and
of the labels / predictions tensors (each at most ``recording.MAX_OUTPUT_VALUES`` values) the newest
``MAX_OUTPUT_RECORDS``.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.debugger import recording
from services.debugger.models import SYSTEM_SAMPLE_MS, DebuggerConfig, RuleConfig, RuleStatus
from services.debugger.recording import JsonlTail
from services.debugger.rules import (
    CATALOG,
    Finding,
    MalformedSeries,
    Recorded,
    evaluate,
    nothing_to_evaluate,
    parse_parameters,
    rule_kind,
)

EVALUATE_SECONDS = 1.0
MAX_POINTS = 200_000
MAX_OUTPUT_RECORDS = 50  # of at most recording.MAX_OUTPUT_VALUES values each: under ~40 MB
HOOK_DIR = "debug-hook"
HOOK_MODULE = "debug_hook.py"  # scripts: ``from debug_hook import Hook``
GRADIENT_RULES = ("VanishingGradient", "ExplodingTensor")
LOSS_RULES = ("LossNotDecreasing", "Overfit", "Overtraining")


def debugger_config(config: Mapping[str, Any]) -> DebuggerConfig | None:
    """The Debugger section of a job's config (a tuning job's is in its base); None without rules or profiler."""
    section = config.get("debugger") or (config.get("base") or {}).get("debugger")
    return DebuggerConfig.from_json(section) if section else None


def collections_for(rules: tuple[RuleConfig, ...]) -> list[str]:
    """What the job's code must record for these rules."""
    names = {r.rule for r in rules}
    wanted = [("losses", LOSS_RULES), ("gradients", GRADIENT_RULES), ("labels", ("ClassImbalance",)),
              ("predictions", ("ClassImbalance",))]
    return [collection for collection, needs in wanted if names & set(needs)]


def stop_reason(status: RuleStatus) -> str:
    return f"Stopped by Debugger rule {status.configuration_name}: {status.details}"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class DebuggerSession:
    """Recording and live rules for one job; ``stop`` is how a StopTraining action ends it."""

    def __init__(self, job_dir: Path, config: DebuggerConfig, started: float, stop: Callable[[str], None]) -> None:
        self.folder = recording.debug_dir(job_dir)
        self.config = config
        self.started = started
        self.stop = stop
        self.stop_reason = ""
        self.statuses = {r.configuration_name: RuleStatus(r.configuration_name, r.rule, "InProgress",
                                                          last_modified=now_iso()) for r in config.rules}
        self._tails = {name: JsonlTail(path) for name, path in (
            ("metrics", job_dir / "metrics.jsonl"), ("tensors", self.folder / recording.TENSORS),
            ("system", self.folder / recording.SYSTEM), ("outputs", self.folder / recording.PREDICTIONS))}
        self._points: dict[str, deque[dict[str, Any]]] = {
            k: deque(maxlen=MAX_OUTPUT_RECORDS if k == "outputs" else MAX_POINTS) for k in self._tails}
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._sampler = recording.SystemSampler(self.folder, started) if config.profiler else None
        self._thread = threading.Thread(target=self._watch, name="debugger-rules", daemon=True)

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        hook_dir = self.folder.parent / HOOK_DIR
        hook_dir.mkdir(exist_ok=True)
        shutil.copyfile(Path(__file__).with_name("hook.py"), hook_dir / HOOK_MODULE)
        os.environ[recording.OUTPUT_ENV] = str(self.folder)
        os.environ[recording.COLLECTIONS_ENV] = ",".join(collections_for(self.config.rules))
        self._write_statuses()
        if self._sampler is not None:
            self._sampler.start()
        self._thread.start()

    def finish(self) -> list[RuleStatus]:
        """The job has ended: stop sampling, evaluate on everything recorded, end every rule; the statuses.
        Calling it again returns the same statuses."""
        if self._done.is_set():
            return list(self.statuses.values())
        self._done.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        if self._sampler is not None:
            self._sampler.stop()
        for name in (recording.OUTPUT_ENV, recording.COLLECTIONS_ENV):
            os.environ.pop(name, None)
        self._evaluate(final=True)
        return list(self.statuses.values())

    def result_fields(self) -> dict[str, Any]:
        """As DescribeTrainingJob has them: ``ProfilerConfig`` when the job was profiled (the Jobs page offers its
        profiler report), ``DebugRuleEvaluationStatuses`` / ``ProfilerRuleEvaluationStatuses`` for a job with rules."""
        fields: dict[str, Any] = {}
        if self.config.profiler:
            fields["ProfilerConfig"] = {"ProfilingIntervalInMilliseconds": SYSTEM_SAMPLE_MS}
        statuses = list(self.statuses.values())
        if statuses:  # DescribeTrainingJob has the status fields only for a job with rules
            fields["DebugRuleEvaluationStatuses"] = [s.as_api() for s in statuses if rule_kind(s.rule) == "debug"]
            fields["ProfilerRuleEvaluationStatuses"] = [s.as_api() for s in statuses if rule_kind(s.rule) == "profiler"]
        return fields

    # -- evaluation ------------------------------------------------------------------------------

    def _watch(self) -> None:
        while not self._done.wait(EVALUATE_SECONDS):
            self._evaluate(final=False)

    def _evaluate(self, final: bool) -> None:
        with self._lock:
            if not self._read_new(to_end=final) and not final and not self._time_based():
                return
            data = self._recorded()
            changed = [self._judge(rule, data, final) for rule in self.config.rules
                       if self.statuses[rule.configuration_name].status == "InProgress"]
            if any(changed):
                self._write_statuses()
        self._act()

    def _read_new(self, to_end: bool = False) -> bool:
        """Read what was appended since the last look (one chunk of each file; ``to_end``: everything)."""
        new = False
        for name, tail in self._tails.items():
            while True:
                points = recording.mirror_scalars(tail, self.folder) if name == "metrics" else tail.read()
                self._points[name].extend(points)
                new = new or bool(points)
                if not (to_end and points):
                    break
        return new

    def _time_based(self) -> bool:
        return any(r.rule == "StalledTrainingRule" for r in self.config.rules)

    def _recorded(self) -> Recorded:
        labels = recording.read_labels(self.folder) if any(r.rule == "ClassImbalance" for r in self.config.rules) else {}
        return Recorded(tuple(self._points["metrics"]), tuple(self._points["tensors"]), tuple(self._points["system"]),
                        labels, time.monotonic() - self.started, tuple(self._points["outputs"]))

    def _judge(self, rule: RuleConfig, data: Recorded, final: bool) -> bool:
        """Move one InProgress rule on; True when its status changed."""
        try:
            finding = evaluate(rule, data)
        except MalformedSeries as error:
            return self._set(rule, "Error", f"The recorded series cannot be read: {error}.")
        if finding is not None and finding.issue:
            return self._set(rule, "IssuesFound", self._details(rule, finding), finding)
        if not final:
            return False
        if finding is None:
            return self._set(rule, "NoIssuesFound", nothing_to_evaluate(rule.rule))
        return self._set(rule, "NoIssuesFound", finding.details)

    def _details(self, rule: RuleConfig, finding: Finding) -> str:
        capped = any(len(p) == p.maxlen for p in self._points.values())
        note = (f" (evaluated on the newest {MAX_POINTS:,} points of each series and {MAX_OUTPUT_RECORDS} label / "
                "prediction tensors)") if capped else ""
        return f"{finding.details}{note} {CATALOG[rule.rule].advice}"

    def _set(self, rule: RuleConfig, status: str, details: str, finding: Finding | None = None) -> bool:
        self.statuses[rule.configuration_name] = replace(
            self.statuses[rule.configuration_name], status=status, details=details, last_modified=now_iso(),
            fired_at_step=finding.step if finding else None, fired_at_seconds=finding.seconds if finding else None)
        return True

    def _act(self) -> None:
        """The StopTraining action (``stop_on_issue``, or StalledTrainingRule's ``stop_training_on_fire``): the first
        rule that found an issue and stops stops the job (once)."""
        if self.stop_reason or self._done.is_set():
            return
        fired = [s for s in self.statuses.values() if s.status == "IssuesFound" and self._stops(s.configuration_name)]
        if fired:
            self.stop_reason = stop_reason(fired[0])
            self.stop(self.stop_reason)

    def _stops(self, configuration_name: str) -> bool:
        if self.config.stop_on_issue:
            return True
        rule = next(r for r in self.config.rules if r.configuration_name == configuration_name)
        return bool(parse_parameters(rule.rule, rule.parameters).get("stop_training_on_fire"))

    def _write_statuses(self) -> None:
        path = self.folder / recording.RULES
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps([asdict(s) for s in self.statuses.values()], indent=1))
        temporary.replace(path)


def script_environment(pythonpath: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """What a script's environment adds when Debugger records: the ``SM_DEBUGGER_*`` variables and the hook
    module's folder (``debug-hook/`` beside ``debug-output/``) after the code folder on ``PYTHONPATH``; nothing
    without Debugger."""
    environ = os.environ if environ is None else environ
    if not environ.get(recording.OUTPUT_ENV):
        return {}
    hook_dir = Path(environ[recording.OUTPUT_ENV]).parent / HOOK_DIR
    return {recording.OUTPUT_ENV: environ[recording.OUTPUT_ENV],
            recording.COLLECTIONS_ENV: environ.get(recording.COLLECTIONS_ENV, ""),
            "PYTHONPATH": pythonpath + os.pathsep + str(hook_dir)}


def read_statuses(folder: Path) -> list[RuleStatus]:
    """The statuses in ``rules.json`` (``[]`` when the job has none)."""
    path = folder / recording.RULES
    if not path.is_file():
        return []
    return [RuleStatus(**entry) for entry in json.loads(path.read_text())]


DEBUGGED_KINDS = ("training", "autopilot", "script", "tuning")


def debugger_session(kind: str, config: Mapping[str, Any], job_dir: Path, started: float,
                     stop: Callable[[str], None]) -> DebuggerSession | None:
    """The session of a job of a kind Debugger watches, else None. As SageMaker's default ProfilerConfig does, every
    such job is profiled (system metrics and scalars recorded) even when it configures no rules."""
    if kind not in DEBUGGED_KINDS:
        return None
    return DebuggerSession(job_dir, debugger_config(config) or DebuggerConfig(), started, stop)
