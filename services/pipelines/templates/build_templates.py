"""Write the ready-made pipeline definitions with the real sagemaker 3.x SDK, offline.

Run ``python -m services.pipelines.templates.build_templates`` after changing a template or its scripts in
``code/``. Each template is built with the SDK's own classes (ScriptProcessor, ModelTrainer, ProcessingStep,
TrainingStep, ConditionStep, ModelStep over ``ModelBuilder.register``, FailStep) inside ``moto.mock_aws()``
with fake credentials, and ``Pipeline.definition()`` is written as it comes out. The SDK uploads the scripts
(and ModelTrainer's ``sm_drivers``) to S3 while it builds the definition; every object it uploaded to moto's
S3 is recorded beside the definition, so ``install_template_objects`` can put it in the local lake (where
``s3://BUCKET/KEY`` is ``WORKBENCH_HOME/lake/BUCKET/KEY``) and the definition runs unchanged.

Two things are pinned so that building twice writes the same files: ModelTrainer names its upload folder
after the clock, so the generator names it after the hash of the training code instead; and the
``__pycache__`` files the SDK copies from its own installation (present or not depending on the machine)
are not recorded.

AutoML: the sagemaker 3.x SDK (3.27) cannot build an ``AutoMLStep``: the step checks its arguments against
``Session.auto_ml``, which the 3.x Session no longer has, and there is no AutoML class to produce them, so
the tabular Autopilot template is not generated.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

HERE = Path(__file__).resolve().parent
CODE = Path("code")  # relative to HERE, where the generator runs
GENERATED = HERE / "generated"
BUCKET = "workbench-pipelines"  # locally WORKBENCH_HOME/lake/workbench-pipelines/
REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/WorkbenchPipelines"  # a placeholder: set the real role when upserting on AWS
INSTANCE = "ml.m5.large"
SKLEARN_VERSION = "1.2-1"
FAKE_ENVIRONMENT = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                    "AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true",
                    # moto has no iam:SimulatePrincipalPolicy, which the SDK calls to check the role
                    "SAGEMAKER_VALIDATE_ROLE": "false"}
REVIEWS_LOCATION = "s3://workbench-lake/demo/reviews/"  # the seeded demo.reviews table's Location


@contextmanager
def offline_sdk() -> Iterator[Any]:
    """Fake credentials and moto's S3 (with the templates' bucket) for the SDK; yields the S3 client."""
    before = {name: os.environ.get(name) for name in FAKE_ENVIRONMENT}
    os.environ.update(FAKE_ENVIRONMENT)
    try:
        from moto import mock_aws

        with mock_aws():
            import boto3

            client = boto3.client("s3", region_name=REGION)
            client.create_bucket(Bucket=BUCKET)
            yield client
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def code_hash(folder: Path) -> str:
    """A short digest of every file in ``folder`` (names and contents), for stable upload folder names."""
    folder = HERE / folder
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


@contextmanager
def stable_job_names(stamp: str) -> Iterator[None]:
    """ModelTrainer names the folder it uploads code to ``<base>-<clock>``; use ``<base>-<stamp>`` instead."""
    def unique_name(base: str, max_length: int = 63) -> str:
        return f"{base.replace('_', '-')}-{stamp}"[:max_length]

    with mock.patch("sagemaker.train.model_trainer._get_unique_name", unique_name):
        yield


def uploaded_objects(client: Any) -> dict[str, bytes]:
    """Every object in the templates' bucket, by ``s3://`` URI (the SDK's copied ``__pycache__`` left out)."""
    objects = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for entry in page.get("Contents", []):
            if "/__pycache__/" not in f"/{entry['Key']}":
                objects[f"s3://{BUCKET}/{entry['Key']}"] = client.get_object(Bucket=BUCKET, Key=entry["Key"])["Body"].read()
    return objects


def encode_objects(objects: dict[str, bytes]) -> dict[str, dict[str, str]]:
    """Objects as JSON: text as it is (readable in a diff), anything else as base64."""
    encoded = {}
    for uri, body in sorted(objects.items()):
        try:
            encoded[uri] = {"text": body.decode("utf-8")}
        except UnicodeDecodeError:
            encoded[uri] = {"base64": base64.b64encode(body).decode("ascii")}
    return encoded


def record(build: Callable[[], Any], code: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Build one pipeline offline: its definition and the objects the SDK uploaded while writing it.

    Runs in this package's folder so that the paths the SDK records (sourcecode.json's source_dir) are the
    relative ``code/...`` ones, the same on every clone; the SDK runs its job functions (and uploads) only
    in ``definition()``, so the job names are pinned around it."""
    with offline_sdk() as client, contextlib.chdir(HERE), stable_job_names(code_hash(code)):
        definition = json.loads(build().definition())
        return definition, uploaded_objects(client)


def write_template(key: str, definition: dict[str, Any], objects: dict[str, bytes], output_dir: Path) -> Path:
    folder = output_dir / key
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "definition.json").write_text(json.dumps(definition, indent=2) + "\n")
    (folder / "objects.json").write_text(json.dumps(encode_objects(objects), indent=2) + "\n")
    return folder


# The review-sentiment pipeline ----------------------------------------------------------------------------

def sklearn_image() -> str:
    from sagemaker.core import image_uris

    return str(image_uris.retrieve("sklearn", region=REGION, version=SKLEARN_VERSION, instance_type=INSTANCE))


def processing_input(name: str, source: Any) -> Any:
    from sagemaker.core.shapes import ProcessingInput, ProcessingS3Input

    return ProcessingInput(input_name=name, s3_input=ProcessingS3Input(
        s3_uri=source, local_path=f"/opt/ml/processing/{name}", s3_data_type="S3Prefix", s3_input_mode="File"))


def processing_output(pipeline: str, step: str, name: str) -> Any:
    """An output kept under the execution's own folder: s3://<bucket>/<pipeline>/<execution id>/<step>/<name>."""
    from sagemaker.core.shapes import ProcessingOutput, ProcessingS3Output
    from sagemaker.core.workflow.execution_variables import ExecutionVariables
    from sagemaker.core.workflow.functions import Join

    uri = Join(on="/", values=[f"s3://{BUCKET}/{pipeline}", ExecutionVariables.PIPELINE_EXECUTION_ID, step, name])
    return ProcessingOutput(output_name=name, s3_output=ProcessingS3Output(
        s3_uri=uri, local_path=f"/opt/ml/processing/{name}", s3_upload_mode="EndOfJob"))


def script_processor(session: Any, base_job_name: str) -> Any:
    from sagemaker.core.processing import ScriptProcessor

    return ScriptProcessor(role=ROLE, image_uri=sklearn_image(), command=["python3"], instance_count=1,
                           instance_type=INSTANCE, base_job_name=base_job_name, sagemaker_session=session)


def review_sentiment() -> Any:
    """PrepareReviews → TrainSentimentModel → EvaluateSentimentModel → CheckQualityGates →
    RegisterSentimentModel (PendingManualApproval) | QualityGateFailed."""
    from sagemaker.core.workflow.parameters import ParameterFloat, ParameterString
    from sagemaker.core.workflow.pipeline_context import PipelineSession
    from sagemaker.mlops.workflow import Pipeline

    session = PipelineSession(default_bucket=BUCKET)
    parameters = {
        "InputData": ParameterString(name="InputData", default_value=REVIEWS_LOCATION),
        "Algorithm": ParameterString(name="Algorithm", default_value="tfidf-logistic",
                                     enum_values=["tfidf-logistic", "tfidf-naive-bayes"]),
        "MinMacroF1": ParameterFloat(name="MinMacroF1", default_value=0.7),
        "MaxAbsDPPL": ParameterFloat(name="MaxAbsDPPL", default_value=0.1),
        "ModelPackageGroup": ParameterString(name="ModelPackageGroup", default_value="review-sentiment"),
    }
    prepare = prepare_step(session, parameters["InputData"])
    train = train_step(session, prepare, parameters["Algorithm"])
    evaluate, report = evaluate_step(session, prepare, train)
    gate = gate_step(session, train, evaluate, report, parameters)
    return Pipeline(name="review-sentiment", parameters=list(parameters.values()), steps=[prepare, train, evaluate, gate],
                    sagemaker_session=session)


def prepare_step(session: Any, input_data: Any) -> Any:
    from sagemaker.mlops.workflow import CacheConfig, ProcessingStep

    step_args = script_processor(session, "review-sentiment-prepare").run(
        code=str(CODE / "review_sentiment" / "preprocess.py"),
        inputs=[processing_input("input/reviews", input_data)],
        outputs=[processing_output("review-sentiment", "PrepareReviews", name) for name in ("train", "validation", "test")],
        arguments=["--validation-share", "0.1", "--test-share", "0.2", "--seed", "42"])
    return ProcessingStep(name="PrepareReviews", step_args=step_args, description="Feature engineering from demo.reviews",
                          cache_config=CacheConfig(enable_caching=True, expire_after="P30D"))


def split_uri(prepare: Any, name: str) -> Any:
    return prepare.properties.ProcessingOutputConfig.Outputs[name].S3Output.S3Uri


def train_step(session: Any, prepare: Any, algorithm: Any) -> Any:
    from sagemaker.core.shapes import MetricDefinition, OutputDataConfig
    from sagemaker.mlops.workflow import CacheConfig, TrainingStep
    from sagemaker.train import ModelTrainer
    from sagemaker.train.configs import Compute, InputData, SourceCode

    source = CODE / "review_sentiment" / "train"
    trainer = ModelTrainer(
        training_image=sklearn_image(), role=ROLE, sagemaker_session=session, base_job_name="review-sentiment-train",
        source_code=SourceCode(source_dir=str(source), entry_script="train.py"),
        compute=Compute(instance_type=INSTANCE, instance_count=1), hyperparameters={"algorithm": algorithm},
        output_data_config=OutputDataConfig(s3_output_path=f"s3://{BUCKET}/review-sentiment/models"),
    ).with_metric_definitions([
        MetricDefinition(name=f"{split}:{metric}", regex=f"{split}:{metric}=([0-9\\.]+)")
        for split in ("train", "validation") for metric in ("macro_f1", "accuracy")])
    step_args = trainer.train(input_data_config=[
        InputData(channel_name=name, data_source=split_uri(prepare, name)) for name in ("train", "validation")])
    return TrainingStep(name="TrainSentimentModel", step_args=step_args, description="TF-IDF text model over review_body",
                        cache_config=CacheConfig(enable_caching=True, expire_after="P30D"))


def evaluate_step(session: Any, prepare: Any, train: Any) -> tuple[Any, Any]:
    from sagemaker.core.workflow.properties import PropertyFile
    from sagemaker.mlops.workflow import CacheConfig, ProcessingStep

    report = PropertyFile(name="SentimentEvaluation", output_name="evaluation", path="evaluation.json")
    step_args = script_processor(session, "review-sentiment-evaluate").run(
        code=str(CODE / "review_sentiment" / "evaluate.py"),
        inputs=[processing_input("model", train.properties.ModelArtifacts.S3ModelArtifacts),
                processing_input("test", split_uri(prepare, "test"))],
        outputs=[processing_output("review-sentiment", "EvaluateSentimentModel", "evaluation")])
    step = ProcessingStep(name="EvaluateSentimentModel", step_args=step_args, property_files=[report],
                          description="Macro-F1 and DPPL across product_category on the test split",
                          cache_config=CacheConfig(enable_caching=True, expire_after="P30D"))
    return step, report


def gate_step(session: Any, train: Any, evaluate: Any, report: Any, parameters: dict[str, Any]) -> Any:
    """Macro-F1 ≥ MinMacroF1 AND |DPPL| ≤ MaxAbsDPPL. Conditions have no abs, so |DPPL| ≤ t is two
    conditions: DPPL ≤ t and −DPPL ≤ t (evaluation.json carries both signs)."""
    from sagemaker.core.workflow.conditions import ConditionGreaterThanOrEqualTo, ConditionLessThanOrEqualTo
    from sagemaker.core.workflow.functions import Join, JsonGet
    from sagemaker.mlops.workflow import ConditionStep, FailStep

    def metric(path: str) -> Any:
        return JsonGet(step_name=evaluate.name, property_file=report, json_path=path)

    macro_f1, dppl = metric("multiclass_classification_metrics.macro_f1.value"), metric("bias_metrics.dppl.value")
    minimum, allowed = parameters["MinMacroF1"], parameters["MaxAbsDPPL"]
    failed = FailStep(name="QualityGateFailed", error_message=Join(on=" ", values=[
        "Quality gates: macro-F1", macro_f1, "must be at least", minimum, "and DPPL across product_category", dppl,
        "must be within plus or minus", allowed, "- the model was not registered."]))
    return ConditionStep(
        name="CheckQualityGates", if_steps=[register_step(session, train, evaluate, parameters)], else_steps=[failed],
        conditions=[ConditionGreaterThanOrEqualTo(left=macro_f1, right=minimum),
                    ConditionLessThanOrEqualTo(left=dppl, right=allowed),
                    ConditionLessThanOrEqualTo(left=metric("bias_metrics.dppl.negated_value"), right=allowed)])


def register_step(session: Any, train: Any, evaluate: Any, parameters: dict[str, Any]) -> Any:
    from sagemaker.core.model_metrics import MetricsSource, ModelMetrics
    from sagemaker.core.workflow.functions import Join
    from sagemaker.mlops.workflow import ModelStep
    from sagemaker.serve.model_builder import ModelBuilder

    builder = ModelBuilder(image_uri=sklearn_image(), role_arn=ROLE, sagemaker_session=session)
    # The 3.x builder takes a pipeline property for the artifacts only through this attribute (its build()
    # would read model_path as a string).
    builder.s3_model_data_url = train.properties.ModelArtifacts.S3ModelArtifacts
    evaluation = Join(on="/", values=[
        evaluate.properties.ProcessingOutputConfig.Outputs["evaluation"].S3Output.S3Uri, "evaluation.json"])
    step_args = builder.register(
        model_package_group_name=parameters["ModelPackageGroup"], approval_status="PendingManualApproval",
        content_types=["text/csv", "application/json"], response_types=["application/json"],
        inference_instances=[INSTANCE], transform_instances=[INSTANCE],
        model_metrics=ModelMetrics(model_statistics=MetricsSource(content_type="application/json", s3_uri=evaluation)),
        description="Review sentiment (negative / neutral / positive) from review_body")
    return ModelStep(name="RegisterSentimentModel", step_args=step_args)


# key → (builder, the training code whose hash names ModelTrainer's upload folder)
BUILDERS: dict[str, tuple[Callable[[], Any], Path]] = {
    "review-sentiment": (review_sentiment, CODE / "review_sentiment" / "train"),
}


def build_all(output_dir: Path = GENERATED) -> list[Path]:
    """Build every template into ``output_dir/<key>/`` (definition.json, objects.json); the folders written."""
    output_dir = output_dir.resolve()  # the generator works in this package's folder
    return [write_template(key, *record(build, code), output_dir) for key, (build, code) in BUILDERS.items()]


def automl_step_problem() -> str:
    """Why this SDK cannot build an AutoMLStep, or "" once it can (then add the tabular Autopilot template)."""
    with offline_sdk():  # importing sagemaker.mlops makes boto3 clients
        from sagemaker.mlops.workflow.automl_step import AutoMLStep

        try:
            AutoMLStep(name="Autopilot", step_args=None)
        except AttributeError as exc:
            return f"the sagemaker SDK cannot build an AutoMLStep ({exc})"
        except (TypeError, ValueError):
            return ""  # it got as far as checking its arguments
    return ""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the ready-made pipeline definitions with the sagemaker SDK.")
    parser.add_argument("--output-dir", type=Path, default=GENERATED)
    for folder in build_all(parser.parse_args(argv).output_dir):
        print(f"wrote {folder}")
    problem = automl_step_problem()
    if problem:
        print(f"tabular-autopilot not generated: {problem}")


if __name__ == "__main__":
    main()
