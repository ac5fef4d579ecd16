"""Training forms. Each returns a request when submitted (the page starts the job), else None.

The target is picked above each form (not inside it), so the page can warn about target leakage as soon as it
changes, before anything starts."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from components.code_views import request_with_code
from components.debugger_views import debugger_config, render_rule_picker
from services.codegen.models import autopilot_code, builtin_training_code, script_training_code, tuning_code
from services.models import AutopilotRequest, Column, DataSource, ScriptJobRequest, TrainingRequest, TuningRequest
from services.training.models import (
    ALGORITHM_LABELS,
    ALL_OBJECTIVES,
    OBJECTIVES,
    RANGE_TYPES,
    SUGGESTED_HYPERPARAMETERS,
    LeakageCheck,
    parse_pairs,
    ranges_from_rows,
)

PROBLEM_TYPES = ["(detect)", "BinaryClassification", "MulticlassClassification", "Regression"]


def _default_target(columns: list[Column]) -> int:
    names = [c.name for c in columns]
    for guess in ("sentiment", "target", "label", "income", "count", "y"):
        if guess in names:
            return names.index(guess)
    return len(names) - 1


def render_target_picker(columns: list[Column], *, key: str) -> str:
    """The target column (outside the form: picking one reruns the page at once); a sensible guess first."""
    names = [c.name for c in columns]
    return str(st.selectbox("Target column", names, index=_default_target(columns), key=key))


def render_leakage_warning(check: LeakageCheck | None) -> None:
    """A warning naming each feature that alone predicts the target; nothing when none does (a caption when the
    table had more columns than were checked)."""
    if check is not None and check.capped:
        st.caption(f"Target leakage checked on the first {check.checked} of {check.features} columns.")
    if check is None or not check.flagged:
        return
    lines = "\n".join(f"- **{f.feature}**: {f.reason}" for f in check.flagged)
    rows = f"the first {check.rows:,} rows" if check.sampled else f"all {check.rows:,} rows"
    st.warning(f"**Possible target leakage**: these columns alone predict `{check.target}` almost perfectly "
               f"(checked on {rows}):\n\n{lines}\n\nA model trained with them will look perfect and fail on new data "
               "if they are not known at prediction time. Drop them from the table (e.g. a query saved as a table) "
               "or pick another target.", icon=":material/warning:")


def render_autopilot_form(source: DataSource, target: str, *, key: str,
                          rules: dict[str, dict[str, Any]] | None = None) -> AutopilotRequest | None:
    """Autopilot on ``target`` (picked above the form); everything else has Autopilot's defaults. ``rules``: the
    Debugger rule catalog to offer."""
    with st.form(key):
        left, middle, right = st.columns(3)
        problem = left.selectbox("Problem type", PROBLEM_TYPES, key=f"{key}.problem")
        objectives = OBJECTIVES.get(problem, ALL_OBJECTIVES)
        objective = middle.selectbox("Objective", ["(default)", *objectives], key=f"{key}.objective")
        mode = right.selectbox("Mode", ["AUTO", "ENSEMBLING", "HYPERPARAMETER_TUNING"], key=f"{key}.mode",
                               help="AUTO picks ensembling (AutoGluon) below 100 MB of data, tuning above, as Autopilot does.")
        left, middle, right = st.columns(3)
        runtime = left.number_input("Time limit (seconds)", 30, 24 * 3600, 300, step=30, key=f"{key}.runtime")
        candidates = middle.number_input("Max candidates", 1, 250, 10, key=f"{key}.candidates")
        name = right.text_input("Job name", key=f"{key}.name", placeholder="generated when empty")
        picked = render_rule_picker(rules, key=key) if rules else None
        submitted = st.form_submit_button("Start Autopilot", type="primary", icon=":material/rocket_launch:")
    return request_with_code(submitted, lambda: AutopilotRequest(
        source=source, target=target, problem_type="" if problem == "(detect)" else problem,
        objective="" if objective == "(default)" else objective, mode=mode, max_runtime_seconds=int(runtime),
        max_candidates=int(candidates), name=name.strip(), debugger=debugger_config(picked, rules),
    ), autopilot_code)


def render_builtin_form(source: DataSource, columns: list[Column], target: str, *, key: str,
                        rules: dict[str, dict[str, Any]] | None = None) -> TrainingRequest | None:
    """A built-in algorithm on ``target`` (picked above the form) with its SageMaker hyperparameters, pre-filled
    with sensible values; ``rules``: the Debugger rule catalog to offer."""
    algorithm = st.selectbox("Algorithm", list(ALGORITHM_LABELS), format_func=ALGORITHM_LABELS.__getitem__,
                             key=f"{key}.algorithm")
    text_columns = [c.name for c in columns if c.type == "string"]
    with st.form(f"{key}.form"):
        text_column = st.selectbox("Text column", ["(detect)", *text_columns], key=f"{key}.text",
                                   disabled=not algorithm.startswith("text-"))
        hyperparameters = st.text_area(
            "Hyperparameters (KEY=VALUE per line)", key=f"{key}.hps.{algorithm}", height=140,
            value="\n".join(f"{k}={v}" for k, v in SUGGESTED_HYPERPARAMETERS[algorithm].items()),
        )
        name = st.text_input("Job name", key=f"{key}.name", placeholder="generated when empty")
        picked = render_rule_picker(rules, key=key) if rules else None
        submitted = st.form_submit_button("Start training", type="primary", icon=":material/model_training:")
    return request_with_code(submitted, lambda: TrainingRequest(
        algorithm=algorithm, source=source, target=target, hyperparameters=parse_pairs(hyperparameters),
        text_column="" if text_column in (None, "(detect)") else text_column, name=name.strip(),
        debugger=debugger_config(picked, rules),
    ), builtin_training_code)


def render_script_form(*, default_source_dir: str, key: str,
                       rules: dict[str, dict[str, Any]] | None = None) -> ScriptJobRequest | None:
    """Your SageMaker script-mode train.py, run locally under the same contract; ``rules``: the Debugger rule
    catalog to offer (they read the metric definitions' series)."""
    with st.form(key):
        left, right = st.columns(2)
        entry_point = left.text_input("Entry point", value="train.py", key=f"{key}.entry")
        source_dir = right.text_input("Source folder", value=default_source_dir, key=f"{key}.source")
        channels = st.text_area("Channels (NAME=PATH per line)", key=f"{key}.channels", placeholder="train=/data/train.csv")
        hyperparameters = st.text_area("Hyperparameters (KEY=VALUE per line)", key=f"{key}.hps", placeholder="epochs=10")
        metrics = st.text_area("Metric definitions (NAME=REGEX per line; the first group is the value)",
                               key=f"{key}.metrics", placeholder="validation:accuracy=validation:accuracy=([0-9.]+)")
        name = st.text_input("Job name", key=f"{key}.name", placeholder="generated when empty")
        picked = render_rule_picker(rules, key=key) if rules else None
        submitted = st.form_submit_button("Start script job", type="primary", icon=":material/code:")
    return request_with_code(submitted, lambda: ScriptJobRequest(
        entry_point=entry_point.strip(), source_dir=source_dir.strip(), channels=parse_pairs(channels, "channel"),
        hyperparameters=parse_pairs(hyperparameters), metric_definitions=parse_pairs(metrics, "metric definition"),
        name=name.strip(), debugger=debugger_config(picked, rules),
    ), script_training_code)


DEFAULT_RANGES = pd.DataFrame(
    [
        {"name": "max_depth", "type": "integer", "min": 2.0, "max": 8.0, "scale": "linear", "values": ""},
        {"name": "eta", "type": "continuous", "min": 0.01, "max": 0.3, "scale": "log", "values": ""},
    ]
)


def render_tuning_form(source: DataSource, target: str, *, key: str) -> TuningRequest | None:
    """Automatic model tuning of a built-in algorithm on ``target`` (picked above the form): ranges, objective,
    strategy, budget."""
    with st.form(key):
        algorithm = st.selectbox("Algorithm", ["xgboost", "linear-learner", "text-tfidf"], key=f"{key}.algorithm")
        ranges = st.data_editor(
            DEFAULT_RANGES, num_rows="dynamic", key=f"{key}.ranges", hide_index=True,
            column_config={"type": st.column_config.SelectboxColumn(options=list(RANGE_TYPES)),
                           "scale": st.column_config.SelectboxColumn(options=["linear", "log"])},
        )
        cols = st.columns(4)
        objective = cols[0].text_input("Objective metric", value="validation:f1_macro", key=f"{key}.objective")
        direction = cols[1].selectbox("Direction", ["Maximize", "Minimize"], key=f"{key}.direction")
        strategy = cols[2].selectbox("Strategy", ["Bayesian", "Random"], key=f"{key}.strategy")
        max_jobs = cols[3].number_input("Max jobs", 1, 200, 8, key=f"{key}.max_jobs")
        submitted = st.form_submit_button("Start tuning", type="primary", icon=":material/tune:")
    base = TrainingRequest(algorithm=algorithm, source=source, target=target)
    return request_with_code(submitted, lambda: TuningRequest(
        base=base, ranges=ranges_from_rows(ranges.to_dict("records")), objective_metric=objective.strip(),
        objective_type=direction, strategy=strategy, max_jobs=int(max_jobs)), tuning_code)
