"""What each bias metric means in plain words, its ideal value and range, and a traffic-light flag.

The flags are our reading aid, not Clarify's: green within ``tolerance`` of the ideal, amber
within twice that, red beyond (DI uses the four-fifths rule: 0.8–1.25 is green).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class MetricInfo:
    name: str
    stage: str  # pre | post
    plain: str  # one sentence an analyst can read
    positive_means: str
    ideal: float
    range_text: str
    tolerance: float = 0.1


INFO = {i.name: i for i in (
    MetricInfo("CI", "pre", "Is the sensitive group d under-represented in the data compared with everyone else (a)?",
               "d has fewer rows than a", 0.0, "(-1, 1)"),
    MetricInfo("DPL", "pre", "Difference between a's and d's share of positive labels.",
               "d gets the positive outcome less often", 0.0, "[-1, 1]"),
    MetricInfo("KL", "pre", "How far d's label distribution is from a's (Kullback-Leibler, a relative to d).",
               "the label distributions differ", 0.0, "[0, ∞) — can dip below 0 when an outcome is missing in d"),
    MetricInfo("JS", "pre", "Symmetric distance between the label distributions of a and d (Jensen-Shannon).",
               "the label distributions differ", 0.0, "[0, ln 2]", 0.05),
    MetricInfo("LP", "pre", "Euclidean distance between the label distributions of a and d.",
               "the label distributions differ", 0.0, "[0, √2]"),
    MetricInfo("TVD", "pre", "Half the total absolute difference between the label distributions of a and d.",
               "the label distributions differ", 0.0, "[0, 1]"),
    MetricInfo("KS", "pre", "Largest gap between the label distributions of a and d.",
               "the label distributions differ", 0.0, "[0, 1]"),
    MetricInfo("CDDL", "pre", "Does d hold a bigger share of rejections than of acceptances, within each subgroup (weighted)?",
               "d is over-represented among rejected rows", 0.0, "[-1, 1]"),
    MetricInfo("DPPL", "post", "Difference between a's and d's share of positive predictions.",
               "the model predicts the positive outcome for d less often", 0.0, "[-1, 1]"),
    MetricInfo("DI", "post", "Ratio of d's positive-prediction rate to a's (disparate impact).",
               "above 1: d is predicted positive more often; below 1: less often", 1.0, "[0, ∞)"),
    MetricInfo("DCA", "post", "Observed positives per predicted positive, a minus d (conditional acceptance).",
               "a's acceptances are more under-predicted than d's", 0.0, "(-∞, ∞)"),
    MetricInfo("DCR", "post", "Observed negatives per predicted negative, d minus a (conditional rejection).",
               "d's rejections are more under-predicted than a's", 0.0, "(-∞, ∞)"),
    MetricInfo("RD", "post", "Recall (true-positive rate), a minus d.", "the model finds a's positives more reliably",
               0.0, "[-1, 1]"),
    MetricInfo("SD", "post", "Specificity (true-negative rate), d minus a.", "the model finds d's negatives more reliably",
               0.0, "[-1, 1]"),
    MetricInfo("DAR", "post", "Precision, a minus d (difference in acceptance rates).",
               "a's positive predictions are more often right", 0.0, "[-1, 1]"),
    MetricInfo("DRR", "post", "Negative predictive value, d minus a (difference in rejection rates).",
               "d's negative predictions are more often right", 0.0, "[-1, 1]"),
    MetricInfo("AD", "post", "Accuracy, a minus d.", "the model is more accurate for a", 0.0, "[-1, 1]"),
    MetricInfo("CDDPL", "post", "CDDL on the predicted labels: d's share of predicted rejections vs acceptances per subgroup.",
               "d is over-represented among predicted rejections", 0.0, "[-1, 1]"),
    MetricInfo("TE", "post", "False negatives per false positive, d minus a (treatment equality).",
               "d's errors lean more towards false negatives", 0.0, "(-∞, ∞)"),
    MetricInfo("FT", "post", "Would d's members get a different prediction if they were in a? (k-NN flip test)",
               "d is favoured over its nearest neighbours in a", 0.0, "[-1, 1]"),
    MetricInfo("GE", "post", "How unequally the model's benefits (errors and hits) are spread over all rows (α = 2).",
               "benefits are spread unequally", 0.0, "[0, ∞)", 0.05),
)}


def flag(name: str, value: float | None) -> str:
    """green | amber | red | grey (no value)."""
    if value is None or math.isnan(value):
        return "grey"
    if name == "DI":
        if math.isinf(value) or value <= 0:
            return "red"
        distance = abs(math.log(value))
        return "green" if distance <= math.log(1.25) else "amber" if distance <= math.log(1.6) else "red"
    if math.isinf(value):
        return "red"
    info = INFO[name]
    distance = abs(value - info.ideal)
    return "green" if distance <= info.tolerance else "amber" if distance <= 2 * info.tolerance else "red"


def ideal_text(name: str) -> str:
    info = INFO[name]
    return f"{info.ideal:g}"
