"""Home's overview (services/overview/models.py) on both backends: live counts read through the ports."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.models import SavedQuery
from services.overview.models import Count, OverviewPorts, plural, workspace_overview
from services.registry import Services, build_services
from tests.helpers.aws import aws_settings
from tests.helpers.aws_monitoring import ScheduleBook
from tests.helpers.moto_gaps import fail_calls


def ports_of(services: Services) -> OverviewPorts:
    return OverviewPorts(catalog=services.catalog, query=services.query, jobs=services.jobs, training=services.training,
                         endpoints=services.endpoints, features=services.features, pipelines=services.pipelines,
                         monitoring=services.monitoring, labels=services.labels)


def values(services: Services) -> dict[str, int | None]:
    return {name: count.value for name, count in workspace_overview(ports_of(services)).counts.items()}


def test_the_seeded_workspace_counts_its_tables_and_saved_queries(seeded_services: Services) -> None:
    seeded_services.query.save_query(SavedQuery("wines by class", "SELECT target, count(*) FROM demo.wine GROUP BY 1"))
    seeded_services.query.run("SELECT 1")
    overview = workspace_overview(ports_of(seeded_services))
    assert (overview.databases, overview.tables) == (1, 4) and overview.rows and overview.rows > 1000
    assert overview.catalog_error is None
    query = overview.count("query")
    assert query is not None and (query.value, query.detail) == (1, "1 in the history")
    assert values(seeded_services) | {"catalog": 4, "query": 1} == {
        "catalog": 4, "query": 1, "features": 0, "train": 0, "bias": 0, "explain": 0, "compare": 0, "jobs": 0,
        "model_dashboard": 0, "endpoints": 0, "score": 0, "pipelines": 0, "monitoring": 0, "label": 0}


def test_a_count_shows_capped_and_unreadable_values() -> None:
    assert Count("train", "training jobs", 1000, capped=True).shown == "1,000+"
    assert Count("train", "training jobs", 12).shown == "12"
    assert Count("endpoints", "in service", None, error="AWS refused ListEndpoints").shown == "—"


@pytest.fixture
def aws_services(mocked_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Services:
    ScheduleBook().install(monkeypatch)  # moto has no Model Monitor schedules
    services = build_services(aws_settings(tmp_path / "home"))
    source = tmp_path / "orders.csv"
    source.write_text("Order ID,Amount\n1,9.5\n2,3.25\n")
    services.catalog.import_path(source, "shop", "orders")
    return services


def test_aws_counts_glue_and_sagemaker(aws_services: Services) -> None:
    overview = workspace_overview(ports_of(aws_services))
    assert (overview.databases, overview.tables, overview.rows) == (1, 1, 2)
    assert values(aws_services) == {
        "catalog": 1, "query": 0, "features": 0, "train": 0, "bias": 0, "explain": 0, "compare": 0, "jobs": 0,
        "model_dashboard": 0, "endpoints": 0, "score": 0, "pipelines": 0, "monitoring": 0, "label": 0}


def test_aws_refusing_one_listing_blanks_only_its_counts(aws_services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    fail_calls(monkeypatch, "sagemaker", "Search", "AccessDeniedException",
               "User: arn:aws:iam::123456789012:user/analyst is not authorized to perform: sagemaker:Search")
    refused = build_services(aws_services.settings)  # clients made after the refusal is installed
    overview = workspace_overview(ports_of(refused))
    features = overview.count("features")
    assert features is not None and features.value is None and "Search" in features.error
    assert values(refused)["catalog"] == 1 and values(refused)["pipelines"] == 0


def test_details_say_one_thing_or_many() -> None:
    assert (plural(1, "endpoint"), plural(2, "endpoint"), plural(59437, "row")) == ("1 endpoint", "2 endpoints",
                                                                                     "59,437 rows")
