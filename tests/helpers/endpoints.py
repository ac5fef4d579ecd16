"""Local endpoints for tests: a session template with two trained models, hosting services on a copy of it,
and the small client-side helpers the endpoint, gateway and CLI tests share."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from services.endpoints.local import LocalEndpoints
from services.models import DataSource, TrainingRequest
from services.registry import Services, build_services
from tests.helpers.servers import unused_port
from tests.helpers.workspace import close_services, copy_empty_mlflow_store, copy_workspace, settings_for_tests

TEXT_MODEL = "endpoint-reviews/1"
WINE_MODEL = "endpoint-wine/1"


def trained_template(tmp_path_factory: pytest.TempPathFactory, seeded_home: Path) -> Path:
    """A seeded workspace with TEXT_MODEL and WINE_MODEL registered; built once per session (per worker)."""
    template = tmp_path_factory.getbasetemp() / "endpoints-template" / "workspace"
    if (template.parent / "ready").exists():
        return template
    copy_workspace(seeded_home, template)
    copy_empty_mlflow_store(tmp_path_factory, template)
    services = build_services(settings_for_tests(home=template, seed_on_start=False))
    reviews = template.parent / "reviews.csv"
    sql = "SELECT review_body, sentiment FROM demo.reviews_sentiment ORDER BY review_id LIMIT 1500"
    services.query.run(sql, max_rows=1500).frame.to_csv(reviews, index=False)
    jobs = [services.training.start_training_job(request) for request in (
        TrainingRequest(algorithm="text-tfidf", source=DataSource(path=str(reviews)), target="sentiment",
                        text_column="review_body", hyperparameters={"epochs": "30"}, name="endpoint-reviews"),
        TrainingRequest(algorithm="xgboost", source=DataSource(table="demo.wine"), target="target",
                        hyperparameters={"num_round": "10", "max_depth": "3"}, name="endpoint-wine"),
    )]
    for name in jobs:
        job = services.jobs.wait_for_job(name, 300)
        assert job.status == "Completed", services.jobs.job_logs(name)
    close_services(services)
    (template.parent / "ready").touch()
    return template


def hosting_services(template: Path, home: Path) -> Services:
    """Services on a copy of the template, with a gateway port of their own."""
    copy_workspace(template, home)
    return build_services(settings_for_tests(home=home, seed_on_start=False, gateway_port=unused_port()))


def stop_everything(services: Services) -> None:
    """Delete every endpoint and stop the gateway: no process started by a test outlives it."""
    endpoints: LocalEndpoints = services.endpoints  # type: ignore[assignment]
    for endpoint in endpoints.endpoints.all():
        endpoints.delete_endpoint(endpoint.name)
    endpoints.stop_gateway()


def wait_for(check: Callable[[], bool], seconds: float) -> float:
    """Seconds until ``check()`` held; fails the test after ``seconds``."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, "timed out"
        time.sleep(0.1)
    return time.monotonic() - started


def runtime(url: str):  # type: ignore[no-untyped-def]
    """An unchanged boto3 sagemaker-runtime client, as a user would write it."""
    import boto3

    return boto3.client("sagemaker-runtime", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="local", aws_secret_access_key="local")


def review(text: str) -> bytes:
    return json.dumps({"instances": [{"review_body": text}]}).encode()


def process_gone(pid: int) -> bool:
    """The process has exited (a zombie waiting for its parent counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
