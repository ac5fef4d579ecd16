"""Clarify on AWS: pre- and post-training bias, and SHAP explanations (SageMaker Python SDK 3.x)."""

from __future__ import annotations

from services.bias.models import BiasRequest
from services.codegen.literals import SESSION, model_name, py, read_data, slug, upload_csv, value
from services.explain.base import ExplainRequest
from services.models import ModelRecord

PROCESSOR = (
    'clarify = SageMakerClarifyProcessor(role=role, instance_count=1, instance_type="ml.c5.xlarge", '
    "sagemaker_session=session)"
)


def _bias_config(request: BiasRequest) -> str:
    labels = [request.label_threshold] if request.label_threshold is not None else [value(v) for v in request.label_values]
    if request.facet_threshold is not None:
        facets: list[int | float | str] | None = [request.facet_threshold]
    else:
        facets = [value(v) for v in request.facet_values] or None  # None: Clarify analyses every value
    lines = [
        "bias_config = BiasConfig(",
        f"    label_values_or_threshold={py(labels)},",
        f"    facet_name={py(request.facet)},",
        f"    facet_values_or_threshold={py(facets)},",
    ]
    if request.group:
        lines.append(f"    group_name={py(request.group)},")
    return "\n".join([*lines, ")"])


def _data_config(request: BiasRequest, folder: str, predicted: str = "") -> str:
    lines = [
        "data_config = DataConfig(",
        "    s3_data_input_path=data_uri,",
        f'    s3_output_path=f"s3://{{bucket}}/workbench/{folder}/report",',
        f"    label={py(request.label)},",
        "    headers=list(df.columns),",
        '    dataset_type="text/csv",',
    ]
    if predicted:
        lines.append(f"    predicted_label={py(predicted)},")
    return "\n".join([*lines, ")"])


def _methods(request: BiasRequest) -> str:
    return py("all" if "all" in request.methods or not request.methods else list(request.methods))


def _prologue(imports: str, request: BiasRequest, folder: str) -> list[str]:
    return ["import awswrangler as wr", imports, "", SESSION, "", read_data(request.source, request.sql),
            upload_csv(folder), ""]


def pre_training_bias_code(request: BiasRequest) -> str:
    """A Clarify pre-training bias job on the form's data, label and facet, as the Bias page runs it."""
    folder = f"bias/{slug(request.source_label)}"
    return "\n".join([
        *_prologue("from sagemaker.core.clarify import BiasConfig, DataConfig, SageMakerClarifyProcessor",
                   request, folder),
        _data_config(request, folder),
        _bias_config(request),
        PROCESSOR,
        f"clarify.run_pre_training_bias(data_config=data_config, data_bias_config=bias_config, "
        f"methods={_methods(request)}, wait=True)",
        "print(wr.s3.read_json(data_config.s3_output_path + '/analysis.json', lines=False))",
    ])


def post_training_bias_code(request: BiasRequest) -> str:
    """A Clarify post-training bias job: the predictions come from a column or from the model behind the form."""
    folder = f"bias/{slug(request.source_label)}"
    imports = ("from sagemaker.core.clarify import (\n    BiasConfig, DataConfig, ModelConfig, "
               "ModelPredictedLabelConfig, SageMakerClarifyProcessor,\n)")
    lines = [*_prologue(imports, request, folder), _data_config(request, folder, request.predicted),
             _bias_config(request), PROCESSOR]
    if request.predicted:
        call = "clarify.run_post_training_bias(data_config=data_config, data_bias_config=bias_config, "
        return "\n".join([*lines, call + f"methods={_methods(request)}, wait=True)"])
    threshold = request.predicted_threshold
    return "\n".join([
        *lines,
        "model_config = ModelConfig(",
        f"    model_name={py(model_name(request.model_id))},",
        '    instance_type="ml.m5.xlarge",',
        "    instance_count=1,",
        '    content_type="text/csv",',
        '    accept_type="text/csv",',
        ")",
        f"predicted_label_config = ModelPredictedLabelConfig(probability_threshold={py(threshold)})",
        "clarify.run_post_training_bias(",
        "    data_config=data_config,",
        "    data_bias_config=bias_config,",
        "    model_config=model_config,",
        "    model_predicted_label_config=predicted_label_config,",
        f"    methods={_methods(request)},",
        "    wait=True,",
        ")",
    ])


def explain_code(request: ExplainRequest, label: str, text_column: str = "") -> str:
    """A Clarify explainability (SHAP) job for the form's model and rows; ``text_column`` for review models."""
    folder = f"explain/{model_name(request.model_id)}"
    text = text_column and (f'    text_config=TextConfig(granularity="token", language="english"),\n'
                            f"    features_to_explain={py([text_column])},\n")
    return "\n".join([
        "import awswrangler as wr",
        "from sagemaker.core.clarify import DataConfig, ModelConfig, SageMakerClarifyProcessor, SHAPConfig, TextConfig",
        "",
        SESSION,
        "",
        read_data(request.source, request.sql),
        f"df = df.sample(n=min(len(df), {request.rows}), random_state={request.seed})",
        upload_csv(folder),
        "",
        "data_config = DataConfig(",
        "    s3_data_input_path=data_uri,",
        f'    s3_output_path=f"s3://{{bucket}}/workbench/{folder}/report",',
        f"    label={py(label)},",
        "    headers=list(df.columns),",
        '    dataset_type="text/csv",',
        ")",
        f"model_config = ModelConfig(model_name={py(model_name(request.model_id))}, instance_type=\"ml.m5.xlarge\", "
        'instance_count=1, content_type="text/csv", accept_type="text/csv")',
        "shap_config = SHAPConfig(",
        f"    num_samples={request.background_rows},",
        f"    agg_method={py(request.aggregation)},",
        f"    seed={request.seed},",
        f"{text})",
        PROCESSOR,
        "clarify.run_explainability(data_config=data_config, model_config=model_config, "
        "explainability_config=shap_config, wait=True)",
    ])


def bias_code(request: BiasRequest) -> str:
    """The Bias page's request as Clarify code: post-training when it has predictions (a column or a model)."""
    return post_training_bias_code(request) if request.predicted or request.model_id else pre_training_bias_code(request)


def explain_model_code(request: ExplainRequest, model: ModelRecord) -> str:
    """``explain_code`` for a registered model: its target is the label; a text model explains its one text column."""
    text = model.framework.startswith("text-") and bool(model.input_schema)
    return explain_code(request, model.target, model.input_schema[0].name if text else "")
