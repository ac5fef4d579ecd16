"""FlipTest (FT), the one bias metric that needs rows: Clarify's k-NN counterfactual test.

A k-nearest-neighbours classifier is fitted on facet a's rows (features → the model's predicted
label, k = 5 when a has more than 9 rows, else 1, Euclidean distance, no scaling) and asked what
each d row's neighbours in a got. FT = (#d favoured over their neighbours − #d disfavoured) / n_d,
so a positive value means d is favoured (the code's sign, not the docs').
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from services.bias.metrics import MetricError


def flip_test(features: pd.DataFrame, in_d: np.ndarray, predicted: np.ndarray) -> float:
    """``features``: the rows' feature columns; ``in_d``/``predicted``: boolean arrays per row."""
    from sklearn.neighbors import KNeighborsClassifier

    _check_features(features)
    n_d, n_a = int(in_d.sum()), int((~in_d).sum())
    if n_d == 0:
        raise MetricError("Facet set is empty: no row is in the sensitive group d.")
    if n_a == 0:
        raise MetricError("Negated facet set is empty: every row is in the sensitive group d.")
    values = features.to_numpy(dtype=float)
    neighbours = KNeighborsClassifier(n_neighbors=5 if n_a > 9 else 1)
    neighbours.fit(values[~in_d], predicted[~in_d].astype(int))
    flipped = neighbours.predict(values[in_d]).astype(bool)
    own = predicted[in_d].astype(bool)
    favoured = int(np.sum(own & ~flipped))
    disfavoured = int(np.sum(~own & flipped))
    return (favoured - disfavoured) / n_d


def _check_features(features: pd.DataFrame) -> None:
    if features.shape[1] == 0:
        raise MetricError("FlipTest needs at least one feature column besides the facet, label and prediction.")
    numeric = [pd.api.types.is_numeric_dtype(features[c]) or pd.api.types.is_bool_dtype(features[c]) for c in features]
    if not all(numeric):
        text = [c for c, ok in zip(features.columns, numeric) if not ok]
        raise MetricError(f"FlipTest does not support non-numeric columns ({', '.join(map(str, text[:5]))}); "
                          "choose numeric FlipTest features.")
    if features.isna().to_numpy().any():
        raise MetricError("Input X contains NaN: FlipTest needs features without missing values.")
