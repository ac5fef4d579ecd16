"""Build the chosen backend's adapters. Heavy dependencies load only for the chosen backend.

This is the composition root: the only place that knows every capability. Each adapter gets the
ports it uses and, locally, the ``EmbeddedStack`` — never the ``Services`` object itself. Capabilities
other than catalog and query are built on first use, so a page that does not need one never imports
its libraries.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from services.bias.base import BiasPort
from services.catalog.base import CatalogPort
from services.config import Settings
from services.debugger.base import DebuggerPort
from services.embedded.embedded_stack import EmbeddedStack
from services.endpoints.base import EndpointsPort
from services.errors import BackendUnavailable
from services.explain.base import ExplainPort
from services.features.base import FeaturesPort
from services.jobs.base import JobsPort
from services.labels.base import LabelsPort
from services.lineage.base import LineagePort
from services.models import Job, ModelRecord
from services.monitoring.base import MonitoringPort
from services.pipelines.base import PipelinesPort
from services.processing.base import ProcessingPort
from services.quality.base import QualityPort
from services.query.base import QueryPort
from services.runs.base import RunsPort
from services.storage.base import StoragePort
from services.training.base import TrainingPort

if TYPE_CHECKING:
    from services.aws.job_index import IndexEntry
    from services.jobs.aws import Settle
    from services.pipelines.steps.base import StepExecutor

PortT = TypeVar("PortT")

# backend -> "module:function" returning the core adapters (catalog, query, storage); imported only when chosen.
BUILDERS = {
    "local": "services.stack:build_local",
    "aws": "services.aws.session:build_aws",
}



class Core(Protocol):
    """What a backend's core builder returns (services.stack.LocalCore, services.aws.session.AwsCore)."""

    @property
    def catalog(self) -> CatalogPort: ...
    @property
    def query(self) -> QueryPort: ...
    @property
    def storage(self) -> StoragePort: ...
    @property
    def stack(self) -> EmbeddedStack: ...


if TYPE_CHECKING:  # mypy checks that both core builders return a Core (imported for the check only)
    from services.aws.session import build_aws
    from services.stack import build_local

    _CORE_BUILDERS: tuple[Callable[[Settings], Core], ...] = (build_local, build_aws)


INSTALL_HINTS = {
    "aws": "Install the AWS extras with `pip install -r requirements.txt` (boto3, awswrangler).",
}


@dataclass
class Services:
    settings: Settings
    catalog: CatalogPort
    query: QueryPort
    storage: StoragePort
    stack: EmbeddedStack

    @cached_property
    def jobs(self) -> JobsPort:
        return build_jobs(self)

    @cached_property
    def training(self) -> TrainingPort:
        return build_training(self)

    @cached_property
    def runs(self) -> RunsPort:
        return build_runs(self)

    @cached_property
    def bias(self) -> BiasPort:
        return build_bias(self)

    @cached_property
    def explain(self) -> ExplainPort:
        return build_explain(self)

    @cached_property
    def endpoints(self) -> EndpointsPort:
        return build_endpoints(self)

    @cached_property
    def pipelines(self) -> PipelinesPort:
        return build_pipelines(self)

    @cached_property
    def lineage(self) -> LineagePort:
        return build_lineage(self)

    @cached_property
    def processing(self) -> ProcessingPort:
        return build_processing(self)

    @cached_property
    def features(self) -> FeaturesPort:
        return build_features(self)

    @cached_property
    def quality(self) -> QualityPort:
        return build_quality(self)

    @cached_property
    def labels(self) -> LabelsPort:
        return build_labels(self)

    @cached_property
    def monitoring(self) -> MonitoringPort:
        return build_monitoring(self)

    @cached_property
    def debugger(self) -> DebuggerPort:
        return build_debugger(self)

    @property
    def lake_root(self) -> str:
        """Where crawls start by default: the lake bucket locally, the configured bucket on AWS."""
        if self.settings.backend == "aws":
            return f"s3://{self.settings.s3_bucket}/" if self.settings.s3_bucket else "s3://"
        return "s3://workbench-lake/"

    @property
    def backend_label(self) -> str:
        if self.settings.backend == "aws":
            return f"AWS ({self.settings.aws_region or 'default region'})"
        return f"Local ({self.settings.home})"

    @property
    def is_local(self) -> bool:
        return self.settings.backend == "local"


# One function per capability: which adapter, and exactly which dependencies it receives.

def build_jobs(s: Services) -> JobsPort:
    if s.is_local:
        from services.jobs.local import build_local_jobs

        return build_local_jobs(s.stack.runner)
    from services.aws.session import make_session
    from services.jobs.aws import build_aws_jobs

    return build_aws_jobs(make_session(s.settings), s.stack.store, settlers=aws_job_settlers(s))


def aws_job_settlers(s: Services) -> dict[str, Settle]:
    """Nothing of ours runs when a SageMaker job ends, so the first describe that sees a training, script or
    Autopilot job Completed registers its model. The training adapter does that work; it is looked up only then,
    so building the jobs port never builds it."""
    def settle(entry: IndexEntry, job: Job) -> Job:
        from services.training.aws import AwsTraining

        training = s.training
        assert isinstance(training, AwsTraining)  # build_training's aws branch
        return training.settle_job(entry, job)

    return dict.fromkeys(("training", "script", "autopilot"), settle)


def build_training(s: Services) -> TrainingPort:
    if s.is_local:
        from services.training.local import build_local_training

        return build_local_training(s.stack, catalog=s.catalog, on_approved=lambda record: deploy_on_approval(s, record))
    from services.aws.session import make_session
    from services.training.aws import build_aws_training

    return build_aws_training(make_session(s.settings), s.settings, s.stack, catalog=s.catalog, jobs=s.jobs,
                              on_approved=lambda record: deploy_on_approval(s, record))


def deploy_on_approval(s: Services, record: ModelRecord) -> dict[str, str]:
    """An approved version goes to the endpoints that follow its group (``services/endpoints/following.py``);
    the endpoints port is built only when a version is approved."""
    if record.approval_status != "Approved":
        return {}
    from services.endpoints.following import deploy_approved

    return deploy_approved(s.endpoints, record)


def build_runs(s: Services) -> RunsPort:
    if s.is_local:
        from services.runs.local import build_local_runs

        return build_local_runs(s.settings)
    from services.runs.aws import build_aws_runs

    return build_aws_runs(s.settings)


def build_bias(s: Services) -> BiasPort:
    if s.is_local:
        from services.bias.local import build_local_bias

        return build_local_bias(s.stack, query=s.query, catalog=s.catalog)
    from services.bias.aws import build_aws_bias

    return build_aws_bias(s.settings, stack=s.stack, query=s.query, catalog=s.catalog)


def build_quality(s: Services) -> QualityPort:
    if s.is_local:
        from services.quality.local import build_local_quality

        return build_local_quality(query=s.query, catalog=s.catalog)
    from services.quality.aws import build_aws_quality

    return build_aws_quality(query=s.query, catalog=s.catalog)


def build_explain(s: Services) -> ExplainPort:
    if s.is_local:
        from services.explain.local import build_local_explain

        return build_local_explain(s.stack, query=s.query, catalog=s.catalog, storage=s.storage)
    from services.explain.aws import build_aws_explain

    return build_aws_explain(s.settings, stack=s.stack, query=s.query, catalog=s.catalog, storage=s.storage)


def build_endpoints(s: Services) -> EndpointsPort:
    if s.is_local:
        from services.endpoints.local import build_local_endpoints

        return build_local_endpoints(s.stack, catalog=s.catalog, query=s.query, storage=s.storage)
    from services.aws.session import make_session
    from services.endpoints.aws import build_aws_endpoints

    return build_aws_endpoints(make_session(s.settings), s.settings, s.stack, catalog=s.catalog, query=s.query,
                               storage=s.storage, jobs=s.jobs)


def build_lineage(s: Services) -> LineagePort:
    if s.is_local:
        from services.lineage.local import build_local_lineage

        return build_local_lineage(s.stack)
    from services.aws.session import make_session
    from services.lineage.aws import build_aws_lineage

    return build_aws_lineage(make_session(s.settings), lambda database, table: s.catalog.get_table(database, table).location,
                             lambda: s.jobs.list_jobs(limit=200))


def build_features(s: Services) -> FeaturesPort:
    if s.is_local:
        from services.features.local import build_local_features

        return build_local_features(s.stack, catalog=s.catalog, query=s.query, storage=s.storage)
    from services.aws.session import make_session
    from services.features.aws import build_aws_features

    return build_aws_features(make_session(s.settings), s.settings, query=s.query, catalog=s.catalog,
                              processing=on_first_use(lambda: s.processing))


def build_labels(s: Services) -> LabelsPort:
    if s.is_local:
        from services.labels.local import build_local_labels

        return build_local_labels(s.stack, catalog=s.catalog, query=s.query, storage=s.storage)
    from services.aws.session import make_session
    from services.labels.aws import build_aws_labels

    return build_aws_labels(make_session(s.settings), s.settings, s.stack, catalog=s.catalog, query=s.query,
                            storage=s.storage)


def build_monitoring(s: Services) -> MonitoringPort:
    if s.is_local:
        from services.monitoring.local import build_local_monitoring

        return build_local_monitoring(s.stack, endpoints=s.endpoints, labels=s.labels, catalog=s.catalog,
                                      query=s.query, storage=s.storage)
    from services.aws.session import make_session
    from services.monitoring.aws import build_aws_monitoring

    return build_aws_monitoring(make_session(s.settings), s.settings, s.stack, endpoints=s.endpoints,
                                labels=s.labels, catalog=s.catalog, storage=s.storage, query=s.query, jobs=s.jobs)


def build_debugger(s: Services) -> DebuggerPort:
    if s.is_local:
        from services.debugger.local import build_local_debugger

        return build_local_debugger(s.stack)
    from services.aws.session import make_session
    from services.debugger.aws import build_aws_debugger

    return build_aws_debugger(make_session(s.settings), s.settings, s.stack)


def build_processing(s: Services) -> ProcessingPort:
    if s.is_local:
        from services.processing.local import build_local_processing

        return build_local_processing(s.stack, catalog=s.catalog)
    from services.aws.session import make_session
    from services.processing.aws import build_aws_processing

    return build_aws_processing(make_session(s.settings), s.settings, s.stack, catalog=s.catalog, storage=s.storage)


# The step executors a local pipeline orchestrator builds in its own process (services/pipelines/pipeline_job.py).
LOCAL_PIPELINE_EXECUTORS = "services.registry:local_pipeline_executors"


def build_pipelines(s: Services) -> PipelinesPort:
    if s.is_local:
        from services.pipelines.local import build_local_pipelines

        return build_local_pipelines(s.stack, LOCAL_PIPELINE_EXECUTORS, s.settings, executors=lambda: pipeline_executors(s),
                                     table_location=lambda database, table: s.catalog.get_table(database, table).location)
    from services.aws.session import make_session
    from services.pipelines.aws import build_aws_pipelines

    return build_aws_pipelines(make_session(s.settings), s.settings,
                               table_location=lambda database, table: s.catalog.get_table(database, table).location)


def pipeline_executors(s: Services) -> Mapping[str, StepExecutor]:
    """The local engine's step executors over these services' ports (services/pipelines/steps/)."""
    from services.pipelines.steps import StepDeps, build_executors

    return build_executors(StepDeps(settings=s.settings, stack=s.stack, catalog=s.catalog, storage=s.storage,
                                    training=on_first_use(lambda: s.training), endpoints=on_first_use(lambda: s.endpoints)))


class _OnFirstUse:
    """Stands for a port until one of its attributes is used, then builds it: a pipeline orchestrator whose
    steps never train does not spend seconds importing the training capability's libraries."""

    def __init__(self, build: Callable[[], object]) -> None:
        self._build = build
        self._port: object | None = None

    def __getattr__(self, name: str) -> Any:
        if self._port is None:
            self._port = self._build()
        return getattr(self._port, name)


def on_first_use(build: Callable[[], PortT]) -> PortT:
    """``build()``'s port, built when first used."""
    return cast(PortT, _OnFirstUse(build))


def local_pipeline_executors(stack: EmbeddedStack) -> Mapping[str, StepExecutor]:
    """The executors factory of a pipeline orchestrator job: local services over the same workspace."""
    from services.stack import open_local

    core = open_local(stack.settings)
    services = Services(settings=core.stack.settings, catalog=core.catalog, query=core.query, storage=core.storage,
                        stack=core.stack)
    return pipeline_executors(services)


def build_services(settings: Settings) -> Services:
    """The adapters for ``settings.backend``, ready to use."""
    module_name, function_name = BUILDERS[settings.backend].split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise BackendUnavailable(
            f"The {settings.backend} backend needs {exc.name}, which is not installed.",
            hint=INSTALL_HINTS.get(settings.backend, "Run `make run` to install the requirements."),
        ) from exc
    build_core: Callable[[Settings], Core] = getattr(module, function_name)
    core = build_core(settings)
    return Services(settings=settings, catalog=core.catalog, query=core.query, storage=core.storage, stack=core.stack)


# Background work the app starts once per server process (the local backend's own schedules).

def start_monitoring(s: Services) -> object | None:
    """Local monitoring schedules (due ones at start, the catch-up, then every minute) and the endpoints' drift
    reports for new traffic every ``monitor_interval_seconds``, in one thread (AWS runs Model Monitor)."""
    if not s.is_local:
        return None
    from services.endpoints.monitoring import LocalMonitoring
    from services.monitoring.schedules import ScheduleRunner

    drift = LocalMonitoring(s.stack, s.catalog, s.storage)
    return ScheduleRunner(s.monitoring.run_due, extra=drift.run_round,
                          extra_every_seconds=s.settings.monitor_interval_seconds).start()


def resume_pipelines(s: Services) -> list[str]:
    """At app start: executions left Executing/Stopping by an orchestrator that died with the machine get a new
    one (local only; SageMaker runs its own). The ARNs resumed."""
    if not s.is_local:
        return []
    from services.pipelines.local import LocalPipelines

    pipelines = s.pipelines
    assert isinstance(pipelines, LocalPipelines)  # build_pipelines' local branch
    return pipelines.resume_executions()


def start_retention(s: Services) -> object | None:
    """Delete expired query results and data capture now and hourly (local only)."""
    if not s.is_local:
        return None
    from services.embedded.retention import start_retention as start

    return start(s.settings)


def warm_up_explanations() -> None:
    """Compile shap's helpers in the background before the first review is explained."""
    from services.explain.shap_text import warm_up_in_background

    warm_up_in_background()
