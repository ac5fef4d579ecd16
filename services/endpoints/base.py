"""The endpoints port: SageMaker real-time hosting, live scoring, batch scoring and monitoring.

Locally an endpoint is one HTTP server process on this machine honouring the SageMaker inference
container contract (``GET /ping``, ``POST /invocations``); on AWS it is a SageMaker real-time
endpoint. Both are invoked through ``sagemaker-runtime``'s ``InvokeEndpoint`` shape — locally via
the gateway (``gateway_url``), so an unchanged boto3 client works against either.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from services.endpoints.models import (
    AlarmRule,
    BatchForm,
    CapturedInvocation,
    DeploymentChoices,
    DeploymentConfig,
    DeploymentEvent,
    DeployRequest,
    DriftReport,
    Endpoint,
    FollowRule,
    InvokeResult,
    MonitoringStatus,
    ScoreResult,
    Variant,
)
from services.models import Column, DataSource, Job

if TYPE_CHECKING:
    import pandas as pd


class EndpointsPort(Protocol):
    # -- lifecycle ----------------------------------------------------------------------------
    def deploy(self, request: DeployRequest) -> Endpoint:
        """Create the endpoint (status Creating) and return at once; ``InvalidInput``/``NotFound``/
        ``AlreadyExists`` before anything starts."""
        ...

    def wait_for_endpoint(self, name: str, timeout_seconds: float = 120) -> Endpoint:
        """Block until the endpoint is InService or Failed (or the timeout passes)."""
        ...

    def describe_endpoint(self, name: str) -> Endpoint:
        """Status, URL, variants, uptime and traffic figures; ``NotFound`` for unknown names."""
        ...

    def list_endpoints(self) -> list[Endpoint]:
        """Every endpoint, newest first."""
        ...

    def delete_endpoint(self, name: str) -> None:
        """Stop serving and forget the endpoint; returns when the server is gone."""
        ...

    def endpoint_logs(self, name: str, tail_bytes: int = 64_000) -> str:
        ...

    # -- safe deployment ------------------------------------------------------------------------
    def update_endpoint(self, name: str, variants: tuple[Variant, ...], deployment_config: DeploymentConfig | None = None,
                        alarm_rules: tuple[AlarmRule, ...] = ()) -> Endpoint:
        """SageMaker's ``UpdateEndpoint`` to a new endpoint config with ``variants``: blue/green, the new fleet
        beside the old one, traffic shifted per the ``DeploymentConfig`` (None: all at once), rolled back when an
        alarm of its ``AutoRollbackConfiguration`` fires. Returns at once; the update goes on in the background
        (``deployment_history``). ``alarm_rules`` define the named alarms where CloudWatch does not exist (the
        local backend); on AWS the names are CloudWatch alarms and the rules are not used. ``InvalidInput`` for
        a bad config or an update already in progress, ``NotFound`` for an unknown endpoint or model."""
        ...

    def deployment_history(self, name: str) -> list[DeploymentEvent]:
        """The latest update's steps, oldest first: phase, the new fleet's share of traffic and why
        (``[]`` when the endpoint was never updated); ``NotFound`` for unknown endpoints."""
        ...

    def follow_model_group(self, name: str, group: str, choices: DeploymentChoices | None = None) -> FollowRule | None:
        """Mark the endpoint to follow a model package group: approving a version of it updates the endpoint to
        that version with ``choices`` (``services/endpoints/following.py``). ``group=""`` stops following."""
        ...

    def follow_rules(self) -> list[FollowRule]:
        """Every endpoint's follow rule."""
        ...

    # -- invoking -----------------------------------------------------------------------------
    def gateway_url(self) -> str:
        """The base URL a ``sagemaker-runtime`` client uses (``endpoint_url=``); started if needed."""
        ...

    def invoke(self, name: str, body: bytes, content_type: str = "application/json", accept: str = "application/json",
               target_variant: str = "", custom_attributes: str = "") -> InvokeResult:
        """``InvokeEndpoint``: the raw response body, its content type and the variant that answered."""
        ...

    def score_text(self, name: str, text: str, explain: bool = False) -> ScoreResult:
        """One review → label, class probabilities, latency (and token attributions when asked)."""
        ...

    def score_record(self, name: str, record: dict[str, object]) -> ScoreResult:
        """One row of a tabular model's input schema → its prediction."""
        ...

    # -- what the scoring forms offer ------------------------------------------------------------
    def record_form_columns(self, endpoint: Endpoint) -> list[Column]:
        """The columns a record form asks for: the endpoint's input columns with its model's schema types
        (strings when the model is not in the registry any more)."""
        ...

    def batch_form(self, endpoint: Endpoint) -> BatchForm:
        """The batch-scoring form of ``endpoint``: its primary model, every catalog table and the defaults."""
        ...

    def batch_charts(self, output_table: str) -> list[tuple[dict[str, str], pd.DataFrame]]:
        """The charts of a scored table (title, SQL, axes) with the rows of each chart's query."""
        ...

    # -- batch scoring and monitoring -----------------------------------------------------------
    def start_batch_transform(self, model_id: str, source: DataSource, output_table: str, sql: str = "") -> str:
        """Score every row of a table/SQL result as a job; the result becomes the catalog table
        ``output_table`` ("database.table"). Returns the job name."""
        ...

    def describe_batch_transform(self, name: str) -> Job:
        """The batch scoring job ``start_batch_transform`` started; once it is Completed, its output table is
        in the catalog (registered through the storage port). ``NotFound`` for jobs not started here."""
        ...

    def capture_table(self, name: str) -> str:
        """The catalog table ("database.table") over the endpoint's captured traffic (created or refreshed)."""
        ...

    def drift_report(self, name: str, baseline_model_id: str = "", source: DataSource | None = None) -> DriftReport:
        """Captured traffic (or ``source``) against the model's training baseline."""
        ...

    def recent_capture(self, name: str, max_records: int = 50) -> list[CapturedInvocation]:
        """The endpoint's newest captured invocations, newest first: at most ``max_records``, read from a bounded
        part of the capture (the newest files); ``[]`` when nothing was captured, ``NotFound`` for unknown endpoints."""
        ...

    def monitoring_status(self, names: Sequence[str]) -> list[MonitoringStatus]:
        """Read-only, one status per name in order: whether a monitor watches the endpoint (AWS: a Model Monitor
        schedule; local: data capture on, which the app's scheduled drift reports read) and its latest drift
        report's status. Names of endpoints that do not exist get an unmonitored status with no report."""
        ...
