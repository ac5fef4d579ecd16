"""Local storage: tables read with the embedded DuckDB engine, folders catalogued by the local catalog."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from services.catalog.local import LocalCatalog
from services.models import Table
from services.names import glue_name
from services.query.local import LocalQuery


class LocalStorage:
    def __init__(self, catalog: LocalCatalog, query: LocalQuery) -> None:
        self._catalog = catalog
        self._query = query

    def read_table(self, database: str, table: str) -> pd.DataFrame:
        return self._query.read_table(database, table)

    def register_table(self, database: str, table: str, location: Path | str) -> Table:
        database, table = glue_name("database", database), glue_name("table", table)
        return self._catalog.register(database, table, Path(location))
