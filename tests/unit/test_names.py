"""Every user-given name is checked in one place (services/names.py) before anything is created.

The table tests pin each kind's rule (SageMaker's patterns, Glue/Athena's, Athena's saved queries).
The integration tests name things like paths (``../../escaped``, an absolute path) and prove
nothing appears: on the local backend no folder beside the workspace, no row in the store; on the
aws adapter (moto underneath) not one AWS request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from services.embedded.jobs import JobRunner
from services.endpoints.models import DeployRequest, Variant
from services.errors import InvalidInput
from services.models import AutopilotRequest, DataSource, SavedQuery, ScriptJobRequest, TrainingRequest, TuningRequest
from services.names import RULES, check_job_name, check_name, check_output_table, check_table_prefix, glue_name
from services.registry import Services, build_services

ESCAPED = "../../escaped"
UNICODE_TRICKS = ("ｅｓｃａｐｅｄ", "a\u202eb", "a\u200bb", "a／b", "a\u2028b")  # fullwidth, bidi, zero-width, look-alike /, line separator
PATH_LIKE = (ESCAPED, "/abs/path", "a/b", "a\\b", "..", "name\n", "\x00", *UNICODE_TRICKS)

SAGEMAKER_KINDS = ("training-job", "transform-job", "processing-job", "automl-job", "tuning-job", "endpoint",
                   "endpoint-config", "variant", "model-package-group", "pipeline", "pipeline-execution", "experiment", "model",
                   "feature-group", "feature", "channel")
GOOD = {
    "training-job": ["reviews-xgboost", "a", "A1", "a--b"],
    "transform-job": ["score-reviews"],
    "processing-job": ["bias-260101-120000-abcd"],
    "automl-job": ["reviews-autopilot", "autopilot-20260101-120000-abcd"],
    "tuning-job": ["tune-xgboost"],
    "endpoint": ["reviews-live", "cli-wine"],
    "endpoint-config": ["reviews-live-260101120000"],
    "variant": ["AllTraffic", "challenger"],
    "model-package-group": ["rating-xgboost"],
    "pipeline": ["reviews-pipeline"],
    "pipeline-execution": ["reviews-pipeline-1a2b3c4d", "pipeline-20260101-120000-abcd"],
    "experiment": ["reviews", "workbench"],
    "model": ["reviews-xgboost-v1", "a-b-c"],
    "feature-group": ["review_features", "review-features"],
    "feature": ["star_rating", "review-id", "Rating2"],
    "channel": ["train", "validation", "train.v2", "a_b-c"],
    "saved-query": ["reviews by rating", "Top 10 (2024)", "café à la carte", "a"],
}
LIMITS = {"monitoring-schedule": 63, "training-job": 63, "transform-job": 63, "processing-job": 63, "automl-job": 32, "tuning-job": 32,
          "endpoint": 63, "endpoint-config": 63, "variant": 63, "model-package-group": 63, "pipeline": 256,
          "pipeline-execution": 82, "experiment": 120, "model": 63, "feature-group": 64, "feature": 64, "channel": 64,
          "saved-query": 128, "database": 255, "table": 255}


def refusal(call: Callable[[], object]) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        call()
    return caught.value


# -- the rules, kind by kind ---------------------------------------------------------------------


def test_every_kind_has_a_rule_with_its_aws_limit() -> None:
    assert {kind: rule.max_length for kind, rule in RULES.items()} == LIMITS


@pytest.mark.parametrize(("kind", "name"), [(k, n) for k, names in GOOD.items() for n in names])
def test_good_names_pass_unchanged(kind: str, name: str) -> None:
    assert check_name(kind, name) == name


@pytest.mark.parametrize("kind", [*SAGEMAKER_KINDS, "saved-query"])
def test_the_longest_allowed_name_passes(kind: str) -> None:
    name = "a" * LIMITS[kind]
    assert check_name(kind, name) == name


@pytest.mark.parametrize("kind", [*SAGEMAKER_KINDS, "saved-query"])
@pytest.mark.parametrize("name", [*PATH_LIKE, "", "-leading", "too-long", " ", "\t", ".hidden"])
def test_bad_names_are_refused_with_the_kind_the_value_and_the_rule(kind: str, name: str) -> None:
    name = "a" * (LIMITS[kind] + 1) if name == "too-long" else name
    error = refusal(lambda: check_name(kind, name))
    rule = RULES[kind]
    shown = repr(name) if len(name) <= 80 else repr(f"{name[:77]}...")
    assert error.message.startswith(f"{shown} is not a valid {rule.label}: use 1–{rule.max_length} ")
    assert (rule.pattern or rule.description) in error.message
    assert error.hint.startswith("For example ")


def test_sagemaker_messages_quote_the_pattern_exactly() -> None:
    assert "pattern ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$" in refusal(lambda: check_name("training-job", ESCAPED)).message
    assert "pattern ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$" in refusal(lambda: check_name("automl-job", "a" * 33)).message
    assert "pattern ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$" in refusal(lambda: check_name("pipeline", "a_b")).message


def test_a_trailing_newline_is_not_let_through_by_dollar() -> None:
    """``re.match(r"^...$")`` accepts "name\\n"; the rules match the whole text."""
    for kind in (*SAGEMAKER_KINDS, "saved-query"):
        refusal(lambda kind=kind: check_name(kind, "reviews\n"))  # type: ignore[misc]


@pytest.mark.parametrize(("job_kind", "limit"), [("training", 63), ("script", 63), ("transform", 63), ("batch", 63),
                                                 ("bias", 63), ("explain", 63), ("autopilot", 32), ("tuning", 32)])
def test_local_job_kinds_follow_their_sagemaker_jobs(job_kind: str, limit: int) -> None:
    assert check_job_name(job_kind, "a" * limit) == "a" * limit
    assert f"use 1–{limit} " in refusal(lambda: check_job_name(job_kind, "a" * (limit + 1))).message
    refusal(lambda: check_job_name(job_kind, ESCAPED))


# -- Glue names: sanitised as the catalog always did, but never from a path ------------------------


@pytest.mark.parametrize(("typed", "stored"), [("orders_2024", "orders_2024"), ("Orders 2024", "orders_2024"),
                                               ("Café", "cafe"), ("-leading", "leading"), ("Contract DB", "contract_db"),
                                               ("a..b", "a_b"), ("x" * 255, "x" * 255)])
@pytest.mark.parametrize("kind", ["database", "table"])
def test_glue_names_are_shown_sanitised(kind: str, typed: str, stored: str) -> None:
    assert glue_name(kind, typed) == stored


@pytest.mark.parametrize("name", [*PATH_LIKE, "", "   ", "!!!", "___", "x" * 256])
@pytest.mark.parametrize("kind", ["database", "table"])
def test_glue_names_that_are_not_names_are_refused(kind: str, name: str) -> None:
    error = refusal(lambda: glue_name(kind, name))
    assert f"is not a valid {kind} name: use 1–255 lower-case letters, digits and underscores" in error.message
    assert "pattern ^[a-z0-9_]{1,255}$" in error.message
    assert "paths and control characters are not" in error.hint


def test_a_crawler_prefix_may_not_be_a_path() -> None:
    assert check_table_prefix("raw_") == "raw_" and check_table_prefix("") == ""
    refusal(lambda: check_table_prefix("../"))


@pytest.mark.parametrize("name", ["no_database", "Scored.Wine-Out", "1db.t", "_db.t", "db._t", "db.t_", "a/b.c", "d.t\x00",
                                  "../../escaped.t", "scores/../../escaped"])
def test_output_tables_are_refused_unless_written_as_stored(name: str) -> None:
    assert "is not a valid output table name" in refusal(lambda: check_output_table(name)).message


def test_output_tables_written_as_stored_pass() -> None:
    assert check_output_table("scored.reviews_batch") == ("scored", "reviews_batch")


# -- the local backend: nothing beside the workspace, nothing in the store ------------------------


def entries(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


@pytest.fixture
def reviews(data_dir: Path) -> Path:
    path = data_dir / "reviews.csv"
    path.write_text("rating,length,label\n" + "".join(f"{i % 5 + 1},{i * 3},{i % 2}\n" for i in range(40)))
    return path


def training_requests(csv: Path, script_dir: Path, name: str, experiment: str = "") -> list[Any]:
    source = DataSource(path=str(csv))
    train = TrainingRequest(algorithm="xgboost", source=source, target="label", name=name, experiment=experiment)
    script = ScriptJobRequest(entry_point="train.py", source_dir=str(script_dir), channels={"train": str(csv)},
                              name=name, experiment=experiment)
    return [
        train,
        AutopilotRequest(source=source, target="label", name=name, experiment=experiment),
        script,
        TuningRequest(base=replace(train, name=""), ranges={"max_depth": {"type": "integer", "min": 2, "max": 4}},
                      objective_metric="validation:accuracy", name=name),
    ]


def start(services: Services, request: Any) -> str:
    starters = {TrainingRequest: services.training.start_training_job, AutopilotRequest: services.training.start_autopilot_job,
                ScriptJobRequest: services.training.start_script_job, TuningRequest: services.training.start_tuning_job}
    return starters[type(request)](request)  # type: ignore[operator]


@pytest.fixture
def script_dir(data_dir: Path) -> Path:
    folder = data_dir / "script"
    folder.mkdir()
    (folder / "train.py").write_text("print('training')\n")
    return folder


@pytest.mark.parametrize("bad", [ESCAPED, "absolute"])
def test_local_jobs_named_like_paths_create_nothing(services: Services, reviews: Path, script_dir: Path, tmp_path: Path,
                                                    bad: str) -> None:
    name = str(tmp_path / "abs-escaped") if bad == "absolute" else bad
    before = entries(tmp_path)
    for request in training_requests(reviews, script_dir, name):  # training, autopilot, script, tuning
        error = refusal(lambda request=request: start(services, request))  # type: ignore[misc]
        assert repr(name)[:30] in error.message and "pattern ^[a-zA-Z0-9](-*[a-zA-Z0-9])" in error.message  # long values are cut
    assert entries(tmp_path) == before
    assert services.jobs.list_jobs() == []
    assert not (services.settings.home / "jobs").exists() or entries(services.settings.home / "jobs") == set()


def test_local_script_channels_named_like_paths_are_refused(services: Services, reviews: Path, script_dir: Path,
                                                            tmp_path: Path) -> None:
    """A channel is the folder input/data/<channel> of the job."""
    before = entries(tmp_path)
    for channel in (ESCAPED, "..", "/abs/path"):
        request = ScriptJobRequest(entry_point="train.py", source_dir=str(script_dir), channels={channel: str(reviews)})
        assert "is not a valid channel name" in refusal(lambda request=request: start(services, request)).message  # type: ignore[misc]
    assert entries(tmp_path) == before and services.jobs.list_jobs() == []


@pytest.mark.parametrize(("derived_from", "expected"), [("reviews-xgboost", "reviews-xgboost"), ("../../escaped", "escaped"),
                                                        ("x" * 59 + "-y", "x" * 59), ("rating_xgboost", "rating-xgboost"),
                                                        ("x" * 62 + "-y", "x" * 60)])
def test_derived_model_names_are_valid_model_package_group_names(derived_from: str, expected: str) -> None:
    from services.embedded.model_registry import model_name
    from services.training.aws.settle import model_group_name

    assert check_name("model-package-group", model_name(derived_from)) == expected  # the local registry's
    group = model_group_name({"name": derived_from}, "training-1")  # SageMaker's, up to 63 characters
    assert check_name("model-package-group", group) == group


def test_local_experiments_named_like_paths_are_refused(services: Services, reviews: Path, script_dir: Path,
                                                        tmp_path: Path) -> None:
    """An experiment's name becomes a folder under the MLflow artifact root."""
    before = entries(tmp_path)
    for request in training_requests(reviews, script_dir, "", experiment=ESCAPED)[:3]:
        assert "is not a valid experiment name" in refusal(lambda request=request: start(services, request)).message  # type: ignore[misc]
    assert entries(tmp_path) == before and services.jobs.list_jobs() == []


def test_the_job_runner_refuses_path_names_itself(services: Services, tmp_path: Path) -> None:
    """The last line of defence, for any caller that forgets: no row, no folder, and no folder read."""
    runner = JobRunner(services.settings.home, services.catalog.store)  # type: ignore[attr-defined]
    before = entries(tmp_path)
    for name in (ESCAPED, str(tmp_path / "abs-escaped"), "..", "a/b"):
        refusal(lambda name=name: runner.submit("bias", {}, name))  # type: ignore[misc]
        refusal(lambda name=name: runner.job_dir(name))  # type: ignore[misc]
    assert entries(tmp_path) == before and runner.jobs.recent() == []
    assert runner.job_dir("bias-260101-120000-abcd") == services.settings.home / "jobs" / "bias-260101-120000-abcd"


def test_a_local_endpoint_named_like_a_path_creates_nothing(services: Services, tmp_path: Path) -> None:
    before = entries(tmp_path)
    for name in (ESCAPED, str(tmp_path / "abs-escaped"), "reviews\n"):
        request = DeployRequest(name=name, variants=(Variant("AllTraffic", "reviews/1"),))
        assert "is not a valid endpoint name" in refusal(lambda request=request: services.endpoints.deploy(request)).message  # type: ignore[misc]
    variant = DeployRequest(name="reviews", variants=(Variant(ESCAPED, "reviews/1"),))
    assert "is not a valid variant name" in refusal(lambda: services.endpoints.deploy(variant)).message
    assert entries(tmp_path) == before and services.endpoints.list_endpoints() == []


@pytest.mark.parametrize("name", [ESCAPED, "..", "/abs/path", "a\u202eb", "-leading"])
def test_a_saved_query_named_like_a_path_is_not_stored(services: Services, name: str) -> None:
    error = refusal(lambda: services.query.save_query(SavedQuery(name, "SELECT 1")))
    assert "is not a valid saved query name: use 1–128 characters" in error.message
    assert services.query.saved_queries() == []


@pytest.mark.parametrize(("database", "table"), [("d", ESCAPED), (ESCAPED, "t"), ("d", "/abs/path"), ("d", "t\n")])
def test_a_table_import_named_like_a_path_creates_nothing(services: Services, reviews: Path, tmp_path: Path,
                                                          database: str, table: str) -> None:
    before, lake = entries(tmp_path), services.settings.home / "lake"
    lake_before = sorted(lake.rglob("*")) if lake.exists() else []
    refusal(lambda: services.catalog.import_path(reviews, database, table))
    assert entries(tmp_path) == before and services.catalog.list_databases() == []
    assert (sorted(lake.rglob("*")) if lake.exists() else []) == lake_before


def test_typed_table_names_are_still_sanitised_as_before(services: Services, reviews: Path) -> None:
    assert services.catalog.import_path(reviews, "Shop", "Orders 2024").qualified_name == "shop.orders_2024"


# -- the aws adapter: the name is refused before any AWS request ---------------------------------


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Services]:
    import boto3
    from moto import mock_aws

    from tests.helpers.aws import BUCKET, REGION, aws_settings, fake_aws_credentials

    fake_aws_credentials(monkeypatch, tmp_path)
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
        role = "arn:aws:iam::123456789012:role/workbench-sagemaker"
        yield build_services(replace(aws_settings(tmp_path / "workspace"), sagemaker_role=role))


@pytest.fixture
def aws_requests(aws: Services, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every AWS operation any boto3 client makes from now on (awswrangler's too)."""
    from botocore.client import BaseClient

    calls: list[str] = []
    original = BaseClient._make_api_call

    def recorded(client: BaseClient, operation: str, parameters: dict[str, Any]) -> Any:
        calls.append(operation)
        return original(client, operation, parameters)

    monkeypatch.setattr(BaseClient, "_make_api_call", recorded)
    return calls


def test_aws_jobs_named_like_paths_make_no_aws_request(aws: Services, aws_requests: list[str], reviews: Path,
                                                       script_dir: Path) -> None:
    """"my reviews" used to be rewritten to my-reviews on AWS only; both backends now refuse it alike."""
    for bad in (ESCAPED, "/abs/path", "reviews\n", "my reviews"):
        for request in training_requests(reviews, script_dir, bad):  # training, autopilot, script, tuning
            error = refusal(lambda request=request: start(aws, request))  # type: ignore[misc]
            assert repr(bad) in error.message and "pattern ^[a-zA-Z0-9](-*[a-zA-Z0-9])" in error.message
    assert aws_requests == []
    assert aws.jobs.list_jobs() == []


def test_an_aws_endpoint_named_like_a_path_makes_no_aws_request(aws: Services, aws_requests: list[str]) -> None:
    for name in (ESCAPED, "reviews\n", "a" * 64):
        request = DeployRequest(name=name, variants=(Variant("AllTraffic", "reviews/1"),))
        assert "is not a valid endpoint name" in refusal(lambda request=request: aws.endpoints.deploy(request)).message  # type: ignore[misc]
    variant = DeployRequest(name="reviews", variants=(Variant("AllTraffic\n", "reviews/1"),))
    assert "is not a valid variant name" in refusal(lambda: aws.endpoints.deploy(variant)).message
    assert aws_requests == []


def test_aws_catalog_and_query_names_like_paths_make_no_aws_request(aws: Services, aws_requests: list[str],
                                                                    reviews: Path) -> None:
    refusal(lambda: aws.catalog.create_database(ESCAPED))
    refusal(lambda: aws.catalog.import_path(reviews, "d", ESCAPED))
    refusal(lambda: aws.catalog.crawl("s3://workbench-test/raw/", "d", table_prefix="../"))
    refusal(lambda: aws.query.save_result_as_table("any-query-id", "d", ESCAPED))
    refusal(lambda: aws.endpoints.start_batch_transform("reviews/1", DataSource(table="d.t"), "scores/" + ESCAPED))
    refusal(lambda: aws.query.save_query(SavedQuery(ESCAPED, "SELECT 1")))
    assert aws_requests == []
