"""Comparing runs on AWS: SageMaker's managed MLflow tracking server, searched with the MLflow client."""

from __future__ import annotations

from services.codegen.literals import py


def compare_runs_code(experiment: str, table: str, metric: str) -> str:
    """The runs of an experiment trained on ``table``, best ``metric`` first, as Compare runs ranks them."""
    return "\n".join([
        "import mlflow",
        "",
        "# the ARN of your SageMaker managed MLflow tracking server (the sagemaker-mlflow plugin signs the requests)",
        'mlflow.set_tracking_uri("arn:aws:sagemaker:<region>:<account>:mlflow-tracking-server/<name>")',
        "runs = mlflow.search_runs(",
        f"    experiment_names=[{py(experiment)}],",
        f"    filter_string={py(f'tags.`workbench.input` = {_sql_string(table)}')},",
        f"    order_by=[{py(f'metrics.{metric} DESC')}],",
        ")",
        f"print(runs[['run_id', 'tags.mlflow.runName', {py(f'metrics.{metric}')}]])",
    ])


def _sql_string(text: str) -> str:
    """``text`` as a string in MLflow's filter syntax (single quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"
