"""Small generated data sets with known answers, shared by training, explain and endpoint tests."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

POSITIVE = ("Love this {item}, it fits perfectly", "Absolutely gorgeous {item}, so comfortable",
            "Great quality {item}, highly recommend it", "My favorite {item} ever, wonderful")
NEUTRAL = ("The {item} is okay, nothing special", "Average {item}, fine for the price",
           "The {item} is decent but the color is so-so", "An ordinary {item}, neither good nor bad")
NEGATIVE = ("Terrible {item}, I returned it", "Awful {item}, cheap material",
            "Very disappointed, the {item} fell apart", "The worst {item}, it ripped after one wash")
ITEMS = ("dress", "top", "sweater", "skirt", "jacket", "blouse", "cardigan", "coat", "shirt", "tunic")


def tiny_reviews() -> pd.DataFrame:
    """120 short reviews, 40 per sentiment, with a review_id like demo.reviews_sentiment."""
    rows = [(template.format(item=item), sentiment)
            for sentiment, templates in ((1, POSITIVE), (0, NEUTRAL), (-1, NEGATIVE))
            for template, item in itertools.product(templates, ITEMS)]
    frame = pd.DataFrame(rows, columns=["review_body", "sentiment"])
    frame.insert(0, "review_id", np.arange(1, len(frame) + 1, dtype=np.int64))
    return frame


def signal_frame(rows: int = 300, seed: int = 0) -> pd.DataFrame:
    """``label`` (yes/no) and ``amount`` depend strongly on ``signal``, a little on ``colour`` (red), not on ``noise``."""
    rng = np.random.default_rng(seed)
    signal, noise = rng.normal(size=rows), rng.normal(size=rows)
    colour = rng.choice(["red", "green", "blue"], rows)
    score = 2.5 * signal + (colour == "red") + rng.normal(scale=0.3, size=rows)
    return pd.DataFrame({"signal": signal.round(4), "noise": noise.round(4), "colour": colour,
                         "label": np.where(score > 0, "yes", "no"), "amount": (3 * score).round(4)})
