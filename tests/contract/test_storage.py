"""The storage port's contract: every adapter must pass ``StorageContract``.

``TestLocalStorage`` runs it on the local adapter (DuckDB over the workspace lake); ``TestAwsStorage`` on
the aws adapter against moto's S3 and Glue, with moto's Athena answering the SQL it is sent from DuckDB
over the same rows (``athena_answers_from``), since moto runs no SQL itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import pandas as pd
import pytest

from services.errors import InvalidInput, NotFound, ServiceError
from services.registry import Services, build_services
from tests.helpers.athena import athena_answers_from
from tests.helpers.aws import BUCKET, REGION, aws_settings
from tests.helpers.moto_gaps import fail_calls
from tests.helpers.workspace import settings_for_tests

REVIEWS = pd.DataFrame({"id": [1, 2, 3], "review_text": ["Nice, soft", "Bad", None], "rating": [5, 1, 3]})
SCORES = pd.DataFrame({"id": [1, 2], "score": [0.25, 0.75]})


class StorageContract:
    """Tests any storage adapter must pass. Subclasses provide ``services``, ``write_parquet`` and ``answering``."""

    @pytest.fixture
    def services(self) -> Services:
        raise NotImplementedError

    def write_parquet(self, services: Services, frame: pd.DataFrame, database: str, table: str) -> Path | str:
        """Write ``frame`` as Parquet where this backend's jobs write tables; return that location."""
        raise NotImplementedError

    def answering(self, tables: dict[str, pd.DataFrame]) -> AbstractContextManager[object]:
        """While active, queries over ``tables`` are answered (Athena on moto needs it; DuckDB reads the files)."""
        return nullcontext()

    @pytest.fixture
    def reviews(self, services: Services, tmp_path: Path) -> str:
        source = tmp_path / "reviews.csv"
        REVIEWS.to_csv(source, index=False)
        services.catalog.import_path(source, "contract", "reviews")
        return "contract.reviews"

    def test_read_table_returns_every_row_in_catalog_order(self, services: Services, reviews: str) -> None:
        with self.answering({reviews: REVIEWS}):
            frame = services.storage.read_table("contract", "reviews")
        assert list(frame.columns) == ["id", "review_text", "rating"]
        assert frame.sort_values("id")["id"].tolist() == [1, 2, 3]
        assert frame.sort_values("id")["rating"].tolist() == [5, 1, 3]
        texts = frame.sort_values("id")["review_text"].tolist()
        assert texts[:2] == ["Nice, soft", "Bad"] and pd.isna(texts[2])

    def test_read_table_of_an_unknown_table_or_database_is_not_found(self, services: Services, reviews: str) -> None:
        with pytest.raises(NotFound):
            services.storage.read_table("contract", "no_such_table")
        with pytest.raises(NotFound):
            services.storage.read_table("no_such_database", "reviews")

    def test_read_table_is_not_recorded_in_the_query_history(self, services: Services, reviews: str) -> None:
        with self.answering({reviews: REVIEWS}):
            services.storage.read_table("contract", "reviews")
        assert services.query.history(limit=10) == []

    def test_register_table_catalogs_parquet_at_a_location(self, services: Services) -> None:
        location = self.write_parquet(services, SCORES, "contract", "scores")
        table = services.storage.register_table("Contract", "Scores", location)
        assert (table.database, table.name, table.format) == ("contract", "scores", "parquet")
        assert [(c.name, c.type) for c in table.columns] == [("id", "bigint"), ("score", "double")]
        assert "contract" in [d.name for d in services.catalog.list_databases()]
        assert services.catalog.get_table("contract", "scores").columns == table.columns

    def test_register_again_with_a_new_schema_updates_the_table(self, services: Services) -> None:
        services.storage.register_table("contract", "scores", self.write_parquet(services, SCORES, "contract", "scores"))
        wider = SCORES.assign(label=["a", "b"])
        table = services.storage.register_table("contract", "scores",
                                                self.write_parquet(services, wider, "contract", "scores"))
        assert [c.name for c in table.columns] == ["id", "score", "label"]
        assert [c.name for c in services.catalog.get_table("contract", "scores").columns] == ["id", "score", "label"]

    @pytest.mark.parametrize("database, table", [("a/b", "scores"), ("contract", "../escape"), ("", "scores"),
                                                 ("contract", "!!!")])
    def test_register_table_refuses_bad_names(self, services: Services, database: str, table: str) -> None:
        location = self.write_parquet(services, SCORES, "contract", "named")
        with pytest.raises(InvalidInput):
            services.storage.register_table(database, table, location)

    def test_register_table_where_nothing_was_written_is_not_found(self, services: Services) -> None:
        location = self.write_parquet(services, SCORES, "contract", "written")
        missing = str(location).replace("written", "never_written")
        with pytest.raises(NotFound):
            services.storage.register_table("contract", "never_written", missing)


class TestLocalStorage(StorageContract):
    @pytest.fixture
    def services(self, tmp_path: Path) -> Services:
        return build_services(settings_for_tests(home=tmp_path / "workspace", seed_on_start=False))

    def write_parquet(self, services: Services, frame: pd.DataFrame, database: str, table: str) -> Path | str:
        folder = services.stack.workspace.table_folder(database, table)
        folder.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(folder / "part-0.parquet", index=False)
        return folder


class TestAwsStorage(StorageContract):
    @pytest.fixture
    def services(self, mocked_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
        self.monkeypatch = monkeypatch
        yield build_services(aws_settings(tmp_path / "workspace"))

    def write_parquet(self, services: Services, frame: pd.DataFrame, database: str, table: str) -> Path | str:
        import awswrangler as wr
        import boto3

        location = f"s3://{BUCKET}/jobs-output/{database}/{table}/"
        wr.s3.to_parquet(frame, path=location + "part-0.parquet", index=False, boto3_session=boto3.Session(region_name=REGION))
        return location

    def answering(self, tables: dict[str, pd.DataFrame]) -> AbstractContextManager[object]:
        return athena_answers_from(self.monkeypatch, tables)

    def test_read_table_refused_by_athena_is_a_clear_error(self, services: Services, reviews: str, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
        """An IAM policy without athena:StartQueryExecution: the refusal, translated, not a raw botocore error."""
        fail_calls(monkeypatch, "athena", "StartQueryExecution", "AccessDeniedException",
                   "User is not authorized to perform: athena:StartQueryExecution")
        refused = build_services(aws_settings(tmp_path / "workspace"))  # a session made after the refusal is set
        with pytest.raises(ServiceError, match="athena:StartQueryExecution"):
            refused.storage.read_table("contract", "reviews")
