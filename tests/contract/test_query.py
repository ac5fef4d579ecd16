"""The query port's contract: every adapter must pass ``QueryContract``.

moto implements Athena's API shapes but never runs SQL: a query's rows come from a queue the test
fills (``expect_result``). So the contract holds what both adapters can show honestly: executions,
statuses, results as the engine returns them, history, saved queries and refusals. Tests that need
real SQL over real data (estimates, exports, CTAS, failures, timeouts) are local-only and live in
``TestLocalQuery`` below, each saying why.
"""

from __future__ import annotations

import io
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest
from botocore.stub import Stubber

from services.errors import AlreadyExists, InvalidInput, NotFound, QueryFailed, QueryRefused
from services.models import SavedQuery
from services.registry import Services, build_services
from tests.helpers.aws import REGION, athena_execution_count, aws_settings, queue_athena_result
from tests.helpers.workspace import settings_for_tests

REFUSED = [
    ("SELECT * FROM read_csv('/etc/passwd')", "reads files directly"),
    ("SELECT * FROM '/etc/passwd'", "directly is not allowed"),
    ("SELECT * FROM glob('/etc/*')", "reads files directly"),
    ("COPY (SELECT 1) TO '/tmp/out.csv'", "COPY is not allowed"),
    ("INSTALL httpfs", "INSTALL is not allowed"),
    ("LOAD httpfs", "LOAD is not allowed"),
    ("ATTACH '/tmp/x.db' AS x", "ATTACH is not allowed"),
    ("PRAGMA database_list", "PRAGMA is not allowed"),
    ("SET memory_limit = '64GB'", "SET is not allowed"),
    ("CREATE TABLE contract.t AS SELECT 1", "CREATE is not allowed"),
    ("DROP TABLE contract.t", "DROP is not allowed"),
    ("ALTER TABLE contract.t RENAME TO u", "ALTER is not allowed"),
    ("INSERT INTO contract.t VALUES (1)", "INSERT is not allowed"),
    ("UPDATE contract.t SET a = 1", "UPDATE is not allowed"),
    ("DELETE FROM contract.t", "DELETE is not allowed"),
    ("SELECT 1; SELECT 2", "one statement at a time"),
]


class QueryContract:
    """Tests any query adapter must pass. Subclasses provide ``services`` and the two hooks."""

    @pytest.fixture
    def services(self) -> Services:
        raise NotImplementedError

    def expect_result(self, columns: list[tuple[str, str]], rows: list[list[str | None]]) -> None:
        """Make the engine's next SELECT return this (a no-op where the engine really runs SQL)."""

    def executions_run(self, services: Services) -> int:
        """How many statements reached the engine so far."""
        raise NotImplementedError

    def expect_unknown_query(self, services: Services, monkeypatch: pytest.MonkeyPatch, calls: int) -> None:
        """Make the engine answer the next ``calls`` look-ups as it does for an id it never issued."""

    def test_start_status_result(self, services: Services) -> None:
        self.expect_result([("n", "integer"), ("word", "varchar")], [["1", "a"], ["2", "b"]])
        query_id = services.query.start_query("SELECT n, word FROM (VALUES (1, 'a'), (2, 'b')) AS t(n, word)")
        assert isinstance(query_id, str) and query_id
        result = services.query.get_result(query_id)
        assert result.query_id == query_id
        assert [(c.name, c.type) for c in result.columns] == [("n", "integer"), ("word", "varchar")]
        assert result.frame.values.tolist() == [[1, "a"], [2, "b"]]
        assert result.statistics.rows == 2
        assert result.truncated is False
        assert services.query.query_status(query_id).status == "SUCCEEDED"

    def test_run_is_recorded_in_history(self, services: Services) -> None:
        self.expect_result([("x", "integer")], [["7"]])
        result = services.query.run("SELECT 7 AS x")
        entry = services.query.history()[0]
        assert (entry.query_id, entry.sql, entry.status) == (result.query_id, "SELECT 7 AS x", "SUCCEEDED")
        assert services.query.history(search="7 AS x")[0].query_id == result.query_id
        assert services.query.history(search="no such text") == []

    def test_history_is_newest_first(self, services: Services) -> None:
        ids = []
        for n in range(3):
            self.expect_result([("n", "integer")], [[str(n)]])
            ids.append(services.query.run(f"SELECT {n} AS n").query_id)
        assert [e.query_id for e in services.query.history(limit=3)] == ids[::-1]

    def test_unknown_query_id_is_not_found(self, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
        unknown = "00000000-0000-0000-0000-000000000000"
        calls = (services.query.query_status, services.query.get_result, services.query.cancel)
        self.expect_unknown_query(services, monkeypatch, len(calls))
        for call in calls:
            with pytest.raises(NotFound) as raised:
                call(unknown)
            assert unknown in raised.value.message

    @pytest.mark.parametrize("sql, message", REFUSED, ids=[sql.split()[0] + str(i) for i, (sql, _) in enumerate(REFUSED)])
    def test_refused_statements_raise_before_anything_runs(self, services: Services, sql: str, message: str) -> None:
        services.catalog.create_database("contract")
        before = self.executions_run(services)
        tables_before = services.catalog.list_tables("contract")
        with pytest.raises(QueryRefused, match=message) as caught:
            services.query.start_query(sql, "contract")
        assert caught.value.hint
        assert self.executions_run(services) == before
        assert services.catalog.list_tables("contract") == tables_before
        assert all(e.status != "SUCCEEDED" for e in services.query.history(search=sql))

    def test_refused_statements_are_in_the_history_as_failed_with_the_reason(self, services: Services,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
        with pytest.raises(QueryRefused) as caught:
            services.query.start_query("DROP TABLE contract.t", "contract")
        entry = services.query.history()[0]
        assert (entry.sql, entry.database, entry.status) == ("DROP TABLE contract.t", "contract", "FAILED")
        assert caught.value.message in entry.error  # Athena's StateChangeReason for a failed execution
        self.expect_unknown_query(services, monkeypatch, 1)  # the engine never saw it
        assert services.query.query_status(entry.query_id).status == "FAILED"

    def test_saved_queries(self, services: Services) -> None:
        services.query.save_query(SavedQuery("ratings", "SELECT 1", "demo", "v1"))
        services.query.save_query(SavedQuery("abc", "SELECT 2"))
        services.query.save_query(SavedQuery("ratings", "SELECT 3", "demo", "v2"))
        assert [(s.name, s.sql) for s in services.query.saved_queries()] == [("abc", "SELECT 2"),
                                                                            ("ratings", "SELECT 3")]
        services.query.delete_saved_query("abc")
        assert [s.name for s in services.query.saved_queries()] == ["ratings"]
        with pytest.raises(NotFound):
            services.query.delete_saved_query("abc")
        with pytest.raises(InvalidInput, match="needs a name"):
            services.query.save_query(SavedQuery(" ", "SELECT 1"))
        with pytest.raises(InvalidInput, match="no SQL"):
            services.query.save_query(SavedQuery("empty", ""))


class TestLocalQuery(QueryContract):
    @pytest.fixture
    def services(self, tmp_path: Path) -> Services:
        return build_services(settings_for_tests(home=tmp_path / "workspace", seed_on_start=False))

    def executions_run(self, services: Services) -> int:
        # Every statement the engine ran leaves its result file.
        return len(list(services.catalog.workspace.results.glob("*.parquet")))  # type: ignore[attr-defined]

    # -- local-only: these need SQL to really run over real files, which moto's Athena does not do --

    @pytest.fixture
    def with_table(self, services: Services, tmp_path: Path) -> Services:
        source = tmp_path / "t.csv"
        source.write_text("a,b\n" + "".join(f"{i},{i % 3}\n" for i in range(50)))
        services.catalog.import_path(source, "contract", "t")
        return services

    def test_failed_query_is_recorded_with_its_error(self, with_table: Services) -> None:
        with pytest.raises(QueryFailed, match="nosuch"):
            with_table.query.run("SELECT nosuch FROM contract.t")
        entry = with_table.query.history()[0]
        assert entry.status == "FAILED" and "nosuch" in entry.error

    def test_truncation_export_and_statistics(self, with_table: Services) -> None:
        result = with_table.query.run("SELECT * FROM t ORDER BY a", "contract", max_rows=10)
        assert (len(result.frame), result.truncated, result.statistics.rows) == (10, True, 50)
        assert result.statistics.bytes_scanned > 0
        exported = pd.read_csv(io.BytesIO(with_table.query.export_result(result.query_id, "csv")))
        assert exported["a"].tolist() == list(range(50))
        chunks = with_table.query.export_chunks(result.query_id, "csv")  # what downloads stream
        assert b"".join(chunks) == with_table.query.export_result(result.query_id, "csv")

    def test_download_ticket_streams_the_full_result_once(self, with_table: Services) -> None:
        result = with_table.query.run("SELECT * FROM contract.t ORDER BY a", max_rows=5)
        ticket = with_table.query.download_ticket(result.query_id, "csv")
        url = f"http://127.0.0.1:{ticket.port}{ticket.path}"
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - our own loopback server
            assert response.read() == with_table.query.export_result(result.query_id, "csv")
            disposition = response.headers["Content-Disposition"]
        assert disposition.startswith('attachment; filename="contract.t_') and disposition.endswith('.csv"')  # not the UUID
        with pytest.raises(urllib.error.HTTPError) as again:
            urllib.request.urlopen(url, timeout=30)  # noqa: S310
        assert again.value.code == 404

    def test_estimate(self, with_table: Services) -> None:
        size = int(with_table.catalog.get_table("contract", "t").parameters["sizeKey"])
        estimate = with_table.query.estimate("SELECT * FROM contract.t")
        assert (estimate.bytes_to_scan, estimate.tables) == (size, ("contract.t",))

    def test_save_result_as_table(self, with_table: Services) -> None:
        result = with_table.query.run("SELECT b, count(*) AS n FROM contract.t GROUP BY b")
        table = with_table.query.save_result_as_table(result.query_id, "contract", "counts")
        assert [c.name for c in table.columns] == ["b", "n"]
        assert with_table.query.run("SELECT sum(n) AS s FROM contract.counts").frame["s"].tolist() == [50]
        with pytest.raises(AlreadyExists):
            with_table.query.save_result_as_table(result.query_id, "contract", "counts")


class TestAwsQuery(QueryContract):
    @pytest.fixture
    def services(self, mocked_aws: None, tmp_path: Path) -> Services:  # noqa: F811
        return build_services(aws_settings(tmp_path / "workspace"))

    def expect_result(self, columns: list[tuple[str, str]], rows: list[list[str | None]]) -> None:
        queue_athena_result(columns, rows)

    def executions_run(self, services: Services) -> int:
        return athena_execution_count()

    def expect_unknown_query(self, services: Services, monkeypatch: pytest.MonkeyPatch, calls: int) -> None:
        """moto's GetQueryExecution raises KeyError for an id it never issued; Athena answers
        InvalidRequestException ("QueryExecution <id> was not found"), which botocore's Stubber gives here."""
        athena = boto3.client("athena", region_name=REGION)
        stubber = Stubber(athena)
        for _ in range(calls):
            stubber.add_client_error("get_query_execution", service_error_code="InvalidRequestException", http_status_code=400,
                                     service_message="QueryExecution 00000000-0000-0000-0000-000000000000 was not found")
        stubber.activate()
        real_client = boto3.session.Session.client

        def client(session: boto3.session.Session, service_name: str, *args: Any, **kwargs: Any) -> Any:
            return athena if service_name == "athena" else real_client(session, service_name, *args, **kwargs)

        monkeypatch.setattr(boto3.session.Session, "client", client)

