"""Read a session's sections through the ports, each capped (one item past the cap is asked for, to know that
more exist). A section the backend cannot read (``ServiceError``) keeps its message; the others are still read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from services.bias.base import BiasPort
from services.endpoints.base import EndpointsPort
from services.errors import ServiceError
from services.export.capture import scored_reviews
from services.export.data import BiasEntry, Leaderboard, Listing, ScoredReview, SessionData
from services.jobs.base import JobsPort
from services.models import Job
from services.query.base import QueryPort
from services.runs.base import RunsPort
from services.training.base import TrainingPort

MAX_QUERIES = 50
MAX_BIAS_REPORTS = 5
MAX_LEADERBOARDS = 5
MAX_CANDIDATES = 15
MAX_TRAINING_JOBS = 30
MAX_RUNS = 25
MAX_ENDPOINTS = 10
MAX_REVIEWS = 30

T = TypeVar("T")


class SessionSources(Protocol):
    """The ports an export reads (``services.registry.Services`` has them all)."""

    @property
    def query(self) -> QueryPort: ...
    @property
    def bias(self) -> BiasPort: ...
    @property
    def jobs(self) -> JobsPort: ...
    @property
    def training(self) -> TrainingPort: ...
    @property
    def runs(self) -> RunsPort: ...
    @property
    def endpoints(self) -> EndpointsPort: ...


def collect_session(sources: SessionSources, created_at: str, backend: str) -> SessionData:
    """Every section, read now."""
    return SessionData(
        created_at=created_at, backend=backend,
        queries=read(lambda: capped(sources.query.history(limit=MAX_QUERIES + 1), MAX_QUERIES)),
        bias=read(lambda: bias_entries(sources)),
        leaderboards=read(lambda: leaderboards(sources.jobs, sources.training)),
        training=read(lambda: capped(sources.jobs.list_jobs(kind="training", limit=MAX_TRAINING_JOBS + 1), MAX_TRAINING_JOBS)),
        runs=read(lambda: capped(sources.runs.list_runs(limit=MAX_RUNS + 1), MAX_RUNS)),
        reviews=read(lambda: recent_reviews(sources.endpoints)),
    )


def read(section: Callable[[], tuple[list[T], bool]]) -> Listing[T]:
    try:
        items, more = section()
    except ServiceError as exc:  # the backend's answer (unreachable, refused): said in the file, the rest goes on
        return Listing(error=exc.message + (f" ({exc.hint})" if exc.hint else ""))
    return Listing(tuple(items), more)


def capped(items: list[T], cap: int) -> tuple[list[T], bool]:
    return items[:cap], len(items) > cap


def bias_entries(sources: SessionSources) -> tuple[list[BiasEntry], bool]:
    """The newest completed bias jobs with their reports (the bias adapter is built only when there is one)."""
    jobs = sources.jobs.list_jobs(kind="bias", status="Completed", limit=MAX_BIAS_REPORTS + 1)
    finished, more = capped(jobs, MAX_BIAS_REPORTS)
    return [bias_entry(job, sources.bias) for job in finished], more


def bias_entry(job: Job, bias: BiasPort) -> BiasEntry:
    try:
        return BiasEntry(job.name, job.created_at, bias.job_report(job.name))
    except ServiceError as exc:  # e.g. its analysis.json was deleted: the other reports still go in
        return BiasEntry(job.name, job.created_at, None, exc.message)


def leaderboards(jobs: JobsPort, training: TrainingPort) -> tuple[list[Leaderboard], bool]:
    """The newest Autopilot jobs, each with its best candidates."""
    found, more = capped(jobs.list_jobs(kind="autopilot", limit=MAX_LEADERBOARDS + 1), MAX_LEADERBOARDS)
    return [leaderboard(job, training) for job in found], more


def leaderboard(job: Job, training: TrainingPort) -> Leaderboard:
    try:
        candidates, more = capped(training.list_candidates(job.name), MAX_CANDIDATES)
    except ServiceError as exc:
        return Leaderboard(job.name, job.status, job.created_at, (), error=exc.message)
    return Leaderboard(job.name, job.status, job.created_at, tuple(candidates), more)


def recent_reviews(endpoints: EndpointsPort) -> tuple[list[ScoredReview], bool]:
    """The newest scored instances over the first ``MAX_ENDPOINTS`` endpoints, newest first."""
    listed = endpoints.list_endpoints()
    found: list[ScoredReview] = []
    more = len(listed) > MAX_ENDPOINTS
    for endpoint in listed[:MAX_ENDPOINTS]:
        captured = endpoints.recent_capture(endpoint.name, MAX_REVIEWS)
        more = more or len(captured) >= MAX_REVIEWS
        found.extend(review for invocation in captured
                     for review in scored_reviews(endpoint.name, invocation, endpoint.text_model))
    found.sort(key=lambda r: r.inference_time, reverse=True)
    return capped(found, MAX_REVIEWS)[0], more or len(found) > MAX_REVIEWS

