"""The quality port: Data Wrangler's Data Quality and Insights report for a table or a SQL result.

Both adapters compute what they can with aggregation queries through the query port (DuckDB locally,
Athena on AWS), so a table larger than memory is profiled without loading it: row count, duplicate
rows, per column missing / distinct / min / max / mean / quantiles, histograms, top values, text
lengths and the target's balance. The rest — outliers, top words, target leakage and the Quick Model —
comes from one random sample of at most ``request.sample_rows`` rows, and the report says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from services.quality.models import QualityReport, QualityRequest

Progress = Callable[[float, str], None]  # (fraction done 0..1, what is being done)


class QualityPort(Protocol):
    def report(self, request: QualityRequest, progress: Progress | None = None) -> QualityReport:
        """Compute the report now (seconds; the queries are recorded in the query history). ``NotFound`` for an
        unknown table, ``QueryFailed`` / ``QueryRefused`` for bad SQL, ``InvalidInput`` for a target column
        that is not in the data or has fewer than two values. ``progress`` is called as parts finish."""
        ...

    def columns(self, request: QualityRequest) -> dict[str, str]:
        """The data's columns and their engine types (for the target picker), without reading rows."""
        ...
