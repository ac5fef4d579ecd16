"""The worker task of a SHAP job (kind "explain"): ``run(ctx)``.

Config (written by ``LocalExplain.start_job``): ``model_id``, ``source`` (pinned table version or a
file) or ``sql``, ``rows``, ``background_rows``, ``aggregation``, ``seed``, ``explained_class``,
``data_version`` and ``cache_key``.

Downloading (read the data and the model) → Explaining (SHAP on a seeded sample of ``rows`` rows,
with a background sample of ``background_rows`` other draws) → Uploading (write the results). The
job folder then holds, like a Clarify explainability job's output:

* ``out.csv`` — one row per explained row (same order), one column per input column: its SHAP value;
* ``features.parquet`` — the explained rows' input values (index = row position in the data);
* ``explanation.json`` — the ``Explanation`` (global importance in all three aggregations, base value,
  explainer, what was explained, notes; ``top_words`` for text models).

Text models (one free-text input) are explained word by word with the Partition explainer on at most
``TEXT_MAX_ROWS`` rows: a row's value is the sum of its words' contributions, the global importance
ranks words, and ``top_words`` lists each class's strongest words.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from services.embedded.job_worker import JobContext
from services.errors import InvalidInput
from services.explain import shap_tabular, shap_text
from services.explain.base import Explanation
from services.explain.choice import eta_text
from services.models import DataSource, ModelRecord
from services.stack import LocalCore, open_local
from services.training.algorithms.base import Predictor, load_predictor
from services.training.data import read_file, split_table_name

VALUES_FILE = "out.csv"
FEATURES_FILE = "features.parquet"
EXPLANATION_FILE = "explanation.json"
SQL_READ_ROWS = 1_000_000
TEXT_MAX_ROWS = 100
TEXT_MAX_EVALS = 200
TOP_WORDS = 15
GLOBAL_WORDS = 50


def run(ctx: JobContext) -> None:
    """Explain the model in ``ctx.config`` on its data and write the results into the job folder."""
    _explain(ctx)


def _explain(ctx: JobContext) -> None:
    config = ctx.config
    core = open_local(ctx.settings)
    record = core.stack.models.get(config["model_id"])
    label = config["sql"] or DataSource(**config["source"]).label
    ctx.secondary("Downloading", f"Reading {label} and model {record.model_id}")
    predictor = load_predictor(Path(record.artifact_path), allow_user_code=True)  # a job: its own process
    frame = load_data(core, config)
    _check_inputs(frame, record)
    ctx.log(f"Read {len(frame)} rows and {len(frame.columns)} columns")
    started = time.monotonic()
    if shap_text.text_columns(predictor):
        explanation, values, features = explain_texts(ctx, predictor, record, frame)
    else:
        explanation, values, features = explain_table(ctx, predictor, record, frame)
    explanation = replace(explanation, seconds=round(time.monotonic() - started, 3))
    ctx.secondary("Uploading", "Writing the SHAP values")
    paths = write_results(ctx.job_dir, explanation, values, features)
    ctx.log(f"{explanation.explainer} explainer, {explanation.rows} rows, output {explanation.explained_output}")
    ctx.finish_with(model_id=record.model_id, result={**paths, "explainer": explanation.explainer, "rows": explanation.rows,
                                                      "seconds": explanation.seconds,
                                                      "explained_output": explanation.explained_output, "progress": 1.0})


def load_data(core: LocalCore, config: dict[str, Any]) -> pd.DataFrame:
    """Every row of the job's table, file or SQL result."""
    if config.get("sql"):
        return core.query.run(config["sql"], None, SQL_READ_ROWS).frame
    source = DataSource(**config["source"])
    if source.table:
        return core.storage.read_table(*split_table_name(source.table))
    return read_file(Path(source.path))


def _check_inputs(frame: pd.DataFrame, record: ModelRecord) -> None:
    missing = [c.name for c in record.input_schema if c.name not in frame.columns]
    if missing:
        raise InvalidInput(f"The data lacks columns model {record.model_id} reads: {', '.join(missing[:20])}.",
                           hint="Explain the model on a table or file with the columns it was trained on.")
    if frame.empty:
        raise InvalidInput("The data has no rows to explain.", hint="Pick a table, file or query with rows.")


def sample(frame: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """At most ``rows`` rows, a seeded sample kept in the data's order."""
    return frame if len(frame) <= rows else frame.sample(n=rows, random_state=seed).sort_index()


def _progress(ctx: JobContext) -> shap_tabular.Progress:
    return lambda fraction, message: ctx.progress(0.05 + 0.9 * fraction, message)


# -- tables ------------------------------------------------------------------------------------------


def explain_table(ctx: JobContext, predictor: Predictor, record: ModelRecord,
                  frame: pd.DataFrame) -> tuple[Explanation, pd.DataFrame, pd.DataFrame]:
    config = ctx.config
    columns = shap_tabular.input_columns(predictor, record, frame)
    rows = sample(frame, config["rows"], config["seed"])
    background = frame.sample(n=min(len(frame), config["background_rows"]), random_state=config["seed"] + 1)
    predicted = shap_tabular.scored(predictor, record, rows)["predicted_label"]
    target = shap_tabular.choose_target(record.problem_type, list(predictor.classes), config["explained_class"], predicted)
    ctx.secondary("Explaining", f"SHAP for {len(rows)} rows of {len(frame)}, output {target.label}")
    result = shap_tabular.explain_rows(predictor, columns, rows[columns], background[columns], target, config["seed"],
                                       _progress(ctx))
    notes = [*result.notes] + ([f"Explained a seeded sample of {len(rows):,} of {len(frame):,} rows."]
                               if len(rows) < len(frame) else [])
    explanation = _explanation(record, result.explainer, result.explained_output, config["aggregation"],
                               shap_tabular.aggregate(result.values), result.base_value, len(rows), notes)
    return explanation, result.values, rows[columns]


def _explanation(record: ModelRecord, explainer: str, output: str, aggregation: str,
                 importances: dict[str, dict[str, float]], base_value: float, rows: int, notes: list[str],
                 top_words: dict[str, list[tuple[str, float]]] | None = None) -> Explanation:
    return Explanation(model_id=record.model_id, explainer=explainer, explained_output=output, aggregation=aggregation,
                       global_importance=importances[aggregation], importances=importances, base_value=base_value,
                       rows=rows, top_words=top_words or {}, notes=tuple(notes))


# -- review texts --------------------------------------------------------------------------------------


def explain_texts(ctx: JobContext, predictor: Predictor, record: ModelRecord,
                  frame: pd.DataFrame) -> tuple[Explanation, pd.DataFrame, pd.DataFrame]:
    """Word attributions on a sample of reviews: per-row sums, word importance and each class's top words."""
    config = ctx.config
    columns = shap_text.require_text_classifier(predictor, record)
    texts = _texts(frame, columns)
    rows = sample(frame[texts.str.strip() != ""], min(config["rows"], TEXT_MAX_ROWS), config["seed"])
    if rows.empty:
        raise InvalidInput("No row has any text to explain.", hint=f"Check the {', '.join(columns)} column.")
    explained = _explain_each(ctx, shap_text.TextExplainer(predictor, columns), texts[rows.index])
    predicted = pd.Series([max(s.probabilities, key=lambda label: s.probabilities[label]) for s in explained])
    target = shap_tabular.choose_target(record.problem_type, list(predictor.classes), config["explained_class"], predicted)
    values = pd.DataFrame({columns[0]: [float(np.sum(s.scores[target.label])) for s in explained]}, index=rows.index)
    notes = [f"Values are changes in the probability of class {target.label}; a row's value is the sum over its words, "
             "the global importance ranks words over their occurrences.",
             f"Explained {len(rows):,} of {len(frame):,} reviews (text models explain at most {TEXT_MAX_ROWS})."]
    base = float(np.mean([s.base_values[target.label] for s in explained]))
    explanation = _explanation(record, "Partition", target.label, config["aggregation"],
                               _word_importances(explained, target.label), base, len(rows), notes,
                               shap_text.top_words(explained, list(predictor.classes), TOP_WORDS))
    return explanation, values, pd.DataFrame({columns[0]: texts[rows.index]})


def _explain_each(ctx: JobContext, explainer: shap_text.TextExplainer, texts: pd.Series) -> list[shap_text.TextScores]:
    ctx.secondary("Explaining", f"Word attributions for {len(texts)} reviews")
    explained = []
    started = time.monotonic()
    for count, text in enumerate(texts, start=1):
        explained.append(explainer.explain(str(text), TEXT_MAX_EVALS))
        eta = eta_text(count, len(texts), time.monotonic() - started)  # the first review times the rest
        _progress(ctx)(count / len(texts), f"Partition SHAP: {count} of {len(texts)} reviews" + (f" ({eta})" if eta else ""))
    return explained


def _texts(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    parts = frame[columns].fillna("").astype(str)
    return parts.iloc[:, 0] if len(columns) == 1 else parts.agg(" ".join, axis=1).str.strip()


def _word_importances(explained: list[shap_text.TextScores], label: str) -> dict[str, dict[str, float]]:
    """Each aggregation over the words' occurrences, the ``GLOBAL_WORDS`` largest kept."""
    contributions = shap_text.word_contributions(explained, label)
    aggregations = {
        "mean_abs": {w: float(np.mean(np.abs(v))) for w, v in contributions.items()},
        "mean_sq": {w: float(np.mean(np.square(v))) for w, v in contributions.items()},
        "median": {w: float(np.median(np.abs(v))) for w, v in contributions.items()},
    }
    return {name: dict(list(shap_tabular.sort_largest_first(values).items())[:GLOBAL_WORDS])
            for name, values in aggregations.items()}


# -- results -------------------------------------------------------------------------------------------


def write_results(folder: Path, explanation: Explanation, values: pd.DataFrame, features: pd.DataFrame) -> dict[str, str]:
    """out.csv, features.parquet and explanation.json in ``folder``; returns their paths."""
    paths = {"out_csv": folder / VALUES_FILE, "features": folder / FEATURES_FILE, "explanation": folder / EXPLANATION_FILE}
    values.to_csv(paths["out_csv"], index=False)
    _write_features(features, paths["features"])
    paths["explanation"].write_text(json.dumps(asdict(explanation), indent=2, default=str))
    return {name: str(path) for name, path in paths.items()}


def _write_features(frame: pd.DataFrame, path: Path) -> None:
    try:
        frame.to_parquet(path)
    except (ValueError, TypeError, ImportError, ArithmeticError) as exc:  # pyarrow rejects mixed-type object columns
        mixed = [c for c in frame.columns if frame[c].dtype == object]
        if not mixed:
            raise InvalidInput(f"The explained rows cannot be saved ({exc}).", hint="Check the data's column types.") from exc
        frame.astype({c: str for c in mixed}).to_parquet(path)


def read_explanation(folder: Path) -> Explanation:
    """The ``Explanation`` a finished job wrote."""
    data = json.loads((folder / EXPLANATION_FILE).read_text())
    data["top_words"] = {label: [(str(w), float(v)) for w, v in words] for label, words in data.get("top_words", {}).items()}
    data["notes"] = tuple(data.get("notes", ()))
    return Explanation(**data)


def read_frames(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-row SHAP values, the explained rows' values), same index and columns."""
    features = pd.read_parquet(folder / FEATURES_FILE)
    values = pd.read_csv(folder / VALUES_FILE)
    values.index = features.index
    return values, features
