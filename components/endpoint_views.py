"""Endpoint views: the deploy form, the endpoints table, one endpoint's variants, logs and how to call it.

The ``*_frame``/``*_snippet``/``endpoint_slug`` helpers are pure (plain data in, plain data out); the
``render_*`` functions put them on the page and return the user's choice.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from components.code_views import request_with_code
from components.formatting import human_ms
from services.codegen.models import deploy_code
from services.endpoints.models import DeployRequest, Endpoint, Variant
from services.models import ModelRecord

if TYPE_CHECKING:  # pandas' Styler module imports matplotlib (~1.5 s): only when a table is styled
    from pandas.io.formats.style import Styler

STATUS_ICONS = {"Creating": ":material/progress_activity:", "InService": ":material/check_circle:", "Failed": ":material/error:",
                "Deleting": ":material/delete:"}
STATUS_COLOURS = {"Creating": "#b45309", "InService": "#15803d", "Failed": "#b91c1c", "Deleting": "#6b7280"}
NONE = "(none)"
MAX_ENDPOINT_NAME = 63  # SageMaker: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}


def endpoint_slug(model_id: str) -> str:
    """A valid endpoint name from a model id: ``reviews-sentiment-text-tfidf/1`` → ``reviews-sentiment-text-tfidf-1``."""
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", model_id).strip("-")[:MAX_ENDPOINT_NAME].strip("-")
    return slug or "endpoint"


def default_model(models: list[ModelRecord]) -> ModelRecord:
    """The newest approved model, else the newest model."""
    newest_first = sorted(models, key=lambda m: m.created_at, reverse=True)
    return next((m for m in newest_first if m.approval_status == "Approved"), newest_first[0])


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 120:
        return f"{seconds:,.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:,.0f} min"
    return f"{seconds / 3600:,.1f} h" if seconds < 172_800 else f"{seconds / 86_400:,.1f} days"


def model_summary(endpoint: Endpoint) -> str:
    """The models behind an endpoint: ``a/1 (80%), b/2 (20%), shadow c/3``."""
    serving = [v for v in endpoint.variants if not v.shadow]
    total = sum(v.weight for v in serving) or 1.0
    parts = [v.model_id if len(serving) == 1 else f"{v.model_id} ({v.weight / total:.0%})" for v in serving]
    parts += [f"shadow {v.model_id}" for v in endpoint.variants if v.shadow]
    return ", ".join(parts)


def endpoints_frame(endpoints: list[Endpoint]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "endpoint": [e.name for e in endpoints],
            "status": [f"● {e.status}" for e in endpoints],
            "model(s)": [model_summary(e) for e in endpoints],
            "URL": [e.url for e in endpoints],
            "uptime": [human_duration(e.uptime_seconds) for e in endpoints],
            "requests": [e.requests for e in endpoints],
            "errors": [e.errors for e in endpoints],
            "p50": [human_ms(e.latency_p50_ms) for e in endpoints],
            "p99": [human_ms(e.latency_p99_ms) for e in endpoints],
            "created (UTC)": [e.created_at[:19].replace("T", " ") for e in endpoints],
        }
    )


def variants_frame(endpoint: Endpoint) -> pd.DataFrame:
    """Each production variant's share of traffic and figures; shadows get copies, so no share."""
    serving_total = sum(v.weight for v in endpoint.variants if not v.shadow) or 1.0
    rows = []
    for variant in endpoint.variants:
        agreement = variant.agreement  # shadow variants only
        rows.append({
            "variant": variant.name, "model": variant.model_id, "role": "shadow" if variant.shadow else "production",
            "traffic": "copies" if variant.shadow else f"{variant.weight / serving_total:.0%}",
            "requests": variant.requests, "errors": variant.errors,
            "p50": human_ms(variant.latency_p50_ms), "p99": human_ms(variant.latency_p99_ms),
            "agreement": f"{agreement:.1%}" if isinstance(agreement, float) else ("–" if variant.shadow else ""),
        })
    return pd.DataFrame(rows)


def boto3_snippet(gateway_url: str, endpoint: Endpoint) -> str:
    """Python that calls the endpoint with an unchanged ``sagemaker-runtime`` client."""
    if endpoint.text_model or not endpoint.input_columns:
        body, content_type = '"I love this dress, it fits perfectly."', "text/csv"
    else:
        body, content_type = '"' + ",".join("0" for _ in endpoint.input_columns) + '"', "text/csv"
        body += f"  # {', '.join(endpoint.input_columns)}"
    return (
        "import boto3\n\n"
        "runtime = boto3.client(\n"
        '    "sagemaker-runtime",\n'
        f'    endpoint_url="{gateway_url}",\n'
        '    region_name="us-east-1",\n'
        '    aws_access_key_id="local",\n'
        '    aws_secret_access_key="local",\n'
        ")\n"
        "response = runtime.invoke_endpoint(\n"
        f'    EndpointName="{endpoint.name}",\n'
        f'    ContentType="{content_type}",\n'
        '    Accept="application/json",\n'
        f"    Body={body}\n"
        ")\n"
        'print(response["Body"].read().decode())\n'
    )


def _status_colour(value: object) -> str:
    status = str(value).split(" ")[-1]
    return f"color: {STATUS_COLOURS[status]}; font-weight: 600" if status in STATUS_COLOURS else ""


# -- rendering ----------------------------------------------------------------------------------------------------


def render_endpoints_table(endpoints: list[Endpoint]) -> None:
    styled: Styler = endpoints_frame(endpoints).style.map(_status_colour, subset=["status"])
    st.dataframe(styled, hide_index=True, width="stretch", height=min(38 * (len(endpoints) + 1), 320),
                 column_config={"URL": st.column_config.TextColumn("URL", width="medium")})


def model_label(model: ModelRecord) -> str:
    approval = " · approved" if model.approval_status == "Approved" else ""
    return f"{model.model_id} · {model.framework} · {model.problem_type}{approval}"


def render_deploy_form(models: list[ModelRecord], *, key: str) -> DeployRequest | None:
    """Model (reacts live: it names the endpoint), then one form for the rest; returns the request on submit."""
    by_id = {m.model_id: m for m in sorted(models, key=lambda m: m.created_at, reverse=True)}
    if st.session_state.get(f"{key}.model") not in by_id:
        st.session_state[f"{key}.model"] = default_model(models).model_id
    model_id = st.selectbox("Model", list(by_id), format_func=lambda i: model_label(by_id[i]), key=f"{key}.model",
                            help="Defaults to the newest approved model (else the newest).")
    if st.session_state.get(f"{key}.for_model") != model_id:  # a newly picked model names the endpoint after itself
        st.session_state[f"{key}.for_model"] = model_id
        st.session_state[f"{key}.name"] = endpoint_slug(model_id)
    others = [NONE, *[i for i in by_id if i != model_id]]
    with st.form(key):
        left, right = st.columns([2, 1])
        name = left.text_input("Endpoint name", key=f"{key}.name", max_chars=MAX_ENDPOINT_NAME,
                               help="Letters, digits and hyphens (SageMaker's rule).")
        capture = right.slider("Data capture (% of requests)", 0, 100, 100, step=5, key=f"{key}.capture",
                               help="Captured requests feed the drift report and the capture table.")
        st.markdown("**Optional:** a second variant for an A/B test, and a shadow model that gets copies of the traffic.")
        cols = st.columns([2, 1, 2])
        challenger = cols[0].selectbox("Second variant (A/B)", others, key=f"{key}.challenger")
        share = cols[1].number_input("Its traffic %", 1, 99, 20, key=f"{key}.share")
        shadow = cols[2].selectbox("Shadow model", others, key=f"{key}.shadow", help="Answers never reach the caller.")
        submitted = st.form_submit_button("Deploy", type="primary", icon=":material/rocket_launch:")
    return request_with_code(
        submitted, lambda: DeployRequest(name=name.strip(), variants=deploy_variants(model_id, challenger, int(share), shadow),
                                         capture_percent=int(capture)),
        lambda request: deploy_code(request.name, by_id[model_id].job_name, request.capture_percent), nested=True)


def deploy_variants(model_id: str, challenger: str, share: int, shadow: str) -> tuple[Variant, ...]:
    """SageMaker's shapes: one variant takes AllTraffic; an A/B test splits it by weight; a shadow gets copies."""
    if challenger == NONE:
        variants = [Variant(name="AllTraffic", model_id=model_id, weight=1.0)]
    else:
        variants = [Variant(name="VariantA", model_id=model_id, weight=round(1 - share / 100, 4)),
                    Variant(name="VariantB", model_id=challenger, weight=round(share / 100, 4))]
    if shadow != NONE:
        variants.append(Variant(name="Shadow", model_id=shadow, weight=1.0, shadow=True))
    return tuple(variants)


def render_endpoint_summary(endpoint: Endpoint) -> None:
    icon = STATUS_ICONS.get(endpoint.status, "")
    st.markdown(f"### {icon} {endpoint.name}")
    cols = st.columns(5)
    cols[0].metric("Status", endpoint.status)
    cols[1].metric("Requests", f"{endpoint.requests:,}")
    cols[2].metric("Errors", f"{endpoint.errors:,}")
    cols[3].metric("Latency p50", human_ms(endpoint.latency_p50_ms))
    cols[4].metric("Latency p99", human_ms(endpoint.latency_p99_ms))
    if endpoint.status == "Failed":
        st.error(f"**The endpoint failed.** {endpoint.failure_reason or 'No reason was recorded.'}\n\n"
                 "Check the log below, then delete it and deploy again.", icon=":material/error:")
    capture = f"captures {endpoint.capture_percent}% of requests" if endpoint.capture_percent else "data capture off"
    kind = "text (reviews)" if endpoint.text_model else f"tabular: {', '.join(endpoint.input_columns) or 'columns unknown'}"
    st.caption(f"{endpoint.url or 'no URL yet'} · {kind} · {endpoint.problem_type or 'problem type unknown'} · "
               f"uptime {human_duration(endpoint.uptime_seconds)} · {capture}")
    for note in endpoint.notes:
        st.info(note, icon=":material/info:")


def render_variants(endpoint: Endpoint) -> None:
    st.dataframe(variants_frame(endpoint), hide_index=True, width="stretch")


def render_creating(endpoint: Endpoint, elapsed_seconds: float) -> None:
    """While the server starts: a spinner-like status box with what is happening."""
    with st.status(f"Creating endpoint **{endpoint.name}** … ({elapsed_seconds:,.0f} s)", state="running", expanded=True):
        st.write(f"Starting the model server for {model_summary(endpoint)}; it is ready once `GET /ping` answers.")
