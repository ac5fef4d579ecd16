"""Calling a SageMaker endpoint: ``sagemaker-runtime.invoke_endpoint``, and scoring one review or one row."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pandas as pd
from botocore.exceptions import ClientError

from services.aws.encoding import csv_rows, transform_frame
from services.aws.errors import translate, translated
from services.aws.model_packages import package_metadata
from services.aws.sagemaker import error_code
from services.endpoints.aws.common import LOG_GROUP, NOT_FOUND_HINT, EndpointsBase, config_variants
from services.endpoints.aws.predictions import score_from_answer, score_from_workbench_json
from services.endpoints.models import (
    MAX_PAYLOAD_BYTES,
    InvokeResult,
    ScoreResult,
)
from services.errors import BackendUnavailable, InvalidInput, NotFound, ServiceError

# Linear Learner answers JSON (its documented response shape); XGBoost and Autopilot containers answer CSV.
ACCEPT = {"linear-learner": "application/json"}



class Invoking(EndpointsBase):
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
        """One row sent as the deployed container reads it: CSV without header, encoded exactly as the training
        CSV was (``transform_frame``, ``csv_rows``), for the built-in and Autopilot containers; the workbench's
        JSON for script-mode models. The answer is read in the container's documented shape."""
        if not record:
            raise InvalidInput("The record has no values.", hint="Fill in the model's input columns.")
        metadata = package_metadata(self._serving_package(name))
        classes = [str(c) for c in metadata.get("classes", [])]
        if metadata.get("framework") == "script":
            result = self.invoke(name, json.dumps({"instances": [record]}, default=str).encode())
            return score_from_workbench_json(result.body, result.variant, result.latency_ms)
        body = csv_rows(transform_frame(pd.DataFrame([record]), metadata), bool((metadata.get("encoding") or {}).get("fill_missing")))
        result = self.invoke(name, body, content_type="text/csv", accept=ACCEPT.get(str(metadata.get("framework")), "text/csv"))
        return score_from_answer(result.body, classes, result.variant, result.latency_ms)

    def _serving_package(self, name: str) -> dict[str, Any]:
        """The model package of the endpoint's first answering variant (its ``workbench:model:`` tag)."""
        raw = self._describe(name)
        model_ids = self._model_ids(raw["EndpointArn"])
        answering = [v for v in config_variants(raw, self._endpoint_config(raw.get("EndpointConfigName", ""))) if not v.shadow]
        model_id = model_ids.get(answering[0].name, "") if answering else ""
        if not model_id:
            raise InvalidInput(f"Endpoint {name} does not say which registered model it serves, so its input format is unknown.",
                               hint="Use Invoke with the content type its container reads.")
        return self._package(model_id)

    def _score(self, name: str, document: dict[str, Any]) -> ScoreResult:
        result = self.invoke(name, json.dumps(document, default=str).encode())
        return score_from_workbench_json(result.body, result.variant, result.latency_ms)


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
