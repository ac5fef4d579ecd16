"""The one ranking rule for runs and Autopilot candidates: the better metric first, then the one that finished
earlier, then the name. Compare runs' leaderboard and Autopilot's candidate ranking both sort with
``rank_key``, so they name the same winner when values tie."""

from __future__ import annotations

import math

MISSING_LAST = (1, 0.0)
NOT_FINISHED = "\uffff"


def rank_key(value: float | None, higher_is_better: bool, finished_at: str, name: str
             ) -> tuple[tuple[int, float], str, str]:
    """A sort key, best first: a missing or NaN value sorts last; ties go to the earlier ``finished_at``
    (ISO-8601 text, or any text that sorts in finishing order; "" = not finished, after every finished one),
    then to ``name``."""
    finished = finished_at or NOT_FINISHED
    if value is None or not math.isfinite(value):
        return MISSING_LAST, finished, name
    return (0, -value if higher_is_better else value), finished, name
