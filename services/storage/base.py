"""Storage port: whole tables in and out of the lake, for capabilities that work on data rather than SQL.

Training, batch scoring, monitoring and feature groups read a catalog table whole or register a folder
they wrote as a table; they do it through this port, never through another capability's internals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import pandas as pd

from services.models import Table


@runtime_checkable
class StoragePort(Protocol):
    def read_table(self, database: str, table: str) -> pd.DataFrame:
        """Every row of a catalog table (not recorded in the query history). ``NotFound`` if unknown."""
        ...

    def register_table(self, database: str, table: str, location: Path | str) -> Table:
        """Catalog data already written at ``location`` (a lake folder locally, an S3 prefix on AWS)
        as ``database.table``, creating the database if needed; a new version when the schema changed."""
        ...
