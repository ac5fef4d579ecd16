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
