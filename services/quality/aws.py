"""The quality port on AWS: the shared engine's queries run in Athena (the query port), the sample comes back
through ``GetQueryResults``; nothing is loaded from S3 directly.

Why the same engine: Data Wrangler's own report runs on a sample inside its app; here every aggregate is an
Athena query over the whole table, so the numbers match the local backend's and a table of any size is
profiled. The report carries Athena's ``DataScannedInBytes`` summed over its queries (what they cost).

What differs: the sample (up to 100,000 rows) is read from the result CSV Athena writes to its output location —
one S3 GET — instead of ``GetQueryResults``, which pages 1,000 rows per call (a hundred calls in a row).
"""

from __future__ import annotations

import pandas as pd

from services.catalog.base import CatalogPort
from services.quality import engine
from services.quality.base import Progress, QualityPort
from services.quality.models import QualityReport, QualityRequest
from services.query.aws import csv_frame
from services.query.base import QueryPort


class AwsQuality:
    def __init__(self, query: QueryPort, catalog: CatalogPort) -> None:
        self.query = query
        self.catalog = catalog

    def report(self, request: QualityRequest, progress: Progress | None = None) -> QualityReport:
        """The shared engine over Athena (Glue says whether a table exists)."""
        return engine.report(request, self.query, self.catalog, progress, read_sample=sample_from_result_file)

    def columns(self, request: QualityRequest) -> dict[str, str]:
        return engine.columns(request, self.query, self.catalog)


def sample_from_result_file(run: engine.Run, query_id: str, rows: int) -> pd.DataFrame:
    """The sample query's rows from its result CSV in S3, typed by the result's ``ColumnInfo`` (the sample query
    keeps about ``rows`` rows, so the file is small)."""
    head = run.result(query_id, 1)  # waits for the query; its columns and statistics
    if head.statistics.rows <= 1:
        return head.frame
    return csv_frame(run.query.export_result(query_id, "csv"), head.columns).head(rows)


def build_aws_quality(*, query: QueryPort, catalog: CatalogPort) -> QualityPort:
    return AwsQuality(query, catalog)
