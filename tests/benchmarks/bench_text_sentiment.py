"""Benchmark: review sentiment (-1 for 1–2 stars, 0 for 3, 1 for 4–5) with the built-in text classifiers.

For every algorithm in ``BENCHMARKS`` (a function each; add yours there):
  (a) real reviews: the public Women's E-Commerce Clothing Reviews at
      ``../shared/data/womens_clothing_ecommerce_reviews.csv`` (text = Title + " " + Review Text),
      a seeded, stratified 80/20 split (the 80 split again 90/10 into train/validation) →
      macro-F1 and accuracy on the 20 (target: macro-F1 ≥ 0.66);
  (b) transfer: trained on the seeded demo table ``demo.reviews_sentiment`` (generated reviews),
      scored on all the real reviews (target: macro-F1 ≥ 0.60, issue 15).
Prints JSON figures; exits 1 when a target is missed. Skips (with a message) when the file is absent.

Run: `.venv/bin/python tests/benchmarks/bench_text_sentiment.py [--algorithms text-tfidf,...] [--hp KEY=VALUE ...]`.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.model_selection import train_test_split

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from services.config import Settings  # noqa: E402
from services.registry import build_services  # noqa: E402
from services.training.algorithms.base import Dataset  # noqa: E402
from services.training.algorithms.common import get_algorithm  # noqa: E402
from services.training.algorithms.metrics import classification_metrics  # noqa: E402
from services.training.problem_type import sorted_classes  # noqa: E402

REAL_REVIEWS = ROOT.parent / "shared" / "data" / "womens_clothing_ecommerce_reviews.csv"
TEXT, TARGET = "review_body", "sentiment"
SEED = 42
REAL_TARGET_F1 = 0.66
TRANSFER_TARGET_F1 = 0.60


class QuietReporter:
    """Collects the metrics an algorithm reports; prints its log lines to stderr."""

    def __init__(self) -> None:
        self.points: list[tuple[str, float, int | None]] = []

    def log(self, message: str) -> None:
        print(message, file=sys.stderr)

    def metric(self, name: str, value: float, step: int | None = None) -> None:
        self.points.append((name, value, step))

    def progress(self, fraction: float, message: str = "") -> None:
        pass


def sentiment(rating: pd.Series) -> pd.Series:
    """1–2 stars → -1, 3 → 0, 4–5 → 1, as strings (the class labels the algorithms produce)."""
    return rating.map(lambda stars: "-1" if stars <= 2 else ("0" if stars == 3 else "1"))


def load_real_reviews(path: Path = REAL_REVIEWS) -> pd.DataFrame:
    """The public reviews with a text: ``review_body`` and ``sentiment``."""
    raw = pd.read_csv(path)
    raw = raw[raw["Review Text"].notna()]
    body = (raw["Title"].fillna("") + " " + raw["Review Text"]).str.strip()
    return pd.DataFrame({TEXT: body.to_numpy(), TARGET: sentiment(raw["Rating"]).to_numpy()})


def load_demo_reviews() -> pd.DataFrame:
    """``demo.reviews_sentiment`` from a freshly seeded temporary workspace."""
    with tempfile.TemporaryDirectory(prefix="bench-text-") as temp:
        services = build_services(Settings(home=Path(temp) / "workspace", seed_on_start=True))
        frame = services.query.read_table("demo", "reviews_sentiment")  # type: ignore[attr-defined]
        services.catalog.store.close()  # type: ignore[attr-defined]
    return pd.DataFrame({TEXT: frame[TEXT], TARGET: frame[TARGET].astype(int).astype(str)})


def dataset(train: pd.DataFrame, test: pd.DataFrame) -> Dataset:
    """``train`` split 90/10 into train/validation (seeded, stratified); ``test`` held out."""
    fit, valid = train_test_split(train, test_size=0.1, random_state=SEED, stratify=train[TARGET])
    return Dataset(train=fit.reset_index(drop=True), validation=valid.reset_index(drop=True),
                   test=test.reset_index(drop=True), target=TARGET, problem_type="MulticlassClassification",
                   classes=sorted_classes(train[TARGET]), feature_columns=[TEXT], text_column=TEXT, seed=SEED)


def train_and_score(algorithm: str, train: pd.DataFrame, test: pd.DataFrame, hyperparameters: dict[str, str]) -> dict[str, Any]:
    """Fit ``algorithm`` on ``train``; macro-F1, accuracy and timings on ``test``."""
    data = dataset(train, test)
    started = time.perf_counter()
    fit = get_algorithm(algorithm).fit(data, hyperparameters, QuietReporter())
    trained = time.perf_counter() - started
    scored = fit.predictor.predict_frame(data.test)
    proba = scored[[f"probability_{c}" for c in data.classes]].to_numpy()
    metrics, per_class, _ = classification_metrics(data.test[TARGET], scored["predicted_label"], proba, data.classes)
    return {"f1_macro": round(metrics["f1_macro"], 4), "accuracy": round(metrics["accuracy"], 4),
            "f1_per_class": {c: round(v["f1"], 4) for c, v in per_class.items()},
            "train_rows": len(data.train), "test_rows": len(data.test), "train_seconds": round(trained, 2),
            "score_seconds": round(time.perf_counter() - started - trained, 2), "hyperparameters": fit.hyperparameters}


def plain_scikit_learn(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, Any]:
    """Issue 15's baseline: a plain ``TfidfVectorizer`` (word 1–2-grams) + class-balanced ``LogisticRegression``,
    fit on exactly the rows the algorithm trains on (``dataset(train, test).train``) and, for context, on the whole
    ``train`` (the algorithm holds a tenth of it out for validation)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.pipeline import make_pipeline

    def fitted_f1(rows: pd.DataFrame) -> float:
        model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2)), LogisticRegression(class_weight="balanced", max_iter=1000))
        model.fit(rows[TEXT], rows[TARGET])
        return round(float(f1_score(test[TARGET], model.predict(test[TEXT]), average="macro")), 4)

    return {"f1_macro_same_training_rows": fitted_f1(dataset(train, test).train), "f1_macro_whole_80": fitted_f1(train)}


def bench_algorithm(algorithm: str, real: pd.DataFrame, demo: pd.DataFrame, hyperparameters: dict[str, str]) -> dict[str, Any]:
    """(a) real 80/20 against the plain scikit-learn baseline fit in the same run and (b) demo → real for one
    algorithm, with pass/fail against the targets."""
    train, test = train_test_split(real, test_size=0.2, random_state=SEED, stratify=real[TARGET])
    on_real = train_and_score(algorithm, train, test, hyperparameters)
    baseline = plain_scikit_learn(train, test)
    transfer = train_and_score(algorithm, demo, real, hyperparameters)
    beats = on_real["f1_macro"] >= baseline["f1_macro_same_training_rows"]
    return {"real_80_20": on_real | {"target_f1_macro": REAL_TARGET_F1, "plain_scikit_learn": baseline,
                                     "at_least_plain_scikit_learn": beats,
                                     "passed": on_real["f1_macro"] >= REAL_TARGET_F1 and beats},
            "demo_to_real": transfer | {"target_f1_macro": TRANSFER_TARGET_F1,
                                        "passed": transfer["f1_macro"] >= TRANSFER_TARGET_F1}}


def bench_text_tfidf(real: pd.DataFrame, demo: pd.DataFrame, hyperparameters: dict[str, str]) -> dict[str, Any]:
    """text-tfidf: TF-IDF word n-grams + logistic regression, default hyperparameters unless given."""
    return bench_algorithm("text-tfidf", real, demo, hyperparameters)


# One function per algorithm: (real reviews, demo reviews, hyperparameters) -> figures.
BENCHMARKS: dict[str, Callable[[pd.DataFrame, pd.DataFrame, dict[str, str]], dict[str, Any]]] = {
    "text-tfidf": bench_text_tfidf,
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--algorithms", default=",".join(BENCHMARKS), help="comma-separated, from: " + ", ".join(BENCHMARKS))
    parser.add_argument("--hp", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    if not REAL_REVIEWS.exists():
        print(f"skipped: {REAL_REVIEWS} is absent (the public reviews are needed for this benchmark)")
        return 0
    hyperparameters = dict(item.split("=", 1) for item in args.hp)
    real, demo = load_real_reviews(), load_demo_reviews()
    figures = {"real_rows": len(real), "demo_rows": len(demo),
               "real_class_shares": real[TARGET].value_counts(normalize=True).round(3).sort_index().to_dict()}
    for name in args.algorithms.split(","):
        figures[name] = BENCHMARKS[name](real, demo, hyperparameters)
    print(json.dumps(figures, indent=2))
    passed = all(figures[name][part]["passed"] for name in args.algorithms.split(",") for part in ("real_80_20", "demo_to_real"))
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
