"""Answers for the AWS calls moto does not implement (and errors for ones it does), given through botocore's
own event hooks so that every client made afterwards, the app's own included, receives them. Each answer is
checked against the service model as botocore's ``Stubber`` checks its responses, so no invented shape passes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import botocore.handlers
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.exceptions import ParamValidationError
from botocore.validate import ParamValidator

Answer = Callable[[dict[str, Any]], dict[str, Any]]


def answer_calls(monkeypatch: pytest.MonkeyPatch, service: str, operation: str, answer: Answer,
                 clients: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Every later ``operation`` call (e.g. ``ListTrainingJobsForHyperParameterTuningJob``) gets ``answer(params)``,
    validated against the operation's output shape; returns the parameters of each call made, in order.
    Sessions made from now on get the answer, and so do ``clients`` (made earlier)."""
    output_shape = botocore.session.get_session().get_service_model(service).operation_model(operation).output_shape
    assert output_shape is not None, f"{operation} has no output to answer with"
    calls: list[dict[str, Any]] = []

    def remember(params: dict[str, Any], **_: Any) -> None:
        calls.append(dict(params))

    def respond(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        body = answer(calls[-1])
        report = ParamValidator().validate(body, output_shape)
        if report.has_errors():
            raise ParamValidationError(report=report.generate_report())
        return _http(200), {**body, "ResponseMetadata": {"HTTPStatusCode": 200}}

    _hook(monkeypatch, f"before-parameter-build.{service}.{operation}", remember, clients)
    _hook(monkeypatch, f"before-call.{service}.{operation}", respond, clients)
    return calls


def fail_calls(monkeypatch: pytest.MonkeyPatch, service: str, operation: str, code: str, message: str,
               status: int = 400, clients: Sequence[Any] = ()) -> None:
    """Every later ``operation`` call fails as AWS fails it (``Error.Code``/``Message``, e.g. AccessDeniedException,
    ThrottlingException). One attempt per call: botocore would otherwise retry throttling with back-off."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    error = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
    _hook(monkeypatch, f"before-call.{service}.{operation}", lambda **_: (_http(status), error), clients)


def _http(status: int) -> AWSResponse:
    """The HTTP side of an answer that never went over the wire (as botocore's Stubber makes it)."""
    return AWSResponse("", status, HTTPHeaders(), None)


def _hook(monkeypatch: pytest.MonkeyPatch, event: str, handler: Callable[..., Any], clients: Sequence[Any]) -> None:
    """Registered for the sessions created from now on (as moto registers its own hook), undone after the test,
    and on ``clients`` made by the test (they end with it)."""
    monkeypatch.setattr(botocore.handlers, "BUILTIN_HANDLERS", [*botocore.handlers.BUILTIN_HANDLERS, (event, handler)])
    for client in clients:
        client.meta.events.register(event, handler)
