"""Shared pieces of the generated code: literals and the usual session preamble."""

from __future__ import annotations

import pprint
from typing import Any

from services.models import DataSource

SESSION = """\
from sagemaker.core.helper.session_helper import Session, get_execution_role

session = Session()
role = get_execution_role()
bucket = session.default_bucket()
region = session.boto_region_name"""


# SageMaker's default bucket name, for snippets that need no SageMaker session
DEFAULT_BUCKET = 'bucket = f"sagemaker-{boto3.Session().region_name}-{wr.sts.get_account_id()}"'


def py(value: Any) -> str:
    """``value`` as a Python literal (strings, numbers, lists, dicts): safe to place in generated code."""
    return pprint.pformat(value, width=100, sort_dicts=False)


def table_sql(source: DataSource, sql: str = "") -> str:
    """The SQL that reads a form's data: its own SQL, or every row of its catalog table."""
    if sql:
        return sql
    return f"SELECT * FROM {source.table}" if source.table else ""


def read_data(source: DataSource, sql: str = "", variable: str = "df") -> str:
    """Lines that load a form's data into a pandas frame through Athena (or from S3 for a file)."""
    query = table_sql(source, sql)
    if query:
        database = source.table.split(".", 1)[0] if "." in source.table else "default"
        return f"{variable} = wr.athena.read_sql_query({py(query)}, database={py(database)}, ctas_approach=False)"
    return f"{variable} = wr.s3.read_csv({py(s3_name(source.path))})"


def s3_name(path: str) -> str:
    """An S3 URI for a local file the user picked: the same file name under the session's bucket."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1] or "data.csv"
    return f"s3://<your-bucket>/workbench/{name}" if not path.startswith("s3://") else path


def slug(text: str, fallback: str = "workbench") -> str:
    """A name usable in an S3 key from a table or job name (letters, digits and dashes)."""
    cleaned = "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")
    return cleaned or fallback


def value(text: str) -> int | float | str:
    """A form's value as the data holds it: ``"1"`` is the number 1 in a CSV column, ``"Dresses"`` stays text."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def model_name(model_id: str) -> str:
    """The SageMaker model name for a registered model ``"<name>/<version>"``: ``"<name>-<version>"``."""
    return slug(model_id.replace("/", "-"), "model")


def upload_csv(folder: str, variable: str = "data_uri") -> str:
    """Lines writing ``df`` as a CSV with a header under the session's bucket (``folder`` is a slug)."""
    return "\n".join([
        f'{variable} = f"s3://{{bucket}}/workbench/{folder}/data.csv"',
        f"wr.s3.to_csv(df, {variable}, index=False)",
    ])
