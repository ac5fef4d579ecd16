"""``WORKBENCH_DEMO=full``: the demo tables plus, built for real through the ports, what the Score, Endpoints,
Compare runs and Jobs pages need to show something on first start.

Steps, in order (``STEPS``):

1. a review-sentiment model: built-in ``text-tfidf`` on ``demo.reviews_sentiment`` (``review_body`` →
   ``sentiment``), job and model package group ``demo-review-sentiment``, in experiment ``demo-reviews``;
2. that model approved in the model registry (unless someone decided on it since: a rejection is left as it is);
3. endpoint ``reviews-demo`` serving it (restarts on failure; like every InService endpoint it is brought back
   whenever the app or the CLI starts: ``LocalEndpoints.restore``), waited for until InService;
4. a pre-training bias report (a bias job) on ``demo.reviews_sentiment``: label ``sentiment`` positive when 1,
   facet ``product_category``, every category against the rest;
5. a second run to compare: the same data and algorithm on single words (``word_ngrams=1``), job and model
   ``demo-review-unigrams``, in the same experiment.

Idempotent without remembering anything: each step first looks for its result by name in the workspace (the
registry's model package groups, the jobs, the endpoints) and builds only what is missing; a job of ours still
running is waited for, a failed one is retried under the next free name (``demo-review-sentiment-2``, …). The
decisions are the pure functions below the build. One build at a time per workspace: ``build_lock``.
"""

from __future__ import annotations

import contextlib
import fcntl
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from services.bias.base import BiasPort
from services.bias.models import BiasRequest
from services.demo import status as progress
from services.demo.status import DemoStatus
from services.endpoints.base import EndpointsPort
from services.endpoints.models import DeployRequest, Endpoint, Variant
from services.errors import NotFound, ServiceError
from services.jobs.base import JobsPort
from services.models import DataSource, Job, ModelRecord, TrainingRequest
from services.training.base import TrainingPort

REVIEWS_TABLE = "demo.reviews_sentiment"
EXPERIMENT = "demo-reviews"
REVIEW_MODEL = "demo-review-sentiment"
COMPARE_MODEL = "demo-review-unigrams"
ENDPOINT = "reviews-demo"
BIAS_FACET = "product_category"
JOB_TIMEOUT_SECONDS = 900.0
ENDPOINT_TIMEOUT_SECONDS = 300.0
UNFINISHED = ("InProgress", "Stopping")

REVIEW_REQUEST = TrainingRequest(
    algorithm="text-tfidf", source=DataSource(table=REVIEWS_TABLE), target="sentiment", text_column="review_body",
    hyperparameters={"word_ngrams": "2", "class_balancing": "true", "min_count": "2"}, name=REVIEW_MODEL,
    experiment=EXPERIMENT)
COMPARE_REQUEST = replace(REVIEW_REQUEST, name=COMPARE_MODEL, hyperparameters={**REVIEW_REQUEST.hyperparameters,
                                                                               "word_ngrams": "1"})
BIAS_REQUEST = BiasRequest(source=DataSource(table=REVIEWS_TABLE), label="sentiment", label_values=("1",),
                           facet=BIAS_FACET)

STEPS = (
    f"Train the review-sentiment model (text-tfidf on {REVIEWS_TABLE})",
    "Approve it in the model registry",
    f"Deploy endpoint {ENDPOINT}",
    f"Pre-training bias report by {BIAS_FACET}",
    "Second run to compare (text-tfidf on single words)",
)


class DemoFailed(ServiceError):
    """A step of the full demo could not be built (a job failed, the endpoint did not come up)."""

    exit_code = 1


@dataclass(frozen=True)
class DemoPorts:
    """The ports the full demo is built through."""

    training: TrainingPort
    jobs: JobsPort
    bias: BiasPort
    endpoints: EndpointsPort


@dataclass(frozen=True)
class Outcome:
    """What one step left behind, and whether this run built it (False: it existed already)."""

    thing: str
    built: bool


# -- the build -------------------------------------------------------------------------------------------------


def build_full_demo(ports: DemoPorts, home: Path, say: Callable[[str], None] = lambda line: None) -> DemoStatus:
    """Run every step (building only what is missing), with the progress in ``<home>/demo/status.json`` and one
    line per finished step given to ``say``. Returns the final status; raises what a step raised after
    recording it as the failure."""
    clock = time.monotonic()
    status = progress.started(STEPS)
    progress.write_status(home, status)
    build = _Build(ports)
    for index, (title, step) in enumerate(zip(STEPS, build.steps())):
        status = progress.step_started(status, index, time.monotonic() - clock)
        progress.write_status(home, status)
        try:
            outcome = step()
        except Exception as error:  # recorded for the Home page in plain words, then raised as it is
            progress.write_status(home, progress.failed(status, time.monotonic() - clock, *failure_text(error)))
            raise
        status = progress.step_finished(status, index, time.monotonic() - clock, outcome.thing, outcome.built)
        progress.write_status(home, status)
        say(f"demo [{status.elapsed_seconds:6.1f} s] {index + 1}/{len(STEPS)} {title}: "
            f"{'built' if outcome.built else 'found'} {outcome.thing}")
    status = progress.finished(status, time.monotonic() - clock)
    progress.write_status(home, status)
    return status


def failure_text(error: Exception) -> tuple[str, str]:
    """What Home says about a failed step: a service error's message and hint; anything else is a bug."""
    if isinstance(error, ServiceError):
        return error.message, error.hint or ""
    return f"{type(error).__name__}: {error}", "This is a bug in the workbench; the app's log has the traceback."


class _Build:
    """The steps, sharing the review model the first one finds or trains."""

    def __init__(self, ports: DemoPorts) -> None:
        self.ports = ports
        self.review_model: ModelRecord | None = None

    def steps(self) -> Sequence[Callable[[], Outcome]]:
        return (self.train_review_model, self.approve_review_model, self.deploy_endpoint, self.bias_report,
                self.compare_run)

    def train_review_model(self) -> Outcome:
        self.review_model, built = ensure_model(self.ports, REVIEW_REQUEST)
        return Outcome(f"model {self.review_model.model_id}", built)

    def approve_review_model(self) -> Outcome:
        model = self._review_model()
        if model.approval_status != "PendingManualApproval":  # approved already, or a decision someone made since
            return Outcome(f"{model.model_id} {model.approval_status.lower()}", False)
        self.review_model = self.ports.training.set_model_approval(model.model_id, "Approved")
        return Outcome(f"{model.model_id} approved", True)

    def deploy_endpoint(self) -> Outcome:
        endpoints = self.ports.endpoints
        existing = find_endpoint(endpoints, ENDPOINT)
        if existing is not None and existing.status == "Failed":
            endpoints.delete_endpoint(ENDPOINT)  # ours, and broken: deployed again below
            existing = None
        if existing is None:
            model_id = self._review_model().model_id
            endpoints.deploy(DeployRequest(name=ENDPOINT, variants=(Variant("AllTraffic", model_id),), restart_on_failure=True))
        endpoint = endpoints.wait_for_endpoint(ENDPOINT, ENDPOINT_TIMEOUT_SECONDS)
        if endpoint.status != "InService":
            raise DemoFailed(f"Endpoint {ENDPOINT} is {endpoint.status}: {endpoint.failure_reason or 'it did not come up'}",
                             hint="See its log on the Endpoints page; run `python -m services seed` again to retry.")
        return Outcome(f"endpoint {ENDPOINT} (InService)", existing is None)

    def bias_report(self) -> Outcome:
        jobs = self.ports.jobs
        found = matching_bias_job(jobs.list_jobs(kind="bias", limit=200), BIAS_REQUEST)
        name = found.name if found is not None else self.ports.bias.start_job(BIAS_REQUEST)
        job = jobs.wait_for_job(name, JOB_TIMEOUT_SECONDS)
        require_completed(job, "bias report")
        return Outcome(f"bias report {name}", found is None)

    def compare_run(self) -> Outcome:
        model, built = ensure_model(self.ports, COMPARE_REQUEST)
        return Outcome(f"model {model.model_id}", built)

    def _review_model(self) -> ModelRecord:
        if self.review_model is None:
            self.review_model, _ = ensure_model(self.ports, REVIEW_REQUEST)
        return self.review_model


def ensure_model(ports: DemoPorts, request: TrainingRequest) -> tuple[ModelRecord, bool]:
    """The newest model of the request's demo name, else the model of a job of that name still running or just
    completed, else a new training job's; and whether this call trained it."""
    existing = newest_demo_model(ports.training.list_models(), request.name)
    if existing is not None:
        return existing, False
    jobs = ports.jobs.list_jobs(kind="training", name_contains=request.name, limit=200)
    running = reusable_job(jobs, request.name)
    name = running.name if running is not None else \
        ports.training.start_training_job(replace(request, name=next_free_name([job.name for job in jobs], request.name)))
    job = ports.jobs.wait_for_job(name, JOB_TIMEOUT_SECONDS)
    require_completed(job, f"training job for {request.name}")
    return ports.training.get_model(job.model_id), True


def require_completed(job: Job, what: str) -> None:
    if job.status != "Completed":
        reason = job.failure_reason or ("it did not finish in time" if job.status in UNFINISHED else "no reason given")
        raise DemoFailed(f"The demo's {what} ({job.name}) is {job.status}: {reason}",
                         hint="See the job's log on the Jobs & models page; `python -m services seed` retries it.")


def find_endpoint(endpoints: EndpointsPort, name: str) -> Endpoint | None:
    try:
        return endpoints.describe_endpoint(name)
    except NotFound:
        return None


# -- decisions (pure) ----------------------------------------------------------------------------------------------


def is_demo_name(name: str, base: str) -> bool:
    """``base`` itself, or a retry of it: ``base-2``, ``base-3``, …"""
    return name == base or re.fullmatch(re.escape(base) + r"-[0-9]+", name) is not None


def next_free_name(taken: Sequence[str], base: str) -> str:
    """``base`` when no job has it, else the first ``base-N`` (N ≥ 2) none has."""
    names = set(taken)
    if base not in names:
        return base
    number = 2
    while f"{base}-{number}" in names:
        number += 1
    return f"{base}-{number}"


def newest_demo_model(models: Sequence[ModelRecord], base: str) -> ModelRecord | None:
    """The newest registered version of the demo's model package group (or of a retry's)."""
    ours = [model for model in models if is_demo_name(model.name, base)]
    return max(ours, key=lambda model: (model.created_at, model.version)) if ours else None


def reusable_job(jobs: Sequence[Job], base: str) -> Job | None:
    """A job of the demo's name that is running or completed (its result is waited for, not trained again);
    failed and stopped ones are not reused."""
    ours = [job for job in jobs if is_demo_name(job.name, base) and (job.status in UNFINISHED or job.status == "Completed")]
    return max(ours, key=lambda job: job.created_at) if ours else None


def matching_bias_job(jobs: Sequence[Job], request: BiasRequest) -> Job | None:
    """A bias job running or completed on the same table, label and facet (and no model): the report exists."""
    def same(job: Job) -> bool:
        config = job.config
        return ((config.get("source") or {}).get("table") == request.source.table and config.get("label") == request.label
                and config.get("facet") == request.facet and not config.get("model_id") and not config.get("sql"))

    ours = [job for job in jobs if job.kind == "bias" and same(job) and (job.status in UNFINISHED or job.status == "Completed")]
    return max(ours, key=lambda job: job.created_at) if ours else None


# -- one build at a time ----------------------------------------------------------------------------------------


@contextlib.contextmanager
def build_lock(home: Path, wait: bool) -> Iterator[bool]:
    """Hold ``<home>/demo/build.lock`` (an flock, released when the process dies) while building; yields False
    at once when another build holds it and ``wait`` is False."""
    path = Path(home) / "demo" / "build.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_in_progress(home: Path) -> bool:
    """Whether some process holds the build lock right now (a status left ``running`` without it was interrupted)."""
    with build_lock(home, wait=False) as acquired:
        return not acquired
