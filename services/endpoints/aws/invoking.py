"""Calling a SageMaker endpoint: ``sagemaker-runtime.invoke_endpoint``, and scoring one review or one row."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from botocore.exceptions import ClientError

from services.aws.errors import translate, translated
from services.aws.sagemaker import error_code
from services.endpoints.aws.common import LOG_GROUP, NOT_FOUND_HINT, EndpointsBase
from services.endpoints.models import (
    MAX_PAYLOAD_BYTES,
    InvokeResult,
    ScoreResult,
)
from services.errors import BackendUnavailable, InternalError, InvalidInput, NotFound, ServiceError

FORMAT_HINT = ("This endpoint's container does not answer in the workbench's JSON format "
               '({"predictions": [{"predicted_label": ...}]}); use Invoke with the content type the container reads.')



class Invoking(EndpointsBase):
    # -- invoking -----------------------------------------------------------------------------

    @translated
    def invoke(self, name: str, body: bytes, content_type: str = "application/json", accept: str = "application/json",
               target_variant: str = "", custom_attributes: str = "") -> InvokeResult:
        """``sagemaker-runtime.invoke_endpoint``; an unknown endpoint is ``NotFound``, a model's own
        error (``ModelError``) keeps the model's message."""
        if len(body) > MAX_PAYLOAD_BYTES:
            raise InvalidInput(f"The request is {len(body):,} bytes; SageMaker accepts at most {MAX_PAYLOAD_BYTES:,}.",
                               hint="Send fewer rows per request, or score the table with a batch transform.")
        parameters = {"EndpointName": name, "Body": body, "ContentType": content_type, "Accept": accept}
        optional = {"TargetVariant": target_variant, "CustomAttributes": custom_attributes}
        started = time.perf_counter()
        try:
            answer = self._runtime.invoke_endpoint(**parameters, **{k: v for k, v in optional.items() if v})
        except ClientError as exc:
            raise invoke_error(exc, name, self.region) from exc
        payload = answer["Body"].read()
        return InvokeResult(body=payload, content_type=str(answer.get("ContentType", "")),
                            variant=str(answer.get("InvokedProductionVariant", "")),
                            latency_ms=(time.perf_counter() - started) * 1000,
                            status_code=int(answer.get("ResponseMetadata", {}).get("HTTPStatusCode", 200)))

    def score_text(self, name: str, text: str, explain: bool = False) -> ScoreResult:
        """``{"instances": [text]}`` (with ``"explain": true`` when asked) → the first prediction."""
        if not text.strip():
            raise InvalidInput("The review is empty.", hint="Type or paste a review to score.")
        document: dict[str, Any] = {"instances": [text]} | ({"explain": True} if explain else {})
        return self._score(name, document)

    def score_record(self, name: str, record: dict[str, object]) -> ScoreResult:
        """``{"instances": [record]}`` → the first prediction."""
        if not record:
            raise InvalidInput("The record has no values.", hint="Fill in the model's input columns.")
        return self._score(name, {"instances": [record]})

    def _score(self, name: str, document: dict[str, Any]) -> ScoreResult:
        result = self.invoke(name, json.dumps(document, default=str).encode())
        return score_from_body(result.body, result.variant, result.latency_ms)



def invoke_error(exc: ClientError, name: str, region: str) -> ServiceError:
    """``ValidationError`` for an unknown endpoint → ``NotFound``; ``ModelError`` keeps the model's message."""
    code = error_code(exc)
    message = str(exc.response.get("Error", {}).get("Message", "")) or code
    if code == "ValidationError":
        if re.search(r"not found|could not find|does not exist", message, re.I):
            return NotFound(f"No SageMaker endpoint named {name!r} in {region}.", hint=NOT_FOUND_HINT)
        return InvalidInput(f"SageMaker refused the request: {message}", hint="Check the endpoint, variant and content type.")
    if code == "ModelError":
        return model_error(exc, name, message)
    if code == "ModelNotReadyException":
        return BackendUnavailable(f"The model behind {name!r} is not ready: {message}", hint="Wait a moment and try again.")
    return translate(exc)


def model_error(exc: ClientError, name: str, message: str) -> ServiceError:
    response: dict[str, Any] = dict(exc.response)
    error: dict[str, Any] = dict(response.get("Error") or {})
    original = response.get("OriginalMessage") or error.get("OriginalMessage") or message
    status = int(response.get("OriginalStatusCode") or error.get("OriginalStatusCode") or 500)
    if status < 500:
        return InvalidInput(f"The model refused the request ({status}): {original}",
                            hint="Check the body's content type and columns against what the model reads.")
    return BackendUnavailable(f"The model failed ({status}): {original}",
                              hint=f"See the endpoint's logs (CloudWatch {LOG_GROUP.format(name=name)}).")


def score_from_body(body: bytes, variant: str, latency_ms: float) -> ScoreResult:
    """The first of ``{"predictions": [{"predicted_label", "probability", "probabilities", ...}]}``."""
    try:
        prediction = json.loads(body)["predictions"][0]
        label = prediction["predicted_label"]
        probabilities = {str(k): float(v) for k, v in (prediction.get("probabilities") or {}).items()}
        probability = prediction.get("probability")
        tokens = tuple(str(t) for t in prediction.get("tokens") or ())
        token_scores = {str(k): tuple(float(s) for s in v) for k, v in (prediction.get("token_scores") or {}).items()}
        return ScoreResult(str(label), None if probability is None else float(probability), probabilities, latency_ms,
                           variant, tokens, token_scores)
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        preview = body[:200].decode(errors="replace")
        raise InternalError(f"The endpoint's container answered in an unexpected format: {preview!r}", hint=FORMAT_HINT) from exc


