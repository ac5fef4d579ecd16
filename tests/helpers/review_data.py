"""The public Women's E-Commerce Clothing Reviews as the review benchmarks read them: sentiment from the rating
(1–2 → -1, 3 → 0, 4–5 → 1), text = Title + " " + Review Text, a seeded stratified 80/20 split, a printing reporter
for training's progress, and one ~60-word review to score."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from services.training.algorithms.base import Dataset

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "womens_clothing_ecommerce_reviews.csv"
CLASSES = ["-1", "0", "1"]
SEED = 42
REVIEW = ("I ordered this dress for a summer wedding and it arrived quickly. The fabric is soft and drapes nicely, "
          "and the color is exactly as pictured. It runs slightly small in the bust, so I would size up, but the "
          "length was perfect for me at five foot six. Overall a lovely dress for the price and I got many compliments.")


class PrintingReporter:
    """Shows training's log lines and a progress line every ~30 s on stderr."""

    def __init__(self) -> None:
        self.last = 0.0

    def log(self, message: str) -> None:
        print(f"  {message}", file=sys.stderr, flush=True)

    def metric(self, name: str, value: float, step: int | None = None) -> None:
        if name != "train:loss":
            print(f"  {name} = {value:.4f} (step {step})", file=sys.stderr, flush=True)

    def progress(self, fraction: float, message: str = "") -> None:
        if time.monotonic() - self.last > 30 or fraction >= 1.0:
            self.last = time.monotonic()
            print(f"  {fraction:6.1%} {message}", file=sys.stderr, flush=True)


def load_reviews() -> pd.DataFrame:
    """Reviews with text, as demo.reviews_sentiment shapes them: review_id, review_body, sentiment."""
    raw = pd.read_csv(DATA)
    raw = raw[raw["Review Text"].notna()]
    body = (raw["Title"].fillna("") + " " + raw["Review Text"]).str.strip()
    sentiment = np.select([raw["Rating"] <= 2, raw["Rating"] == 3], ["-1", "0"], "1")
    return pd.DataFrame({"review_id": raw.iloc[:, 0].astype(np.int64).to_numpy(), "review_body": body.to_numpy(),
                         "sentiment": sentiment})


def split_reviews(frame: pd.DataFrame) -> Dataset:
    """Seeded, stratified 80/20; a tenth of the 80% is the validation split for early stopping."""
    rest, test = train_test_split(frame, test_size=0.2, random_state=SEED, stratify=frame["sentiment"])
    train, validation = train_test_split(rest, test_size=0.1, random_state=SEED, stratify=rest["sentiment"])
    return Dataset(train=train.reset_index(drop=True), validation=validation.reset_index(drop=True),
                   test=test.reset_index(drop=True), target="sentiment", problem_type="MulticlassClassification",
                   classes=CLASSES, feature_columns=["review_id", "review_body"], text_column="review_body", seed=SEED)
