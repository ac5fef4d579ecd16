"""One name per class of a model, so every page says a class the same way ("negative (-1)").

A model's classes are stored with it (``ModelRecord.classes``, the values its training target held,
as text) together with the target column's name, on both backends; the map is derived from them, so
it needs no storage of its own and reads the same for a registered model, the model behind an
endpoint and a confusion matrix of that model's classes:

* the review-sentiment classes -1 / 0 / 1 (the course's ``CASE WHEN rating <= 2 THEN -1 …`` column,
  ``demo.reviews_sentiment.sentiment``) → negative / neutral / positive, whatever the column's name;
* a binary 0 / 1 target whose column is named after sentiment → negative / positive;
* anything else keeps its raw value (wine's 0 / 1 / 2, ``setosa``, a label already in words).

Pure: plain values in, plain values out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from services.models import ModelRecord

SENTIMENT_NAMES = {"-1": "negative", "0": "neutral", "1": "positive"}
BINARY_SENTIMENT_NAMES = {"0": "negative", "1": "positive"}
SENTIMENT_WORD = "sentiment"


@dataclass(frozen=True)
class LabelMap:
    """A model's classes (in the model's order) and the name of each class that has one."""

    classes: tuple[str, ...] = ()
    names: dict[str, str] = field(default_factory=dict)  # class -> name; classes without one are not listed

    def name(self, label: object) -> str:
        """The class's name alone: ``negative``, else the label itself."""
        text = label_text(label)
        return self.names.get(text, text)

    def display(self, label: object) -> str:
        """How pages show a class: ``negative (-1)`` when it has a name, else the label itself."""
        text = label_text(label)
        return f"{self.names[text]} ({text})" if text in self.names else text

    def displays(self) -> list[str]:
        return [self.display(label) for label in self.classes]

    def display_keys(self, values: Mapping[str, float]) -> dict[str, float]:
        """``values`` (class -> number, e.g. probabilities) keyed by the classes' display names, in the same order."""
        return {self.display(label): value for label, value in values.items()}


def label_text(label: object) -> str:
    """A class value as the text models and predictions carry (``1.0`` read back from a number column → ``1``)."""
    if isinstance(label, float) and label.is_integer():
        return str(int(label))
    return str(label)


def label_map(classes: Iterable[object], target: str = "") -> LabelMap:
    """The map of a model whose training target ``target`` held ``classes`` (the rules in the module docstring)."""
    found = tuple(label_text(c) for c in classes)
    return LabelMap(found, _names(set(found), target))


def model_label_map(record: ModelRecord) -> LabelMap:
    """The map of a registered model (regression models have no classes: an empty map)."""
    return label_map(record.classes, record.target)


def _names(classes: set[str], target: str) -> dict[str, str]:
    if "-1" in classes and classes <= set(SENTIMENT_NAMES):
        return {c: SENTIMENT_NAMES[c] for c in classes}
    if SENTIMENT_WORD in target.lower() and classes == set(BINARY_SENTIMENT_NAMES):
        return dict(BINARY_SENTIMENT_NAMES)
    return {}


def predicted_class(probabilities: Mapping[str, float]) -> str:
    """The class with the highest probability (the first one on a tie), ``""`` without any."""
    return max(probabilities, key=lambda label: probabilities[label]) if probabilities else ""
