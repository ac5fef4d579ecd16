"""Job kind ``processing``: one CreateProcessingJob request run as SageMaker runs it, on this machine.

The config holds ``request`` (the CreateProcessingJob request, with its ProcessingJobName), ``job_arn`` and
``max_runtime_in_seconds`` (StoppingCondition), and for the built-in templates ``register_tables``
(``{output name: "database.table"}``: outputs catalogued once the job completed). Each of the N instances
(``contract.instance_count``) gets ``<job>/algo-i/ml`` as its ``/opt/ml``: its share of every input at the
input's LocalPath (``contract.share``), an empty folder at every output's LocalPath, and its
``config/processingjobconfig.json`` and ``config/resourceconfig.json``. The instances run at once
(``runtime.run_instances``). When every one exited 0, every instance's outputs are uploaded to their S3Uri
(the lake); when one failed, nothing is uploaded and the job fails with that instance's reason.

Pipelines' Processing steps run the same way (``run_request``, from the ``container`` job kind).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from services.embedded.job_worker import JobContext
from services.embedded.workspace import Workspace
from services.errors import ServiceError
from services.processing import contract
from services.processing.lake import copy_to_lake, input_objects, lake_path, place, write_json
from services.processing.runtime import Instance, run_instances, step_environment

SANDBOX_ML = Path("/opt/ml")
STAGED, RUNNING = 0.1, 0.8  # progress shares: inputs copied, instances run (the rest: outputs uploaded)


class ProcessingFailed(ServiceError):
    """An instance's command ended with a non-zero exit code; the message is SageMaker's FailureReason."""


def run(ctx: JobContext) -> None:
    request = ctx.config["request"]
    lake = Workspace(ctx.settings.home).lake
    outputs = run_request(ctx, lake, request, f"Processing job {ctx.name!r}")
    tables = register_outputs(ctx, request, ctx.config.get("register_tables") or {})
    ctx.finish_with(result={"exit_code": 0, "job_arn": ctx.config.get("job_arn", ""), "outputs": outputs,
                            "tables": tables, "exit_message": exit_message(ctx)})


def run_request(ctx: JobContext, lake: Path, request: dict[str, Any], owner: str) -> list[dict[str, Any]]:
    """Stage, run and upload one request in ``ctx.job_dir``; the outputs uploaded (name, S3 URI, lake path, files).
    ``ProcessingFailed`` with the failing instance's reason when one exits non-zero (nothing is uploaded then)."""
    inputs, outputs = contract.processing_inputs(owner, request), contract.processing_outputs(owner, request)
    command, count = contract.processing_command(owner, request), contract.instance_count(owner, request)
    arn = ctx.config.get("job_arn") or contract.job_arn(ctx.name)
    instances = [Instance(host, ctx.job_dir / host / "ml") for host in contract.hosts(count)]
    ctx.secondary("Downloading", f"Copying the inputs into /opt/ml/processing of {count} instance(s)")
    for index, instance in enumerate(instances):
        stage_instance(ctx, lake, instance, index, count, inputs, outputs)
        write_json(instance.ml_root / "config" / "processingjobconfig.json", contract.job_config(request, ctx.name, arn))
        write_json(instance.ml_root / "config" / "resourceconfig.json", contract.resource_config(instance.host, count))
    ctx.secondary("Processing", f"Running {' '.join(command)} on {count} instance(s)")
    ctx.progress(STAGED, f"Running on {count} instance(s)")
    env = step_environment(ctx.job_dir, {}, request.get("Environment") or {})
    run_instances(instances, command, env, str(SANDBOX_ML), ctx.log,
                  lambda done: ctx.progress(STAGED + RUNNING * done / count, f"{done} of {count} instance(s) finished"))
    failed = next((i for i in instances if i.exit_code != 0), None)
    if failed is not None:
        message = _exit_message(failed)
        ctx.finish_with(result={"exit_code": failed.exit_code, "failed_host": failed.host, "exit_message": message})
        raise ProcessingFailed(contract.failure_reason(failed.host, count, int(failed.exit_code or 0), message,
                                                       failed.tail_text()))
    ctx.secondary("Uploading", "Copying the outputs to S3 (the lake)")
    return [upload_output(ctx, lake, instances, output) for output in outputs]


def exit_message(ctx: JobContext) -> str:
    """SageMaker's ExitMessage: what the first instance that wrote one left in /opt/ml/output/message."""
    roots = sorted(ctx.job_dir.glob("algo-*/ml"), key=lambda root: int(root.parent.name.removeprefix("algo-")))
    return next((message for root in roots if (message := _exit_message(Instance(root.parent.name, root)))), "")


def stage_instance(ctx: JobContext, lake: Path, instance: Instance, index: int, count: int,
                   inputs: list[contract.ProcessingInput], outputs: list[contract.ProcessingOutput]) -> None:
    """One instance's share of every input at its LocalPath, and its empty output folders."""
    for item in inputs:
        objects = input_objects(lake, item.s3_uri, item.data_type)
        chosen = contract.share(list(objects), index, count, item.distribution)
        placed = place({key: objects[key] for key in chosen}, inside(instance, item.local_path))
        ctx.log(f"{instance.host}: input {item.name}: {placed} of {len(objects)} object(s) from {item.s3_uri} "
                f"({item.distribution}) at {item.local_path}")
    for output in outputs:
        inside(instance, output.local_path).mkdir(parents=True, exist_ok=True)


def upload_output(ctx: JobContext, lake: Path, instances: list[Instance], output: contract.ProcessingOutput) -> dict[str, Any]:
    files = 0
    for instance in instances:
        count = copy_to_lake(lake, inside(instance, output.local_path), output.s3_uri)
        ctx.log(f"{instance.host}: output {output.name}: {count} file(s) from {output.local_path} to {output.s3_uri}")
        files += count
    return {"name": output.name, "s3_uri": output.s3_uri, "lake_path": str(lake_path(lake, output.s3_uri)), "files": files}


def inside(instance: Instance, sandbox_path: str) -> Path:
    """Where a path under /opt/ml of the instance's sandbox is on this machine."""
    return instance.ml_root / Path(sandbox_path).relative_to(SANDBOX_ML)


def _exit_message(instance: Instance) -> str:
    """What the instance wrote to /opt/ml/output/message (SageMaker's ExitMessage), if anything."""
    message = instance.ml_root / "output" / "message"
    return message.read_text(errors="replace").strip()[: contract.FAILURE_LIMIT] if message.is_file() else ""


def register_outputs(ctx: JobContext, request: dict[str, Any], tables: dict[str, str]) -> list[str]:
    """Catalog the outputs the config names as tables (the built-in templates' splits); the tables' names."""
    if not tables:
        return []
    from services.stack import open_local  # the catalog of this workspace, opened in the worker

    storage = open_local(ctx.settings).storage
    uris = {o.name: o.s3_uri for o in contract.processing_outputs(f"Processing job {ctx.name!r}", request)}
    registered = []
    for output, table in tables.items():
        database, _, name = table.partition(".")
        storage.register_table(database, name, lake_path(Workspace(ctx.settings.home).lake, uris[output]))
        ctx.log(f"Output {output} registered as the table {table}")
        registered.append(table)
    return registered
