"""The quality port on AWS: the shared engine's queries run in Athena (the query port), the sample comes back
through ``GetQueryResults``; nothing is loaded from S3 directly.

Why the same engine: Data Wrangler's own report runs on a sample inside its app; here every aggregate is an
Athena query over the whole table, so the numbers match the local backend's and a table of any size is
profiled. The report carries Athena's ``DataScannedInBytes`` summed over its queries (what they cost).
"""

from __future__ import annotations

from services.catalog.base import CatalogPort
from services.quality import engine
from services.quality.base import Progress, QualityPort
from services.quality.models import QualityReport, QualityRequest
from services.query.base import QueryPort


class AwsQuality:
    def __init__(self, query: QueryPort, catalog: CatalogPort) -> None:
        self.query = query
        self.catalog = catalog

    def report(self, request: QualityRequest, progress: Progress | None = None) -> QualityReport:
        """The shared engine over Athena (Glue says whether a table exists)."""
        return engine.report(request, self.query, self.catalog, progress)

    def columns(self, request: QualityRequest) -> dict[str, str]:
        return engine.columns(request, self.query, self.catalog)


def build_aws_quality(*, query: QueryPort, catalog: CatalogPort) -> QualityPort:
    return AwsQuality(query, catalog)
