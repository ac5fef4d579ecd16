"""Every name a user gives, checked in one place against the pattern AWS enforces for it.

Both backends call this before they create anything (a row, a folder, an AWS request), so a
name that would be refused by SageMaker, Glue or Athena is refused locally too, and a name can
never carry a path (``../../escaped``, ``/abs/path``) into the workspace.

Sources of the patterns (the request members' "Pattern:" and "Length Constraints:" lines in the
API references, identical to botocore's service models ``sagemaker/2017-07-24``,
``glue/2017-03-31`` and ``athena/2017-05-18``):

* SageMaker ``CreateTrainingJob.TrainingJobName``, ``CreateTransformJob.TransformJobName``,
  ``CreateProcessingJob.ProcessingJobName``, ``CreateEndpoint.EndpointName``,
  ``CreateEndpointConfig.EndpointConfigName``, ``ProductionVariant.VariantName``,
  ``CreateModelPackageGroup.ModelPackageGroupName``, ``CreateMonitoringSchedule.MonitoringScheduleName``:
  ``^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$``, 1–63 characters.
* ``CreateAutoMLJobV2.AutoMLJobName`` and ``CreateHyperParameterTuningJob.HyperParameterTuningJobName``:
  ``^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$``, 1–32 characters.
* ``CreateModel.ModelName``: ``^[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?$``, 1–63 characters.
* ``CreatePipeline.PipelineName``: ``^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$``, 1–256 characters.
* ``CreateExperiment.ExperimentName`` (ExperimentEntityName): ``^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,119}$``,
  1–120 characters. MLflow experiments follow it too, so one name works on both backends.
* ``Channel.ChannelName`` (training inputs): ``[A-Za-z0-9\\.\\-_]+``, 1–64 characters. Locally a channel is
  the folder ``input/data/<channel>``, so we also ask for a letter or digit first (no ``.`` or ``..``).
* ``CreateFeatureGroup.FeatureGroupName``: ``^[a-zA-Z0-9]([_-]*[a-zA-Z0-9]){0,63}$``, 1–64 characters.
* ``FeatureDefinition.FeatureName``: ``^[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63}$``, 1–64 characters.
* Glue ``CreateDatabase``/``CreateTable`` ``Name``: any printable UTF-8, 1–255 bytes; but Athena
  ("Name databases, tables, and columns"; re:Post "parse-exception-missing-eof-athena") wants lower
  case and supports no special character but ``_``. So Glue names here are ``^[a-z0-9_]{1,255}$``.
* Athena ``CreateNamedQuery.Name``: 1–128 characters, no pattern; we also ask for a letter or digit
  first and refuse path separators, control, invisible and look-alike characters.

Glue names are *sanitised*, awswrangler-style, as the catalog has always done with names derived
from file and folder names ("Orders 2024" → ``orders_2024``; the adapters return the name used, so
the page shows it). Text that is plainly not a name — a path separator, a control or invisible
character, nothing left after sanitising, over 255 characters — is refused instead.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from services.catalog.files import sanitize_column_name
from services.errors import InvalidInput


@dataclass(frozen=True)
class NameRule:
    label: str  # what the message calls it: "endpoint name"
    pattern: str  # AWS's pattern, anchored as the API reference shows it ("" when AWS gives none)
    max_length: int
    description: str  # the pattern in words, after "use 1–<max_length>"
    example: str
    note: str = ""  # more for the hint


def _sagemaker(label: str, max_length: int, example: str) -> NameRule:
    return NameRule(label, f"^[a-zA-Z0-9](-*[a-zA-Z0-9]){{0,{max_length - 1}}}$", max_length,
                    "letters, digits and hyphens, starting and ending with a letter or digit", example)


def _glue(label: str, example: str) -> NameRule:
    return NameRule(label, "^[a-z0-9_]{1,255}$", 255, "lower-case letters, digits and underscores", example,
                    "Athena supports no other character. Capitals, spaces and punctuation are converted for you "
                    "(Orders 2024 → orders_2024); paths and control characters are not.")

RULES: dict[str, NameRule] = {
    "training-job": _sagemaker("training job name", 63, "reviews-xgboost"),
    "transform-job": _sagemaker("transform job name", 63, "score-reviews"),
    "processing-job": _sagemaker("processing job name", 63, "bias-reviews"),
    "automl-job": _sagemaker("Autopilot job name", 32, "reviews-autopilot"),
    "tuning-job": _sagemaker("tuning job name", 32, "tune-xgboost"),
    "endpoint": _sagemaker("endpoint name", 63, "reviews-live"),
    "endpoint-config": _sagemaker("endpoint config name", 63, "reviews-live-config"),
    "variant": _sagemaker("variant name", 63, "AllTraffic"),
    "model-package-group": _sagemaker("model package group name", 63, "reviews-xgboost"),
    "pipeline": _sagemaker("pipeline name", 256, "reviews-pipeline"),
    "pipeline-execution": _sagemaker("pipeline execution name", 82, "reviews-pipeline-1a2b3c4d"),
    "experiment": _sagemaker("experiment name", 120, "reviews"),
    "monitoring-schedule": _sagemaker("monitoring schedule name", 63, "reviews-live-data-quality"),
    "model": NameRule("model name", "^[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?$", 63,
                      "letters, digits and hyphens, starting and ending with a letter or digit", "reviews-xgboost-v1"),
    "feature-group": NameRule("feature group name", "^[a-zA-Z0-9]([_-]*[a-zA-Z0-9]){0,63}$", 64,
                              "letters, digits, hyphens and underscores, starting and ending with a letter or digit",
                              "review-features"),
    "feature": NameRule("feature name", "^[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63}$", 64,
                        "letters, digits, hyphens and underscores, starting and ending with a letter or digit",
                        "star_rating"),
    "channel": NameRule("channel name", "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", 64,
                        "letters, digits, '.', '-' and '_', starting with a letter or digit", "train"),
    "database": _glue("database name", "sales"),
    "table": _glue("table name", "orders_2024"),
    "saved-query": NameRule("saved query name", "", 128,
                            "characters starting with a letter or digit, without / or \\, control, invisible "
                            "or look-alike (compatibility) characters", "reviews by rating"),
}

# The local job runner's kinds and the SageMaker job each one stands for.
JOB_KINDS = {
    "training": "training-job", "script": "training-job", "autopilot": "automl-job", "tuning": "tuning-job",
    "transform": "transform-job", "batch": "transform-job", "bias": "processing-job", "explain": "processing-job",
    "container": "processing-job", "pipeline": "pipeline-execution", "ingestion": "processing-job",
    "processing": "processing-job",
}

_COMPILED = {kind: re.compile(rule.pattern.removeprefix("^").removesuffix("$")) for kind, rule in RULES.items() if rule.pattern}
_SEPARATORS = ("/", "\\")


def check_name(kind: str, value: str) -> str:
    """``value`` unchanged when it is a valid name of ``kind``; ``InvalidInput`` saying the rule otherwise."""
    rule = RULES[kind]
    if kind == "saved-query":
        valid = _valid_saved_query(value)
    else:
        valid = len(value) <= rule.max_length and _COMPILED[kind].fullmatch(value) is not None
    if not valid:
        raise _refusal(rule, value)
    return value


ALARM_RULE = NameRule("alarm name", "^[!-~]([ -~]{0,253}[!-~])?$", 255,
                      "printable ASCII characters, not starting or ending with a space", "reviews-error-rate",
                      "CloudWatch's PutMetricAlarm.AlarmName is 1–255 characters; SageMaker's AutoRollbackConfiguration names them.")


def check_alarm_name(value: str) -> str:
    """A CloudWatch alarm name as a DeploymentConfig's AutoRollbackConfiguration gives it (also the local alarm rules')."""
    if len(value) > ALARM_RULE.max_length or re.fullmatch(ALARM_RULE.pattern[1:-1], value) is None:
        raise _refusal(ALARM_RULE, value)
    return value


LABELLER_RULE = NameRule("labeller name", "", 64, "characters starting with a letter or digit, without / or \\, control "
                         "or invisible characters", "maria",
                         "A labeller name is stored with each label; Ground Truth's worker ids have no fixed pattern.")


def check_labeller(value: str) -> str:
    """A labeller's name as given (surrounding spaces trimmed): 1–64 characters, starting with a letter or digit."""
    name = value.strip()
    if not (0 < len(name) <= LABELLER_RULE.max_length and name[0].isalnum() and not _path_like(name)):
        raise _refusal(LABELLER_RULE, value)
    return name


def check_job_name(job_kind: str, value: str) -> str:
    """A local job runner kind's name (``training``, ``autopilot``, …) against its SageMaker job's rule."""
    return check_name(JOB_KINDS.get(job_kind, "training-job"), value)


def check_job_request(job_kind: str, name: str, experiment: str = "", channels: Iterable[str] = ()) -> None:
    """A job request's own name and its experiment's, when given (empty ones are generated or defaulted),
    and its input channels' names."""
    if name:
        check_job_name(job_kind, name)
    if experiment:
        check_name("experiment", experiment)
    for channel in channels:
        check_name("channel", channel)


def glue_name(kind: str, value: str) -> str:
    """The Glue database or table name a user typed, sanitised (``Orders 2024`` → ``orders_2024``);
    ``InvalidInput`` for text that is not a name at all (paths, control characters, nothing left)."""
    clean = "" if _path_like(value) else sanitize_column_name(value.strip()).strip("_")
    if not _COMPILED[kind].fullmatch(clean):
        raise _refusal(RULES[kind], value)
    return clean


def check_table_prefix(value: str) -> str:
    """A crawler's table name prefix (sanitised with each folder's name): refused when path-like."""
    if _path_like(value):
        raise _refusal(RULES["table"], value)
    return value


def check_output_table(value: str) -> tuple[str, str]:
    """``database.table`` for a job's output table, written exactly as it will be stored (no
    sanitising: the name is shown back in the job and the catalog); ``InvalidInput`` otherwise."""
    database, _, table = value.strip().partition(".")
    parts_valid = all(_COMPILED["table"].fullmatch(part) and part.strip("_") == part for part in (database, table))
    if not parts_valid or database[:1].isdigit():
        raise InvalidInput(f"{value!r} is not a valid output table name: use database.table, each part 1–255 "
                           "lower-case letters, digits and underscores (pattern ^[a-z0-9_]{1,255}$) not starting "
                           "or ending with _, the database not starting with a digit.",
                           hint="Write database.table in lower-case letters, digits and underscores, e.g. scored.reviews_batch.")
    return database, table


def _valid_saved_query(value: str) -> bool:
    """Athena sets only the length; the first character and the normal form keep names readable and
    unambiguous in lists ("..", "-x", fullwidth ｅｓｃａｐｅｄ and a bidi override are refused)."""
    name = value.strip(" ")  # surrounding spaces are trimmed on save; other whitespace is refused
    return (0 < len(name) <= RULES["saved-query"].max_length and name[0].isalnum()
            and unicodedata.normalize("NFKC", name) == name and not _path_like(name))


def _path_like(value: str) -> bool:
    """A path separator (also after NFKC folding of look-alikes such as fullwidth ／), or a control,
    format (bidi override, zero-width) or line-separator character."""
    folded = unicodedata.normalize("NFKC", value)
    if any(separator in folded for separator in _SEPARATORS):
        return True
    return any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") for c in value)


def _refusal(rule: NameRule, value: str) -> InvalidInput:
    shown = value if len(value) <= 80 else f"{value[:77]}..."
    pattern = f" (pattern {rule.pattern})" if rule.pattern else ""
    return InvalidInput(
        f"{shown!r} is not a valid {rule.label}: use 1–{rule.max_length} {rule.description}{pattern}.",
        hint=f"For example {rule.example}. {rule.note}".strip(),
    )
