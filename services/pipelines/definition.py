"""Parse and check SageMaker's pipeline definition JSON (Version ``2020-12-01``) before anything runs.

Refused with ``InvalidInput`` naming the step: bad JSON (with its line and column), a definition over
SageMaker's 1 MB limit (``CreatePipeline.PipelineDefinition``, at most 1,048,576 characters), unknown step
types (``models.STEP_TYPES``), duplicate step names, ``DependsOn`` or references to unknown steps,
parameters, property files or execution variables, dependency cycles, a parameter default of the wrong
type, a bad ``CacheConfig.ExpireAfter`` or ``RetryPolicies`` entry; then each step's executor checks its
own arguments. Condition steps' ``IfSteps``/``ElseSteps`` are full steps and are checked the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from services.errors import InvalidInput
from services.pipelines.expressions import EXECUTION_VARIABLES, named_property_files, references, unknown_functions
from services.pipelines.models import PARAMETER_TYPES, STEP_TYPES, Pipeline
from services.pipelines.steps.base import StepExecutor

MAX_DEFINITION_CHARS = 1_048_576  # CreatePipeline.PipelineDefinition: Length Constraints maximum 1048576
STEP_NAME = re.compile(r"^[A-Za-z0-9\-_]{1,64}$")  # PipelineExecutionStep.StepName: 64 characters
STEP_EXCEPTIONS = ("Step.SERVICE_FAULT", "Step.THROTTLING")
JOB_EXCEPTIONS = ("SageMaker.JOB_INTERNAL_ERROR", "SageMaker.CAPACITY_ERROR", "SageMaker.RESOURCE_LIMIT")
_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$",
                       re.IGNORECASE)
ENGINE_STEP_TYPES = ("Condition", "Fail")  # run by the engine itself, not by an executor
HINT = "Fix the definition (SageMaker's pipeline definition JSON, Version 2020-12-01) and upsert it again."


@dataclass(frozen=True)
class StepEntry:
    """A step anywhere in the definition, with the Condition branch it sits in ("" at the top level)."""

    step: dict[str, Any]
    condition: str = ""
    branch: str = ""  # "if" | "else"

    @property
    def name(self) -> str:
        return str(self.step.get("Name", ""))

    @property
    def type(self) -> str:
        return str(self.step.get("Type", ""))


def parse_definition(definition: str | Mapping[str, Any]) -> dict[str, Any]:
    """The definition as a dict; ``InvalidInput`` for bad JSON (line and column) or one over 1 MB."""
    text = definition if isinstance(definition, str) else json.dumps(definition)
    if len(text) > MAX_DEFINITION_CHARS:
        raise InvalidInput(f"The pipeline definition has {len(text):,} characters; SageMaker takes at most "
                           f"{MAX_DEFINITION_CHARS:,} (1 MB).", hint="Move large values into files the steps read.")
    if not isinstance(definition, str):
        return json.loads(text)  # a copy, so later changes to the caller's dict do not leak in
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"The pipeline definition is not valid JSON: {exc.msg} at line {exc.lineno}, "
                           f"column {exc.colno}.", hint=HINT) from exc
    if not isinstance(parsed, dict):
        raise InvalidInput("The pipeline definition must be a JSON object with Version, Parameters and Steps.", hint=HINT)
    return parsed


def all_steps(definition: Mapping[str, Any]) -> Iterator[StepEntry]:
    """Every step, top level first, then each Condition's IfSteps and ElseSteps (recursively)."""
    yield from _walk(definition.get("Steps") or [], "", "")


def _walk(steps: Any, condition: str, branch: str) -> Iterator[StepEntry]:
    if not isinstance(steps, list):
        raise InvalidInput(f"Steps of {condition or 'the pipeline'} must be a list.", hint=HINT)
    for step in steps:
        if not isinstance(step, dict):
            raise InvalidInput(f"A step of {condition or 'the pipeline'} is not an object.", hint=HINT)
        entry = StepEntry(step, condition, branch)
        yield entry
        if entry.type == "Condition":
            arguments = step.get("Arguments") or {}
            yield from _walk(arguments.get("IfSteps") or [], entry.name, "if")
            yield from _walk(arguments.get("ElseSteps") or [], entry.name, "else")


def validate_definition(definition: Mapping[str, Any], executors: Mapping[str, StepExecutor] | None = None,
                        step_types: tuple[str, ...] = STEP_TYPES, runner: str = "the local engine") -> None:
    """Refuse what ``runner`` cannot run (see the module docstring); ``executors`` by step type (when given, a step
    type without one is refused too); ``step_types`` the types it knows (SageMaker's own for the aws adapter)."""
    version = definition.get("Version")
    if version != "2020-12-01":
        raise InvalidInput(f"Unsupported definition Version {version!r}; use \"2020-12-01\".", hint=HINT)
    parameters = check_parameters(definition.get("Parameters") or [])
    entries = list(all_steps(definition))
    steps = _check_names(entries, step_types, runner)
    property_files = {entry.name: _property_files(entry) for entry in entries}
    for entry in entries:
        _check_step(entry, steps, parameters, property_files)
        if executors is not None:
            _check_executor(entry, executors)
    _check_references("PipelineExperimentConfig", definition.get("PipelineExperimentConfig") or {}, steps, parameters,
                      property_files)
    from services.pipelines.graph import step_dependencies, topological_order

    topological_order(step_dependencies(definition))


def _check_executor(entry: StepEntry, executors: Mapping[str, StepExecutor]) -> None:
    """Condition and Fail steps are the engine's own; every other type needs an executor, which checks the step."""
    if entry.type in ENGINE_STEP_TYPES:
        return
    executor = executors.get(entry.type)
    if executor is None:
        runnable = ", ".join(sorted({*executors, *ENGINE_STEP_TYPES}))
        raise InvalidInput(f"Step {entry.name!r} has type {entry.type!r}, which this workbench cannot run locally yet; "
                           f"it runs {runnable}.", hint=HINT)
    executor.validate(entry.name, entry.step.get("Arguments") or {})


def check_parameters(parameters: Any) -> dict[str, dict[str, Any]]:
    """The definition's Parameters by name; refused: bad entries, duplicates, defaults of the wrong type."""
    if not isinstance(parameters, list):
        raise InvalidInput("Parameters must be a list of {Name, Type, DefaultValue}.", hint=HINT)
    found: dict[str, dict[str, Any]] = {}
    for parameter in parameters:
        name = parameter.get("Name") if isinstance(parameter, dict) else None
        if not isinstance(name, str) or not name:
            raise InvalidInput("Every parameter needs a Name.", hint=HINT)
        if name in found:
            raise InvalidInput(f"Parameter {name!r} is defined twice.", hint=HINT)
        kind = parameter.get("Type", "String")
        if kind not in PARAMETER_TYPES:
            raise InvalidInput(f"Parameter {name!r} has Type {kind!r}; use one of {', '.join(PARAMETER_TYPES)}.", hint=HINT)
        default = parameter.get("DefaultValue")
        if default is not None and not _of_type(default, kind):
            raise InvalidInput(f"Parameter {name!r} is {kind} but its DefaultValue {default!r} is not.", hint=HINT)
        found[name] = parameter
    return found


def _of_type(value: Any, kind: str) -> bool:
    if kind == "String":
        return isinstance(value, str)
    if kind == "Boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    return isinstance(value, int) if kind == "Integer" else isinstance(value, int | float)


def _check_names(entries: list[StepEntry], step_types: tuple[str, ...], runner: str) -> dict[str, StepEntry]:
    steps: dict[str, StepEntry] = {}
    for entry in entries:
        if not STEP_NAME.fullmatch(entry.name):
            raise InvalidInput(f"Step name {entry.name!r} is not valid: use 1–64 letters, digits, '-' and '_'.", hint=HINT)
        if entry.name in steps:
            raise InvalidInput(f"Step {entry.name!r} is defined twice; step names are unique in a pipeline.", hint=HINT)
        if entry.type not in step_types:
            raise InvalidInput(f"Step {entry.name!r} has type {entry.type!r}, which {runner} does not run; "
                               f"supported: {', '.join(step_types)}.", hint=HINT)
        steps[entry.name] = entry
    return steps


def _property_files(entry: StepEntry) -> set[str]:
    files = entry.step.get("PropertyFiles") or []
    names = set()
    for item in files:
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) and item.get(k)
                                                 for k in ("PropertyFileName", "OutputName", "FilePath")):
            raise InvalidInput(f"Step {entry.name!r}: every PropertyFiles entry needs PropertyFileName, OutputName "
                               "and FilePath.", hint=HINT)
        parts = item["FilePath"].replace("\\", "/").split("/")
        if item["FilePath"].startswith("/") or ".." in parts:
            raise InvalidInput(f"Step {entry.name!r}: property file {item['PropertyFileName']!r} has FilePath "
                               f"{item['FilePath']!r}; use a path inside the output, without '..'.", hint=HINT)
        names.add(item["PropertyFileName"])
    return names


def _check_step(entry: StepEntry, steps: dict[str, StepEntry], parameters: dict[str, Any],
                property_files: dict[str, set[str]]) -> None:
    arguments = entry.step.get("Arguments")
    if not isinstance(arguments, dict):
        raise InvalidInput(f"Step {entry.name!r} has no Arguments object.", hint=HINT)
    for dependency in entry.step.get("DependsOn") or []:
        if dependency not in steps:
            raise InvalidInput(f"Step {entry.name!r} depends on {dependency!r}, which is not a step of this pipeline.", hint=HINT)
    checked = _own_arguments(entry)
    _check_references(f"Step {entry.name!r}", checked, steps, parameters, property_files, entry.name)
    if entry.type == "Condition" and not isinstance(arguments.get("Conditions"), list):
        raise InvalidInput(f"Step {entry.name!r} (Condition) needs a Conditions list.", hint=HINT)
    if entry.type == "Fail" and "ErrorMessage" not in arguments:
        raise InvalidInput(f"Step {entry.name!r} (Fail) needs an ErrorMessage.", hint=HINT)
    cache_expiry(entry.step, entry.name)
    check_retry_policies(entry.step.get("RetryPolicies") or [], entry.name)


def _own_arguments(entry: StepEntry) -> Any:
    """What belongs to the step itself: a Condition's nested steps are checked as steps of their own."""
    arguments = entry.step.get("Arguments") or {}
    if entry.type == "Condition":
        return {"Conditions": arguments.get("Conditions")}
    return arguments


def _check_references(where: str, value: Any, steps: dict[str, StepEntry], parameters: dict[str, Any],
                      property_files: dict[str, set[str]], own: str = "") -> None:
    for function in unknown_functions(value):
        raise InvalidInput(f"{where} uses the function {function!r}; supported: Std:Join, Std:JsonGet.", hint=HINT)
    for reference in references(value):
        problem = _reference_problem(reference, steps, parameters, property_files, own)
        if problem:
            raise InvalidInput(f"{where} refers to {reference!r}: {problem}", hint=HINT)
    all_files = {name for names in property_files.values() for name in names}
    for name in named_property_files(value):
        if name not in all_files:
            raise InvalidInput(f"{where} reads the property file {name!r}, which no step declares.", hint=HINT)


def _reference_problem(reference: str, steps: dict[str, StepEntry], parameters: dict[str, Any],
                       property_files: dict[str, set[str]], own: str) -> str:
    root, _, rest = reference.partition(".")
    if root == "Parameters":
        return "" if rest in parameters else "no such parameter."
    if root == "Execution":
        return "" if rest in EXECUTION_VARIABLES else f"unknown; use one of {', '.join(EXECUTION_VARIABLES)}."
    if root != "Steps":
        return "not a reference (Parameters., Execution. or Steps.)."
    step, _, path = rest.partition(".")
    if step not in steps:
        return "no such step."
    if step == own:
        return "a step cannot read its own properties."
    if path.startswith("PropertyFiles."):
        name = path.removeprefix("PropertyFiles.")
        return "" if name in property_files.get(step, set()) else f"step {step!r} declares no such property file."
    return ""


def cache_expiry(step: Mapping[str, Any], name: str) -> timedelta | None:
    """The step's cache lifetime when ``CacheConfig.Enabled``; None when caching is off."""
    config = step.get("CacheConfig") or {}
    if not config.get("Enabled"):
        return None
    expire_after = config.get("ExpireAfter")
    if expire_after in (None, ""):
        return timedelta.max  # SageMaker: without ExpireAfter a cached result does not expire
    return parse_duration(str(expire_after), name)


def parse_duration(text: str, step_name: str = "") -> timedelta:
    """ISO 8601 duration (``P30D``, ``PT1H``, ``P1Y2M``, ``P2W``); months count 30 days, years 365."""
    match = _DURATION.fullmatch(text.strip())
    if match is None or not any(match.groups()):
        where = f"Step {step_name!r}: " if step_name else ""
        raise InvalidInput(f"{where}CacheConfig.ExpireAfter {text!r} is not an ISO 8601 duration such as P30D or PT1H.",
                           hint=HINT)
    years, months, weeks, days, hours, minutes, seconds = (int(group or 0) for group in match.groups())
    return timedelta(days=years * 365 + months * 30 + weeks * 7 + days, hours=hours, minutes=minutes, seconds=seconds)


def check_retry_policies(policies: Any, name: str) -> None:
    """SageMaker's RetryPolicies: ExceptionType from the step or job lists, MaxAttempts 1–20,
    IntervalSeconds 1–43200, BackoffRate ≥ 0, ExpireAfterMin 0–14400."""
    if not isinstance(policies, list):
        raise InvalidInput(f"Step {name!r}: RetryPolicies must be a list.", hint=HINT)
    for policy in policies:
        types = policy.get("ExceptionType") if isinstance(policy, dict) else None
        if not isinstance(types, list) or not types or any(t not in STEP_EXCEPTIONS + JOB_EXCEPTIONS for t in types):
            raise InvalidInput(f"Step {name!r}: a retry policy's ExceptionType must list some of "
                               f"{', '.join(STEP_EXCEPTIONS + JOB_EXCEPTIONS)}.", hint=HINT)
        _check_bound(policy, "MaxAttempts", 1, 20, name)
        _check_bound(policy, "IntervalSeconds", 1, 43200, name)
        _check_bound(policy, "BackoffRate", 0, 1e9, name)
        _check_bound(policy, "ExpireAfterMin", 0, 14400, name)


def _check_bound(policy: dict[str, Any], key: str, low: float, high: float, name: str) -> None:
    value = policy.get(key)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise InvalidInput(f"Step {name!r}: retry policy {key} must be a number from {low:g} to {high:g}, got {value!r}.",
                           hint=HINT)


def execution_parameters(definition: Mapping[str, Any], given: Mapping[str, str] | None) -> dict[str, Any]:
    """The parameters an execution runs with, typed: given strings converted, defaults for the rest;
    unknown names and missing required ones refused."""
    declared = check_parameters(definition.get("Parameters") or [])
    given = dict(given or {})
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise InvalidInput(f"Unknown parameter(s) {', '.join(unknown)}; this pipeline takes "
                           f"{', '.join(declared) or 'none'}.", hint="Give only the pipeline's own parameters.")
    values: dict[str, Any] = {}
    for name, parameter in declared.items():
        kind = parameter.get("Type", "String")
        if name in given:
            values[name] = convert_parameter(name, kind, given[name])
        elif parameter.get("DefaultValue") is not None:
            values[name] = parameter["DefaultValue"]
        else:
            raise InvalidInput(f"Parameter {name!r} has no default; give it a value.", hint=f"Add {name}=<{kind}>.")
    return values


def convert_parameter(name: str, kind: str, raw: Any) -> Any:
    """A parameter's value (a string, as StartPipelineExecution takes it) as its declared type."""
    text = str(raw).strip() if not isinstance(raw, str) else raw
    try:
        if kind == "Integer":
            return int(text)
        if kind == "Float":
            return float(text)
    except ValueError as exc:
        raise InvalidInput(f"Parameter {name!r} is {kind}, but {raw!r} is not.", hint=f"Give {name} a {kind} value.") from exc
    if kind == "Boolean":
        if text.strip().lower() in ("true", "false"):
            return text.strip().lower() == "true"
        raise InvalidInput(f"Parameter {name!r} is Boolean, but {raw!r} is not.", hint=f"Give {name} true or false.")
    return text


def parameter_text(value: Any) -> str:
    """A typed parameter value written back as the API's string (``true``, ``0.7``)."""
    return json.dumps(value) if isinstance(value, bool) else str(value)


def check_selection(pipeline: Pipeline, selected: tuple[str, ...], source_arn: str) -> bool:
    """SelectiveExecutionConfig's own rules (both parts given, the steps the pipeline's own); False when there is
    no selection. Whether the source execution belongs to the pipeline is the backend's to check."""
    if not selected and not source_arn:
        return False
    if not selected or not source_arn:
        raise InvalidInput("A selective execution needs both the steps to run and the source execution.",
                           hint="Pick the steps and the execution whose outputs the others reuse.")
    unknown = [step for step in selected if pipeline.find_step(step) is None]
    if unknown:
        raise InvalidInput(f"Step(s) {', '.join(unknown)} are not in pipeline {pipeline.name!r}.", hint="Pick its own steps.")
    return True
