"""Training on AWS: built-in algorithms and script mode with ``ModelTrainer``, tuning, and Autopilot (AutoML V2)."""

from __future__ import annotations

from typing import Any

from services.codegen.literals import SESSION, py, read_data, s3_name, slug, upload_csv
from services.models import AutopilotRequest, ScriptJobRequest, TrainingRequest, TuningRequest

# the workbench's built-in algorithms -> (SageMaker image, version); the text models map to BlazingText
IMAGES = {
    "xgboost": ("xgboost", "1.7-1"),
    "linear-learner": ("linear-learner", None),
    "text-tfidf": ("blazingtext", None),
    "text-minilm": ("blazingtext", None),
}
TRAINER_IMPORTS = """\
from sagemaker.core.image_uris import retrieve
from sagemaker.train import ModelTrainer
from sagemaker.train.configs import Compute, InputData, StoppingCondition"""


def _prepare_builtin(request: TrainingRequest, folder: str) -> list[str]:
    """Lines that put the table in S3 in the format the algorithm reads."""
    lines = [read_data(request.source)]
    if IMAGES[request.algorithm][0] == "blazingtext":
        text = request.text_column or "review_body"
        lines += [
            "# BlazingText (supervised) reads one '__label__<class> <text>' line per review",
            f"lines = '__label__' + df[{py(request.target)}].astype(str) + ' ' + df[{py(text)}].astype(str)",
            f'data_uri = f"s3://{{bucket}}/workbench/{folder}/train.txt"',
            "wr.s3.upload(local_file=io.BytesIO('\\n'.join(lines).encode()), path=data_uri)",
        ]
        return lines
    # XGBoost and linear learner read CSV without a header, the target first
    lines.append(f"df = df[[{py(request.target)}] + [c for c in df.columns if c != {py(request.target)}]]")
    lines += [f'data_uri = f"s3://{{bucket}}/workbench/{folder}/train.csv"',
              "wr.s3.to_csv(df, data_uri, index=False, header=False)"]
    return lines


def _hyperparameters(request: TrainingRequest) -> dict[str, str]:
    hyperparameters = dict(request.hyperparameters)
    if IMAGES[request.algorithm][0] == "blazingtext":
        hyperparameters.setdefault("mode", "supervised")
    return hyperparameters


def _trainer(request: TrainingRequest, job: str) -> list[str]:
    image, version = IMAGES[request.algorithm]
    runtime = request.max_runtime_in_seconds or 3600
    return [
        "trainer = ModelTrainer(",
        f"    training_image=retrieve({py(image)}, region{'' if version is None else f', version={py(version)}'}),",
        f"    hyperparameters={py(_hyperparameters(request))},",
        '    compute=Compute(instance_type="ml.m5.xlarge", instance_count=1),',
        f"    stopping_condition=StoppingCondition(max_runtime_in_seconds={runtime}),",
        f"    base_job_name={py(job)},",
        "    role=role,",
        "    sagemaker_session=session,",
        ")",
    ]


def builtin_training_code(request: TrainingRequest) -> str:
    """A built-in algorithm's training job (``ModelTrainer`` on the algorithm's image), as Train → Built-in does."""
    job = slug(request.name or f"{request.algorithm}-{request.source.label}")
    lines = ["import io" if IMAGES[request.algorithm][0] == "blazingtext" else "", "import awswrangler as wr",
             TRAINER_IMPORTS, "", SESSION, "", *_prepare_builtin(request, job), "", *_trainer(request, job),
             'trainer.train(input_data_config=[InputData(channel_name="train", data_source=data_uri)], wait=True)']
    return "\n".join(lines).lstrip("\n")


def script_training_code(request: ScriptJobRequest) -> str:
    """Your script under the SageMaker training contract (``ModelTrainer`` with ``SourceCode``)."""
    job = slug(request.name or request.entry_point.rsplit(".", 1)[0])
    channels = ",\n".join(f"        InputData(channel_name={py(name)}, data_source={py(s3_name(path))})"
                          for name, path in request.channels.items())
    definitions = [{"Name": name, "Regex": regex} for name, regex in request.metric_definitions.items()]
    return "\n".join([
        "from sagemaker.core.image_uris import retrieve",
        "from sagemaker.train import ModelTrainer",
        "from sagemaker.train.configs import Compute, InputData, SourceCode, StoppingCondition",
        "",
        SESSION,
        "",
        "trainer = ModelTrainer(",
        '    training_image=retrieve("sklearn", region, version="1.2-1"),',
        f"    source_code=SourceCode(source_dir={py(request.source_dir)}, entry_script={py(request.entry_point)}),",
        f"    hyperparameters={py(dict(request.hyperparameters))},",
        '    compute=Compute(instance_type="ml.m5.xlarge", instance_count=1),',
        f"    stopping_condition=StoppingCondition(max_runtime_in_seconds={request.max_runtime_in_seconds or 3600}),",
        f"    base_job_name={py(job)},",
        "    role=role,",
        "    sagemaker_session=session,",
        ")",
        f"# metric definitions the job's logs are searched with: {py(definitions)}",
        "trainer.train(input_data_config=[",
        channels,
        "], wait=True)",
    ])


def _range(name: str, spec: dict[str, Any]) -> str:
    kind = spec.get("type", "continuous")
    if kind == "categorical":
        return f"    {py(name)}: CategoricalParameter({py(list(spec.get('values') or []))}),"
    parameter = "IntegerParameter" if kind == "integer" else "ContinuousParameter"
    scale = "Logarithmic" if spec.get("scale") == "log" else "Linear"
    return f"    {py(name)}: {parameter}({py(spec.get('min'))}, {py(spec.get('max'))}, scaling_type={py(scale)}),"


def tuning_code(request: TuningRequest) -> str:
    """Automatic model tuning over a built-in algorithm, as Train → Tuning does."""
    if not isinstance(request.base, TrainingRequest):
        raise TypeError("tuning code is generated for built-in algorithms")
    base = request.base
    job = slug(request.name or f"tune-{base.algorithm}")
    return "\n".join([
        "import io" if IMAGES[base.algorithm][0] == "blazingtext" else "",
        "import awswrangler as wr",
        TRAINER_IMPORTS,
        "from sagemaker.core.parameter import CategoricalParameter, ContinuousParameter, IntegerParameter",
        "from sagemaker.train.tuner import HyperparameterTuner",
        "",
        SESSION,
        "",
        *_prepare_builtin(base, job),
        "",
        *_trainer(base, job),
        "ranges = {",
        *(_range(name, spec) for name, spec in request.ranges.items()),
        "}",
        "tuner = HyperparameterTuner(",
        "    model_trainer=trainer,",
        f"    objective_metric_name={py(request.objective_metric)},",
        "    hyperparameter_ranges=ranges,",
        f"    objective_type={py(request.objective_type)},",
        f"    strategy={py(request.strategy)},",
        f"    max_jobs={request.max_jobs},",
        f"    max_parallel_jobs={request.max_parallel_jobs},",
        ")",
        'tuner.tune(inputs=[InputData(channel_name="train", data_source=data_uri)], wait=True)',
        "print(tuner.best_training_job())",
    ]).lstrip("\n")


def autopilot_code(request: AutopilotRequest) -> str:
    """An Autopilot job (CreateAutoMLJobV2, tabular) on the form's table and target, as Train → Autopilot does."""
    job = slug(request.name or f"automl-{request.source.label}")[:32]
    config = [f"        target_attribute_name={py(request.target)},", f"        mode={py(request.mode)},",
              "        completion_criteria=AutoMLJobCompletionCriteria(",
              f"            max_candidates={request.max_candidates},",
              f"            max_auto_ml_job_runtime_in_seconds={request.max_runtime_seconds},", "        ),"]
    if request.problem_type:
        config.insert(1, f"        problem_type={py(request.problem_type)},")
    objective = ([f"    auto_ml_job_objective=AutoMLJobObjective(metric_name={py(request.objective)}),"]
                 if request.objective else [])
    return "\n".join([
        "import awswrangler as wr",
        "from sagemaker.core.resources import AutoMLJobV2",
        "from sagemaker.core.shapes import (",
        "    AutoMLDataSource, AutoMLJobChannel, AutoMLJobCompletionCriteria, AutoMLJobObjective,",
        "    AutoMLOutputDataConfig, AutoMLProblemTypeConfig, AutoMLS3DataSource, TabularJobConfig,",
        ")",
        "",
        SESSION,
        "",
        read_data(request.source),
        upload_csv(f"automl/{job}"),
        "",
        "job = AutoMLJobV2.create(",
        f"    auto_ml_job_name={py(job)},",
        "    auto_ml_job_input_data_config=[AutoMLJobChannel(",
        '        channel_type="training",',
        '        content_type="text/csv;header=present",',
        '        data_source=AutoMLDataSource(s3_data_source=AutoMLS3DataSource(s3_data_type="S3Prefix", s3_uri=data_uri)),',
        "    )],",
        f'    output_data_config=AutoMLOutputDataConfig(s3_output_path=f"s3://{{bucket}}/workbench/automl/{job}/output"),',
        "    auto_ml_problem_type_config=AutoMLProblemTypeConfig(tabular_job_config=TabularJobConfig(",
        *config,
        "    )),",
        *objective,
        "    role_arn=role,",
        ")",
        "job.wait()",
        "print(job.best_candidate)",
    ])
