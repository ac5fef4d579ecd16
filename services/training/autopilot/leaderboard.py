"""What a search returns: its candidates (best first), the best one's predictor, and how to rebuild it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.models import Candidate
from services.runs.ranking import rank_key
from services.training.algorithms.base import Predictor
from services.training.autopilot.objectives import Objective


@dataclass
class CandidateResult:
    """One candidate: its validation objective, time to train and the hyperparameters it used."""

    name: str
    algorithm: str
    objective_value: float | None
    training_seconds: float
    params: dict[str, Any] = field(default_factory=dict)
    status: str = "Completed"

    def to_candidate(self, objective: Objective, model_id: str = "") -> Candidate:
        value = None if self.objective_value is None else round(float(self.objective_value), 6)
        return Candidate(name=self.name, algorithm=self.algorithm, objective_name=objective.name, objective_value=value,
                         training_seconds=round(self.training_seconds, 3), model_id=model_id, status=self.status)


@dataclass
class SearchResult:
    """A finished search. ``definition`` says how to retrain the best candidate (for the notebook)."""

    mode: str
    candidates: list[CandidateResult]
    predictor: Predictor
    definition: dict[str, Any]

    @property
    def best(self) -> CandidateResult:
        return self.candidates[0]


def best_first(candidates: list[CandidateResult], objective: Objective) -> list[CandidateResult]:
    """Completed candidates by objective, best first; failed ones last. Ties follow the one ranking rule of
    ``services.runs.ranking`` (earlier finished, then name): candidates train one after another, so training
    order is the order they finished in."""
    order = {id(c): f"{index:06d}" for index, c in enumerate(candidates)}
    return sorted(candidates, key=lambda c: (c.status != "Completed", rank_key(
        c.objective_value, objective.greater_is_better, order[id(c)], c.name)))
