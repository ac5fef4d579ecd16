"""The model dashboard: one row per model package group, composed over the training and endpoints ports.

``model_dashboard`` makes three calls whatever the number of groups: ``list_models``, ``list_endpoints`` and one
``monitoring_status`` for the endpoints that serve a registered model. Everything else here is pure.

Model package ARNs and model ids (``group/version``) map to each other here and nowhere else: on AWS a model keeps the
ARN SageMaker gave it; a local model's ARN is ``arn:aws:sagemaker:local:000000000000:model-package/<group>/<version>``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from services.endpoints.base import EndpointsPort
from services.endpoints.models import Endpoint, MonitoringStatus
from services.errors import InvalidInput
from services.models import ModelRecord
from services.runs.models import metric_goal
from services.training.base import TrainingPort

LOCAL_ARN_PREFIX = "arn:aws:sagemaker:local:000000000000:model-package/"
APPROVAL_STATUSES = ("PendingManualApproval", "Approved", "Rejected")
KEY_METRICS = 3  # metrics a row shows, the objective (the registry's first) first
NOT_DEPLOYED = "—"
NO_REPORT = "No report yet"
_PACKAGE_ARN = re.compile(r"^arn:aws[a-z-]*:sagemaker:[^:]*:\d{12}:model-package/(?P<group>[^/]+)/(?P<version>\d+)$")
_MODEL_ID = re.compile(r"^(?P<group>[^/]+)/(?P<version>\d+)$")


# -- model package ARNs <-> model ids ------------------------------------------------------------------------------


def package_arn(record: ModelRecord) -> str:
    """The model package's ARN: SageMaker's on AWS, the local form for the local registry."""
    return record.package_arn or f"{LOCAL_ARN_PREFIX}{record.name}/{record.version}"


def model_id_of(reference: str) -> str:
    """``group/version`` of a model id or a versioned model package ARN; ``InvalidInput`` for anything else."""
    text = reference.strip()
    match = _PACKAGE_ARN.match(text) or _MODEL_ID.match(text)
    if match is None:
        raise InvalidInput(f"{reference!r} is neither a model package ARN nor a model id.",
                           hint="Give a ModelPackageArn (…:model-package/<group>/<version>) or GROUP/VERSION.")
    return f"{match['group']}/{int(match['version'])}"


def model_reference(reference: str) -> str:
    """What the training port looks a model up by: AWS ARNs as they are (SageMaker describes by ARN), a local ARN or
    a model id as ``group/version``."""
    text = reference.strip()
    return text if _PACKAGE_ARN.match(text) and not text.startswith(LOCAL_ARN_PREFIX) else model_id_of(text)


def package_summary(record: ModelRecord) -> dict[str, object]:
    """A model version in ``ListModelPackages``' ``ModelPackageSummary`` spelling."""
    return {"ModelPackageGroupName": record.name, "ModelPackageVersion": record.version,
            "ModelPackageArn": package_arn(record), "ModelApprovalStatus": record.approval_status,
            "CreationTime": record.created_at}


# -- the rows ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Serving:
    """A variant of an endpoint that serves a version of the group."""

    endpoint: str
    variant: str
    model_id: str
    traffic_share: float  # of the endpoint's live traffic (0 for a shadow, which gets copies)
    shadow: bool = False


@dataclass(frozen=True)
class KeyMetric:
    name: str
    value: float
    goal: str  # Maximize | Minimize (SageMaker's objective types)


@dataclass(frozen=True)
class ModelGroupRow:
    """One model package group on the dashboard."""

    group: str
    latest: ModelRecord
    versions: tuple[ModelRecord, ...]  # newest first
    status_counts: dict[str, int]  # approval status -> versions
    metrics: tuple[KeyMetric, ...]  # of the latest version, the objective first
    serving: tuple[Serving, ...]  # every variant serving any version of the group
    monitoring: tuple[MonitoringStatus, ...]  # one per endpoint in ``serving``

    @property
    def deployed(self) -> bool:
        return bool(self.serving)

    @property
    def endpoints(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.endpoint for s in self.serving))

    @property
    def no_monitor(self) -> bool:
        """Deployed, and at least one of its endpoints is watched by no monitor."""
        return any(not m.monitored for m in self.monitoring)

    @property
    def drift(self) -> str:
        """The latest drift report status over its endpoints, the worst first; ``—`` when not deployed."""
        if not self.monitoring:
            return NOT_DEPLOYED
        statuses = [m.latest_status for m in self.monitoring]
        for worst in ("Violations", "Failed"):
            if worst in statuses:
                return worst
        reported = [s for s in statuses if s != NO_REPORT]
        return "OK" if reported and all(s == "OK" for s in reported) else (reported[0] if reported else NO_REPORT)


def model_dashboard(training: TrainingPort, endpoints: EndpointsPort) -> list[ModelGroupRow]:
    """One row per model package group, the group with the newest version first."""
    models = training.list_models()
    if not models:
        return []
    serving = serving_by_group(endpoints.list_endpoints(), {m.model_id: m.name for m in models})
    names = list(dict.fromkeys(s.endpoint for group in serving.values() for s in group))
    statuses = {s.endpoint: s for s in endpoints.monitoring_status(names)} if names else {}
    return group_rows(models, serving, statuses)


def group_rows(models: list[ModelRecord], serving: dict[str, list[Serving]],
               statuses: dict[str, MonitoringStatus]) -> list[ModelGroupRow]:
    groups: dict[str, list[ModelRecord]] = {}
    for record in models:
        groups.setdefault(record.name, []).append(record)
    rows = [group_row(name, versions, serving.get(name, []), statuses) for name, versions in groups.items()]
    return sorted(rows, key=lambda r: (r.latest.created_at, r.group), reverse=True)


def group_row(group: str, versions: list[ModelRecord], serving: list[Serving],
              statuses: dict[str, MonitoringStatus]) -> ModelGroupRow:
    ordered = tuple(sorted(versions, key=lambda m: m.version, reverse=True))
    names = dict.fromkeys(s.endpoint for s in serving)
    return ModelGroupRow(
        group=group, latest=ordered[0], versions=ordered,
        status_counts=dict(Counter(m.approval_status for m in ordered)), metrics=key_metrics(ordered[0]),
        serving=tuple(serving), monitoring=tuple(statuses.get(n, MonitoringStatus(n, False)) for n in names))


def key_metrics(record: ModelRecord, count: int = KEY_METRICS) -> tuple[KeyMetric, ...]:
    """The first ``count`` metrics as registered (registries put the job's objective first), with their goal."""
    return tuple(KeyMetric(name, value, metric_goal(name)) for name, value in list(record.metrics.items())[:count])


def serving_by_group(endpoints: list[Endpoint], groups: dict[str, str]) -> dict[str, list[Serving]]:
    """Group name -> the variants serving one of its versions (``groups`` maps model ids to group names)."""
    found: dict[str, list[Serving]] = {}
    for endpoint in endpoints:
        live = sum(v.weight for v in endpoint.variants if not v.shadow) or 1.0
        for variant in endpoint.variants:
            group = groups.get(variant.model_id)
            if group is None:
                continue  # a model deleted from the registry, or deployed from elsewhere
            share = 0.0 if variant.shadow else variant.weight / live
            found.setdefault(group, []).append(Serving(endpoint.name, variant.name, variant.model_id, share, variant.shadow))
    return found


def filter_rows(rows: list[ModelGroupRow], approval: str = "", deployed: bool | None = None,
                no_monitor_only: bool = False) -> list[ModelGroupRow]:
    """The dashboard's filters: the latest version's approval status, deployed or not, and "no monitor" only."""
    return [r for r in rows if (not approval or r.latest.approval_status == approval)
            and (deployed is None or r.deployed == deployed) and (not no_monitor_only or r.no_monitor)]
