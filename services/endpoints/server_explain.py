"""Per-request explanations on an endpoint server: token attributions for the reviews a text model scored
(``explain=true``), or why none were added."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool

from services.endpoints.server_requests import RequestError
from services.endpoints.serving import ExplanationUnavailable, ServingModel
from services.errors import InvalidInput

MAX_EXPLAINED_INSTANCES = 10
EXPLAIN_OMITTED_HEADER = "X-Explanation-Omitted"


async def explain(model: ServingModel, instances: list[Any], predictions: list[dict[str, Any]], body_format: str) -> str:
    """Add each prediction's ``explanation``; returns why they were left out ("" when added)."""
    if body_format == "csv":
        return "text/csv responses carry no explanations; ask for application/json"
    if not model.text_model:
        return "per-request explanations are given for text models; run a SHAP job on the Explain page for this model"
    if len(instances) > MAX_EXPLAINED_INSTANCES:
        raise RequestError(400, f"Explanations are computed for at most {MAX_EXPLAINED_INSTANCES} instances per request; "
                                f"this one has {len(instances)}.")
    try:
        for text, prediction in zip(model.texts(instances), predictions):
            prediction["explanation"] = await run_in_threadpool(model.explain, text)
    except InvalidInput as exc:
        raise RequestError(400, str(exc)) from exc
    except ExplanationUnavailable as exc:
        return str(exc)
    return ""
