"""Data actions on AWS: Athena queries, Glue catalog imports and crawlers, Feature Store ingestion."""

from __future__ import annotations

from services.codegen.literals import DEFAULT_BUCKET, py, read_data, slug
from services.models import DataSource


def query_code(sql: str, database: str | None) -> str:
    """Run the editor's SQL on Athena and get a pandas frame, as the Query page does."""
    return "\n".join([
        "import awswrangler as wr",
        "",
        f"sql = {py(sql)}",
        f"df = wr.athena.read_sql_query(sql, database={py(database or 'default')}, ctas_approach=False)",
        "print(df.head())",
    ])


def catalog_import_code(filename: str, database: str, table: str) -> str:
    """Upload a CSV/Parquet file to S3 as a catalogued Parquet dataset (Glue table), as Catalog → Import does."""
    reader = "pd.read_parquet" if filename.lower().endswith(".parquet") else "pd.read_csv"
    return "\n".join([
        "import awswrangler as wr",
        "import boto3",
        "import pandas as pd",
        "",
        DEFAULT_BUCKET,
        f"df = {reader}({py(filename)})",
        f"if {py(database)} not in wr.catalog.databases()['Database'].values:",
        f"    wr.catalog.create_database({py(database)})",
        "wr.s3.to_parquet(",
        "    df,",
        f"    path=f\"s3://{{bucket}}/lake/{slug(database)}/{slug(table)}/\",",
        "    dataset=True,",
        f"    database={py(database)},",
        f"    table={py(table)},",
        "    mode=\"overwrite\",",
        ")",
        f"print(wr.catalog.table(database={py(database)}, table={py(table)}))",
    ])


def s3_location(location: str) -> str:
    """The S3 URI of a lake folder: as given on AWS; a local ``…/lake/<bucket>/<prefix>`` folder is laid out like S3."""
    if location.startswith("s3://"):
        return location
    parts = location.replace("\\", "/").split("/lake/", 1)
    return "s3://" + parts[1] if len(parts) == 2 and parts[1] else "s3://<your-bucket>/" + location.strip("/").rsplit("/", 1)[-1]


def crawl_code(location: str, database: str, table_prefix: str = "") -> str:
    """Create and start a Glue crawler over an S3 folder, as Catalog → Crawl does."""
    name = f"workbench-{slug(database)}-{slug(table_prefix or 'crawl')}"
    location = s3_location(location)
    return "\n".join([
        "import boto3",
        "import awswrangler as wr",
        "",
        f"if {py(database)} not in wr.catalog.databases()['Database'].values:",
        f"    wr.catalog.create_database({py(database)})",
        "glue = boto3.client(\"glue\")",
        "glue.create_crawler(",
        f"    Name={py(name)},",
        "    Role=\"<your-glue-crawler-role-arn>\",",
        f"    DatabaseName={py(database)},",
        f"    TablePrefix={py(table_prefix)},",
        f"    Targets={{\"S3Targets\": [{{\"Path\": {py(location)}}}]}},",
        ")",
        f"glue.start_crawler(Name={py(name)})",
        f"print(wr.catalog.tables(database={py(database)}))",
    ])


def feature_ingest_code(group: str, source: DataSource, sql: str = "") -> str:
    """Ingest a table's (or a SQL result's) rows into a feature group, as Features → Ingest does."""
    return "\n".join([
        "import awswrangler as wr",
        "from sagemaker.mlops.feature_store import ingest_dataframe",
        "",
        read_data(source, sql),
        f"ingest_dataframe(feature_group_name={py(group)}, data_frame=df, max_workers=3, wait=True)",
    ])



def feature_ingest_choice_code(group: str, kind: str, table: str = "", sql: str = "") -> str:
    """``feature_ingest_code`` for the Features page's source choice: ``kind`` table | sql | file."""
    if kind == "sql":
        return feature_ingest_code(group, DataSource(), sql or "SELECT …")
    if kind == "table" and table:
        return feature_ingest_code(group, DataSource(table=table))
    return feature_ingest_code(group, DataSource(path="your-file.csv"))
