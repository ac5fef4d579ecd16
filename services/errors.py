"""Errors that cross the port boundary: a message a user understands and a hint for what to do."""

from __future__ import annotations


class ServiceError(Exception):
    """Base of every error the services raise on purpose. ``exit_code`` is used by the CLI."""

    exit_code = 2

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class InvalidInput(ServiceError):
    """The user's input cannot be used as given (bad file, bad parameter)."""


class NotFound(ServiceError):
    """A database, table, query or file that was asked for does not exist."""


class AlreadyExists(ServiceError):
    """Something with that name exists already."""


class QueryFailed(ServiceError):
    """The engine could not run the query (syntax error, unknown column, ...)."""


class QueryRefused(ServiceError):
    """The query is not allowed from the editor (writes, file access, settings, ...)."""


class QueryTimeout(ServiceError):
    """The query ran longer than the configured timeout and was stopped."""


class QueryCancelled(ServiceError):
    """The user cancelled the query."""


class BackendUnavailable(ServiceError):
    """The chosen backend cannot be reached or is not configured (credentials, region, ...)."""

    exit_code = 2


class InternalError(ServiceError):
    """A bug or an unexpected engine state; reported with exit code 1 by the CLI."""

    exit_code = 1
