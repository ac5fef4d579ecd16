"""What an export holds: each section's items (capped, with what was left out), read once from the ports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from services.bias.models import BiasReport
from services.models import Candidate, HistoryEntry, Job, RunSummary

T = TypeVar("T")


@dataclass(frozen=True)
class Listing(Generic[T]):
    """One section's items, newest first. ``more`` says that items past the cap were left out; ``error`` that the
    section could not be read (the backend's message)."""

    items: tuple[T, ...] = ()
    more: bool = False
    error: str = ""


@dataclass(frozen=True)
class BiasEntry:
    """A finished bias job and its report (or why the report could not be read)."""

    job_name: str
    created_at: str
    report: BiasReport | None
    error: str = ""


@dataclass(frozen=True)
class Leaderboard:
    """An Autopilot job's candidates, best first (at most the cap; ``more`` when some were left out)."""

    job_name: str
    status: str
    created_at: str
    candidates: tuple[Candidate, ...]
    more: bool = False
    error: str = ""


@dataclass(frozen=True)
class ScoredReview:
    """One instance an endpoint scored, from its data capture; tokens and their per-class contributions when the
    request asked for explanations (``explain=true``)."""

    endpoint: str
    inference_time: str
    variant: str
    text: str
    predicted_label: str
    probability: float | None = None
    probabilities: dict[str, float] = field(default_factory=dict)
    tokens: tuple[str, ...] = ()
    token_scores: dict[str, tuple[float, ...]] = field(default_factory=dict)
    text_cut: bool = False  # the text was longer than the file keeps
    is_review: bool = True  # a text; False: a tabular record shown as JSON


@dataclass(frozen=True)
class SessionData:
    created_at: str
    backend: str
    queries: Listing[HistoryEntry]
    bias: Listing[BiasEntry]
    leaderboards: Listing[Leaderboard]
    training: Listing[Job]
    runs: Listing[RunSummary]
    reviews: Listing[ScoredReview]


@dataclass(frozen=True)
class SectionSummary:
    """What one section of the file holds: ``count`` items (``more``: others were left out by the cap)."""

    key: str
    title: str
    count: int
    more: bool = False
    error: str = ""

    def to_json(self) -> dict[str, object]:
        return {"section": self.key, "title": self.title, "count": self.count, "capped": self.more,
                **({"error": self.error} if self.error else {})}


@dataclass(frozen=True)
class SessionExport:
    """The HTML document and what each section holds."""

    html: str
    sections: tuple[SectionSummary, ...]
    created_at: str

    @property
    def size_bytes(self) -> int:
        return len(self.html.encode("utf-8"))
