"""One table from botocore/awswrangler errors to our ``ServiceError`` subclasses.

Imported only by the aws adapters. Adapters catch at their edge with ``@translated`` (or
``except AWS_ERRORS as exc: raise translate(exc) from exc``) so a page only ever sees
``ServiceError``s with a message a user understands and a hint.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    CredentialRetrievalError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)

from services.errors import (
    AlreadyExists,
    BackendUnavailable,
    InternalError,
    InvalidInput,
    NotFound,
    QueryCancelled,
    QueryFailed,
    ServiceError,
)

CREDENTIALS_HINT = (
    "Configure AWS credentials the standard way (`aws configure`, AWS_PROFILE, or the "
    "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY variables) and check the IAM policy allows this action."
)
REGION_HINT = "Set WORKBENCH_AWS_REGION (or AWS_DEFAULT_REGION, or a region in your AWS profile)."
RETRY_HINT = "AWS is busy or limiting requests; wait a moment and try again."

_NOT_FOUND = (NotFound, "Check the name; refresh the catalog to see what exists.")
_EXISTS = (AlreadyExists, "Pick another name, or delete the existing one first.")
_INVALID = (InvalidInput, "Check the names and values you entered.")
_DENIED = (BackendUnavailable, CREDENTIALS_HINT)
_BUSY = (BackendUnavailable, RETRY_HINT)

# botocore error code -> (our error, hint). The message is AWS's own, prefixed by the action.
ERROR_CODES: dict[str, tuple[type[ServiceError], str]] = {
    "EntityNotFoundException": _NOT_FOUND,
    "ResourceNotFoundException": _NOT_FOUND,
    "CrawlerNotFoundException": _NOT_FOUND,
    "NoSuchKey": _NOT_FOUND,
    "404": _NOT_FOUND,
    "NoSuchBucket": (BackendUnavailable, "Set WORKBENCH_S3_BUCKET / WORKBENCH_ATHENA_OUTPUT to an existing bucket."),
    "AlreadyExistsException": _EXISTS,
    "CrawlerRunningException": (AlreadyExists, "A crawl of this location is running; wait for it and try again."),
    "InvalidInputException": _INVALID,
    "ValidationException": _INVALID,
    "InvalidParameterException": _INVALID,
    "InvalidRequestException": (QueryFailed, "Fix the SQL and run it again."),
    "MetadataException": (QueryFailed, "Check that the database and tables exist in the catalog."),
    "AccessDeniedException": _DENIED,
    "AccessDenied": _DENIED,
    "403": _DENIED,
    "UnrecognizedClientException": _DENIED,
    "InvalidClientTokenId": _DENIED,
    "InvalidAccessKeyId": _DENIED,
    "SignatureDoesNotMatch": _DENIED,
    "ExpiredToken": _DENIED,
    "ExpiredTokenException": _DENIED,
    "ThrottlingException": _BUSY,
    "Throttling": _BUSY,
    "TooManyRequestsException": _BUSY,
    "SlowDown": _BUSY,
    "RequestLimitExceeded": _BUSY,
    "ConcurrentModificationException": _BUSY,
    "OperationTimeoutException": _BUSY,
    "InternalServiceException": _BUSY,
    "InternalServerException": _BUSY,
    "InternalFailure": _BUSY,
    "ServiceUnavailable": _BUSY,
    "ResourceNumberLimitExceededException": (
        BackendUnavailable,
        "An AWS account limit was reached; clean up or ask for a higher quota.",
    ),
    # SageMaker spells these without the "Exception" suffix.
    "ResourceNotFound": (NotFound, "Check the name; the job or model may be in another region or account."),
    "ResourceInUse": (AlreadyExists, "A SageMaker resource with that name exists already; pick another name."),
    "ResourceLimitExceeded": (
        BackendUnavailable,
        "A SageMaker quota was reached (e.g. instances of this type); stop other jobs or ask for a higher quota.",
    ),
    "ConflictException": _BUSY,
}

# awswrangler raises its own exceptions (no common base); matched by class name to keep this module light.
WRANGLER_ERRORS: dict[str, tuple[type[ServiceError], str]] = {
    "QueryFailed": (QueryFailed, "Fix the SQL and run it again."),
    "QueryCancelled": (QueryCancelled, "Run the query again to get a result."),
    "NoFilesFound": (NotFound, "Check the S3 location holds data files."),
    "ResourceDoesNotExist": _NOT_FOUND,
    "AlreadyExists": _EXISTS,
    "InvalidArgument": _INVALID,
    "InvalidArgumentValue": _INVALID,
    "InvalidArgumentType": _INVALID,
    "InvalidArgumentCombination": _INVALID,
    "InvalidTable": _INVALID,
    "EmptyDataFrame": (InvalidInput, "The data is empty."),
    "ServiceApiError": (BackendUnavailable, RETRY_HINT),
}

AWS_ERRORS: tuple[type[Exception], ...] = (BotoCoreError, ClientError)


def translate(exc: Exception) -> ServiceError:
    """The ``ServiceError`` for an AWS exception; unknown errors become ``InternalError``."""
    if isinstance(exc, ServiceError):
        return exc
    if isinstance(exc, ClientError):
        return _client_error(exc)
    if isinstance(exc, BotoCoreError):
        return _botocore_error(exc)
    known = WRANGLER_ERRORS.get(type(exc).__name__) if is_wrangler_error(exc) else None
    if known is not None:
        return known[0](str(exc) or type(exc).__name__, hint=known[1])
    return InternalError(f"Unexpected AWS error: {type(exc).__name__}: {exc}", hint="Please report this.")


def _client_error(exc: ClientError) -> ServiceError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    message = str(error.get("Message", "")) or code
    action = f"AWS refused {exc.operation_name}: " if exc.operation_name else ""
    error_class, hint = ERROR_CODES.get(code, (InternalError, f"AWS error code {code}; please report this."))
    return error_class(f"{action}{message}", hint=hint)


def _botocore_error(exc: BotoCoreError) -> ServiceError:
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError, CredentialRetrievalError, ProfileNotFound)):
        return BackendUnavailable(f"AWS credentials are not usable: {exc}", hint=CREDENTIALS_HINT)
    if isinstance(exc, NoRegionError):
        return BackendUnavailable("No AWS region is configured.", hint=REGION_HINT)
    if isinstance(exc, EndpointConnectionError):
        return BackendUnavailable(f"AWS cannot be reached: {exc}", hint="Check the network connection and the region.")
    return BackendUnavailable(f"The AWS SDK failed: {exc}", hint=RETRY_HINT)


def is_wrangler_error(exc: BaseException) -> bool:
    return type(exc).__module__.startswith("awswrangler")


P = ParamSpec("P")
R = TypeVar("R")


def translated(method: Callable[P, R]) -> Callable[P, R]:
    """Run ``method`` and turn AWS exceptions into ``ServiceError``s at the adapter's edge."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except ServiceError:
            raise
        except AWS_ERRORS as exc:
            raise translate(exc) from exc
        except Exception as exc:
            if is_wrangler_error(exc):
                raise translate(exc) from exc
            raise

    return wrapper
