"""Home's overview: one live count per capability, composed over the ports. Pure apart from the port calls.

``workspace_overview`` makes one listing call per port (jobs are listed once and counted by kind), so it costs a few
milliseconds on a local workspace. A count whose port refuses (e.g. AWS denying a List call) carries the port's
message instead of a value; the others still show. Counts with no cheap source are left out:

- Data quality, Lineage, Tour and Export keep no store of their own to count (quality reports are computed on
  demand; lineage is the other capabilities' records).
- Runs are not listed through the runs port: MLflow takes seconds to import and open its store. The Compare runs
  card counts the workbench's finished jobs that logged a run instead (each logs one or more).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from services.catalog.base import CatalogPort
from services.endpoints.base import EndpointsPort
from services.errors import ServiceError
from services.features.base import FeaturesPort
from services.jobs.base import JobsPort
from services.labels.base import LabelsPort
from services.models import Job
from services.monitoring.base import MonitoringPort
from services.pipelines.base import PipelinesPort
from services.query.base import QueryPort
from services.training.base import TrainingPort

JOB_LIMIT = 1000  # jobs listed for the job counts; more show as "1000+"
HISTORY_LIMIT = 1000  # query history entries counted
LABELLED_ENDPOINTS = 20  # endpoints whose ground truth is counted (each is one read on AWS)
TRAINING_KINDS = ("training", "autopilot", "script", "tuning")


@dataclass(frozen=True)
class Count:
    """One capability's live count: ``value`` of ``label`` (e.g. 4 "tables"), ``detail`` a short second line.
    ``value`` is None when the port refused; ``error`` says why. ``capped``: at least ``value`` (a listing limit)."""

    capability: str
    label: str
    value: int | None
    detail: str = ""
    error: str = ""
    capped: bool = False

    @property
    def shown(self) -> str:
        """The value as a card shows it: ``1,234``, ``1000+``, or ``—`` when it could not be read."""
        if self.value is None:
            return "—"
        return f"{self.value:,}" + ("+" if self.capped else "")


@dataclass(frozen=True)
class OverviewPorts:
    """The ports the overview reads (each is built on first use by the registry; pass them explicitly)."""

    catalog: CatalogPort
    query: QueryPort
    jobs: JobsPort
    training: TrainingPort
    endpoints: EndpointsPort
    features: FeaturesPort
    pipelines: PipelinesPort
    monitoring: MonitoringPort
    labels: LabelsPort


@dataclass(frozen=True)
class WorkspaceOverview:
    """Every count Home shows, by capability (the page's name: ``catalog``, ``query``, ``train``, …)."""

    counts: dict[str, Count]
    databases: int | None = None
    tables: int | None = None
    rows: int | None = None  # rows catalogued (the tables' recordCount parameters)
    catalog_error: ServiceError | None = None

    def count(self, capability: str) -> Count | None:
        return self.counts.get(capability)


def workspace_overview(ports: OverviewPorts) -> WorkspaceOverview:
    """The live counts of the workspace (see the module docstring for what is counted and what is left out)."""
    counts: list[Count] = []
    databases = tables = rows = None
    catalog_error: ServiceError | None = None
    try:
        databases, tables, rows = catalog_totals(ports.catalog)
        counts.append(Count("catalog", "tables", tables, f"{plural(databases, 'database')} · {plural(rows, 'row')}"))
    except ServiceError as error:
        catalog_error = error
        counts.append(Count("catalog", "tables", None, error=error.message))
    counts.append(_read("query", "saved queries", lambda: _queries(ports.query)))
    counts.append(_read("features", "feature groups", lambda: (len(ports.features.list_feature_groups()), "")))
    counts.extend(job_counts(ports.jobs))
    counts.append(_read("jobs", "models registered", lambda: _models(ports.training)))
    counts.append(_read("model_dashboard", "model groups",
                        lambda: (len({m.name for m in ports.training.list_models()}), "")))
    endpoints = _read_endpoints(ports.endpoints)
    counts.extend(endpoints)
    counts.append(_read("pipelines", "pipelines", lambda: (len(ports.pipelines.list_pipelines()), "")))
    counts.append(_read("monitoring", "monitoring schedules", lambda: _schedules(ports.monitoring)))
    counts.append(_read("label", "labels given", lambda: _labels(ports.labels, ports.endpoints)))
    return WorkspaceOverview({c.capability: c for c in counts}, databases, tables, rows, catalog_error)


def catalog_totals(catalog: CatalogPort) -> tuple[int, int, int]:
    """(databases, tables, rows catalogued); rows from each table's ``recordCount`` parameter (0 when absent)."""
    databases = catalog.list_databases()
    found = [t for d in databases for t in catalog.list_tables(d.name)]
    rows = sum(max(0, _int(t.parameters.get("recordCount", "0"))) for t in found)
    return len(databases), len(found), rows


def job_counts(jobs: JobsPort) -> list[Count]:
    """Train (training jobs, how many run), Bias (finished reports), Explain, Compare runs — from one listing."""
    labels = {"train": "training jobs", "bias": "bias reports", "explain": "explanations", "compare": "jobs with runs"}
    try:
        listed = jobs.list_jobs(limit=JOB_LIMIT)
    except ServiceError as error:
        return [Count(name, label, None, error=error.message) for name, label in labels.items()]
    capped = len(listed) >= JOB_LIMIT
    training = [j for j in listed if j.kind in TRAINING_KINDS]
    running = sum(1 for j in training if not j.finished)
    return [
        Count("train", labels["train"], len(training), f"{running} running" if running else "", capped=capped),
        Count("bias", labels["bias"], _completed(listed, "bias"), capped=capped),
        Count("explain", labels["explain"], _completed(listed, "explain"), capped=capped),
        Count("compare", labels["compare"], sum(1 for j in training if j.finished and j.run_id), capped=capped),
    ]


def _completed(jobs: Sequence[Job], kind: str) -> int:
    return sum(1 for j in jobs if j.kind == kind and j.status == "Completed")


def _read(capability: str, label: str, read: Callable[[], tuple[int, str]]) -> Count:
    """``read()``'s (value, detail), or the port's refusal."""
    try:
        value, detail = read()
    except ServiceError as error:
        return Count(capability, label, None, error=error.message)
    return Count(capability, label, value, detail)


def _queries(query: QueryPort) -> tuple[int, str]:
    history = len(query.history(limit=HISTORY_LIMIT))
    capped = "+" if history >= HISTORY_LIMIT else ""
    return len(query.saved_queries()), f"{history:,}{capped} in the history"


def _models(training: TrainingPort) -> tuple[int, str]:
    models = training.list_models()
    approved = sum(1 for m in models if m.approval_status == "Approved")
    return len(models), f"{approved} approved" if models else ""


def _read_endpoints(endpoints: EndpointsPort) -> list[Count]:
    """Endpoints (InService of all) and Score (requests the endpoints served)."""
    try:
        listed = endpoints.list_endpoints()
    except ServiceError as error:
        return [Count("endpoints", "in service", None, error=error.message),
                Count("score", "requests served", None, error=error.message)]
    serving = sum(1 for e in listed if e.status == "InService")
    return [Count("endpoints", "in service", serving, f"of {plural(len(listed), 'endpoint')}" if listed else ""),
            Count("score", "requests served", sum(e.requests for e in listed),
                  f"by {plural(serving, 'endpoint')} in service" if serving else "")]


def _schedules(monitoring: MonitoringPort) -> tuple[int, str]:
    schedules = monitoring.list_schedules()
    watched = len({s.endpoint for s in schedules})
    return len(schedules), f"on {plural(watched, 'endpoint')}" if schedules else ""


def _labels(labels: LabelsPort, endpoints: EndpointsPort) -> tuple[int, str]:
    """Items with a ground-truth label, over the first ``LABELLED_ENDPOINTS`` endpoints."""
    names = [e.name for e in endpoints.list_endpoints()]
    given = sum(len(labels.ground_truth(name)) for name in names[:LABELLED_ENDPOINTS])
    detail = f"on the first {LABELLED_ENDPOINTS} of {len(names)} endpoints" if len(names) > LABELLED_ENDPOINTS else ""
    return given, detail


def plural(count: int, word: str) -> str:
    """``1 endpoint``, ``2 endpoints``, ``59,437 rows``."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:  # a hand-edited or crawler-written parameter that is not a number counts as unknown
        return 0
