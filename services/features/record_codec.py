"""Records in SageMaker Feature Store Runtime's wire shape and back.

On the wire (PutRecord's and GetRecord's ``Record``) every value is a string (``ValueAsString``) or a list of
strings (``ValueAsStringList``); the port speaks typed values. ``record_from_api`` reads a wire record with the
group's definitions (Integral → int, Fractional → float, String → str), refusing with ``InvalidInput`` naming the
feature; ``models.record_as_api`` is the way back. Both the runtime gateway and the aws adapter use them, so a
record reads the same from either.
"""

from __future__ import annotations

import math
from typing import Any

from services.errors import InvalidInput
from services.features.models import FeatureDefinition, FeatureGroup

RECORD_HINT = "Send every value as ValueAsString (or ValueAsStringList for a collection feature) of the feature's type."


def record_from_api(group: FeatureGroup, record: Any) -> dict[str, Any]:
    """A wire ``Record`` (a list of ``{FeatureName, ValueAsString | ValueAsStringList}``) as typed values."""
    if not isinstance(record, list) or not record:
        raise InvalidInput("The record must be a non-empty list of feature values.", hint=RECORD_HINT)
    values: dict[str, Any] = {}
    for item in record:
        name = item.get("FeatureName", "") if isinstance(item, dict) else ""
        definition = group.feature(name)
        if definition is None:
            raise InvalidInput(f"{name!r} is not a feature of feature group {group.name}.",
                               hint=f"Its features are {', '.join(f.name for f in group.spec.features)}.")
        if name in values:
            raise InvalidInput(f"Feature {name} appears twice in the record.", hint=RECORD_HINT)
        values[name] = feature_value(definition, item)
    return values


def feature_value(definition: FeatureDefinition, item: dict[str, Any]) -> Any:
    """One wire value (``ValueAsString`` or ``ValueAsStringList``) as the feature's type."""
    if definition.collection_type:
        texts = item.get("ValueAsStringList")
        if not isinstance(texts, list):
            raise InvalidInput(f"Feature {definition.name} is a {definition.collection_type}: send ValueAsStringList.",
                               hint=RECORD_HINT)
        return [typed_value(definition, text) for text in texts]
    text = item.get("ValueAsString")
    if not isinstance(text, str):
        raise InvalidInput(f"Feature {definition.name} needs a ValueAsString.", hint=RECORD_HINT)
    return typed_value(definition, text)


def typed_value(definition: FeatureDefinition, text: Any) -> Any:
    """``text`` as an int (Integral), a float (Fractional) or a string; ``InvalidInput`` naming the feature."""
    if not isinstance(text, str):
        raise InvalidInput(f"Feature {definition.name}: {text!r} is not a string value.", hint=RECORD_HINT)
    if definition.type == "String":
        return text
    try:
        value: int | float = int(text) if definition.type == "Integral" else float(text)
    except ValueError:
        raise InvalidInput(f"Feature {definition.name} is {definition.type}: {text[:80]!r} is not a number of that type.",
                           hint=RECORD_HINT) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(f"Feature {definition.name}: {text!r} is not a finite number.", hint=RECORD_HINT)
    return value


def typed_record(group: FeatureGroup, record: list[dict[str, Any]], features: tuple[str, ...] = ()) -> dict[str, Any]:
    """A record the service answered (GetRecord/BatchGetRecord) as typed values, only ``features`` when given."""
    wanted = [item for item in record if not features or item.get("FeatureName") in features]
    return record_from_api(group, wanted) if wanted else {}
