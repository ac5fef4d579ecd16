"""SHAP values of a tabular model, in terms of the input columns the analyst sees.

Which explainer (``explain_rows``):

* **Tree** when the model is a scikit-learn pipeline (built-in xgboost, Autopilot's xgboost
  candidates, a script's ``model.joblib``) whose last step is a tree model shap's TreeExplainer
  reads: XGBoost, LightGBM, CatBoost, scikit-learn forests and gradient boosting.
* **Linear** when that last step is a linear model: linear-learner's SGD models, Autopilot's
  logistic regression and ridge, scikit-learn's linear models.
* **Permutation** otherwise — AutoGluon ensembles and their members (their own feature
  generators cannot be mapped back), MLPs, pipelines whose featuriser we cannot map — model-agnostic
  on ``predict_frame``'s output.

Original columns: Tree and Linear run on the featurised matrix (scaled numbers, one-hot levels,
TF-IDF terms). The featuriser is a ColumnTransformer, which records which outputs each input column
produced; the SHAP values of those outputs are summed back onto the input column (a sum of SHAP
values keeps additivity: base value + row sum is still the model's output). Autopilot's date parts
(``d_year``, ``d_month``…) go back to the date column ``d``. Permutation explains a function of the
input DataFrame itself: each column is coded as numbers (categories and dates as codes) so shap's
masker can mix a row with background rows, and decoded back before ``predict_frame``.

What is explained: binary classification — the probability of the last (positive) class, or of the
class asked for; multi-class — the class asked for, else the class predicted most often among the
explained rows; regression — the prediction. Tree explains probabilities with the interventional
algorithm over the background sample where shap can (binary models and forests). Elsewhere — Tree
on multi-class boosting, every Linear classifier — values are in the model's margin (log-odds);
``explained_output`` then reads "<class> (log-odds)" and a note says so. ``background_rows=0``
selects path-dependent Tree SHAP (the trees' own training cover instead of a background sample,
margin units): the fast mode for large data. Permutation always explains the probability.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from services.errors import InvalidInput
from services.explain.choice import eta_text
from services.models import ModelRecord
from services.training.algorithms.base import Predictor

REGRESSION = "Regression"
PERMUTATIONS = 5  # antithetic permutations per row for the Permutation explainer
TREE_CHUNK_ROWS = 200
PERMUTATION_CHUNK_ROWS = 10
DEFAULT_BACKGROUND_ROWS = 100
TREE_MODULES = ("xgboost", "lightgbm", "catboost", "sklearn.ensemble._forest", "sklearn.ensemble._gb",
                "sklearn.ensemble._hist_gradient_boosting", "sklearn.tree")
PROBABILITY_TREES = ("sklearn.ensemble._forest", "sklearn.tree")  # their raw output is already a probability
Progress = Callable[[float, str], None]


class Unmappable(Exception):
    """The featuriser's outputs cannot be traced back to input columns (so Permutation is used)."""


@dataclass(frozen=True)
class Target:
    """What is explained: class ``label`` at position ``index``, or the prediction (``index`` -1)."""

    index: int
    label: str

    @property
    def is_class(self) -> bool:
        return self.index >= 0


@dataclass
class TabularShap:
    """Per-row SHAP values over the input columns, and how they were made."""

    explainer: str  # Tree | Linear | Permutation
    values: pd.DataFrame  # one row per explained row, one column per input column
    base_value: float
    explained_output: str
    notes: list[str] = field(default_factory=list)


# -- what the model reads and what is explained --------------------------------------------------


def input_columns(predictor: Predictor, record: ModelRecord, frame: pd.DataFrame) -> list[str]:
    """The columns the model reads, in its order."""
    columns = getattr(predictor, "feature_columns", None)
    if columns is None:
        columns = getattr(getattr(predictor, "model", None), "feature_names_in_", None)
    if columns is None:
        columns = [c.name for c in record.input_schema] or [c for c in frame.columns if c != record.target]
    return [str(c) for c in columns]


def scored(predictor: Predictor, record: ModelRecord, frame: pd.DataFrame) -> pd.DataFrame:
    """``predict_frame`` of ``frame``; ``InvalidInput`` when a classifier gives no class probabilities."""
    try:
        result = predictor.predict_frame(frame)
    except AttributeError as exc:
        if "predict_proba" not in str(exc):
            raise
        raise _no_probabilities(record) from exc
    wanted = [f"probability_{label}" for label in predictor.classes]
    if record.problem_type != REGRESSION and (not wanted or any(c not in result.columns for c in wanted)):
        raise _no_probabilities(record)
    return result


def _no_probabilities(record: ModelRecord) -> InvalidInput:
    return InvalidInput(f"Model {record.model_id} is a classifier that cannot give class probabilities "
                        "(its estimator has no predict_proba), so SHAP has no probability to explain.",
                        hint="Retrain it with probabilities (e.g. SVC(probability=True), logistic regression or xgboost), "
                             "or explain a built-in or Autopilot model.")


def choose_target(problem_type: str, classes: list[str], requested: str, predicted: pd.Series) -> Target:
    """The explained output (see the module docstring); ``InvalidInput`` for an unknown class."""
    if problem_type == REGRESSION:
        if requested:
            raise InvalidInput(f"The model predicts a number, so there is no class {requested!r} to explain.",
                               hint="Leave the explained class empty for a regression model.")
        return Target(-1, "prediction")
    if requested:
        if requested not in classes:
            raise InvalidInput(f"{requested!r} is not one of the model's classes.", hint=f"Pick one of: {', '.join(classes)}.")
        return Target(classes.index(requested), requested)
    if len(classes) == 2:
        return Target(1, classes[1])
    counts = predicted.astype(str).value_counts()
    most = max(classes, key=lambda label: (int(counts.get(label, 0)), -classes.index(label)))
    return Target(classes.index(most), most)


def output_function(predictor: Predictor, target: Target) -> Callable[[pd.DataFrame], np.ndarray]:
    """Rows in, the explained output out: a class probability or the prediction."""
    column = f"probability_{target.label}" if target.is_class else "predicted_label"

    def output(frame: pd.DataFrame) -> np.ndarray:
        return predictor.predict_frame(frame)[column].to_numpy(dtype=float)

    return output


# -- the entry point ------------------------------------------------------------------------------


def tabular_explainer(predictor: Predictor, columns: list[str], sample: pd.DataFrame) -> tuple[str, Unwrapped | None]:
    """The fastest exact explainer for the loaded model (Tree, Linear, else Permutation) and its unwrapped pipeline."""
    unwrapped = unwrap(predictor, columns, sample)
    if unwrapped is None:
        return "Permutation", None
    if is_tree(unwrapped.estimator):
        return "Tree", unwrapped
    if linear_coefficients(unwrapped.estimator, Target(-1, "prediction")) is not None:
        return "Linear", unwrapped
    return "Permutation", unwrapped


def explain_rows(predictor: Predictor, columns: list[str], rows: pd.DataFrame, background: pd.DataFrame,
                 target: Target, seed: int = 0, progress: Progress | None = None) -> TabularShap:
    """SHAP values of ``rows`` (input columns only) with the best explainer for the model."""
    report = progress or (lambda fraction, message: None)
    explainer, unwrapped = tabular_explainer(predictor, columns, rows)
    if explainer == "Tree" and unwrapped is not None:
        try:
            tree = tree_explainer(unwrapped, background, target)
        except Exception as exc:  # noqa: BLE001 - shap refuses some tree models; Permutation explains any model
            result = permutation_shap(predictor, columns, rows, background, target, seed, report)
            result.notes.append(f"TreeExplainer cannot read this model ({type(exc).__name__}: {exc}); used Permutation.")
            return result
        return tree_shap(unwrapped, tree, rows, target, report)
    notes = []
    if background.empty:
        background = rows.sample(n=min(len(rows), DEFAULT_BACKGROUND_ROWS), random_state=seed)
        notes.append(f"background_rows=0 applies to tree models only; {len(background)} of the explained rows "
                     "served as the background.")
    coefficients = linear_coefficients(unwrapped.estimator, target) if explainer == "Linear" and unwrapped else None
    if unwrapped is not None and coefficients is not None:
        result = linear_shap(unwrapped, coefficients, rows, background, target)
    else:
        result = permutation_shap(predictor, columns, rows, background, target, seed, report)
    result.notes.extend(notes)
    return result


# -- pipelines: the featuriser, the estimator and where each feature comes from -------------------


@dataclass
class Unwrapped:
    """A pipeline split into what it reads, its featuriser, its estimator and each feature's input column."""

    prepare: Callable[[pd.DataFrame], pd.DataFrame]
    featurizer: Any
    estimator: Any
    sources: list[str]  # one input column per featurised output
    columns: list[str]  # the input columns, in order

    def features(self, frame: pd.DataFrame) -> np.ndarray:
        prepared = self.prepare(frame)
        matrix = prepared.to_numpy(dtype=float) if self.featurizer is None else self.featurizer.transform(prepared)
        return np.asarray(matrix.toarray() if hasattr(matrix, "toarray") else matrix, dtype=float)

    def to_columns(self, values: np.ndarray) -> np.ndarray:
        """Feature-level SHAP values summed onto the input columns."""
        summed = np.zeros((values.shape[0], len(self.columns)))
        position = {name: i for i, name in enumerate(self.columns)}
        for feature, source in enumerate(self.sources):
            summed[:, position[source]] += values[:, feature]
        return summed


def unwrap(predictor: Predictor, columns: list[str], sample: pd.DataFrame) -> Unwrapped | None:
    """The pipeline inside a scikit-learn based predictor, or None (AutoGluon, MiniLM, unmappable featurisers)."""
    parts = _predictor_parts(predictor, columns)
    if parts is None:
        return None
    prepare, model, source_of = parts
    split = _split_pipeline(model)
    if split is None:
        return None
    featurizer, estimator = split
    try:
        prepared = list(prepare(sample.head(2)).columns)
        sources = [source_of(name) for name in output_sources(featurizer, prepared)]
        unwrapped = Unwrapped(prepare, featurizer, estimator, sources, columns)
        width = unwrapped.features(sample.head(2)).shape[1]
    except (Unmappable, ValueError, TypeError, KeyError):
        return None
    return unwrapped if width == len(sources) and all(s in columns for s in sources) else None


def _predictor_parts(predictor: Predictor, columns: list[str]
                     ) -> tuple[Callable[[pd.DataFrame], pd.DataFrame], Any, Callable[[str], str]] | None:
    from services.training.algorithms.common import SklearnPredictor
    from services.training.algorithms.featurize import model_frame
    from services.training.autopilot.predictors import PipelinePredictor
    from services.training.script_mode import JoblibPredictor

    if isinstance(predictor, SklearnPredictor):
        kinds = predictor.kinds
        return (lambda frame: model_frame(frame, kinds)), predictor.pipeline, str
    if isinstance(predictor, PipelinePredictor):
        return predictor.features, predictor.pipeline, _date_source(predictor.date_columns)
    if isinstance(predictor, JoblibPredictor):
        return (lambda frame: frame[columns]), predictor.model, str
    return None


def _date_source(date_columns: list[str]) -> Callable[[str], str]:
    from services.training.autopilot.features import DATE_PARTS

    parts = {f"{column}_{part}": column for column in date_columns for part in DATE_PARTS}
    return lambda name: parts.get(name, name)


def _split_pipeline(model: Any) -> tuple[Any, Any] | None:
    """(featuriser or None, estimator) of a fitted model; None when more than one step precedes the estimator."""
    from sklearn.pipeline import Pipeline

    if not isinstance(model, Pipeline):
        return None, model
    steps = [step for _, step in model.steps if step is not None and step != "passthrough"]
    if len(steps) == 1:
        return None, steps[0]
    return (steps[0], steps[1]) if len(steps) == 2 else None


def output_sources(featurizer: Any, prepared: list[str]) -> list[str]:
    """The prepared column each featurised output comes from; ``Unmappable`` when that is not knowable."""
    from sklearn.compose import ColumnTransformer

    if featurizer is None:
        return list(prepared)
    if not isinstance(featurizer, ColumnTransformer):
        raise Unmappable(type(featurizer).__name__)
    width = max((s.stop for s in featurizer.output_indices_.values()), default=0)
    sources = [""] * width
    for name, transformer, selection in featurizer.transformers_:
        block = featurizer.output_indices_.get(name, slice(0, 0))
        if block.stop > block.start and not (isinstance(transformer, str) and transformer == "drop"):
            sources[block] = _block_sources(transformer, _selected(selection, prepared), block.stop - block.start)
    if "" in sources:
        raise Unmappable("outputs without a source column")
    return sources


def _selected(selection: Any, prepared: list[str]) -> list[str]:
    if isinstance(selection, str):
        return [selection]
    if isinstance(selection, slice) or callable(selection):
        raise Unmappable("column selection by slice or callable")
    items = list(selection)
    if items and all(isinstance(i, (bool, np.bool_)) for i in items):
        return [name for name, keep in zip(prepared, items) if keep]
    return [prepared[int(i)] if isinstance(i, (int, np.integer)) else str(i) for i in items]


def _block_sources(transformer: Any, names: list[str], count: int) -> list[str]:
    """The input column of each of a block's ``count`` outputs."""
    if len(names) == 1:
        return names * count
    steps = _steps(transformer)
    names = _kept_by_imputer(steps, names)
    encoder = steps[-1] if steps else None
    if type(encoder).__name__ == "OneHotEncoder" and all(_elementwise(s) for s in steps[:-1]):
        counts = list(getattr(encoder, "_n_features_outs", []))
        if len(counts) == len(names) and sum(counts) == count:
            return [name for name, n in zip(names, counts) for _ in range(n)]
    if count == len(names) and all(_elementwise(s) for s in steps):
        return list(names)
    raise Unmappable(f"a block of {len(names)} columns with {count} outputs")


def _steps(transformer: Any) -> list[Any]:
    from sklearn.pipeline import Pipeline

    if isinstance(transformer, Pipeline):
        return [step for _, step in transformer.steps if step is not None and step != "passthrough"]
    return [] if isinstance(transformer, str) and transformer == "passthrough" else [transformer]


def _kept_by_imputer(steps: list[Any], names: list[str]) -> list[str]:
    """SimpleImputer drops columns it saw no value in (unless told to keep them)."""
    first: Any = steps[0] if steps else None
    if type(first).__name__ != "SimpleImputer" or first.keep_empty_features or first.strategy == "constant":
        return names
    return [name for name, value in zip(names, list(first.statistics_)) if not pd.isna(value)]


def _elementwise(step: Any) -> bool:
    return type(step).__name__ in ("SimpleImputer", "StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler")


def is_tree(estimator: Any) -> bool:
    return type(estimator).__module__.startswith(TREE_MODULES)


# -- Tree ----------------------------------------------------------------------------------------


def tree_shap(model: Unwrapped, explainer: TreeShapExplainer, rows: pd.DataFrame, target: Target,
              progress: Progress) -> TabularShap:
    """TreeExplainer on the featurised rows, summed back onto the input columns."""
    x = model.features(rows)
    chunks = []
    started = time.monotonic()
    for start in range(0, len(x), TREE_CHUNK_ROWS):
        raw = explainer.explainer.shap_values(x[start:start + TREE_CHUNK_ROWS], check_additivity=False)
        chunks.append(_one_output(raw, target))
        done = min(start + TREE_CHUNK_ROWS, len(x))
        progress(done / len(x), _progress_text("Tree SHAP", done, len(x), time.monotonic() - started))
    base = _one_base(explainer.explainer.expected_value, target, explainer.probability)
    values = model.to_columns(np.vstack(chunks) if chunks else np.zeros((0, len(model.sources))))
    output, notes = _units(target, explainer.probability)
    if not explainer.interventional:
        notes.append("Path-dependent Tree SHAP (background_rows=0): the trees' training cover is the background.")
    return TabularShap("Tree", pd.DataFrame(values, columns=model.columns, index=rows.index), base, output, notes)


@dataclass
class TreeShapExplainer:
    explainer: Any
    probability: bool  # its output is a probability (else the margin, or the prediction for regression)
    interventional: bool


def tree_explainer(model: Unwrapped, background: pd.DataFrame, target: Target) -> TreeShapExplainer:
    """shap's TreeExplainer for the estimator: interventional over the background (on the probability when
    shap can), or path-dependent without one. Raises what shap raises for models it cannot read."""
    import shap

    raw_is_probability = type(model.estimator).__module__.startswith(PROBABILITY_TREES)
    _use_every_core(model.estimator)
    if background.empty:
        explainer = shap.TreeExplainer(model.estimator, feature_perturbation="tree_path_dependent")
        return TreeShapExplainer(explainer, raw_is_probability, interventional=False)
    data = model.features(background)
    if target.is_class and not raw_is_probability:
        try:
            explainer = shap.TreeExplainer(model.estimator, data, feature_perturbation="interventional",
                                           model_output="probability")
            return TreeShapExplainer(explainer, True, interventional=True)
        except Exception:  # noqa: BLE001 - e.g. multi-class boosting: shap has no probability transform for it
            pass
    explainer = shap.TreeExplainer(model.estimator, data, feature_perturbation="interventional")
    return TreeShapExplainer(explainer, raw_is_probability, interventional=True)


def _use_every_core(estimator: Any) -> None:
    """Training kept small data on one thread; path-dependent Tree SHAP runs inside xgboost/LightGBM and
    gains from every core (the results do not change)."""
    if type(estimator).__module__.startswith(("xgboost", "lightgbm")) and hasattr(estimator, "set_params"):
        estimator.set_params(n_jobs=os.cpu_count() or 1)


def _one_output(raw: Any, target: Target) -> np.ndarray:
    """The explained output's values from what shap returned (one output, a list, or an outputs axis)."""
    values = np.stack(raw, axis=-1) if isinstance(raw, list) else np.asarray(raw, dtype=float)
    if values.ndim == 3:
        return np.asarray(values[:, :, max(target.index, 0)], dtype=float)
    if target.is_class and target.index == 0:  # a single output is the positive class; class 0 is its complement
        return -values
    return values


def _one_base(expected: Any, target: Target, probability: bool) -> float:
    base = np.asarray(expected, dtype=float).reshape(-1)
    if base.size > 1:
        return float(base[max(target.index, 0)])
    if target.is_class and target.index == 0:
        return float(1 - base[0]) if probability else float(-base[0])
    return float(base[0])


def _units(target: Target, probability: bool) -> tuple[str, list[str]]:
    if not target.is_class:
        return "prediction", ["Values are in the units of the prediction; base value + row sum = the prediction."]
    if probability:
        return target.label, [f"Values are changes in the probability of class {target.label}; "
                              "base value + row sum = that probability."]
    return f"{target.label} (log-odds)", [f"Values are in the model's margin (log-odds) for class {target.label}, "
                                          "not probabilities; base value + row sum = the model's raw score."]


# -- Linear --------------------------------------------------------------------------------------


def linear_coefficients(estimator: Any, target: Target) -> tuple[np.ndarray, float] | None:
    """(coefficients, intercept) of the explained output for linear estimators; None for other models."""
    name = type(estimator).__name__
    if name == "LabelScaledRegressor":
        inner = linear_coefficients(estimator.model, target)
        return None if inner is None else (inner[0] * estimator.scale, inner[1] * estimator.scale + estimator.mean)
    if name == "TransformedTargetRegressor":
        return _transformed_target(estimator, target)
    if not type(estimator).__module__.startswith("sklearn.linear_model") or not hasattr(estimator, "coef_"):
        return None
    coef = np.atleast_2d(np.asarray(estimator.coef_, dtype=float))
    intercept = np.atleast_1d(np.asarray(estimator.intercept_, dtype=float))
    if not target.is_class or coef.shape[0] > 1:
        row = max(target.index, 0)
        return coef[row], float(intercept[row])
    sign = -1.0 if target.index == 0 else 1.0  # one row of weights: the positive class; class 0 is its negation
    return sign * coef[0], sign * float(intercept[0])


def _transformed_target(estimator: Any, target: Target) -> tuple[np.ndarray, float] | None:
    scaler: Any = getattr(estimator, "transformer_", None)
    inner = linear_coefficients(getattr(estimator, "regressor_", None), target)
    if inner is None or type(scaler).__name__ != "StandardScaler":
        return None
    scale = float(scaler.scale_[0]) if scaler.with_std else 1.0
    mean = float(scaler.mean_[0]) if scaler.with_mean else 0.0
    return inner[0] * scale, inner[1] * scale + mean


def linear_shap(model: Unwrapped, coefficients: tuple[np.ndarray, float], rows: pd.DataFrame,
                background: pd.DataFrame, target: Target) -> TabularShap:
    """LinearExplainer (interventional over the background sample), summed back onto the input columns."""
    import shap

    data = model.features(background)
    masker = shap.maskers.Independent(data, max_samples=len(data))
    explainer = shap.LinearExplainer(coefficients, masker)
    values = np.asarray(explainer.shap_values(model.features(rows)), dtype=float)
    output, notes = _units(target, probability=False)
    frame = pd.DataFrame(model.to_columns(values), columns=model.columns, index=rows.index)
    return TabularShap("Linear", frame, float(np.asarray(explainer.expected_value).reshape(-1)[0]), output, notes)


# -- Permutation ---------------------------------------------------------------------------------


class CodedColumns:
    """Mixed-type columns as a float matrix shap's maskers can mix: numbers stay numbers, anything
    else (strings, dates, booleans with gaps) becomes a code into the values seen."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.columns = list(frame.columns)
        self.dtypes = frame.dtypes
        self.levels = {c: pd.Index(frame[c].dropna().unique()) for c in self.columns if not _is_number(frame[c])}

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        matrix = np.empty((len(frame), len(self.columns)))
        for i, column in enumerate(self.columns):
            if column in self.levels:
                matrix[:, i] = pd.Categorical(frame[column], categories=self.levels[column]).codes
            else:
                matrix[:, i] = frame[column].to_numpy(dtype=float, na_value=np.nan)
        return matrix

    def decode(self, matrix: np.ndarray) -> pd.DataFrame:
        data = {}
        for i, column in enumerate(self.columns):
            if column in self.levels:
                data[column] = self._decoded(column, np.rint(matrix[:, i]).astype(np.int64))
            else:
                data[column] = pd.Series(matrix[:, i]).astype(self.dtypes[column])
        return pd.DataFrame(data)


    def _decoded(self, column: str, codes: np.ndarray) -> Any:
        values = pd.Categorical.from_codes(codes, categories=self.levels[column])
        if self.dtypes[column] != np.dtype(object):
            return values.astype(self.dtypes[column])
        decoded = np.asarray(values, dtype=object)
        decoded[codes < 0] = None  # missing as None, like the data read from a table
        return decoded


def _is_number(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def permutation_shap(predictor: Predictor, columns: list[str], rows: pd.DataFrame, background: pd.DataFrame,
                     target: Target, seed: int, progress: Progress) -> TabularShap:
    """shap's Permutation explainer on the input columns (model-agnostic, on the explained probability)."""
    import shap

    if background.empty:
        background = rows.sample(n=min(len(rows), DEFAULT_BACKGROUND_ROWS), random_state=seed)
    coder = CodedColumns(pd.concat([rows[columns], background[columns]]))
    output = output_function(predictor, target)
    masker = shap.maskers.Independent(coder.encode(background[columns]), max_samples=len(background))
    explainer = shap.explainers.Permutation(lambda matrix: output(coder.decode(matrix)), masker,
                                            feature_names=columns, seed=seed)
    evals = PERMUTATIONS * (2 * len(columns) + 1)
    values, bases = [], []
    started = time.monotonic()
    for start in range(0, len(rows), PERMUTATION_CHUNK_ROWS):
        result = explainer(coder.encode(rows[columns].iloc[start:start + PERMUTATION_CHUNK_ROWS]), max_evals=evals,
                           batch_size=evals, silent=True)
        values.append(np.asarray(result.values, dtype=float))
        bases.append(np.asarray(result.base_values, dtype=float).reshape(-1))
        done = min(start + PERMUTATION_CHUNK_ROWS, len(rows))
        progress(done / len(rows), _progress_text("Permutation SHAP", done, len(rows), time.monotonic() - started))
    frame = pd.DataFrame(np.vstack(values), columns=columns, index=rows.index)
    name = target.label if target.is_class else "prediction"
    notes = [f"Values are changes in the {'probability of class ' + name if target.is_class else 'prediction'}; "
             f"{PERMUTATIONS} antithetic permutations per row over {len(background)} background rows."]
    return TabularShap("Permutation", frame, float(np.concatenate(bases).mean()), name, notes)


def _progress_text(explainer: str, done: int, total: int, elapsed: float) -> str:
    """``Permutation SHAP: 10 of 50 rows (4 s, about 16 s left)``: the ETA from the pace of the rows done so far."""
    eta = eta_text(done, total, elapsed)
    return f"{explainer}: {done} of {total} rows ({elapsed:.0f} s{', ' + eta if eta else ''})"


# -- global importance ---------------------------------------------------------------------------


def aggregate(values: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Clarify's global aggregations of per-row SHAP values: mean |v|, mean v², median |v|; largest first."""
    magnitude = values.abs()
    results = {"mean_abs": magnitude.mean(), "mean_sq": (values ** 2).mean(), "median": magnitude.median()}
    return {name: sort_largest_first({str(k): float(v) for k, v in series.fillna(0.0).items()})
            for name, series in results.items()}


def sort_largest_first(values: dict[str, float]) -> dict[str, float]:
    return {str(k): float(v) for k, v in sorted(values.items(), key=lambda item: (-item[1], str(item[0])))}
