"""Objects in and out of the lake for container jobs: ``s3://BUCKET/KEY`` is ``WORKBENCH_HOME/lake/BUCKET/KEY``
(``lake_path`` refuses keys that leave the lake, through ``..`` or a link).

Inputs are copied into each instance's folder, as SageMaker downloads them. Files of ``LINK_MIN_BYTES`` or more
are hard-linked instead (same file system; a copy otherwise), so a large input costs no disk space or time per
instance. A hard link is the lake's object itself: a script that rewrites an input file in place (rather than
writing a new file) changes the lake's object, where on SageMaker it would change only its own copy.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from services.errors import InvalidInput, NotFound

LINK_MIN_BYTES = 64 * 1024 * 1024


def lake_path(lake: Path, uri: str) -> Path:
    """``s3://BUCKET/KEY`` → ``<lake>/BUCKET/KEY``; ``InvalidInput`` for a key that would leave the lake."""
    if not isinstance(uri, str) or not uri.startswith("s3://"):
        raise InvalidInput(f"{uri!r} is not an s3:// URI.", hint="Locally s3://BUCKET/KEY is WORKBENCH_HOME/lake/BUCKET/KEY.")
    key = uri[len("s3://"):]
    parts = [part for part in key.split("/") if part]
    if not parts or any(part in (".", "..") for part in parts) or "\x00" in key or key.startswith("/"):
        raise InvalidInput(f"{uri!r} leads outside the lake.", hint="Use s3://BUCKET/KEY without '..' or absolute keys.")
    path = lake.joinpath(*parts)
    if not path.resolve().is_relative_to(lake.resolve()):
        raise InvalidInput(f"{uri!r} leads outside the lake (through a link).", hint="Use a key inside the lake.")
    return path


def input_objects(lake: Path, uri: str, data_type: str) -> dict[str, Path]:
    """The objects an S3 input names, ``{key relative to the input: file}``; ``NotFound`` when there are none.
    S3Prefix: the object itself, or every object under the prefix; ManifestFile: the objects it lists."""
    if data_type == "ManifestFile":
        return _manifest_objects(lake, uri)
    source = lake_path(lake, uri)
    if source.is_file():
        return {source.name: source}
    found = {p.relative_to(source).as_posix(): p for p in sorted(source.rglob("*")) if p.is_file()} if source.is_dir() else {}
    if not found:
        raise NotFound(f"No objects under {uri} (locally {source}).", hint="Write the input data there first.")
    return found


def _manifest_objects(lake: Path, uri: str) -> dict[str, Path]:
    """A manifest: ``[{"prefix": "s3://b/p/"}, "key1", "key2", …]`` (SageMaker's ManifestFile format)."""
    try:
        entries = json.loads(lake_path(lake, uri).read_text(encoding="utf-8"))
        prefix = str(entries[0]["prefix"])
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise InvalidInput(f"{uri} is not a manifest file ([{{\"prefix\": …}}, \"key\", …]): {exc}",
                           hint="Write the manifest in SageMaker's ManifestFile format.") from exc
    found = {}
    for relative in map(str, entries[1:]):
        parts = [part for part in relative.split("/") if part]
        if not parts or any(part in (".", "..") for part in parts) or relative.startswith("/"):
            raise InvalidInput(f"Manifest {uri} lists {relative!r}, which leads outside the channel.", hint="Use relative keys.")
        found["/".join(parts)] = lake_path(lake, prefix.rstrip("/") + "/" + relative)
    return found


def place(objects: dict[str, Path], target: Path, link_min_bytes: int = LINK_MIN_BYTES) -> int:
    """Put ``objects`` under ``target`` at their relative keys (copies; hard links from ``link_min_bytes``); how many."""
    target.mkdir(parents=True, exist_ok=True)
    for key, source in objects.items():
        destination = target / key
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.stat().st_size >= link_min_bytes and _hard_link(source, destination):
            continue
        shutil.copy2(source, destination)
    return len(objects)


def _hard_link(source: Path, destination: Path) -> bool:
    try:
        os.link(source, destination)
    except OSError:  # another file system, or links not allowed: copy instead
        return False
    return True


def copy_from_lake(lake: Path, uri: str, data_type: str, target: Path) -> int:
    """Copy the objects an S3 input names into ``target``; how many files. ``NotFound`` when there are none."""
    return place(input_objects(lake, uri, data_type), target)


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
