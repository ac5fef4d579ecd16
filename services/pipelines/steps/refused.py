"""Step types the local engine recognises but does not run yet: refused at upsert, naming the step and why."""

from __future__ import annotations

from typing import Any

from services.errors import InvalidInput
from services.pipelines.steps.base import StepOutcome, StepRun


class RefusedExecutor:
    """Refuses every step of its type at validate (so at upsert) and, should one reach it, at start."""

    def __init__(self, step_type: str, reason: str, hint: str) -> None:
        self.step_type = step_type
        self.reason = reason
        self.hint = hint

    def validate(self, step_name: str, arguments: dict[str, Any]) -> None:
        raise InvalidInput(f"Step {step_name!r} ({self.step_type}): {self.reason}", hint=self.hint)

    def start(self, run: StepRun) -> str:
        self.validate(run.step_name, run.arguments)
        return ""

    def outcome(self, run: StepRun) -> StepOutcome:
        self.validate(run.step_name, run.arguments)
        return StepOutcome({})
