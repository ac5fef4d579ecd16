"""The one-line recording hooks of the local backend, called where entities are made: a job's end (job_worker), a
table version (catalog), a model registration (model registry), a deploy (endpoints) and a monitoring report.

Lineage is a record of the work, not the work: a failure here never fails the job, the import or the deploy. It is
logged where the user looks — the job's log when there is one, else the process's log with the traceback."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from services.embedded.metadata import MetadataStore
from services.lineage import record
from services.lineage.store import LineageStore

log = logging.getLogger(__name__)


@contextmanager
def _recording(what: str, report: Callable[[str], None] | None = None) -> Iterator[None]:
    try:
        yield
    except Exception:  # noqa: BLE001 - see the module docstring: logged with the traceback, never raised
        if report is not None:
            report(f"Lineage not recorded for {what}:\n{traceback.format_exc()}")
        else:
            log.warning("Lineage not recorded for %s", what, exc_info=True)


def record_finished_job(store: MetadataStore, job: Any, report: Callable[[str], None]) -> None:
    """A finished job (``services.models.Job``): its trial component, inputs and outputs; problems go to ``report``
    (the job's log)."""
    with _recording(f"job {job.name}", report):
        lineage = LineageStore(store)
        finished = record.FinishedJob(job.name, job.kind, job.config, job.result, job.model_id, job.created_at)
        versions, locations = {}, {}
        for table in record.tables_named(job.config, job.result):
            database, _, name = table.partition(".")
            recorded = [v for v in lineage.table_versions(database, name) if v.properties["version"].isdigit()]
            if recorded:
                versions[table] = recorded[0].properties["version"]
            locations.update({f"{table}@{v.properties['version']}": v.source_uri for v in recorded})
        lineage.save(record.job_record(_with(finished, versions, locations)))


def _with(job: record.FinishedJob, versions: dict[str, str], locations: dict[str, str]) -> record.FinishedJob:
    return record.FinishedJob(job.name, job.kind, job.config, job.result, job.model_id, job.created_at, versions,
                              locations)


def record_table_version(store: MetadataStore, database: str, table: str, version: str, location: str) -> None:
    with _recording(f"table {database}.{table} version {version}"):
        LineageStore(store).save(record.table_version_record(database, table, version, location))


def record_model_version(store: MetadataStore, model_id: str, job_name: str, artifact_path: str,
                         created_at: str = "") -> None:
    with _recording(f"model {model_id}"):
        LineageStore(store).save(record.model_version_record(model_id, job_name, artifact_path, created_at))


def record_approval(store: MetadataStore, model_id: str, status: str) -> None:
    with _recording(f"the approval of model {model_id}"):
        LineageStore(store).save(record.approval_record(model_id, status))


def record_deploy(store: MetadataStore, endpoint: str, created_at: str, model_ids: list[str], deployed_at: str = "") -> None:
    """An endpoint's creation, or (``deployed_at``) an update of it to other models."""
    with _recording(f"endpoint {endpoint}"):
        LineageStore(store).save(record.deploy_record(endpoint, created_at, model_ids, deployed_at))


def record_monitoring_report(store: MetadataStore, endpoint: str, report_path: str, created_at: str = "") -> None:
    """The endpoint's latest context (its current incarnation) Produced the report."""
    with _recording(f"the monitoring report {report_path}"):
        lineage = LineageStore(store)
        contexts = lineage.endpoint_contexts(endpoint)
        context = contexts[0] if contexts else record.endpoint_context(endpoint, created_at)
        lineage.save(record.monitoring_report_record(context, report_path, created_at))
