"""The worker task of an ingestion job (kind "ingestion"): ``run(ctx)``.

The job ingests its source into its feature group chunk by chunk, reporting "rows so far / total" as the job's
progress after each chunk (the Jobs page shows it); its result is ``IngestResult.as_api()``.
"""

from __future__ import annotations

from services.embedded.job_worker import JobContext
from services.features.local import open_local_features
from services.features.models import IngestSource


def run(ctx: JobContext) -> None:
    name = str(ctx.config["feature_group"])
    source = IngestSource(**ctx.config["source"])
    features = open_local_features(ctx.settings)
    ctx.secondary("Ingesting", f"{source.label} into feature group {name}")

    def progress(done: int, total: int) -> None:
        ctx.progress(done / total if total else 1.0, f"{done:,} of {total:,} rows ingested")

    result = features.ingest_checked_source(name, source, progress)
    for line in result.errors:
        ctx.log(f"Skipped {line}")
    ctx.log(f"Ingested {result.ingested:,} rows, {result.failed:,} failed")
    message = f"{result.ingested + result.failed:,} of {result.ingested + result.failed:,} rows ingested"
    ctx.finish_with(result={**result.as_api(), "progress": 1.0, "progress_message": message})
