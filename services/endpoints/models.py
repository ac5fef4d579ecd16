"""Plain data crossing the endpoints port."""

from __future__ import annotations

from dataclasses import dataclass, field

ENDPOINT_STATUSES = ("Creating", "InService", "Failed", "Deleting")
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # SageMaker real-time invocation limit


@dataclass(frozen=True)
class Variant:
    """A production variant: a model and its share of traffic; a shadow gets copies, never answers."""

    name: str
    model_id: str
    weight: float = 1.0
    shadow: bool = False


@dataclass(frozen=True)
class BatchForm:
    """What a batch-scoring form offers for an endpoint: the model that scores, every catalog table, the defaults."""

    model_id: str
    tables: list[str]
    default_table: str
    default_output: str


@dataclass(frozen=True)
class DeployRequest:
    name: str
    variants: tuple[Variant, ...]
    port: int = 0  # 0 = pick a free port
    capture_percent: int = 100  # data capture sampling (0 = off)
    restart_on_failure: bool = False


@dataclass(frozen=True)
class VariantStats:
    name: str
    model_id: str
    weight: float
    shadow: bool
    requests: int = 0
    errors: int = 0
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None
    agreement: float | None = None  # shadow variants: share of predictions equal to the live variant's


@dataclass(frozen=True)
class Endpoint:
    name: str
    status: str  # Creating | InService | Failed | Deleting
    url: str  # http://127.0.0.1:PORT locally; the runtime URL on AWS
    variants: tuple[VariantStats, ...]
    created_at: str
    failure_reason: str = ""
    capture_percent: int = 100
    uptime_seconds: float | None = None
    requests: int = 0
    errors: int = 0
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None
    problem_type: str = ""  # of the first variant's model
    framework: str = ""
    input_columns: tuple[str, ...] = ()  # what a tabular form asks for; () for text models
    text_model: bool = False
    notes: tuple[str, ...] = ()  # what the figures lack and why (e.g. no permission to read metrics)
    deployment: str = ""  # the latest update in a few words, e.g. "Canary: 20% on the new fleet" or "rolled back: …"


@dataclass(frozen=True)
class InvokeResult:
    body: bytes
    content_type: str
    variant: str
    latency_ms: float
    status_code: int = 200


@dataclass(frozen=True)
class ScoreResult:
    predicted_label: str
    probability: float | None
    probabilities: dict[str, float]
    latency_ms: float
    variant: str = ""
    tokens: tuple[str, ...] = ()  # with explain: the text split into tokens…
    token_scores: dict[str, tuple[float, ...]] = field(default_factory=dict)  # …and each class's contribution per token


@dataclass(frozen=True)
class CapturedInvocation:
    """One data-capture record (SageMaker's ``captureData`` + ``eventMetadata``), flattened as the capture table's
    columns; the bodies are text (BASE64 already decoded)."""

    event_id: str
    inference_time: str  # ISO 8601 UTC, as SageMaker writes ``inferenceTime``
    variant: str
    input_content_type: str
    input_data: str
    output_content_type: str
    output_data: str


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    kind: str  # numeric | categorical | text_length | prediction | embedding
    psi: float | None
    ks: float | None  # numeric: two-sample Kolmogorov-Smirnov statistic
    js: float | None  # categorical / binned: Jensen-Shannon distance
    violation: str = ""  # empty when within the baseline's constraints
    distance: float | None = None  # embedding: cosine distance (1 - cosine similarity) of the new and the training centroid


@dataclass(frozen=True)
class DriftReport:
    endpoint: str
    baseline_model_id: str
    rows: int
    features: tuple[FeatureDrift, ...]
    prediction_drift: FeatureDrift | None
    violations: tuple[str, ...]
    over_time: tuple[dict[str, object], ...] = ()  # per hour: {"hour", "rows", "psi_<feature>"...}
    created_at: str = ""
    notes: tuple[str, ...] = ()  # e.g. too few rows for the distances to mean much


# -- safe deployment: SageMaker's DeploymentConfig and what a local update records ----------------------------------

TRAFFIC_ROUTING_TYPES = ("ALL_AT_ONCE", "CANARY", "LINEAR")  # SageMaker's TrafficRoutingConfiguration.Type
CAPACITY_SIZE_TYPES = ("INSTANCE_COUNT", "CAPACITY_PERCENT")
ALARM_METRICS = ("ErrorRate", "ModelLatencyP99", "DriftViolation")  # what a local alarm rule watches
DEPLOYMENT_STATUSES = ("InProgress", "Completed", "RolledBack", "Failed", "Stopped")


@dataclass(frozen=True)
class CapacitySize:
    """SageMaker's ``CapacitySize``: ``Type`` INSTANCE_COUNT | CAPACITY_PERCENT and its ``Value``."""

    type: str
    value: int


@dataclass(frozen=True)
class TrafficRoutingConfiguration:
    """SageMaker's ``TrafficRoutingConfiguration``: ``Type`` ALL_AT_ONCE | CANARY | LINEAR,
    ``WaitIntervalInSeconds``, ``CanarySize`` (CANARY) or ``LinearStepSize`` (LINEAR)."""

    type: str = "ALL_AT_ONCE"
    wait_interval_in_seconds: int = 0
    canary_size: CapacitySize | None = None
    linear_step_size: CapacitySize | None = None


@dataclass(frozen=True)
class BlueGreenUpdatePolicy:
    traffic_routing_configuration: TrafficRoutingConfiguration
    termination_wait_in_seconds: int = 0
    maximum_execution_timeout_in_seconds: int | None = None


@dataclass(frozen=True)
class AutoRollbackConfiguration:
    """SageMaker's ``AutoRollbackConfiguration``: the names of the alarms that roll the update back."""

    alarms: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeploymentConfig:
    """SageMaker's ``DeploymentConfig`` of ``UpdateEndpoint``."""

    blue_green_update_policy: BlueGreenUpdatePolicy
    auto_rollback_configuration: AutoRollbackConfiguration | None = None


@dataclass(frozen=True)
class AlarmRule:
    """A workbench setting: what the alarm named ``alarm_name`` means on the local backend, where CloudWatch
    alarms do not exist. ``metric`` ErrorRate (share of the new fleet's requests answered with an error, in %),
    ModelLatencyP99 (the new fleet's p99 latency, in ms) or DriftViolation (the latest drift report of the
    endpoint written during the update has a violation; ``threshold`` unused). Breached when the figure is above
    ``threshold`` after at least ``min_requests`` requests on the new fleet."""

    alarm_name: str
    metric: str
    threshold: float = 0.0
    min_requests: int = 1


@dataclass(frozen=True)
class DeploymentEvent:
    """One step of an update: when, the phase (SageMaker's words where they exist: Creating, Baking, Shifting,
    Completed, RollingBack, RolledBack, Failed), the new fleet's share of traffic (0–1) and why."""

    time: str
    phase: str
    traffic_share: float
    reason: str = ""


# -- what watches an endpoint: the model dashboard's monitoring columns --------------------------------------------

MONITORING_STATUSES = ("OK", "Violations", "Failed", "No report yet")  # SageMaker's in-between execution statuses too


@dataclass(frozen=True)
class MonitoringStatus:
    """Whether a monitor watches an endpoint and what its latest drift report said: ``latest_status`` OK (within the
    baseline's constraints), Violations, Failed (the monitoring execution failed), No report yet, or SageMaker's
    in-between execution statuses (Pending, InProgress, Stopping, Stopped)."""

    endpoint: str
    monitored: bool  # AWS: a Model Monitor schedule is Scheduled/Pending; local: data capture on (the app's scheduled reports)
    latest_status: str = "No report yet"
    violations: int = 0  # features out of the constraints in the latest report (0 when SageMaker does not say: AWS)
    report_time: str = ""  # when the latest report was made (ISO 8601, UTC)
    detail: str = ""  # the failure reason, or what the figures lack


STRATEGIES = {"all-at-once": "ALL_AT_ONCE", "canary": "CANARY", "linear": "LINEAR"}  # what forms and the CLI offer


@dataclass(frozen=True)
class DeploymentChoices:
    """What the Update form, the CLI and a follow rule ask for, turned into SageMaker's DeploymentConfig plus the
    local alarm rules by ``deployment(endpoint)``: a strategy, its traffic step in percent, the wait between steps,
    and the alarms (error rate in %, p99 latency in ms; 0 = no such alarm)."""

    strategy: str = "canary"  # all-at-once | canary | linear
    percent: int = 10
    wait_seconds: int = 60
    termination_wait_seconds: int = 0
    max_error_rate: float = 0.0
    max_p99_ms: float = 0.0

    def alarm_rules(self, endpoint: str) -> tuple[AlarmRule, ...]:
        rules = []
        if self.max_error_rate > 0:
            rules.append(AlarmRule(f"{endpoint}-error-rate", "ErrorRate", self.max_error_rate))
        if self.max_p99_ms > 0:
            rules.append(AlarmRule(f"{endpoint}-p99-latency", "ModelLatencyP99", self.max_p99_ms))
        return tuple(rules)

    def deployment(self, endpoint: str) -> tuple[DeploymentConfig, tuple[AlarmRule, ...]]:
        kind = STRATEGIES.get(self.strategy, self.strategy)
        size = CapacitySize("CAPACITY_PERCENT", self.percent)
        routing = TrafficRoutingConfiguration(kind, self.wait_seconds, canary_size=size if kind == "CANARY" else None,
                                              linear_step_size=size if kind == "LINEAR" else None)
        rules = self.alarm_rules(endpoint)
        rollback = AutoRollbackConfiguration(tuple(r.alarm_name for r in rules)) if rules else None
        return DeploymentConfig(BlueGreenUpdatePolicy(routing, self.termination_wait_seconds), rollback), rules


@dataclass(frozen=True)
class FollowRule:
    """An endpoint follows a model package group: a version of it approved is deployed there with ``choices``."""

    endpoint: str
    group: str
    choices: DeploymentChoices = field(default_factory=DeploymentChoices)


MIN_TRAFFIC_ROWS = 30  # fewer captured rows than this: no drift verdict yet (the Score page's and the monitors' views)
NOT_ENOUGH_TRAFFIC = "Not enough traffic"  # the status a drift view shows below MIN_TRAFFIC_ROWS (dashboard and tiles)


def traffic_shortfall(rows: int) -> str:
    """What a drift view says instead of a verdict while fewer than ``MIN_TRAFFIC_ROWS`` rows were compared; "" once
    there are enough."""
    if rows >= MIN_TRAFFIC_ROWS:
        return ""
    return (f"Not enough traffic yet — {rows:,} of {MIN_TRAFFIC_ROWS} captured rows. A drift verdict needs at least "
            f"{MIN_TRAFFIC_ROWS} rows; send the endpoint more requests and look again.")
