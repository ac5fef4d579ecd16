"""The quality port on the local stack: the shared engine's queries run in the sandboxed DuckDB (the query port)."""

from __future__ import annotations

from services.catalog.base import CatalogPort
from services.quality import engine
from services.quality.base import Progress, QualityPort
from services.quality.models import QualityReport, QualityRequest
from services.query.base import QueryPort


class LocalQuality:
    def __init__(self, query: QueryPort, catalog: CatalogPort) -> None:
        self.query = query
        self.catalog = catalog

    def report(self, request: QualityRequest, progress: Progress | None = None) -> QualityReport:
        return engine.report(request, self.query, self.catalog, progress)

    def columns(self, request: QualityRequest) -> dict[str, str]:
        return engine.columns(request, self.query, self.catalog)


def build_local_quality(*, query: QueryPort, catalog: CatalogPort) -> QualityPort:
    return LocalQuality(query, catalog)
