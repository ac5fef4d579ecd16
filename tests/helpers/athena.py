"""moto's Athena answering the SQL it is sent, from DuckDB over the frames a test gives.

moto implements Athena's API shapes but runs no SQL: ``GetQueryResults`` returns whatever the test
queued. Code that builds its own queries (the bias engine's aggregation, maxima and sample queries)
needs answers to the queries it really sends, so ``athena_answers_from`` runs each statement in
DuckDB (transpiled from Athena's dialect, as the local query adapter does) over the given tables and
stores the result as Athena returns it: every value a string (``VarCharValue``), NULL as an empty
cell, the header row first, the column types in ``ResultSetMetadata``, and the result CSV at the
query's output location in S3 (what exports and awswrangler read).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import pandas as pd
import pytest
import sqlglot

# DuckDB's type name -> the name Athena puts in ColumnInfo.Type
ATHENA_TYPES = {"BIGINT": "bigint", "INTEGER": "integer", "SMALLINT": "smallint", "TINYINT": "tinyint",
                "HUGEINT": "bigint", "DOUBLE": "double", "FLOAT": "real", "VARCHAR": "varchar", "BOOLEAN": "boolean",
                "DATE": "date", "TIMESTAMP": "timestamp"}


def athena_text(value: Any) -> dict[str, str]:
    """One cell as GetQueryResults has it."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return {}
    if isinstance(value, bool):
        return {"VarCharValue": "true" if value else "false"}
    return {"VarCharValue": str(value)}


def answer(connection: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """(Rows, ColumnInfo) of ``sql`` as Athena would return them. Athena's ``xxhash64`` (a seeded row order) is
    DuckDB's ``hash`` here: another order, as fixed from run to run."""
    connection.execute("CREATE OR REPLACE TEMP MACRO xxhash64(b) AS hash(b)")
    relation = connection.sql(sqlglot.transpile(sql, read="athena", write="duckdb")[0])
    names = relation.columns
    info = [{"Name": n, "Label": n, "Type": ATHENA_TYPES.get(str(t).split("(")[0], str(t).lower())}
            for n, t in zip(names, relation.types, strict=True)]
    rows = [{"Data": [{"VarCharValue": n} for n in names]}]
    rows += [{"Data": [athena_text(v) for v in row]} for row in relation.fetchall()]
    return rows, info


@contextmanager
def athena_answers_from(monkeypatch: pytest.MonkeyPatch, tables: dict[str, pd.DataFrame]) -> Iterator[list[str]]:
    """While active, every query moto's Athena starts is answered from ``tables`` ("database.table" ->
    rows); yields the list of statements sent, in order."""
    from moto.athena.models import AthenaBackend, QueryResults

    connection = duckdb.connect()
    for name, frame in tables.items():
        database, table = name.split(".")
        connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{database}"')
        connection.register("frame_view", frame)
        connection.execute(f'CREATE TABLE "{database}"."{table}" AS SELECT * FROM frame_view')
        connection.unregister("frame_view")
    sent: list[str] = []
    original = AthenaBackend.start_query_execution

    def start_query_execution(self: AthenaBackend, query: str, *args: Any, **kwargs: Any) -> str:
        execution_id: str = original(self, query, *args, **kwargs)
        sent.append(query)
        self.query_results[execution_id] = QueryResults(*answer(connection, query))
        self._store_query_result_in_s3(execution_id)  # the result CSV at the output location, as Athena writes it
        return execution_id

    monkeypatch.setattr(AthenaBackend, "start_query_execution", start_query_execution)
    try:
        yield sent
    finally:
        monkeypatch.setattr(AthenaBackend, "start_query_execution", original)
        connection.close()


def refuse_queries(monkeypatch: pytest.MonkeyPatch, containing: str, code: str, message: str) -> None:
    """From now on, Athena refuses every statement containing ``containing`` as AWS refuses a call
    (``Error.Code`` / ``Message``, e.g. AccessDeniedException, TooManyRequestsException); other
    statements still run. Set ``AWS_MAX_ATTEMPTS=1`` before the clients exist, or botocore retries throttling."""
    from moto.athena.models import AthenaBackend
    from moto.core.exceptions import JsonRESTError

    current = AthenaBackend.start_query_execution

    def start_query_execution(self: AthenaBackend, query: str, *args: Any, **kwargs: Any) -> str:
        if containing in query:
            raise JsonRESTError(code, message)
        execution_id: str = current(self, query, *args, **kwargs)
        return execution_id

    monkeypatch.setattr(AthenaBackend, "start_query_execution", start_query_execution)
