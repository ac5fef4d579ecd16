"""Lineage on the local stack: the tables the hooks fill in the metadata store, walked like QueryLineage."""

from __future__ import annotations

from services.embedded.embedded_stack import EmbeddedStack
from services.errors import InvalidInput, NotFound
from services.lineage.base import LineagePort
from services.lineage.graph import walk
from services.lineage.models import (
    DEFAULT_MAX_VERTICES,
    PIPELINE_EXECUTION,
    START_KINDS,
    Association,
    Entity,
    LineageGraph,
    LineageStart,
    check_query,
)
from services.lineage.record import model_package_artifact
from services.lineage.store import LineageStore

NOTHING_YET = "Lineage appears when a job runs, a model is registered or deployed, or a table is imported."


class LocalLineage:
    def __init__(self, stack: EmbeddedStack) -> None:
        self.store = LineageStore(stack.store)

    def resolve(self, start: LineageStart) -> list[str]:
        if start.kind not in START_KINDS:
            raise InvalidInput(f"{start.kind!r} is not something lineage starts from.", hint=f"Use one of {', '.join(START_KINDS)}.")
        found = self._resolve(start)
        if not found:
            raise NotFound(f"No lineage is recorded for {start.label}.", hint=NOTHING_YET)
        return found

    def _resolve(self, start: LineageStart) -> list[str]:
        value = start.value.strip()
        if start.kind == "arn" or value.startswith("arn:"):
            found = self._by_arn(value)
            return [found] if found else []
        if start.kind == "table":
            database, _, table = value.partition(".")
            return [e.arn for e in self.store.table_versions(database, table)]
        if start.kind == "model":
            arn = model_package_artifact(value).arn
            return [arn] if self.store.entity(arn) else []
        endpoint = [e.arn for e in self.store.endpoint_contexts(value)[:1]] if start.kind in ("endpoint", "name") else []
        return endpoint or (self._job(value) if start.kind in ("job", "name") else [])

    def _by_arn(self, arn: str) -> str:
        """An entity's ARN, or a model package's ARN to its Model artifact ("" when nothing is recorded)."""
        if self.store.entity(arn):
            return arn
        if ":model-package/" in arn:  # a model package is recorded as the Model artifact its ARN is the source of
            package = model_package_artifact(arn.split(":model-package/", 1)[1])
            return package.arn if self.store.entity(package.arn) else ""
        return ""

    def _job(self, name: str) -> list[str]:
        jobs = [e.arn for e in self.store.find(name=name) if e.lineage_type == "TrialComponent"]
        return jobs or [e.arn for e in self.store.find(PIPELINE_EXECUTION) if e.source_uri.endswith(f"/{name}")]

    def query_lineage(self, start: LineageStart, direction: str = "Both", max_depth: int = 3,
                      max_vertices: int = DEFAULT_MAX_VERTICES) -> LineageGraph:
        direction, max_depth = check_query(direction, max_depth, max_vertices)
        arns = self.resolve(start)
        return walk(arns, direction, max_depth, max(max_vertices, len(arns)), self.store.associations_of,
                    self.store.entity)

    def describe_entity(self, arn: str) -> Entity:
        entity = self.store.entity(arn)
        if entity is None:
            raise NotFound(f"No lineage entity {arn}.", hint=NOTHING_YET)
        return entity

    def list_associations(self, arn: str) -> list[Association]:
        self.describe_entity(arn)
        return self.store.associations_of(arn)


def build_local_lineage(stack: EmbeddedStack) -> LineagePort:
    return LocalLineage(stack)
