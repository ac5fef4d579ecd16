"""Athena-style SQL on the local engine: names, catalog commands, sandbox, limits, results, history."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from services.config import Settings
from services.errors import (
    AlreadyExists,
    InvalidInput,
    NotFound,
    QueryCancelled,
    QueryFailed,
    QueryRefused,
    QueryTimeout,
    ServiceError,
)
from services.models import SavedQuery
from services.registry import Services, build_services
from tests.helpers.sql import REFUSED

SLOW_SQL = "SELECT count(*) AS n FROM range(1000000000) a, range(1000000) b WHERE a.range + b.range = 7"


def catalog_snapshot(services: Services) -> dict[str, list[tuple[str, str]]]:
    return {d.name: [(t.name, t.version_id) for t in services.catalog.list_tables(d.name)]
            for d in services.catalog.list_databases()}


# -- names ------------------------------------------------------------------------------------


def test_qualified_and_bare_names_and_aws_data_catalog(seeded_services: Services) -> None:
    query = seeded_services.query
    expected = [[178]]
    assert query.run("SELECT count(*) AS n FROM demo.wine").frame.values.tolist() == expected
    assert query.run("SELECT count(*) AS n FROM wine", "demo").frame.values.tolist() == expected
    assert query.run("SELECT count(*) AS n FROM AwsDataCatalog.demo.wine").frame.values.tolist() == expected
    assert query.run('SELECT count(*) AS n FROM "demo"."wine"').frame.values.tolist() == expected
    assert query.run("SELECT count(*) AS n FROM DEMO.Wine").frame.values.tolist() == expected


def test_fully_qualified_column_reference_with_aws_data_catalog(seeded_services: Services) -> None:
    sql = "SELECT awsdatacatalog.demo.wine.alcohol FROM awsdatacatalog.demo.wine ORDER BY 1 DESC LIMIT 1"
    assert seeded_services.query.run(sql).frame["alcohol"].tolist() == [14.83]


def test_bare_name_without_a_database_is_explained(seeded_services: Services) -> None:
    with pytest.raises(QueryFailed, match="has no database") as caught:
        seeded_services.query.run("SELECT * FROM wine")
    assert "database" in caught.value.hint


def test_athena_results_are_named_and_typed_like_athena(seeded_services: Services) -> None:
    result = seeded_services.query.run(
        "SELECT date_add('day', 2, DATE '2024-12-31'), count(*), max(alcohol) AS top, 'class_' || CAST(target AS varchar) "
        "AS cultivar FROM demo.wine GROUP BY 'class_' || CAST(target AS varchar) ORDER BY cultivar"
    )
    assert [c.name for c in result.columns] == ["_col0", "_col1", "top", "cultivar"]
    assert [c.type for c in result.columns] == ["date", "bigint", "double", "varchar"]
    assert str(result.frame["_col0"][0]) == "2025-01-02"
    assert result.frame["_col1"].sum() == 178


def test_unknown_table_suggests_the_closest_one(seeded_services: Services) -> None:
    with pytest.raises(QueryFailed, match=r"demo\.reviws does not exist") as caught:
        seeded_services.query.run("SELECT * FROM demo.reviws")
    assert caught.value.hint == "Did you mean demo.reviews?"
    with pytest.raises(QueryFailed, match="does not exist") as caught:
        seeded_services.query.run("SELECT * FROM dmo.wine")
    assert "Did you mean demo.wine?" in caught.value.hint


def test_unknown_column_and_syntax_errors_are_query_failed(seeded_services: Services) -> None:
    with pytest.raises(QueryFailed, match="nosuch") as caught:
        seeded_services.query.run("SELECT nosuch FROM demo.wine")
    assert caught.value.hint
    assert "Traceback" not in str(caught.value)
    with pytest.raises(QueryFailed, match="Syntax error"):
        seeded_services.query.run("SELEC * FROM demo.wine")


# -- catalog commands ---------------------------------------------------------------------------


def test_show_databases_and_tables(seeded_services: Services) -> None:
    seeded_services.catalog.create_database("zeta")
    query = seeded_services.query
    assert query.run("SHOW DATABASES").frame.iloc[:, 0].tolist() == ["demo", "zeta"]
    tables = ["reviews", "reviews_by_division", "reviews_sentiment", "wine"]
    assert query.run("SHOW TABLES IN demo").frame.iloc[:, 0].tolist() == tables
    assert query.run("SHOW TABLES", "demo").frame.iloc[:, 0].tolist() == tables
    assert query.run("SHOW TABLES IN zeta").frame.empty


def test_show_tables_without_a_database(seeded_services: Services) -> None:
    with pytest.raises(InvalidInput, match="SHOW TABLES needs a database"):
        seeded_services.query.run("SHOW TABLES")
    with pytest.raises(QueryFailed, match="'nope' does not exist"):
        seeded_services.query.run("SHOW TABLES IN nope")


def test_describe_lists_columns_and_partition_keys(seeded_services: Services) -> None:
    frame = seeded_services.query.run("DESCRIBE demo.reviews_by_division").frame
    rows = frame.iloc[:, :2].values.tolist()
    assert rows[-1] == ["division", "string"]
    assert ["rating", "bigint"] in rows
    reviews = seeded_services.query.run("DESCRIBE reviews", "demo").frame
    assert reviews.iloc[0, :3].tolist() == ["clothing_id", "bigint", "Clothing ID"]


def test_show_partitions(seeded_services: Services) -> None:
    frame = seeded_services.query.run("SHOW PARTITIONS demo.reviews_by_division").frame
    assert frame.iloc[:, 0].tolist() == ["division=General", "division=General Petite", "division=Initmates"]
    assert seeded_services.query.run("SHOW PARTITIONS demo.wine").frame.empty
    with pytest.raises(QueryFailed, match="does not exist"):
        seeded_services.query.run("SHOW PARTITIONS demo.nope")


def test_catalog_commands_are_recorded_in_history(seeded_services: Services) -> None:
    seeded_services.query.run("SHOW TABLES IN demo")
    entry = seeded_services.query.history()[0]
    assert (entry.sql, entry.status, entry.rows, entry.bytes_scanned) == ("SHOW TABLES IN demo", "SUCCEEDED", 4, 0)


# -- sandbox ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_statements_change_nothing(seeded_services: Services, case: str) -> None:
    sql, message = REFUSED[case]
    before = catalog_snapshot(seeded_services)
    history_before = len(seeded_services.query.history())
    with pytest.raises(QueryRefused, match=message):
        seeded_services.query.start_query(sql, "demo")
    assert catalog_snapshot(seeded_services) == before
    assert seeded_services.query.run("SELECT count(*) AS n FROM demo.reviews").frame["n"].tolist() == [20_000]
    entries = seeded_services.query.history()
    assert len(entries) == history_before + 2
    refused = entries[1]
    assert (refused.sql, refused.status) == (sql, "FAILED")
    assert refused.error, "the reason is kept in the history"


def test_the_engine_cannot_read_outside_the_lake_even_if_the_check_is_bypassed(seeded_services: Services) -> None:
    """Defence in depth: the DuckDB connection itself refuses files outside the lake and config changes."""
    import duckdb

    connection = seeded_services.query._connection()  # type: ignore[attr-defined]
    with pytest.raises(duckdb.Error):
        connection.execute("SELECT * FROM read_csv('/etc/passwd')").fetchall()
    with pytest.raises(duckdb.Error):
        connection.execute("SET enable_external_access = true")
    with pytest.raises(duckdb.Error):
        connection.execute("INSTALL httpfs")


def test_memory_limit_becomes_a_clear_error(tmp_path: Path) -> None:
    services = build_services(Settings(home=tmp_path / "ws", seed_on_start=False, query_memory_limit="32MB"))
    with pytest.raises(QueryFailed, match="more memory") as caught:
        services.query.run("SELECT list(range) AS l FROM range(50000000)")
    assert "WORKBENCH_QUERY_MEMORY_LIMIT" in caught.value.hint
    assert services.query.history()[0].status == "FAILED"
    assert services.query.run("SELECT 1 AS one").frame["one"].tolist() == [1]


def test_a_query_past_its_timeout_is_stopped(tmp_path: Path) -> None:
    services = build_services(Settings(home=tmp_path / "ws", seed_on_start=False, query_timeout_seconds=0.3))
    started = time.perf_counter()
    with pytest.raises(QueryTimeout, match="0.3 s timeout") as caught:
        services.query.run(SLOW_SQL)
    assert time.perf_counter() - started < 10
    assert "WORKBENCH_QUERY_TIMEOUT_SECONDS" in caught.value.hint
    entry = services.query.history()[0]
    assert entry.status == "FAILED"
    assert "timeout" in entry.error
    assert entry.elapsed_ms is not None and entry.elapsed_ms >= 250
    assert services.query.run("SELECT 2 AS two").frame["two"].tolist() == [2]


def test_timeout_over_a_catalog_table(seeded_services: Services, tmp_path: Path) -> None:
    services = build_services(Settings(home=seeded_services.settings.home, seed_on_start=False,
                                       query_timeout_seconds=0.2))
    with pytest.raises(QueryTimeout):
        services.query.run("SELECT count(*) FROM demo.reviews a, demo.reviews b, demo.reviews c "
                           "WHERE a.age + b.age + c.age = 7")
    assert services.query.run("SELECT count(*) AS n FROM demo.wine").frame["n"].tolist() == [178]


def wait_for_status(services: Services, query_id: str, wanted: str, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while services.query.query_status(query_id).status != wanted:
        assert time.monotonic() < deadline, f"never reached {wanted}"
        time.sleep(0.02)


def test_cancel_a_running_query(services: Services) -> None:
    query_id = services.query.start_query(SLOW_SQL)
    wait_for_status(services, query_id, "RUNNING")
    services.query.cancel(query_id)
    with pytest.raises(QueryCancelled, match="cancelled"):
        services.query.get_result(query_id)
    entry = services.query.query_status(query_id)
    assert entry.status == "CANCELLED"
    assert entry.elapsed_ms is not None
    with pytest.raises(QueryCancelled):
        services.query.export_result(query_id, "csv")
    services.query.cancel(query_id)  # finished: a no-op


def test_a_cancel_just_before_the_engine_starts_the_query_still_stops_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB clears an interrupt when its next query begins: a cancel landing between our RUNNING mark and the
    engine's start used to be lost, and the query ran on to its timeout (60 s by default)."""
    from services.query.local import LocalQuery

    services = build_services(Settings(home=tmp_path / "ws", seed_on_start=False, query_timeout_seconds=3))
    finish = LocalQuery._finish

    def start_late(self: LocalQuery, *args: object) -> object:
        time.sleep(0.3)  # the window between RUNNING and the engine's start, widened
        return finish(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(LocalQuery, "_finish", start_late)
    query_id = services.query.start_query(SLOW_SQL)
    wait_for_status(services, query_id, "RUNNING")
    services.query.cancel(query_id)
    assert services.query.query_status(query_id).status == "CANCELLED"  # stopped by the cancel, not the timeout
    with pytest.raises(QueryCancelled):
        services.query.get_result(query_id)


def test_cancel_from_another_thread_while_waiting(services: Services) -> None:
    query_id = services.query.start_query(SLOW_SQL)
    wait_for_status(services, query_id, "RUNNING")
    threading.Timer(0.1, services.query.cancel, (query_id,)).start()
    with pytest.raises(QueryCancelled):
        services.query.get_result(query_id)


def test_cancel_unknown_query_is_not_found(services: Services) -> None:
    with pytest.raises(NotFound, match="No query with id"):
        services.query.cancel("no-such-id")
    with pytest.raises(NotFound):
        services.query.query_status("no-such-id")


# -- results ------------------------------------------------------------------------------------


def test_large_results_are_capped_for_display_but_exported_whole(seeded_services: Services) -> None:
    result = seeded_services.query.run("SELECT * FROM demo.reviews")
    assert result.truncated is True
    assert len(result.frame) == seeded_services.settings.display_rows == 1000
    assert result.statistics.rows == 20_000
    assert result.notices and "1,000 of 20,000" in result.notices[0]

    csv = seeded_services.query.export_result(result.query_id, "csv")
    exported = pd.read_csv(io.BytesIO(csv))
    assert len(exported) == 20_000
    assert exported.columns.tolist()[:2] == ["clothing_id", "age"]

    parquet = pq.read_table(io.BytesIO(seeded_services.query.export_result(result.query_id, "parquet")))
    assert parquet.num_rows == 20_000


def test_max_rows_and_small_results_are_not_truncated(seeded_services: Services) -> None:
    capped = seeded_services.query.run("SELECT * FROM demo.wine", max_rows=10)
    assert (len(capped.frame), capped.truncated, capped.statistics.rows) == (10, True, 178)
    whole = seeded_services.query.run("SELECT * FROM demo.wine")
    assert (len(whole.frame), whole.truncated, whole.notices) == (178, False, ())


def test_statistics(seeded_services: Services) -> None:
    result = seeded_services.query.run("SELECT rating, count(*) AS n FROM demo.reviews GROUP BY rating")
    table = seeded_services.catalog.get_table("demo", "reviews")
    assert result.statistics.rows == 5
    assert result.statistics.elapsed_ms > 0
    assert result.statistics.bytes_scanned == int(table.parameters["sizeKey"])
    assert result.to_json()["statistics"]["bytes_scanned"] == result.statistics.bytes_scanned


def test_to_json_is_plain_data(seeded_services: Services) -> None:
    import json

    result = seeded_services.query.run("SELECT title, rating FROM demo.reviews WHERE title IS NULL LIMIT 2")
    body = result.to_json()
    json.dumps(body)
    assert body["columns"] == [{"name": "title", "type": "varchar"}, {"name": "rating", "type": "bigint"}]
    assert [row[0] for row in body["rows"]] == [None, None]


def test_sample_rows_does_not_touch_history(seeded_services: Services) -> None:
    before = len(seeded_services.query.history())
    sample = seeded_services.query.sample_rows("demo", "reviews", limit=5)
    assert len(sample.frame) == 5
    assert sample.frame.columns.tolist()[0] == "clothing_id"
    assert len(seeded_services.query.history()) == before
    with pytest.raises(NotFound):
        seeded_services.query.sample_rows("demo", "nope")


# -- estimate -----------------------------------------------------------------------------------


def partition_sizes(services: Services) -> dict[str, int]:
    return {p.values[0]: p.size_bytes for p in services.catalog.list_partitions("demo", "reviews_by_division")}


def test_estimate_prunes_partitions(seeded_services: Services) -> None:
    sizes = partition_sizes(seeded_services)
    query = seeded_services.query
    everything = query.estimate("SELECT * FROM demo.reviews_by_division")
    assert everything.bytes_to_scan == sum(sizes.values())
    assert everything.tables == ("demo.reviews_by_division",)
    assert everything.unfiltered_partitioned_tables == ("demo.reviews_by_division",)

    general = query.estimate("SELECT * FROM demo.reviews_by_division WHERE division = 'General'")
    assert general.bytes_to_scan == sizes["General"]
    assert general.unfiltered_partitioned_tables == ()

    two = query.estimate("SELECT * FROM reviews_by_division WHERE division IN ('General', 'Initmates')", "demo")
    assert two.bytes_to_scan == sizes["General"] + sizes["Initmates"]
    assert two.unfiltered_partitioned_tables == ()


def test_estimate_of_unpartitioned_tables_and_cost(seeded_services: Services) -> None:
    reviews = seeded_services.catalog.get_table("demo", "reviews")
    estimate = seeded_services.query.estimate("SELECT * FROM demo.reviews r JOIN demo.wine w ON r.age = w.target")
    wine = seeded_services.catalog.get_table("demo", "wine")
    assert estimate.bytes_to_scan == int(reviews.parameters["sizeKey"]) + int(wine.parameters["sizeKey"])
    assert estimate.unfiltered_partitioned_tables == ()
    # Athena: $5 per TB with a 10 MB minimum.
    assert estimate.athena_cost_usd == pytest.approx(10 * 1024**2 / 1024**4 * 5)
    assert seeded_services.query.estimate("SHOW TABLES IN demo").athena_cost_usd == 0


def test_estimate_does_not_run_or_record(seeded_services: Services) -> None:
    before = len(seeded_services.query.history())
    seeded_services.query.estimate("SELECT * FROM demo.reviews")
    assert len(seeded_services.query.history()) == before
    with pytest.raises(QueryRefused):
        seeded_services.query.estimate("DROP TABLE demo.reviews")


def test_estimate_with_or_scans_every_partition(seeded_services: Services) -> None:
    sizes = partition_sizes(seeded_services)
    sql = "SELECT * FROM demo.reviews_by_division WHERE division = 'General' OR rating = 5"
    assert seeded_services.query.estimate(sql).bytes_to_scan == sum(sizes.values())
    assert seeded_services.query.run(sql).statistics.bytes_scanned == sum(sizes.values())


def test_estimate_with_negated_filter_does_not_pick_the_excluded_partition(seeded_services: Services) -> None:
    sizes = partition_sizes(seeded_services)
    estimate = seeded_services.query.estimate("SELECT * FROM demo.reviews_by_division WHERE NOT division = 'General'")
    # exact pruning or a conservative full scan are both fine; the General partition alone is not
    assert estimate.bytes_to_scan in (sizes["General Petite"] + sizes["Initmates"], sum(sizes.values()))


def test_estimate_filter_in_a_subquery_does_not_prune_the_outer_table(seeded_services: Services) -> None:
    sizes = partition_sizes(seeded_services)
    estimate = seeded_services.query.estimate(
        "SELECT * FROM demo.reviews_by_division WHERE rating IN "
        "(SELECT rating FROM demo.reviews_by_division WHERE division = 'General')"
    )
    assert estimate.bytes_to_scan >= sum(sizes.values())
    assert estimate.unfiltered_partitioned_tables == ("demo.reviews_by_division",)


# -- history ------------------------------------------------------------------------------------


def test_history_survives_rebuilding_services(seeded_services: Services) -> None:
    ok = seeded_services.query.run("SELECT count(*) AS n FROM demo.wine")
    with pytest.raises(QueryFailed):
        seeded_services.query.run("SELECT nosuch FROM demo.wine")
    with pytest.raises(QueryRefused):
        seeded_services.query.run("DROP TABLE demo.wine")

    again = build_services(seeded_services.settings)
    entries = again.query.history(limit=3)
    assert [e.status for e in entries] == ["FAILED", "FAILED", "SUCCEEDED"]
    assert entries[0].sql == "DROP TABLE demo.wine" and "DROP" in entries[0].error
    assert "nosuch" in entries[1].error
    assert entries[2].query_id == ok.query_id
    assert (entries[2].rows, entries[2].bytes_scanned) == (1, ok.statistics.bytes_scanned)
    assert entries[2].elapsed_ms is not None
    # the result is still there after a restart
    assert again.query.get_result(ok.query_id).frame["n"].tolist() == [178]


def test_history_is_newest_first_and_searchable(services: Services) -> None:
    for n in range(25):
        services.query.run(f"SELECT {n} AS value_{n}")
    entries = services.query.history()
    assert [e.sql for e in entries[:3]] == ["SELECT 24 AS value_24", "SELECT 23 AS value_23", "SELECT 22 AS value_22"]
    assert [e.sql for e in services.query.history(search="value_1")][-1] == "SELECT 1 AS value_1"
    assert len(services.query.history(search="value_1")) == 11  # 1 and 10..19
    assert len(services.query.history(limit=5)) == 5
    assert services.query.history(search="nothing like this") == []


def test_query_status_of_a_finished_query(services: Services) -> None:
    result = services.query.run("SELECT 1 AS one", None)
    status = services.query.query_status(result.query_id)
    assert status.status == "SUCCEEDED"
    assert status.rows == 1


# -- saved queries ------------------------------------------------------------------------------


def test_saved_queries_save_replace_list_delete(services: Services) -> None:
    services.query.save_query(SavedQuery("b by rating", "SELECT 1", "demo", "first"))
    services.query.save_query(SavedQuery("a top wines", "SELECT 2"))
    replaced = services.query.save_query(SavedQuery("b by rating", "SELECT 3", "demo", "second"))
    assert replaced.updated_at
    saved = services.query.saved_queries()
    assert [(s.name, s.sql) for s in saved] == [("a top wines", "SELECT 2"), ("b by rating", "SELECT 3")]
    assert saved[1].description == "second"
    assert [s.name for s in build_services(services.settings).query.saved_queries()] == ["a top wines", "b by rating"]
    services.query.delete_saved_query("a top wines")
    assert [s.name for s in services.query.saved_queries()] == ["b by rating"]
    with pytest.raises(NotFound, match="No saved query named 'a top wines'"):
        services.query.delete_saved_query("a top wines")


@pytest.mark.parametrize("name, sql, message", [("", "SELECT 1", "needs a name"), ("   ", "SELECT 1", "needs a name"),
                                                ("x", "", "no SQL"), ("x", "  \n", "no SQL")])
def test_saved_query_needs_name_and_sql(services: Services, name: str, sql: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        services.query.save_query(SavedQuery(name, sql))
    assert caught.value.hint
    assert services.query.saved_queries() == []


# -- save result as table (CTAS) ---------------------------------------------------------------


def test_save_result_as_table(seeded_services: Services) -> None:
    result = seeded_services.query.run(
        "SELECT department_name, count(*) AS reviews, avg(rating) AS \"Mean Rating\" "
        "FROM demo.reviews GROUP BY department_name"
    )
    table = seeded_services.query.save_result_as_table(result.query_id, "Analysis", "By Department")
    assert (table.database, table.name, table.format) == ("analysis", "by_department", "parquet")
    assert [(c.name, c.type) for c in table.columns] == [
        ("department_name", "string"), ("reviews", "bigint"), ("mean_rating", "double")
    ]
    assert table.parameters["recordCount"] == str(result.statistics.rows)
    frame = seeded_services.query.run("SELECT sum(reviews) AS n, count(mean_rating) AS m FROM analysis.by_department").frame
    assert frame.values.tolist() == [[20_000, result.statistics.rows]]


def test_save_result_over_an_existing_table_is_refused(seeded_services: Services) -> None:
    result = seeded_services.query.run("SELECT 1 AS x")
    with pytest.raises(AlreadyExists, match=r"demo\.wine exists already") as caught:
        seeded_services.query.save_result_as_table(result.query_id, "demo", "wine")
    assert caught.value.hint
    wine = seeded_services.catalog.get_table("demo", "wine")
    assert wine.version_id == "1"
    assert seeded_services.query.run("SELECT count(*) AS n FROM demo.wine").frame["n"].tolist() == [178]


def test_save_result_of_a_failed_query_is_refused(seeded_services: Services) -> None:
    with pytest.raises(QueryFailed):
        seeded_services.query.run("SELECT nosuch FROM demo.wine")
    failed_id = seeded_services.query.history()[0].query_id
    before = catalog_snapshot(seeded_services)
    with pytest.raises(ServiceError):
        seeded_services.query.save_result_as_table(failed_id, "demo", "never")
    with pytest.raises(ServiceError):
        seeded_services.query.export_result(failed_id, "csv")
    assert catalog_snapshot(seeded_services) == before


def test_save_result_with_colliding_column_names_keeps_nothing(seeded_services: Services) -> None:
    result = seeded_services.query.run('SELECT 1 AS a, 2 AS "A"')
    before = catalog_snapshot(seeded_services)
    with pytest.raises(InvalidInput, match="both become 'a'"):
        seeded_services.query.save_result_as_table(result.query_id, "demo", "clash")
    assert catalog_snapshot(seeded_services) == before
    assert not seeded_services.catalog.workspace.table_folder("demo", "clash").exists()  # type: ignore[attr-defined]


def test_query_of_an_imported_date_column_keeps_dates(services: Services, tmp_path: Path) -> None:
    source = tmp_path / "events.csv"
    source.write_text("day,n\n2024-01-31,1\n2024-02-28,2\n")
    services.catalog.import_path(source, "d", "events")
    result = services.query.run("SELECT date_add('month', 1, day) AS next FROM d.events ORDER BY n")
    assert [c.type for c in result.columns] == ["date"]
    assert [str(v) for v in result.frame["next"]] == ["2024-02-29", "2024-03-28"]


# -- several processes on one workspace -----------------------------------------------------------


def test_a_table_imported_by_another_process_is_queryable(seeded_services: Services, data_dir: Path) -> None:
    app = seeded_services
    assert app.query.run("SELECT count(*) AS n FROM demo.wine").frame["n"][0] == 178  # engine is warm
    cli = build_services(app.settings)  # a second process's view of the same workspace
    source = data_dir / "late.csv"
    source.write_text("id,name\n1,a\n2,b\n3,c\n")
    cli.catalog.import_path(source, "late", "arrivals")
    assert app.query.run("SELECT count(*) AS n FROM late.arrivals").frame["n"][0] == 3


def test_only_long_dead_executions_are_marked_abandoned(seeded_services: Services) -> None:
    history = seeded_services.query.history_store  # type: ignore[attr-defined]
    history.record_start("fresh", "SELECT 1", "demo", status="RUNNING")
    history.record_start("stale", "SELECT 2", "demo", status="RUNNING")
    history.store.execute("UPDATE query_history SET submitted_at = '2020-01-01T00:00:00.000+00:00' WHERE query_id = 'stale'")
    build_services(seeded_services.settings)  # another process starting on this workspace
    assert history.get("fresh").status == "RUNNING"  # may belong to a live app
    assert history.get("stale").status == "FAILED"
    assert "stopped" in history.get("stale").error
