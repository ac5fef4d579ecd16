"""Explain on AWS: Kernel SHAP of registered models by SageMaker Clarify processing jobs.

Choices, and why:

* A seeded sample of ``request.rows`` rows is written, as the model reads them (encoded for the
  built-in algorithms), as a CSV without header to ``s3://{bucket}/clarify/{job}/input/``; the same
  rows with their original values go to ``…/rows/explained.csv`` so ``shap_frames`` can show them.
  Clarify deploys the model on a shadow endpoint, builds a K-means baseline of
  ``background_rows`` rows and writes ``analysis.json`` (global values, expected value) and
  ``explanations_shap/out.csv`` (one row of SHAP values per explained row).
* A job is reused when the same model explained the same table version (or the same file, by size
  and modification time) with the same settings, unless it failed or was stopped. SQL sources are
  not cached: the tables they read may change under the same text.
* Clarify explains each model output; ``label0`` is reported (for a binary model answering one
  probability, that of the second class). Clarify computes one aggregation; the others are
  computed from the per-row values (``median`` as the median of absolute values).
* Token attributions for single reviews run locally only (shap's Partition explainer); Quick Model
  is the backend-agnostic one, reading through the query and storage ports.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
from sagemaker.core.clarify import SageMakerClarifyProcessor, SHAPConfig

from services.aws.clarify import (
    ClarifyInput,
    ClarifyJobs,
    ModelTarget,
    SourceData,
    clarify_job_name,
    data_config,
    job_seconds,
    model_config,
    model_rows,
)
from services.aws.errors import translated
from services.aws.model_packages import model_from_package, package_metadata
from services.catalog.base import CatalogPort
from services.config import Settings
from services.embedded.embedded_stack import EmbeddedStack
from services.errors import InternalError, InvalidInput, NotFound
from services.explain.base import (
    AGGREGATIONS,
    ExplainPlan,
    ExplainPort,
    ExplainRequest,
    Explanation,
    QuickModelResult,
    TokenAttribution,
)
from services.models import DataSource, Job, ModelRecord
from services.query.base import QueryPort
from services.storage.base import StoragePort

EXPLAINER = "KernelSHAP (Clarify)"
# Clarify's Kernel SHAP scores 2 x features + 2,048 samples per row against every baseline cluster on a shadow
# endpoint: a small K-means baseline and a sample of rows keep a job in minutes.
PLAN = ExplainPlan(explainer=EXPLAINER, reason="SageMaker Clarify runs Kernel SHAP (model-agnostic) against a K-means "
                   "baseline on a shadow endpoint: thousands of model calls per row, so a sample and a small baseline",
                   rows=100, background_rows=10)
REUSABLE_STATUSES = ("InProgress", "Completed")
TEXT_HINT = ("Run the workbench with WORKBENCH_BACKEND=local to explain single reviews, or explain a text model "
             "on AWS with a Clarify SHAP job whose SHAPConfig has a TextConfig (NLP explainability).")


class AwsExplain(ClarifyJobs):
    """The explain port on AWS; Clarify's files live under ``s3://{WORKBENCH_S3_BUCKET}/clarify/{job}/``."""

    kind = "explain"

    def __init__(self, session: boto3.Session, settings: Settings, stack: EmbeddedStack, *, catalog: CatalogPort,
                 query: QueryPort, storage: StoragePort) -> None:
        super().__init__(session, settings, stack.store, catalog=catalog, query=query)
        self.storage = storage

    @translated
    def start_job(self, request: ExplainRequest) -> str:
        """A Clarify SHAP job, or the one that already explained this model on this data with these settings."""
        check_explain_request(request)
        bucket, role = self._require_setup()
        data = self._source_data(request.source, request.sql)
        package = self._package(request.model_id)
        record = model_from_package(package)
        key = cache_key(request, data, record.model_id)
        reused = self._reusable_job(key)
        if reused:
            return reused
        features = model_features(record, package_metadata(package))
        require_features(data, features)
        sample = sampled_rows(self._frame(data), request)
        name = clarify_job_name(self.kind)
        prefix = f"s3://{bucket}/clarify/{name}/"
        self._put_csv(sample[features], f"{prefix}rows/explained.csv", header=True)
        clarify_input = self._staged_input(model_rows(sample, package), f"{prefix}input/", data.types)
        model = ModelTarget(self._ensure_model(package, role), self.settings.training_instance_type)
        start_shap_job(self._processor(role), request, clarify_input, f"{prefix}output", name, model)
        config = asdict(replace(request, source=data.source, model_id=record.model_id)) | {
            "features": features, "classes": list(record.classes), "problem_type": record.problem_type, "rows": len(sample),
            "input_uri": clarify_input.uri, "output_uri": f"{prefix}output", "rows_uri": f"{prefix}rows/explained.csv",
            "model_name": model.model_name}
        self.index.add(name, self.kind, config, cache_key=key)
        return name

    def _reusable_job(self, key: str) -> str:
        """The newest job with this cache key that is running or completed, else ``""``."""
        if not key:
            return ""
        for entry in self.index.with_cache_key(self.kind, key):
            try:
                job = self._job(entry.name)
            except NotFound:
                continue
            if job.status in REUSABLE_STATUSES:
                return job.name
        return ""

    def plan(self, model: ModelRecord) -> ExplainPlan:
        return PLAN

    @translated
    def explanation(self, name: str) -> Explanation:
        """Clarify's global SHAP values of the first output, with every aggregation of the per-row values."""
        job = self._completed(name)
        label, output = first_output(json.loads(self._read_output(job, "analysis.json")))
        aggregation = str(job.config.get("aggregation", "mean_abs"))
        clarify_values = largest_first({str(k): float(v) for k, v in output.get("global_shap_values", {}).items()})
        importances = self._aggregations(job, label) | {aggregation: clarify_values}
        classes = tuple(str(c) for c in job.config.get("classes", []))
        return Explanation(
            model_id=job.model_id, explainer=EXPLAINER, explained_output=explained_output(label, classes),
            aggregation=aggregation, global_importance=clarify_values, importances=importances,
            base_value=float(output.get("expected_value") or 0.0), rows=int(job.config.get("rows") or 0),
            seconds=job_seconds(job), notes=(f"Computed by the SageMaker Clarify processing job {name}; "
                                             f"baseline of {job.config.get('background_rows')} K-means clusters.",))

    def _aggregations(self, job: Job, label: str) -> dict[str, dict[str, float]]:
        try:
            values = local_values(self._out_csv(job), label, list(job.config.get("features", [])))
        except NotFound:
            return {}
        return aggregate(values)

    @translated
    def shap_frames(self, name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(``out.csv``'s SHAP values of the first output, the explained rows' original values)."""
        job = self._completed(name)
        label, _ = first_output(json.loads(self._read_output(job, "analysis.json")))
        rows = pd.read_csv(io.BytesIO(self._explained_rows(job)))
        values = local_values(self._out_csv(job), label, list(rows.columns))
        if len(values) != len(rows):
            raise InternalError(f"out.csv of {name} has {len(values)} rows for {len(rows)} explained rows.",
                                hint="Start the job again; please report this if it repeats.")
        return values.set_axis(rows.index), rows[list(values.columns)]

    def _out_csv(self, job: Job) -> pd.DataFrame:
        return pd.read_csv(io.BytesIO(self._read_output(job, "explanations_shap/out.csv")))

    def _explained_rows(self, job: Job) -> bytes:
        uri = str(job.config.get("rows_uri", ""))
        if not uri:
            raise NotFound(f"{job.name} was not started from the workbench, so its explained rows are unknown.",
                           hint="Explain the model from the workbench to see per-row values.")
        return self._read_s3(uri, job.name)

    def explain_text(self, model_id: str, text: str, max_evals: int = 300) -> TokenAttribution:
        """Not on AWS: single-review token attributions run in the local backend."""
        raise InvalidInput("Token attributions for single reviews run locally, not on SageMaker.", hint=TEXT_HINT)

    def quick_model(self, source: DataSource, target: str, sql: str = "") -> QuickModelResult:
        """The backend-agnostic Quick Model, reading the data through the query and storage ports (Athena)."""
        from services.explain.quick_model import DataAccess, quick_model

        return quick_model(DataAccess(self.query, self.storage, self.settings), source, target, sql)


# -- requests → inputs --------------------------------------------------------------------------------


def check_explain_request(request: ExplainRequest) -> None:
    if request.aggregation not in AGGREGATIONS:
        raise InvalidInput(f"Unknown aggregation {request.aggregation!r}.", hint=f"Use one of {', '.join(AGGREGATIONS)}.")
    if request.rows < 1 or request.background_rows < 1:
        raise InvalidInput("Explain at least one row against at least one baseline row.", hint="e.g. 500 rows, 100 background rows.")
    if not request.model_id:
        raise InvalidInput("Pick the registered model to explain.", hint="Model ids are GROUP/VERSION.")


def shap_config(request: ExplainRequest, features: int) -> SHAPConfig:
    """Kernel SHAP against a K-means baseline of ``background_rows`` rows; as many samples as shap's
    ``nsamples="auto"`` (2·features + 2048), so local and Clarify explanations are alike in effort."""
    return SHAPConfig(num_clusters=request.background_rows, num_samples=2 * features + 2048, agg_method=request.aggregation,
                      save_local_shap_values=True, seed=request.seed)


def start_shap_job(processor: SageMakerClarifyProcessor, request: ExplainRequest, data: ClarifyInput, output_uri: str,
                   name: str, model: ModelTarget) -> None:
    """Kernel SHAP of every model output (``label0`` … in ``analysis.json``), local values kept."""
    shap = shap_config(request, len(data.headers))
    processor.run_explainability(data_config(data, output_uri), model_config(model), shap, wait=False, logs=False, job_name=name)


def model_features(record: ModelRecord, metadata: dict[str, Any]) -> list[str]:
    """The columns the model reads, in its order (the encoded ones for built-in algorithms)."""
    encoded = (metadata.get("encoding") or {}).get("features")
    return [str(c) for c in encoded] if encoded else [c.name for c in record.input_schema]


def require_features(data: SourceData, features: list[str]) -> None:
    names = {c.name for c in data.columns}
    missing = [f for f in features if f not in names]
    if not features or missing:
        raise InvalidInput(f"The data lacks the model's columns {', '.join(missing) or '(none recorded)'}.",
                           hint="Explain the model on a table shaped like its training data.")


def sampled_rows(frame: pd.DataFrame, request: ExplainRequest) -> pd.DataFrame:
    """At most ``request.rows`` rows, a seeded sample when there are more."""
    if frame.empty:
        raise InvalidInput("The data has no rows to explain.", hint="Pick a table or file with data.")
    if len(frame) <= request.rows:
        return frame.reset_index(drop=True)
    return frame.sample(n=request.rows, random_state=request.seed).reset_index(drop=True)


def cache_key(request: ExplainRequest, data: SourceData, model_id: str) -> str:
    """Model, data version and settings; ``""`` (no reuse) for SQL sources."""
    if data.sql:
        return ""
    version = data.source.table_version if data.source.table else path_version(Path(data.source.path))
    settings = {"model_id": model_id, "table": data.source.table, "path": data.source.path, "version": version,
                "rows": request.rows, "background_rows": request.background_rows, "aggregation": request.aggregation,
                "seed": request.seed}
    return json.dumps(settings, sort_keys=True)


def path_version(path: Path) -> str:
    """Size and modification time of a file (or of every file in a folder)."""
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    stats = [p.stat() for p in files]
    return f"{sum(s.st_size for s in stats)}-{max((s.st_mtime_ns for s in stats), default=0)}"


# -- Clarify's output → our models --------------------------------------------------------------------


def first_output(analysis: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """``("label0", {"global_shap_values": …, "expected_value": …})`` from ``explanations.kernel_shap``."""
    outputs = (analysis.get("explanations") or {}).get("kernel_shap") or {}
    if not outputs:
        raise NotFound("The job's analysis.json holds no Kernel SHAP explanation.", hint="Check that the job ran a SHAP analysis.")
    label = "label0" if "label0" in outputs else next(iter(outputs))
    return label, outputs[label]


def explained_output(label: str, classes: tuple[str, ...]) -> str:
    """The class whose score ``label`` is: a single score is the second class's probability."""
    if not classes:
        return "prediction"
    index = label.removeprefix("label")
    if not index.isdigit():
        return label
    if len(classes) == 2 and index == "0":
        return classes[1]
    return classes[int(index)] if int(index) < len(classes) else label


def local_values(out: pd.DataFrame, label: str, features: list[str]) -> pd.DataFrame:
    """``out.csv``'s columns of one output (``<feature>_<label>``) named by their features, in ``features`` order."""
    suffix = f"_{label}"
    labelled = {str(c)[: -len(suffix)]: c for c in out.columns if str(c).endswith(suffix)}
    chosen = labelled or {str(c): c for c in out.columns}
    ordered = [f for f in features if f in chosen] or list(chosen)
    return pd.DataFrame({f: pd.to_numeric(out[chosen[f]], errors="coerce") for f in ordered}).reset_index(drop=True)


def aggregate(values: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Every aggregation Clarify offers, computed from per-row values."""
    found = {"mean_abs": values.abs().mean(), "mean_sq": (values**2).mean(), "median": values.abs().median()}
    return {name: largest_first({str(k): float(v) for k, v in found[name].items()}) for name in AGGREGATIONS}


def largest_first(values: dict[str, float]) -> dict[str, float]:
    return dict(sorted(values.items(), key=lambda item: -abs(item[1])))


def build_aws_explain(settings: Settings, *, stack: EmbeddedStack, query: QueryPort, catalog: CatalogPort,
                      storage: StoragePort, session: boto3.Session | None = None) -> ExplainPort:
    """The Clarify SHAP adapter; its job index lives in the workspace's metadata store."""
    from services.aws.session import make_session

    return AwsExplain(session or make_session(settings), settings, stack, catalog=catalog, query=query, storage=storage)
