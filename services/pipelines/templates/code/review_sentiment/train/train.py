"""Train the review-sentiment text model (the training script of a sagemaker 3.x ModelTrainer job).

The model is a scikit-learn Pipeline over the single text column ``review_body`` (TF-IDF of words and word
pairs, then the classifier the ``--algorithm`` hyperparameter picks), saved as ``model.joblib`` in the model
dir so that the workbench's model registry serves it as a review model. Metrics are printed as
``<split>:<metric>=<value>`` lines, which the step's MetricDefinitions read. Paths follow the training
contract: ``SM_MODEL_DIR`` and ``SM_CHANNEL_<NAME>`` (``/opt/ml/model``, ``/opt/ml/input/data/<name>``).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import joblib
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import Pipeline

TEXT = "review_body"
LABEL = "sentiment"
ALGORITHMS = ("tfidf-logistic", "tfidf-naive-bayes")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--algorithm", choices=ALGORITHMS, default="tfidf-logistic")
    parser.add_argument("--max-features", type=int, default=20_000)
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
    parser.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAIN", "/opt/ml/input/data/train"))
    parser.add_argument("--validation", default=os.environ.get("SM_CHANNEL_VALIDATION", "/opt/ml/input/data/validation"))
    return parser.parse_args(argv)


def read_split(folder: str) -> pd.DataFrame:
    files = sorted(Path(folder).glob("*.csv"))
    if not files:
        raise SystemExit(f"No CSV files in {folder}")
    frame = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    frame[TEXT] = frame[TEXT].fillna("").astype(str)
    return frame


def build_model(algorithm: str, max_features: int) -> Pipeline:
    classifier: Any = (LogisticRegression(max_iter=1000, C=4.0) if algorithm == "tfidf-logistic"
                       else ComplementNB(alpha=0.3))
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, max_features=max_features)
    return Pipeline([("features", ColumnTransformer([("tfidf", vectorizer, TEXT)])), ("classifier", classifier)])


def report(model: Pipeline, frame: pd.DataFrame, split: str) -> None:
    predicted = model.predict(frame[[TEXT]])
    print(f"{split}:macro_f1={f1_score(frame[LABEL], predicted, average='macro'):.4f}")
    print(f"{split}:accuracy={accuracy_score(frame[LABEL], predicted):.4f}")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    train = read_split(args.train)
    model = build_model(args.algorithm, args.max_features)
    model.fit(train[[TEXT]], train[LABEL])
    print(f"algorithm={args.algorithm} rows={len(train)} classes={list(model.classes_)}")
    report(model, train, "train")
    if Path(args.validation).is_dir():
        report(model, read_split(args.validation), "validation")
    Path(args.model_dir).mkdir(parents=True, exist_ok=True)
    joblib.dump(model, Path(args.model_dir) / "model.joblib")


if __name__ == "__main__":
    main()
