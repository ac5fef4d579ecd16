"""The one place that creates boto3 sessions, and the builder of the aws adapters.

Imported only when ``WORKBENCH_BACKEND=aws`` (see ``services/registry.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
from botocore.exceptions import BotoCoreError

from services.aws_errors import CREDENTIALS_HINT, REGION_HINT, translate
from services.config import Settings
from services.errors import BackendUnavailable

if TYPE_CHECKING:
    from services.catalog.aws import AwsCatalog
    from services.query.aws import AwsQuery


def make_session(settings: Settings) -> boto3.Session:
    """A session for ``settings.aws_region`` (else boto3's default region chain); credentials
    come only from boto3's standard chain. ``BackendUnavailable`` when either is missing."""
    try:
        session = boto3.Session(region_name=settings.aws_region)
        credentials = session.get_credentials()
    except BotoCoreError as exc:
        raise translate(exc) from exc
    if not session.region_name:
        raise BackendUnavailable("No AWS region is configured.", hint=REGION_HINT)
    if credentials is None:
        raise BackendUnavailable("No AWS credentials were found.", hint=CREDENTIALS_HINT)
    return session


def build_aws(settings: Settings) -> tuple[AwsCatalog, AwsQuery]:
    """The aws catalog and query adapters sharing one session; history lives in the workspace."""
    # Imported here so that importing this module stays cheap and cycle-free.
    from services.catalog.aws import AwsCatalog
    from services.embedded.metadata import MetadataStore
    from services.query.aws import AwsQuery
    from services.query.history import QueryHistory

    session = make_session(settings)
    settings.home.mkdir(parents=True, exist_ok=True)
    catalog = AwsCatalog(session, settings)
    history = QueryHistory(MetadataStore(settings.home / "metadata.sqlite"))
    return catalog, AwsQuery(session, settings, history, catalog)
