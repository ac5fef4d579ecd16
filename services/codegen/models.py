"""The equivalent code on AWS for a workbench action: awswrangler and the SageMaker Python SDK 3.x.

The one module pages and components import (every generator below).

Pure functions: the same parameters a form sends in, Python source out. Every value is written as a Python
literal (``repr``), never pasted into the code as text, so what a user typed cannot change the code's meaning.
"""

from services.codegen.analysis import (
    bias_code,
    explain_code,
    explain_model_code,
    post_training_bias_code,
    pre_training_bias_code,
)
from services.codegen.data import (
    catalog_import_code,
    crawl_code,
    feature_ingest_choice_code,
    feature_ingest_code,
    query_code,
)
from services.codegen.hosting import (
    batch_transform_code,
    deploy_code,
    monitoring_schedule_code,
    pipeline_code,
    score_code,
)
from services.codegen.runs import compare_runs_code
from services.codegen.training import autopilot_code, builtin_training_code, script_training_code, tuning_code

__all__ = [
    "autopilot_code",
    "batch_transform_code",
    "bias_code",
    "builtin_training_code",
    "catalog_import_code",
    "compare_runs_code",
    "crawl_code",
    "deploy_code",
    "explain_code",
    "explain_model_code",
    "feature_ingest_choice_code",
    "feature_ingest_code",
    "monitoring_schedule_code",
    "pipeline_code",
    "post_training_bias_code",
    "pre_training_bias_code",
    "query_code",
    "score_code",
    "script_training_code",
    "tuning_code",
]
