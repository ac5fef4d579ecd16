"""Objects in and out of the lake for container jobs: ``s3://BUCKET/KEY`` is ``WORKBENCH_HOME/lake/BUCKET/KEY``
(``cache.lake_path`` refuses keys that leave the lake)."""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path
from typing import Any

from services.errors import InvalidInput, NotFound
from services.pipelines.cache import lake_path


def copy_from_lake(lake: Path, uri: str, data_type: str, target: Path) -> int:
    """Copy the objects an S3 input names into ``target``; how many files. ``NotFound`` when there are none."""
    target.mkdir(parents=True, exist_ok=True)
    if data_type == "ManifestFile":
        return _copy_manifest(lake, uri, target)
    source = lake_path(lake, uri)
    if source.is_file():
        shutil.copy2(source, target / source.name)
        return 1
    if source.is_dir() and any(p.is_file() for p in source.rglob("*")):
        shutil.copytree(source, target, dirs_exist_ok=True)
        return sum(1 for p in source.rglob("*") if p.is_file())
    raise NotFound(f"No objects under {uri} (locally {source}).", hint="Write the input data there first.")


def _copy_manifest(lake: Path, uri: str, target: Path) -> int:
    """A manifest: ``[{"prefix": "s3://b/p/"}, "key1", "key2", …]`` (SageMaker's ManifestFile format)."""
    try:
        entries = json.loads(lake_path(lake, uri).read_text(encoding="utf-8"))
        prefix = str(entries[0]["prefix"])
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise InvalidInput(f"{uri} is not a manifest file ([{{\"prefix\": …}}, \"key\", …]): {exc}",
                           hint="Write the manifest in SageMaker's ManifestFile format.") from exc
    for relative in entries[1:]:
        source = lake_path(lake, prefix.rstrip("/") + "/" + str(relative))
        destination = target / str(relative)
        if not destination.resolve().is_relative_to(target.resolve()):
            raise InvalidInput(f"Manifest {uri} lists {relative!r}, which leads outside the channel.", hint="Use relative keys.")
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)
    return len(entries) - 1


def copy_to_lake(lake: Path, folder: Path, uri: str) -> int:
    """Copy a folder's files under ``uri`` (overwriting objects with the same key, as S3 does); how many."""
    destination = lake_path(lake, uri)
    files = [p for p in folder.rglob("*") if p.is_file()]
    if files:
        shutil.copytree(folder, destination, dirs_exist_ok=True)
    return len(files)


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))


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
