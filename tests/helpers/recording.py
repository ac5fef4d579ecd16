"""A Reporter that keeps what training reports, for algorithm tests."""

from __future__ import annotations


class RecordingReporter:
    """Keeps what training reports."""

    def __init__(self) -> None:
        self.logs: list[str] = []
        self.metrics: list[tuple[str, float, int | None]] = []
        self.fractions: list[float] = []

    def log(self, message: str) -> None:
        self.logs.append(message)

    def metric(self, name: str, value: float, step: int | None = None) -> None:
        self.metrics.append((name, value, step))

    def progress(self, fraction: float, message: str = "") -> None:
        self.fractions.append(fraction)

    def steps(self, name: str) -> list[int | None]:
        return [step for metric, _, step in self.metrics if metric == name]
