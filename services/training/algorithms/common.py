"""What every built-in algorithm shares: the algorithm registry, hyperparameter parsing, the
train/validation/test split, a tabular featuriser, metrics, and a saved scikit-learn predictor.

Featurising a table (``tabular_featurizer``): numeric columns are imputed with the median and
standardised; short string columns are categorical (a constant "missing" category, then one-hot
with at most ``MAX_CATEGORIES`` levels, unseen or rare values falling into an "infrequent" level
or into zeros); long free-text string columns (reviews) are TF-IDF'd into at most
``TEXT_FEATURES`` word uni- and bigrams rather than dropped, so a tabular model can still use
them; columns with no values at all are dropped.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    mean_absolute_error,
    mean_squared_error,
    precision_recall_fscore_support,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from services.errors import BackendUnavailable, InvalidInput
from services.training.algorithms.base import Algorithm, Dataset, Predictor, Reporter, write_predictor_manifest

BINARY = "BinaryClassification"
MULTICLASS = "MulticlassClassification"
REGRESSION = "Regression"
PROBLEM_TYPES = (BINARY, MULTICLASS, REGRESSION)

ALGORITHMS = {
    "xgboost": "services.training.algorithms.xgboost_algo:XGBoostAlgorithm",
    "linear-learner": "services.training.algorithms.linear_learner:LinearLearnerAlgorithm",
    "text-tfidf": "services.training.algorithms.text_tfidf:TextTfidfAlgorithm",
    "text-minilm": "services.training.algorithms.text_minilm:MiniLMAlgorithm",
}

MIN_ROWS = 10
MAX_CLASSES = 100
REGRESSION_MIN_DISTINCT = 21  # a numeric target with more distinct values than 20 is a regression target
MAX_CATEGORIES = 50
TEXT_FEATURES = 2000
TEXT_MIN_AVERAGE_LENGTH = 30  # string columns longer than this on average (and varied) are free text
TEXT_MIN_DISTINCT = 20
MISSING_CATEGORY = "__missing__"
SKLEARN_LOADER = "sklearn"  # in base.LOADERS
MODEL_FILE = "model.joblib"


# -- the algorithm registry -------------------------------------------------------------------


def get_algorithm(name: str) -> Algorithm:
    """A fresh instance of the built-in algorithm ``name`` (its module is imported only now)."""
    if name not in ALGORITHMS:
        raise InvalidInput(f"Unknown algorithm {name!r}.", hint=f"Use one of {', '.join(ALGORITHMS)}.")
    module_name, class_name = ALGORITHMS[name].split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise BackendUnavailable(f"The {name} algorithm is not available: {exc.name} is missing.",
                                 hint="Install the requirements with `make run`, or pick another algorithm.") from exc
    return getattr(module, class_name)()  # type: ignore[no-any-return]


def validate_hyperparameters(name: str, hyperparameters: Mapping[str, str]) -> dict[str, Any]:
    """Parse ``hyperparameters`` for algorithm ``name``; ``InvalidInput`` on unknown names or bad values.

    Algorithms that do not declare their hyperparameters (no ``parse_hyperparameters``) accept anything.
    """
    algorithm = get_algorithm(name)
    parse = getattr(algorithm, "parse_hyperparameters", None)
    return dict(parse(hyperparameters)) if parse is not None else dict(hyperparameters)


def requested_problem_type(algorithm: Algorithm, hyperparameters: Mapping[str, str]) -> str:
    """The problem type the hyperparameters ask for (xgboost's objective, linear learner's
    predictor_type), or "" to infer it from the target."""
    from_hyperparameters = getattr(algorithm, "problem_type_from", None)
    return str(from_hyperparameters(hyperparameters)) if from_hyperparameters is not None else ""


# -- hyperparameters (SageMaker passes every value as a string) --------------------------------


@dataclass(frozen=True)
class Hyperparameter:
    """How to read one hyperparameter. ``default=None`` means "not set" (the algorithm decides)."""

    kind: str  # integer | number | boolean | choice | text
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    above_minimum: bool = False  # the minimum itself is not allowed
    auto: bool = False  # "auto" is accepted and means the default

    def describe(self) -> str:
        """What a valid value looks like, for error messages."""
        if self.kind == "boolean":
            return "true or false"
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        noun = "an integer" if self.kind == "integer" else "a number"
        return noun + _range_text(self) + (' or "auto"' if self.auto else "")

    def parse(self, name: str, raw: Any) -> Any:
        """The typed value of ``raw``; ``InvalidInput`` naming the hyperparameter when it is not valid."""
        text = str(raw).strip()
        if self.auto and text.lower() == "auto":
            return self.default
        value = _typed_value(self.kind, text)
        if value is None or not self._allows(value):
            raise InvalidInput(f"{name} must be {self.describe()}, got {text!r}.",
                               hint=f"Fix the {name} hyperparameter or leave it out to use the default.")
        return value

    def _allows(self, value: Any) -> bool:
        if self.kind == "choice":
            return str(value) in self.choices
        if self.kind not in ("integer", "number"):
            return True
        if self.minimum is not None and (value < self.minimum or (self.above_minimum and value == self.minimum)):
            return False
        return self.maximum is None or value <= self.maximum


def _range_text(spec: Hyperparameter) -> str:
    low, high = spec.minimum, spec.maximum
    if low is not None and high is not None:
        return f" in ({low:g}, {high:g}]" if spec.above_minimum else f" between {low:g} and {high:g}"
    if low is not None:
        return f" > {low:g}" if spec.above_minimum else f" ≥ {low:g}"
    return f" ≤ {high:g}" if high is not None else ""


def _typed_value(kind: str, text: str) -> Any:
    try:
        if kind == "integer":
            number = float(text)
            return int(number) if number.is_integer() else None
        if kind == "number":
            number = float(text)
            return number if math.isfinite(number) else None
    except ValueError:
        return None
    if kind == "boolean":
        return {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(text.lower())
    return text


def parse_hyperparameters(raw: Mapping[str, Any], specs: Mapping[str, Hyperparameter], algorithm: str) -> dict[str, Any]:
    """Every declared hyperparameter with its typed value (the default when absent).

    Names starting with "_" are private values the training job passes (e.g. ``_source_table``) and are skipped.
    """
    unknown = sorted(name for name in set(raw) - set(specs) if not name.startswith("_"))
    if unknown:
        raise InvalidInput(f"Unknown hyperparameter {unknown[0]!r} for {algorithm}.",
                           hint=f"{algorithm} accepts: {', '.join(sorted(specs))}.")
    return {name: spec.parse(name, raw[name]) if name in raw else spec.default for name, spec in specs.items()}


def hyperparameters_used(values: Mapping[str, Any]) -> dict[str, str]:
    """The values as SageMaker would show them: strings, booleans lower case, unset ones left out."""
    return {name: str(value).lower() if isinstance(value, bool) else str(value)
            for name, value in values.items() if value is not None}


# -- problem type and the split -----------------------------------------------------------------


def infer_problem_type(series: pd.Series) -> str:
    """Regression for a numeric target with more than 20 distinct values or non-integer floats;
    BinaryClassification for two classes; MulticlassClassification otherwise."""
    values = series.dropna()
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if numeric and (values.nunique() >= REGRESSION_MIN_DISTINCT or not _integer_valued(values)):
        return REGRESSION
    return BINARY if values.nunique() == 2 else MULTICLASS


def _integer_valued(values: pd.Series) -> bool:
    numbers = values.to_numpy(dtype=float)
    return bool(np.all(np.mod(numbers, 1) == 0))


def label_strings(series: pd.Series) -> pd.Series:
    """Class labels as strings; integer-valued numbers lose their ".0" (-1.0 becomes "-1")."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series) and _integer_valued(series):
        return series.astype("int64").astype(str)
    return series.astype(str)


def sorted_classes(labels: pd.Series) -> list[str]:
    """Distinct labels in order: numerically when they are all numbers, else alphabetically."""
    distinct = [str(v) for v in labels.unique()]
    try:
        return sorted(distinct, key=float)
    except ValueError:
        return sorted(distinct)


def prepare_dataset(frame: pd.DataFrame, target: str, problem_type: str = "", text_column: str = "", seed: int = 42,
                    validation: float = 0.1, test: float = 0.1) -> Dataset:
    """A seeded train/validation/test split of ``frame`` (stratified for classification when possible).

    Rows without a target are dropped; class labels become strings. Raises ``InvalidInput`` with a
    hint for data that cannot be learned from: too few rows, a single class, too many classes.
    """
    _check_request(frame, target, problem_type, text_column, validation, test)
    frame = frame[frame[target].notna()].reset_index(drop=True)
    _check_rows(len(frame), target)
    problem_type = problem_type or infer_problem_type(frame[target])
    frame[target] = _encoded_target(frame[target], target, problem_type)
    classes = [] if problem_type == REGRESSION else _checked_classes(frame[target], target, problem_type)
    train, valid, holdout = split_frame(frame, target, classes, seed, validation, test)
    features = [c for c in frame.columns if c != target]
    return Dataset(train=train, validation=valid, test=holdout, target=target, problem_type=problem_type,
                   classes=classes, feature_columns=features, text_column=text_column or detect_text_column(frame[features]),
                   seed=seed)


def _check_request(frame: pd.DataFrame, target: str, problem_type: str, text_column: str, validation: float,
                   test: float) -> None:
    names = ", ".join(map(str, frame.columns[:30]))
    if target not in frame.columns:
        raise InvalidInput(f"The target column {target!r} is not in the data.", hint=f"Pick one of: {names}.")
    if text_column and (text_column not in frame.columns or text_column == target):
        raise InvalidInput(f"{text_column!r} cannot be the text column.", hint=f"Pick a column other than the target: {names}.")
    if problem_type and problem_type not in PROBLEM_TYPES:
        raise InvalidInput(f"Unknown problem type {problem_type!r}.", hint=f"Use one of {', '.join(PROBLEM_TYPES)}.")
    if not (0 < validation < 0.5 and 0 < test < 0.5):
        raise InvalidInput("The validation and test shares must each be between 0 and 0.5.", hint="The default is 0.1 each.")
    if len(frame.columns) < 2:
        raise InvalidInput("The data has no column to learn from besides the target.", hint="Add feature columns.")


def _check_rows(rows: int, target: str) -> None:
    if rows < MIN_ROWS:
        raise InvalidInput(f"Only {rows} rows have a value in {target!r}; at least {MIN_ROWS} are needed.",
                           hint="Use more data or a target column with fewer missing values.")


def _encoded_target(values: pd.Series, target: str, problem_type: str) -> pd.Series:
    if problem_type != REGRESSION:
        return label_strings(values)
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.isna().any() or pd.api.types.is_bool_dtype(values):
        raise InvalidInput(f"Regression needs a numeric target; {target!r} holds {values.dtype} values.",
                           hint="Pick a numeric target or a classification problem type.")
    return numbers.astype(float)


def _checked_classes(labels: pd.Series, target: str, problem_type: str) -> list[str]:
    classes = sorted_classes(labels)
    if len(classes) < 2:
        raise InvalidInput(f"The target {target!r} has a single value ({classes[0]!r}), so there is nothing to learn.",
                           hint="Pick a target column with at least two different values.")
    if problem_type == BINARY and len(classes) != 2:
        raise InvalidInput(f"Binary classification needs exactly 2 classes; {target!r} has {len(classes)}.",
                           hint="Leave the problem type to be inferred (no objective or predictor_type) or pick another target.")
    if len(classes) > MAX_CLASSES:
        raise InvalidInput(f"The target {target!r} has {len(classes)} distinct values, too many classes.",
                           hint=f"Classification allows up to {MAX_CLASSES} classes; for a number, use a regression objective.")
    return classes


def split_frame(frame: pd.DataFrame, target: str, classes: list[str], seed: int, validation: float,
                test: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Seeded train/validation/test frames; every class keeps at least one training row."""
    rest, holdout = _split(frame, target, classes, max(1, round(len(frame) * test)), seed)
    train, valid = _split(rest, target, classes, max(1, round(len(frame) * validation)), seed + 1)
    train, valid, holdout = _cover_classes(train, [valid, holdout], target, classes)
    return train.reset_index(drop=True), valid.reset_index(drop=True), holdout.reset_index(drop=True)


def _split(frame: pd.DataFrame, target: str, classes: list[str], held: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    labels = frame[target] if classes else None
    stratify = labels is not None and labels.value_counts().min() >= 2 and min(held, len(frame) - held) >= labels.nunique()
    kept, taken = train_test_split(frame, test_size=held, random_state=seed, stratify=labels if stratify else None)
    return kept, taken


def _cover_classes(train: pd.DataFrame, others: list[pd.DataFrame], target: str,
                   classes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    # A model cannot learn a class it never sees (and xgboost refuses labels missing from training).
    for label in set(classes) - set(train[target]):
        for index, other in enumerate(others):
            rows = other[other[target] == label]
            if len(rows):
                train = pd.concat([train, rows.iloc[:1]])
                others[index] = other.drop(rows.index[:1])
                break
    return train, others[0], others[1]


def detect_text_column(frame: pd.DataFrame) -> str:
    """The string column with the longest average length, or "" when there is none."""
    lengths = {name: frame[name].dropna().astype(str).str.len().mean() for name in frame.columns
               if _is_string(frame[name]) and frame[name].notna().any()}
    return max(lengths, key=lambda name: lengths[name]) if lengths else ""


def _is_string(series: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)


def class_indices(labels: pd.Series, classes: list[str]) -> np.ndarray:
    """Labels as positions in ``classes`` (what scikit-learn and xgboost train on)."""
    positions = {label: index for index, label in enumerate(classes)}
    return labels.map(positions).to_numpy(dtype=np.int64)


# -- featurising tables ----------------------------------------------------------------------------


def column_kinds(frame: pd.DataFrame, columns: list[str]) -> dict[str, str]:
    """Each usable column's kind (numeric | categorical | text); columns without values are left out."""
    kinds = {}
    for name in columns:
        series = frame[name]
        if series.notna().any():
            kinds[name] = _kind(series)
    return kinds


def _kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return "numeric"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "numeric"
    values = series.dropna().astype(str)
    is_text = values.str.len().mean() >= TEXT_MIN_AVERAGE_LENGTH and values.nunique() >= TEXT_MIN_DISTINCT
    return "text" if is_text else "categorical"


def model_frame(frame: pd.DataFrame, kinds: Mapping[str, str]) -> pd.DataFrame:
    """The model's input columns with the types the featuriser expects; ``InvalidInput`` when some are missing."""
    missing = [name for name in kinds if name not in frame.columns]
    if missing:
        raise InvalidInput(f"The data lacks the model's input columns: {', '.join(missing[:20])}.",
                           hint="Score data with the same columns the model was trained on.")
    return pd.DataFrame({name: _typed_column(frame[name], kind) for name, kind in kinds.items()}, index=frame.index)


def _typed_column(series: pd.Series, kind: str) -> pd.Series:
    if kind != "numeric":
        return series.astype(object).where(series.notna(), None).map(lambda v: None if v is None else str(v))
    if pd.api.types.is_datetime64_any_dtype(series):
        return (series - pd.Timestamp("1970-01-01", tz=getattr(series.dt, "tz", None))).dt.total_seconds() / 86400
    return pd.to_numeric(series.astype(object).where(series.notna(), None), errors="coerce").astype(float)


def tabular_featurizer(kinds: Mapping[str, str], scale_numeric: bool = True, rows: int = 1000) -> ColumnTransformer:
    """An unfitted ColumnTransformer for ``model_frame`` output (see the module docstring)."""
    numeric = [name for name, kind in kinds.items() if kind == "numeric"]
    steps: list[tuple[str, Any, Any]] = []
    if numeric:
        scaler = [("scale", StandardScaler())] if scale_numeric else []
        steps.append(("numeric", Pipeline([("impute", SimpleImputer(strategy="median", keep_empty_features=True)), *scaler]), numeric))
    for index, (name, kind) in enumerate(kinds.items()):
        if kind == "categorical":
            steps.append((f"categorical_{index}", _categorical_pipeline(), [name]))
        elif kind == "text":
            steps.append((f"text_{index}", text_pipeline(TfidfVectorizer(
                max_features=TEXT_FEATURES, ngram_range=(1, 2), min_df=2 if rows >= 100 else 1, sublinear_tf=True)), name))
    return ColumnTransformer(steps, sparse_threshold=0.3)


def _categorical_pipeline() -> Pipeline:
    return Pipeline([
        ("impute", SimpleImputer(strategy="constant", fill_value=MISSING_CATEGORY)),
        ("one_hot", OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=MAX_CATEGORIES)),
    ])


def text_pipeline(vectorizer: Any) -> Pipeline:
    """A vectorizer that accepts a text column with missing values."""
    return Pipeline([("fill", FunctionTransformer(fill_text)), ("vectorize", vectorizer)])


def fill_text(values: Any) -> list[str]:
    """Texts as strings, missing ones empty (module level so saved pipelines can be loaded)."""
    return ["" if value is None or value != value else str(value) for value in np.asarray(values).ravel()]


def column_importance(featurizer: ColumnTransformer, importances: np.ndarray) -> dict[str, float]:
    """Per-feature importances (absolute values) summed back onto the input columns, normalised to sum to 1."""
    totals: dict[str, float] = {}
    for name, _, columns in featurizer.transformers_:
        if name == "remainder":
            continue
        values = np.abs(np.asarray(importances)[featurizer.output_indices_[name]])
        # The numeric block has one output per column; the other blocks read a single column each.
        sources = list(columns) if name == "numeric" else [columns if isinstance(columns, str) else columns[0]] * len(values)
        for source, value in zip(sources, values):
            totals[source] = totals.get(source, 0.0) + float(value)
    total = sum(totals.values()) or 1.0
    return dict(sorted(((k, round(v / total, 6)) for k, v in totals.items()), key=lambda item: -item[1]))


# -- metrics -----------------------------------------------------------------------------------------


def classification_metrics(y_true: Any, y_pred: Any, proba: np.ndarray, classes: list[str]
                           ) -> tuple[dict[str, float], dict[str, dict[str, float]], list[list[int]]]:
    """(metrics, per-class precision/recall/f1/support, confusion matrix with rows = true class)."""
    truth, predicted = np.asarray(y_true).astype(str), np.asarray(y_pred).astype(str)
    clipped = np.clip(np.asarray(proba, dtype=float), 1e-15, 1)
    clipped = clipped / clipped.sum(axis=1, keepdims=True)
    metrics = {
        "accuracy": accuracy_score(truth, predicted),
        "f1_macro": f1_score(truth, predicted, labels=classes, average="macro", zero_division=0),
        "precision_macro": precision_score(truth, predicted, labels=classes, average="macro", zero_division=0),
        "recall_macro": recall_score(truth, predicted, labels=classes, average="macro", zero_division=0),
        "f1_weighted": f1_score(truth, predicted, labels=classes, average="weighted", zero_division=0),
        "log_loss": log_loss(truth, clipped, labels=classes),
    }
    if len(classes) == 2 and len(set(truth)) == 2:
        metrics["roc_auc"] = roc_auc_score(truth == classes[1], proba[:, 1])
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=classes, zero_division=0)
    per_class = {label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": float(s)}
                 for label, p, r, f, s in zip(classes, precision, recall, f1, support)}
    confusion = confusion_matrix(truth, predicted, labels=classes).tolist()
    return {k: round(float(v), 6) for k, v in metrics.items()}, per_class, confusion


def regression_metrics(y_true: Any, y_pred: Any) -> dict[str, float]:
    """rmse, mae and r2."""
    truth, predicted = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    return {"rmse": round(float(np.sqrt(mean_squared_error(truth, predicted))), 6),
            "mae": round(float(mean_absolute_error(truth, predicted)), 6),
            "r2": round(float(r2_score(truth, predicted)), 6)}


def evaluate(predictor: Predictor, data: Dataset, split: str = "test"
             ) -> tuple[dict[str, float], dict[str, dict[str, float]], list[list[int]] | None]:
    """Score a split of ``data`` with ``predictor``: (metrics, per_class, confusion matrix or None)."""
    frame: pd.DataFrame = getattr(data, split)
    scored = predictor.predict_frame(frame)
    if data.problem_type == REGRESSION:
        return regression_metrics(frame[data.target], scored["predicted_label"]), {}, None
    proba = scored[[f"probability_{label}" for label in data.classes]].to_numpy()
    return classification_metrics(frame[data.target], scored["predicted_label"], proba, data.classes)


def report_metrics(reporter: Reporter, metrics: Mapping[str, float], prefix: str, step: int | None = None) -> None:
    """Send ``metrics`` to the reporter as ``<prefix>:<name>`` (SageMaker's metric naming)."""
    for name, value in metrics.items():
        reporter.metric(f"{prefix}:{name}", value, step)


# -- a saved scikit-learn pipeline as a Predictor -----------------------------------------------------


def prediction_frame(proba: np.ndarray, classes: list[str], index: pd.Index) -> pd.DataFrame:
    """``predicted_label``, ``probability`` and ``probability_<class>`` from class probabilities."""
    best = proba.argmax(axis=1)
    columns: dict[str, Any] = {"predicted_label": np.asarray(classes, dtype=object)[best],
                               "probability": proba[np.arange(len(best)), best]}
    columns |= {f"probability_{label}": proba[:, i] for i, label in enumerate(classes)}
    return pd.DataFrame(columns, index=index)


class SklearnPredictor:
    """A fitted pipeline (``model_frame`` columns in, class indices or numbers out) plus its labels.

    Classifiers are trained on positions in ``classes``, so ``predict_proba``'s columns follow it.
    """

    def __init__(self, pipeline: Any, problem_type: str, classes: list[str], kinds: Mapping[str, str],
                 framework: str) -> None:
        self.pipeline = pipeline
        self.problem_type = problem_type
        self.classes = list(classes)
        self.kinds = dict(kinds)
        self.framework = framework

    @property
    def feature_columns(self) -> list[str]:
        """The input columns the model reads."""
        return list(self.kinds)

    def predict_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """One row per input row: ``predicted_label`` (and probabilities for classifiers)."""
        inputs = model_frame(frame, self.kinds)
        if self.problem_type == REGRESSION:
            return pd.DataFrame({"predicted_label": np.asarray(self.pipeline.predict(inputs), dtype=float)}, index=frame.index)
        proba = np.asarray(self.pipeline.predict_proba(inputs), dtype=float)
        return prediction_frame(proba, self.classes, frame.index)

    def save(self, folder: Path) -> None:
        """``model.joblib`` plus ``predictor.json`` naming ``load_sklearn_predictor``."""
        folder.mkdir(parents=True, exist_ok=True)
        joblib.dump(self.pipeline, folder / MODEL_FILE)
        write_predictor_manifest(folder, SKLEARN_LOADER, problem_type=self.problem_type, classes=self.classes,
                                 columns=self.kinds, framework=self.framework)


def load_sklearn_predictor(folder: Path) -> SklearnPredictor:
    """Load what ``SklearnPredictor.save`` wrote."""
    import json

    from services.training.algorithms.base import PREDICTOR_FILE

    manifest = json.loads((folder / PREDICTOR_FILE).read_text())
    return SklearnPredictor(joblib.load(folder / MODEL_FILE), manifest["problem_type"], manifest["classes"],
                            manifest["columns"], manifest.get("framework", "sklearn"))
