"""Endpoints on SageMaker: real-time hosting, ``sagemaker-runtime`` invocations, data capture and
Batch Transform.

Choices that differ from the local adapter, and why:

* The control plane (CreateModel, CreateEndpointConfig, CreateEndpoint, Describe*/Delete*) goes
  through boto3's ``sagemaker`` client, not the sagemaker 3.x SDK's resource classes
  (``sagemaker.core.resources.Model``/``EndpointConfig``/``Endpoint``): their ``create`` re-reads
  each resource and validates the answer strictly with pydantic (an empty ``VpcConfig`` or a data
  capture config without ``CaptureStatus`` is refused), and they cache clients of their own that a
  ``Stubber`` cannot reach. Three boto3 requests are as short, and their shapes are tested as sent.
* Each deploy creates its own SageMaker models (``{endpoint}-{variant}-{stamp}``) from the variants'
  model packages (the registry the training adapter writes: container image + ``ModelDataUrl``)
  and an endpoint config ``{endpoint}-{stamp}``, so deleting the endpoint deletes exactly those.
  Which registered model each variant serves is kept as ``workbench:model:<variant>`` tags on the
  endpoint. ``port`` and ``restart_on_failure`` of a ``DeployRequest`` mean nothing on SageMaker.
* Statuses: Creating → Creating; InService, Updating, SystemUpdating and RollingBack → InService
  (an endpoint keeps answering with its current variants while it changes); Deleting → Deleting;
  Failed, OutOfService and UpdateRollbackFailed → Failed with SageMaker's reason.
* Traffic figures come from CloudWatch (``AWS/SageMaker``: Invocations, Invocation4XX/5XXErrors,
  ModelLatency p50/p99) over the endpoint's life, at most the last 14 days; without permission
  to read metrics they stay empty rather than hiding the endpoint.
* ``score_text``/``score_record`` speak the workbench's JSON contract (``{"instances": [...]}`` →
  ``{"predictions": [...]}``), as the local containers do. SageMaker's built-in containers read CSV:
  use ``invoke`` with ``text/csv`` for them; a body in another format is reported, never guessed.
* Batch Transform: the rows (a table, a file, or a SQL result exported through the query port) are
  encoded as the model was trained and staged under ``s3://{bucket}/transform/{job}/``; nothing runs
  here when the job ends, so the first ``describe_batch_transform`` after completion joins the rows
  with their predictions and writes them as Parquet to ``s3://{bucket}/batch/{db}/{table}/``,
  registered in Glue as the output table. The jobs are indexed in the workspace
  (``aws_batch_transforms``), not in the training index, whose settling downloads predictions to a file.
* Data capture lands in ``s3://{bucket}/endpoints/{name}/capture/{name}/{variant}/yyyy/mm/dd/hh/``
  as SageMaker's nested JSON lines. ``capture_table`` catalogs them as ``endpoints.{name}_capture_raw``
  and creates the Athena view ``endpoints.{name}_capture`` with the local capture table's flat columns
  (it reads the files where they are, so it never goes stale; the local table is a Parquet copy).
* Drift reports parse the monitored variant's capture (as ``read_capture`` reads it) into the rows the
  local report reads and compare them with ``monitoring.drift_from_traffic``. The model's baseline is,
  in this order: ``s3://{bucket}/models/{group}/{version}/baseline/{statistics,constraints}.json`` (the
  documents a local model keeps in its ``baseline/`` folder, put there by whoever baselined the model);
  the copy computed earlier in ``<home>/aws-baselines/{group}/{version}/baseline/``; else one computed
  now from a seeded sample (at most 50,000 rows, the same ones every time) of the training job's table,
  read through the query port (Athena), and cached there. A computed baseline has no predicted-label
  distribution, so such reports have no prediction drift: scoring the sample would mean invoking the
  endpoint (adding the rows to the very capture being checked) or a Batch Transform job (minutes).
  Its ``statistics.json`` says so under ``notes``. Compared tables are not scored either: their
  ``predicted_label`` column (a batch transform's output has one) is used when present.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.endpoints.aws.batch import Batch
from services.endpoints.aws.deploying import Deploying
from services.endpoints.aws.invoking import Invoking
from services.endpoints.aws.monitor import Monitoring
from services.endpoints.aws.monitor_status import MonitorStatus
from services.endpoints.following import FollowRules
from services.endpoints.score_forms import ScoreForms

if TYPE_CHECKING:
    import boto3

    from services.catalog.base import CatalogPort
    from services.config import Settings
    from services.embedded.embedded_stack import EmbeddedStack
    from services.endpoints.aws.common import JobDescriber
    from services.endpoints.base import EndpointsPort
    from services.query.base import QueryPort
    from services.storage.base import StoragePort


class AwsEndpoints(Deploying, Invoking, Batch, Monitoring, MonitorStatus, ScoreForms, FollowRules):
    """The endpoints port on SageMaker; captured data and batch output live under ``s3://{WORKBENCH_S3_BUCKET}/``.
    One topic per module: hosting (deploy, describe, delete, logs), deploying (blue/green updates), invoking (invoke, score), batch (Batch
    Transform into a catalog table) and monitor (capture table, drift report); the scoring forms' methods come from
    ``ScoreForms``."""


def build_aws_endpoints(session: boto3.Session, settings: Settings, stack: EmbeddedStack, *, catalog: CatalogPort,
                        query: QueryPort, storage: StoragePort, jobs: JobDescriber) -> EndpointsPort:
    """The SageMaker hosting adapter; its batch index shares the workspace's metadata store."""
    return AwsEndpoints(session, settings, stack.store, catalog=catalog, query=query, storage=storage, jobs=jobs)
