"""What the aws bias adapter sends to SageMaker Clarify: a bias analysis.

Our ``BiasRequest`` becomes the sagemaker SDK's ``BiasConfig`` and ``ModelPredictedLabelConfig`` (the
shared ``DataConfig`` / ``ModelConfig`` come from ``services.aws.clarify``);
``SageMakerClarifyProcessor`` turns them into the analysis config it uploads next to the output and
into ``CreateProcessingJob``. Imported only by the aws adapter: it loads the sagemaker SDK.
"""

from __future__ import annotations

from collections.abc import Sequence

from sagemaker.core.clarify import BiasConfig, ModelPredictedLabelConfig, SageMakerClarifyProcessor

from services.aws.clarify import ClarifyInput, ModelTarget, data_config, model_config
from services.bias import metrics
from services.bias.models import BiasRequest
from services.errors import InvalidInput

PRE_TRAINING_METHODS = metrics.ALL_PRE  # Clarify's names, as the local engine computes them
POST_TRAINING_METHODS = metrics.ALL_POST
INTEGER_TYPES = ("tinyint", "smallint", "int", "integer", "bigint")
FLOAT_TYPES = ("float", "double", "real")

Methods = str | list[str]


# -- checks -----------------------------------------------------------------------------------------


def split_methods(methods: Sequence[str], has_group: bool = True) -> tuple[Methods, Methods]:
    """(pre-training, post-training) methods as Clarify takes them: ``"all"`` or a list (maybe empty).
    Names are read as the local engine reads them (any case, Clarify's aliases). Without a group
    variable "all" is sent as the list of every other metric, so Clarify leaves out CDDL and CDDPL
    as the local engine does (``metrics.every_metric``)."""
    names = [metrics.ALIASES.get(n.strip().upper(), n.strip().upper()) for n in methods if n.strip()]
    if not names or "ALL" in names:
        if has_group:
            return "all", "all"
        pre, post = metrics.every_metric(False)
        return list(pre), list(post)
    unknown = [n for n in names if n not in PRE_TRAINING_METHODS + POST_TRAINING_METHODS]
    if unknown:
        raise InvalidInput(f"Clarify has no bias metric {', '.join(unknown)}.",
                           hint=f"Use all, or some of {', '.join(PRE_TRAINING_METHODS + POST_TRAINING_METHODS)}.")
    return [n for n in PRE_TRAINING_METHODS if n in names], [n for n in POST_TRAINING_METHODS if n in names]


def check_bias_request(request: BiasRequest) -> None:
    """Configurations Clarify cannot express, refused before anything is uploaded or created."""
    if not request.label or not request.facet:
        raise InvalidInput("A bias analysis needs a label column and a facet column.", hint="Pick both, e.g. rating and age.")
    if request.label == request.facet:
        raise InvalidInput("The label and the facet must be different columns.", hint="Pick a sensitive attribute as the facet.")
    if bool(request.label_values) == (request.label_threshold is not None):
        raise InvalidInput("Say which labels are positive: values or a threshold, not both.",
                           hint="e.g. label values 4,5 or label threshold 3 (positive above it).")
    if request.facet_values and request.facet_threshold is not None:
        raise InvalidInput("Give facet values or a facet threshold, not both.", hint="Leave both empty to compare every facet value.")
    if request.predicted and request.model_id:
        raise InvalidInput("Give a prediction column or a model to score the rows, not both.",
                           hint="Clear one of them: the model's predictions would replace the column's.")
    pre, post = split_methods(request.methods, bool(request.group))
    if post and not pre and not (request.predicted or request.model_id):
        raise InvalidInput("Post-training metrics need predictions.",
                           hint="Pick a prediction column or a registered model, or add pre-training metrics.")


# -- values -----------------------------------------------------------------------------------------


def typed_values(values: Sequence[str], glue_type: str) -> list[int | float | str]:
    """Values as the column holds them, so Clarify compares numbers with numbers."""
    kind = glue_type.lower()
    try:
        if kind in INTEGER_TYPES:
            return [int(float(v)) for v in values]
        if kind in FLOAT_TYPES or kind.startswith("decimal"):
            return [float(v) for v in values]
    except ValueError as exc:
        raise InvalidInput(f"{', '.join(values)} are not all numbers, and the column holds {glue_type}.",
                           hint="Give values the column can hold.") from exc
    return [str(v) for v in values]


def label_values_or_threshold(request: BiasRequest, glue_type: str) -> list[int | float | str]:
    if request.label_threshold is not None:
        return [float(request.label_threshold)]
    return typed_values(request.label_values, glue_type)


def facet_values_or_threshold(request: BiasRequest, glue_type: str) -> list[int | float | str] | None:
    if request.facet_threshold is not None:
        return [float(request.facet_threshold)]
    return typed_values(request.facet_values, glue_type) if request.facet_values else None


# -- SDK config objects -----------------------------------------------------------------------------


def bias_config(request: BiasRequest, data: ClarifyInput) -> BiasConfig:
    """Label rule, facet (one column; its values, threshold, or every value) and CDDL's group."""
    return BiasConfig(
        label_values_or_threshold=label_values_or_threshold(request, data.types.get(request.label, "string")),
        facet_name=data.name(request.facet),
        facet_values_or_threshold=facet_values_or_threshold(request, data.types.get(request.facet, "string")),
        group_name=data.name(request.group) if request.group else None,
    )


def predicted_label_config(threshold: float | None, label_headers: Sequence[str] = ()) -> ModelPredictedLabelConfig | None:
    """How a score becomes a label: above ``threshold`` (binary), or the best of ``label_headers``."""
    if threshold is None and not label_headers:
        return None
    return ModelPredictedLabelConfig(probability_threshold=None if threshold is None else float(threshold),
                                     label_headers=list(label_headers) or None)


# -- the processing job -----------------------------------------------------------------------------


def start_bias_job(processor: SageMakerClarifyProcessor, request: BiasRequest, data: ClarifyInput, output_uri: str,
                   name: str, model: ModelTarget | None = None) -> None:
    """Pre-training metrics always; post-training ones from the prediction column or the model's endpoint."""
    pre, post = split_methods(request.methods, bool(request.group))
    with_predictions = bool(request.predicted or model)
    config = data_config(data, output_uri, request.label, request.predicted)
    bias = bias_config(request, data)
    if not with_predictions or not post:
        processor.run_pre_training_bias(config, bias, methods=pre, wait=False, logs=False, job_name=name)
        return
    labels = predicted_label_config(request.predicted_threshold, model.label_headers if model else ())
    endpoint = model_config(model) if model else None
    if not pre:
        processor.run_post_training_bias(config, bias, endpoint, labels, methods=post, wait=False, logs=False, job_name=name)
        return
    processor.run_bias(config, bias, endpoint, labels, pre_training_methods=pre, post_training_methods=post,
                       wait=False, logs=False, job_name=name)
