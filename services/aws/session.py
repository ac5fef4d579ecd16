"""The one place that creates boto3 sessions, and the builder of the aws adapters.

Imported only when ``WORKBENCH_BACKEND=aws`` (see ``services/registry.py``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
import botocore.loaders
import botocore.session
from botocore.exceptions import BotoCoreError

from services.aws.errors import CREDENTIALS_HINT, REGION_HINT, translate
from services.config import Settings
from services.errors import BackendUnavailable

if TYPE_CHECKING:
    from services.catalog.aws import AwsCatalog
    from services.embedded.embedded_stack import EmbeddedStack
    from services.query.aws import AwsQuery
    from services.storage.aws import AwsStorage


def make_session(settings: Settings) -> boto3.Session:
    """A session for ``settings.aws_region`` (else boto3's default region chain); credentials
    come only from boto3's standard chain. ``BackendUnavailable`` when either is missing."""
    try:
        core = botocore.session.get_session()
        core.register_component("data_loader", service_model_loader())
        session = boto3.Session(botocore_session=core, region_name=settings.aws_region)
        credentials = session.get_credentials()
    except BotoCoreError as exc:
        raise translate(exc) from exc
    if not session.region_name:
        raise BackendUnavailable("No AWS region is configured.", hint=REGION_HINT)
    if credentials is None:
        raise BackendUnavailable("No AWS credentials were found.", hint=CREDENTIALS_HINT)
    return session


@functools.cache
def service_model_loader() -> botocore.loaders.Loader:
    """botocore's reader of its service models and endpoint rules, shared by every session of this process.

    A loader caches what it has read, but each new session gets a new loader: SageMaker's model alone took ~1 s to
    read again whenever the services were rebuilt (a settings change, every test)."""
    return botocore.loaders.create_loader()


@dataclass
class AwsCore:
    """What every other aws adapter is built from: one session, and the workspace for history and job records."""

    session: boto3.Session
    stack: EmbeddedStack
    catalog: AwsCatalog
    query: AwsQuery
    storage: AwsStorage


def build_aws(settings: Settings) -> AwsCore:
    """The aws catalog, query and storage adapters sharing one session; history lives in the workspace."""
    # Imported here so that importing this module stays cheap and cycle-free.
    from services.catalog.aws import AwsCatalog
    from services.embedded.embedded_stack import EmbeddedStack
    from services.query.aws import AwsQuery
    from services.query.history import QueryHistory
    from services.storage.aws import AwsStorage

    session = make_session(settings)
    stack = EmbeddedStack.open(settings)
    catalog = AwsCatalog(session, settings)
    query = AwsQuery(session, settings, QueryHistory(stack.store), catalog)
    return AwsCore(session, stack, catalog, query, AwsStorage(session, settings, query, catalog))
