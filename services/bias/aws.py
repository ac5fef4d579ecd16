"""Bias on AWS: the shared engine over Athena for reports now, SageMaker Clarify processing jobs for the rest.

Choices, and why:

* ``analyze`` is the backend-agnostic engine (``services.bias.engine``): one aggregation query
  run by the query port, i.e. Athena here, so both backends compute the same numbers the same way.
* ``start_job`` runs ``SageMakerClarifyProcessor`` (sagemaker 3.x): pre-training metrics, plus
  post-training ones from a prediction column or from a registered model that Clarify deploys on
  a shadow endpoint for the job's life. ``job_report`` reads the job's ``analysis.json`` back.
* Clarify reads a table's own files when it can (CSV with a header row, or Parquet, with every
  analysed column in the files). Otherwise — a local file, a SQL result, TSV/JSON tables,
  partition columns, or rows a model must read encoded — the rows are written as a CSV without
  header to ``s3://{bucket}/clarify/{job}/input/`` and their names given as ``headers``.
* What the bias and explain adapters share (the job index, inputs staged in S3, reading a job's
  files) is ``services.aws.clarify.ClarifyJobs``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from typing import Any

import boto3
import pandas as pd

from services.aws.clarify import (
    DATASET_TYPES,
    ClarifyInput,
    ClarifyJobs,
    ModelTarget,
    SourceData,
    clarify_job_name,
    job_seconds,
    model_rows,
)
from services.aws.errors import translated
from services.aws.model_packages import model_from_package
from services.aws.s3 import original_name
from services.bias import engine
from services.bias.base import BiasPort
from services.bias.clarify_config import check_bias_request, start_bias_job
from services.bias.models import BiasReport, BiasRequest
from services.catalog.base import CatalogPort
from services.config import Settings
from services.embedded.embedded_stack import EmbeddedStack
from services.models import Table
from services.query.base import QueryPort
from services.training.data import require_column


class AwsBias(ClarifyJobs):
    """The bias port on AWS; Clarify's files live under ``s3://{WORKBENCH_S3_BUCKET}/clarify/{job}/``."""

    kind = "bias"

    def analyze(self, request: BiasRequest) -> BiasReport:
        """The shared engine: one aggregation query through the query port (Athena)."""
        return engine.analyze(request, self.query, self.catalog, self.settings)

    def column_kinds(self, request: BiasRequest) -> dict[str, str]:
        return engine.column_kinds(request, self.query, self.catalog, self.settings)

    def distinct_values(self, request: BiasRequest, column: str, limit: int = 50) -> tuple[list[Any], bool]:
        return engine.distinct_values(request, column, self.query, self.catalog, limit)

    @translated
    def start_job(self, request: BiasRequest) -> str:
        """A Clarify processing job for ``request``; everything is checked before anything is created."""
        check_bias_request(request)
        bucket, role = self._require_setup()
        data = self._source_data(request.source, request.sql)
        for column, purpose in analysed_columns(request):
            require_column(data.columns, column, purpose)
        package = self._package(request.model_id) if request.model_id else None
        name = clarify_job_name(self.kind)
        prefix = f"s3://{bucket}/clarify/{name}/"
        if package is None:
            clarify_input, model = self._input(data, request, f"{prefix}input/"), None
        else:
            clarify_input = self._model_input(data, request, package, f"{prefix}input/")
            model = ModelTarget(self._ensure_model(package, role), self.settings.training_instance_type,
                                label_headers=model_label_headers(package))
        start_bias_job(self._processor(role), request, clarify_input, f"{prefix}output", name, model)
        config = asdict(replace(request, source=data.source)) | {
            "input_uri": clarify_input.uri, "output_uri": f"{prefix}output", "rows": clarify_input.rows,
            "model_name": model.model_name if model else ""}
        self.index.add(name, self.kind, config)
        return name

    def _input(self, data: SourceData, request: BiasRequest, prefix: str) -> ClarifyInput:
        """The table's own files when Clarify can read them as they are, else the rows staged as CSV."""
        needed = [c for c, _ in analysed_columns(request)]
        table = data.table
        partition_keys = {c.name for c in table.partition_keys} if table else set()
        if table is None or table.format not in DATASET_TYPES or partition_keys & set(needed):
            return self._staged_input(self._frame(data), prefix, data.types)
        uri = table.location.rstrip("/") + "/"
        return ClarifyInput(uri, DATASET_TYPES[table.format], self._file_names(table, uri, needed), data.types)

    def _file_names(self, table: Table, uri: str, needed: list[str]) -> dict[str, str]:
        """Our column names as the files spell them (the catalog lower-cases and sanitises them)."""
        originals = {c: original_name(table.all_columns, c) for c in needed}
        if table.format != "csv":
            return originals
        header = {h.lower(): h for h in self._csv_header(uri)}
        return {c: header.get(originals[c].lower(), header.get(c.lower(), originals[c])) for c in needed}

    def _model_input(self, data: SourceData, request: BiasRequest, package: dict[str, Any], prefix: str) -> ClarifyInput:
        """Rows as the model reads them, plus the analysed columns it does not read (excluded from its input)."""
        frame = self._frame(data)
        features = model_rows(frame, package)
        staged, names, excluded = with_analysed_columns(features, frame, request)
        clarify_input = self._staged_input(staged, prefix, data.types, excluded)
        return replace(clarify_input, names=names)

    @translated
    def job_report(self, name: str) -> BiasReport:
        """The completed job's ``analysis.json`` as a report (Clarify gives no counts or intervals)."""
        job = self._completed(name)
        analysis = json.loads(self._read_output(job, "analysis.json"))
        extras = {"rows": int(job.config.get("rows") or 0), "config": job.config, "seconds": job_seconds(job),
                  "notes": [f"Computed by the SageMaker Clarify processing job {name}."]}
        return BiasReport.from_analysis_json(analysis, extras)


# -- requests → inputs --------------------------------------------------------------------------------


def analysed_columns(request: BiasRequest) -> list[tuple[str, str]]:
    """(column, what it is for) for every column the analysis reads besides the features."""
    found = [(request.label, "label"), (request.facet, "facet"), (request.group, "group"), (request.predicted, "prediction")]
    return [(column, purpose) for column, purpose in found if column]


def with_analysed_columns(features: pd.DataFrame, frame: pd.DataFrame,
                          request: BiasRequest) -> tuple[pd.DataFrame, dict[str, str], tuple[str, ...]]:
    """The features plus the label and any facet or group column the model does not read as it is.
    Returns the rows, our name → staged name, and the staged columns to keep from the model."""
    columns, names, excluded = {str(c): features[c] for c in features.columns}, {}, []
    for column, purpose in analysed_columns(request):
        if column in columns and columns[column].equals(frame[column]):
            continue  # the model reads it as it is: Clarify uses the same column
        staged = column if column not in columns else f"{column}_value"
        columns[staged], names[column] = frame[column], staged
        if purpose != "label":  # Clarify never sends the label to the model
            excluded.append(staged)
    return pd.DataFrame(columns), names, tuple(excluded)


def model_label_headers(package: dict[str, Any]) -> tuple[str, ...]:
    """The classes, for models answering one score per class (more than two classes)."""
    classes = model_from_package(package).classes
    return classes if len(classes) > 2 else ()


def build_aws_bias(settings: Settings, *, stack: EmbeddedStack, query: QueryPort, catalog: CatalogPort,
                   session: boto3.Session | None = None) -> BiasPort:
    """The Clarify adapter; its job index lives in the workspace's metadata store."""
    from services.aws.session import make_session

    return AwsBias(session or make_session(settings), settings, stack.store, catalog=catalog, query=query)
