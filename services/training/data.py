"""Where training data comes from: a catalog table (at its current version) or a file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from services.catalog.base import CatalogPort
from services.catalog.files import inspect_path
from services.config import Settings
from services.errors import InvalidInput
from services.models import Column, DataSource, ModelRecord
from services.paths import readable_path

CHUNK_ROWS = 10_000  # rows scored per call: bounds memory and gives the jobs' progress its steps


def split_table_name(name: str) -> tuple[str, str]:
    database, _, table = name.partition(".")
    if not database or not table:
        raise InvalidInput(f"{name!r} is not DATABASE.TABLE.", hint="Write it as e.g. demo.reviews_sentiment.")
    return database.lower(), table.lower()


def resolve_source(catalog: CatalogPort, settings: Settings,
                   source: DataSource) -> tuple[DataSource, tuple[Column, ...]]:
    """The source with its table version pinned, and its columns; raises when it does not exist.
    A file must lie under ``settings``' import roots (nothing hidden)."""
    if bool(source.table) == bool(source.path):
        raise InvalidInput("Give either a catalog table or a data file.", hint="Use --table DB.TABLE or --data FILE.")
    if source.table:
        table = catalog.get_table(*split_table_name(source.table))
        return replace(source, table=table.qualified_name, table_version=table.version_id), table.all_columns
    path = readable_path(source.path, settings)
    return replace(source, path=str(path)), inspect_path(path).columns


def pinned_columns(catalog: CatalogPort, settings: Settings, source: DataSource) -> tuple[Column, ...]:
    """The columns of a source a job was started with. Its file was checked against the import roots and
    resolved when the job was submitted; a worker does not check again, since its current directory (a
    default root) may not be the app's."""
    if source.path:
        return inspect_path(Path(source.path)).columns
    return resolve_source(catalog, settings, source)[1]


def input_schema_from_source(catalog: CatalogPort, settings: Settings, source: DataSource,
                             columns: list[str]) -> tuple[Column, ...]:
    """A model's input columns with the Glue types its training source declares (string where it declares none)."""
    types = {c.name: c.type for c in pinned_columns(catalog, settings, source)}
    return tuple(Column(name, types.get(name, "string")) for name in columns)


def require_column(columns: tuple[Column, ...], name: str, role: str) -> None:
    names = [c.name for c in columns]
    if name not in names:
        raise InvalidInput(
            f"The {role} column {name!r} is not in the data.", hint=f"Pick one of: {', '.join(names[:30])}."
        )


def load_frame(settings: Settings, source: DataSource) -> pd.DataFrame:
    """All rows of the source as a DataFrame, for a job worker (tables read through the local storage port)."""
    if source.table:
        from services.stack import open_local  # here: the aws adapters import this module, not the local engines

        return open_local(settings).storage.read_table(*split_table_name(source.table))
    return read_file(Path(source.path))


def read_file(path: Path) -> pd.DataFrame:
    """A data file (or a folder of them) with the catalog's sanitised column names."""
    inspected = inspect_path(path)
    frames = [_read_one(file, inspected.format) for file in inspected.files]
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    originals = [c.comment or c.name for c in inspected.columns]
    return frame[originals].set_axis([c.name for c in inspected.columns], axis=1)


def _read_one(path: Path, fmt: str) -> pd.DataFrame:
    if fmt == "parquet":
        return pd.read_parquet(path)
    if fmt == "json":
        return pd.read_json(path, lines=True)
    return pd.read_csv(path, sep="\t" if fmt == "tsv" else ",")


def check_inputs(frame: pd.DataFrame, record: ModelRecord) -> None:
    """``InvalidInput`` when the data is empty or lacks columns the model reads."""
    missing = [c.name for c in record.input_schema if c.name not in frame.columns]
    if missing:
        raise InvalidInput(f"The data lacks columns model {record.model_id} needs: {', '.join(missing[:20])}.",
                           hint="Score a table or file with the columns the model was trained on.")
    if frame.empty:
        raise InvalidInput("The data has no rows to score.", hint="Pick a table or file with rows.")
