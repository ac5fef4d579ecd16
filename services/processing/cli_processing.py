"""``python -m services processing …``: SageMaker Processing jobs from the command line, in the API's shapes.

``run`` builds the CreateProcessingJob request SKLearnProcessor.run would send: ``--code DIR`` is uploaded under
the job's prefix and mounted at ``/opt/ml/processing/input/code``, each ``--input NAME=URI[:LOCAL_PATH]`` is an
S3Input (LocalPath default ``/opt/ml/processing/input/NAME``; ``--distribution`` applies to them), each
``--output NAME=URI[:LOCAL_PATH]`` an S3Output (default ``/opt/ml/processing/output/NAME``), ``--entrypoint`` the
ContainerEntrypoint as given (e.g. ``python3 /opt/ml/processing/input/code/preprocess.py``) and every ``--arg``
a ContainerArgument; the image is the backend's scikit-learn image unless ``--image`` names another. It answers
``{"ProcessingJobName", "ProcessingJobArn", "ProcessingJobStatus"}`` (the final status with ``--wait``, and
``FailureReason`` when it failed). ``describe``/``list`` answer DescribeProcessingJob/ListProcessingJobs;
``review-features`` starts the built-in review feature engineering on a catalog table (with ``--feature-group``
and ``--wait``, its splits are then ingested into that feature group through the features port).
"""

from __future__ import annotations

import argparse
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from services.cli_args import parse_pairs
from services.errors import InvalidInput, NotFound
from services.features.models import FeatureGroupSpec, IngestSource
from services.paths import readable_path
from services.processing.contract import DISTRIBUTIONS
from services.processing.models import ProcessingJob, ReviewFeaturesRequest
from services.registry import Services

COMMANDS = ("processing",)
FEATURE_COLUMNS = "review_id, review_body, sentiment, label, product_category, event_time"
WAIT_TIMEOUT_SECONDS = 6 * 3600
CHANNEL = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]{0,63})=(?P<uri>s3://[^:]+?)(?::(?P<local>/.*))?$")
CODE_PATH = "/opt/ml/processing/input/code"


def add_commands(commands: Any) -> None:
    """Add ``processing`` and its actions to the CLI's subparsers."""
    actions = commands.add_parser("processing", help="SageMaker Processing jobs").add_subparsers(dest="action", required=True)
    run = actions.add_parser("run", help="start a processing job (CreateProcessingJob)")
    run.add_argument("--entrypoint", nargs="+", required=True, metavar="CMD", help="the ContainerEntrypoint")
    run.add_argument("--code", default="", help="a folder with the script(s), mounted at " + CODE_PATH)
    run.add_argument("--input", action="append", default=[], metavar="NAME=URI[:LOCAL_PATH]")
    run.add_argument("--output", action="append", default=[], metavar="NAME=URI[:LOCAL_PATH]")
    run.add_argument("--instance-count", type=int, default=1)
    run.add_argument("--instance-type", default="ml.m5.large")
    run.add_argument("--distribution", choices=DISTRIBUTIONS, default="FullyReplicated")
    run.add_argument("--arg", action="append", default=[], metavar="A", help="a ContainerArgument (repeatable)")
    run.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="an Environment entry")
    run.add_argument("--image", default="", help="the ImageUri (default: the scikit-learn image)")
    run.add_argument("--name", default="", help="the ProcessingJobName (default: generated)")
    run.add_argument("--max-runtime", type=int, default=3600, help="StoppingCondition.MaxRuntimeInSeconds")
    run.add_argument("--wait", action="store_true", help="return when the job has finished")
    for action in ("describe", "stop"):
        actions.add_parser(action).add_argument("name")
    listed = actions.add_parser("list", help="processing jobs, newest first")
    listed.add_argument("--name-contains", default="")
    listed.add_argument("--status", default="")
    listed.add_argument("--limit", type=int, default=100)
    _add_review_features(actions)


def _add_review_features(actions: Any) -> None:
    review = actions.add_parser("review-features", help="the built-in review feature engineering on a table")
    review.add_argument("--table", required=True, help="DATABASE.TABLE with a rating and the review text")
    review.add_argument("--max-length", type=int, default=0, help="tokenise for MiniLM with this many tokens (0: no)")
    review.add_argument("--output-database", default="")
    review.add_argument("--output-prefix", default="", help="the splits become <prefix>_train, _validation, _test")
    review.add_argument("--validation-share", type=float, default=0.1)
    review.add_argument("--test-share", type=float, default=0.2)
    review.add_argument("--seed", type=int, default=42)
    review.add_argument("--instance-count", type=int, default=1)
    review.add_argument("--name", default="")
    review.add_argument("--feature-group", default="", help="also ingest the splits into this feature group "
                                                             "(created when missing; needs --wait)")
    review.add_argument("--wait", action="store_true")


def run_command(services: Services, args: argparse.Namespace) -> Any:
    port = services.processing
    if args.action == "run":
        return _finish(services, port.start_processing_job(build_request(services, args)), args.wait)
    if args.action == "review-features":
        request = ReviewFeaturesRequest(table=args.table, max_length=args.max_length, output_database=args.output_database,
                                        output_prefix=args.output_prefix, validation_share=args.validation_share,
                                        test_share=args.test_share, seed=args.seed, instance_count=args.instance_count,
                                        job_name=args.name)
        if args.feature_group and not args.wait:
            raise InvalidInput("--feature-group needs --wait: the splits are ingested once the job has completed.",
                               hint="Add --wait.")
        answer = _finish(services, port.start_review_features(request), args.wait)
        if args.feature_group and answer["ProcessingJobStatus"] == "Completed":
            answer["FeatureGroup"] = write_feature_group(services, args.feature_group, answer.get("Tables") or [])
        return answer
    if args.action == "describe":
        return port.describe_processing_job(args.name).as_api()
    if args.action == "stop":
        return started(port.stop_processing_job(args.name))
    jobs = port.list_processing_jobs(args.name_contains, args.status, args.limit)
    return {"ProcessingJobSummaries": [job.summary() for job in jobs]}


def _finish(services: Services, name: str, wait: bool) -> dict[str, Any]:
    if wait:
        services.jobs.wait_for_job(name, WAIT_TIMEOUT_SECONDS)
    return started(services.processing.describe_processing_job(name))


def started(job: ProcessingJob) -> dict[str, Any]:
    answer: dict[str, Any] = {"ProcessingJobName": job.name, "ProcessingJobArn": job.arn, "ProcessingJobStatus": job.status}
    if job.failure_reason:
        answer["FailureReason"] = job.failure_reason
    if job.tables:
        answer["Tables"] = list(job.tables)
    return answer


def write_feature_group(services: Services, name: str, tables: list[str]) -> dict[str, Any]:
    """Ingest the template's splits into feature group ``name`` through the features port (review_id → its
    features, event_time the run's), creating the group from their schema when it does not exist."""
    source = IngestSource(sql=" UNION ALL ".join(f"SELECT {FEATURE_COLUMNS} FROM {table}" for table in tables))
    features = services.features
    try:
        features.describe_feature_group(name)
    except NotFound:
        features.create_feature_group(FeatureGroupSpec(
            name=name, record_identifier="review_id", event_time="event_time",
            features=tuple(features.infer_definitions(source)),
            description="Review features from the built-in processing template (processing review-features)"))
    return {"FeatureGroupName": name, **features.ingest(name, source).as_api()}


def build_request(services: Services, args: argparse.Namespace) -> dict[str, Any]:
    """CreateProcessingJob from the command's arguments (the code uploaded first, under the job's name)."""
    name = args.name or generated_name()
    inputs = [s3_input(*parse_channel(item, "input"), args.distribution) for item in args.input]
    if args.code:
        uri = services.processing.upload_code(readable_path(args.code, services.settings), name)
        inputs.append(s3_input("code", uri, CODE_PATH, "FullyReplicated"))
    outputs = [s3_output(*parse_channel(item, "output")) for item in args.output]
    return {"ProcessingJobName": name, "ProcessingInputs": inputs, "ProcessingOutputConfig": {"Outputs": outputs},
            "ProcessingResources": {"ClusterConfig": {"InstanceCount": args.instance_count,
                                                      "InstanceType": args.instance_type, "VolumeSizeInGB": 30}},
            "AppSpecification": {"ImageUri": args.image or services.processing.default_image(),
                                 "ContainerEntrypoint": list(args.entrypoint), "ContainerArguments": list(args.arg)},
            "Environment": parse_pairs(args.env, "--env", "--env MODE=balanced", "KEY=VALUE"),
            "StoppingCondition": {"MaxRuntimeInSeconds": args.max_runtime}}


def generated_name() -> str:
    return f"processing-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:4]}"


def parse_channel(text: str, what: str) -> tuple[str, str, str]:
    """``NAME=s3://bucket/key[:/opt/ml/processing/…]`` → (name, URI, LocalPath; the default when not given)."""
    match = CHANNEL.fullmatch(text)
    if match is None:
        raise InvalidInput(f"--{what} {text!r} is not NAME=s3://BUCKET/KEY[:LOCAL_PATH].",
                           hint="For example raw=s3://workbench-lake/demo/reviews/:/opt/ml/processing/input/raw.")
    local = match["local"] or f"/opt/ml/processing/{what}/{match['name']}"
    return match["name"], match["uri"], local


def s3_input(name: str, uri: str, local_path: str, distribution: str) -> dict[str, Any]:
    return {"InputName": name, "AppManaged": False, "S3Input": {
        "S3Uri": uri, "LocalPath": local_path, "S3DataType": "S3Prefix", "S3InputMode": "File",
        "S3DataDistributionType": distribution}}


def s3_output(name: str, uri: str, local_path: str) -> dict[str, Any]:
    return {"OutputName": name, "AppManaged": False, "S3Output": {
        "S3Uri": uri, "LocalPath": local_path, "S3UploadMode": "EndOfJob"}}
