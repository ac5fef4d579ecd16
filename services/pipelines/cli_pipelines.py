"""``python -m services pipelines …``: SageMaker Pipelines from the command line, in the API's own shapes.

``upsert`` reads a definition file (a typed path, confined like every other) and answers
``{"PipelineArn", "PipelineName"}``; ``start`` answers ``{"PipelineExecutionArn", "PipelineExecutionStatus"}``
(the final status with ``--wait``). A definition the backend cannot run is refused with exit code 2 and a
message naming the step.
"""

from __future__ import annotations

import argparse
from typing import Any

from services.errors import InvalidInput
from services.paths import readable_path
from services.pipelines.models import PipelineExecution
from services.registry import Services

COMMANDS = ("pipelines",)
MAX_DEFINITION_BYTES = 1_000_000  # larger definitions are refused before they are read whole
WAIT_TIMEOUT_SECONDS = 6 * 3600


def add_commands(commands: Any) -> None:
    """Add ``pipelines`` and its actions to the CLI's subparsers."""
    actions = commands.add_parser("pipelines", help="SageMaker-style pipelines").add_subparsers(dest="action", required=True)
    upsert = actions.add_parser("upsert", help="create a pipeline or replace its definition")
    upsert.add_argument("--name", required=True)
    upsert.add_argument("--definition", required=True, help="a pipeline definition JSON file (SageMaker's format)")
    upsert.add_argument("--description", default="")
    start = actions.add_parser("start", help="start an execution")
    start.add_argument("name")
    start.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="a parameter (repeatable)")
    start.add_argument("--display-name", default="")
    start.add_argument("--wait", action="store_true", help="return when the execution has finished")
    for action in ("describe-execution", "steps", "stop", "retry"):
        actions.add_parser(action).add_argument("arn", help="a PipelineExecutionArn")
    actions.add_parser("list", help="every pipeline")
    executions = actions.add_parser("executions", help="a pipeline's executions, newest first")
    executions.add_argument("name")
    executions.add_argument("--limit", type=int, default=50)
    actions.add_parser("templates", help="the ready-made definitions")
    install = actions.add_parser("install-template", help="create a pipeline from a ready-made definition")
    install.add_argument("key", help="a template key from `pipelines templates`, e.g. review-sentiment")
    install.add_argument("--name", default="", help="the pipeline's name (default: the key)")
    logs = actions.add_parser("logs", help="the end of one step's log")
    logs.add_argument("arn")
    logs.add_argument("step")


def run_command(services: Services, args: argparse.Namespace) -> Any:
    pipelines = services.pipelines
    action = args.action
    if action == "upsert":
        definition = read_definition(services, args.definition)
        pipeline = pipelines.upsert_pipeline(args.name, definition, args.description)
        return {"PipelineArn": pipeline.arn, "PipelineName": pipeline.name}
    if action == "start":
        execution = pipelines.start_execution(args.name, parse_parameters(args.param), args.display_name)
        if args.wait:
            execution = pipelines.wait_for_execution(execution.arn, WAIT_TIMEOUT_SECONDS)
        return started(execution)
    if action == "list":
        return {"PipelineSummaries": [summary(p.as_api()) for p in pipelines.list_pipelines()]}
    if action == "executions":
        return {"PipelineExecutionSummaries": [e.as_api() for e in pipelines.list_executions(args.name, args.limit)]}
    if action == "templates":
        return [{"Key": t.key, "Title": t.title, "Description": t.description} for t in pipelines.templates()]
    if action == "install-template":
        pipeline = pipelines.install_template(args.key, args.name)
        return {"PipelineArn": pipeline.arn, "PipelineName": pipeline.name}
    if action == "logs":
        return {"StepName": args.step, "Log": pipelines.step_logs(args.arn, args.step)}
    return _execution_action(services, action, args.arn)


def _execution_action(services: Services, action: str, arn: str) -> Any:
    pipelines = services.pipelines
    if action == "steps":
        return {"PipelineExecutionSteps": [s.as_api() for s in pipelines.list_steps(arn)]}
    if action == "stop":
        return started(pipelines.stop_execution(arn))
    if action == "retry":
        return started(pipelines.retry_execution(arn))
    return pipelines.describe_execution(arn).as_api()


def started(execution: PipelineExecution) -> dict[str, Any]:
    answer = {"PipelineExecutionArn": execution.arn, "PipelineExecutionStatus": execution.status}
    if execution.failure_reason:
        answer["FailureReason"] = execution.failure_reason
    return answer


def summary(api: dict[str, Any]) -> dict[str, Any]:
    """ListPipelines' PipelineSummaries entry (no definition)."""
    return {key: value for key, value in api.items() if key != "PipelineDefinition"}


def read_definition(services: Services, typed: str) -> str:
    """The definition file's text: a confined typed path, at most ``MAX_DEFINITION_BYTES``, UTF-8."""
    path = readable_path(typed, services.settings)
    if not path.is_file():
        raise InvalidInput(f"{typed} is not a file.", hint="Give the path of a pipeline definition JSON file.")
    with path.open("rb") as handle:
        data = handle.read(MAX_DEFINITION_BYTES + 1)
    if len(data) > MAX_DEFINITION_BYTES:
        raise InvalidInput(f"{typed} is larger than {MAX_DEFINITION_BYTES:,} bytes.",
                           hint="SageMaker takes pipeline definitions of up to 1 MB.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{typed} is not UTF-8 text ({exc.reason} at byte {exc.start}).",
                           hint="Save the definition as UTF-8 JSON.") from exc


def parse_parameters(pairs: list[str]) -> dict[str, str]:
    """``["A=1", "B=x=y"]`` → ``{"A": "1", "B": "x=y"}``; a pair without ``=`` or a repeated key is refused."""
    parameters: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"--param {pair!r} is not KEY=VALUE.", hint="For example --param MinMacroF1=0.6")
        if key in parameters:
            raise InvalidInput(f"--param {key} is given twice.", hint="Give each parameter once.")
        parameters[key] = value
    return parameters
