"""Model artifacts into the lake for training container jobs (``<S3OutputPath>/<job>/output/model.tar.gz``);
objects in and out of the lake are the processing capability's (``services/processing/lake.py``)."""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

from services.processing.lake import lake_path


def upload_model(lake: Path, model_dir: Path, output_data_dir: Path | None, request: dict[str, Any],
                 job_name: str) -> str:
    """``<S3OutputPath>/<job>/output/model.tar.gz`` (and ``output.tar.gz`` of output/data when it has files)."""
    prefix = str(request["OutputDataConfig"]["S3OutputPath"]).rstrip("/") + f"/{job_name}/output"
    destination = lake_path(lake, prefix)
    destination.mkdir(parents=True, exist_ok=True)
    _tar(model_dir, destination / "model.tar.gz")
    if output_data_dir is not None and any(p.is_file() for p in output_data_dir.rglob("*")):
        _tar(output_data_dir, destination / "output.tar.gz")
    return f"{prefix}/model.tar.gz"


def _tar(folder: Path, archive: Path) -> None:
    with tarfile.open(archive, "w:gz") as handle:
        for path in sorted(folder.rglob("*")):
            handle.add(path, arcname=path.relative_to(folder).as_posix(), recursive=False)
