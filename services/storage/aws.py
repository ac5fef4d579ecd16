"""AWS storage: a table read whole through Athena, a Parquet prefix in S3 catalogued in Glue."""

from __future__ import annotations

from pathlib import Path

import awswrangler as wr
import boto3
import pandas as pd

from services.aws.errors import translated
from services.catalog.aws import AwsCatalog
from services.config import Settings
from services.models import Table
from services.names import glue_name
from services.query.aws import AwsQuery


class AwsStorage:
    """Errors from boto3 and awswrangler (a failed query, no files at a prefix) become ``ServiceError``s."""

    def __init__(self, session: boto3.Session, settings: Settings, query: AwsQuery, catalog: AwsCatalog) -> None:
        self.session = session
        self.settings = settings
        self._query = query
        self._catalog = catalog

    @translated
    def read_table(self, database: str, table: str) -> pd.DataFrame:
        found = self._catalog.get_table(database, table)
        return wr.athena.read_sql_query(
            f'SELECT * FROM "{found.database}"."{found.name}"', database=found.database, ctas_approach=False,
            workgroup=self.settings.athena_workgroup, s3_output=self.settings.athena_output or None,
            boto3_session=self.session,
        )

    @translated
    def register_table(self, database: str, table: str, location: Path | str) -> Table:
        """Catalog the Parquet files under the S3 prefix ``location`` (what batch transform and CTAS write)."""
        database, table = glue_name("database", database), glue_name("table", table)
        path = str(location).rstrip("/") + "/"
        self._catalog.create_database(database)
        wr.s3.store_parquet_metadata(path=path, database=database, table=table, dataset=True,
                                     mode="overwrite", boto3_session=self.session)
        return self._catalog.get_table(database, table)
