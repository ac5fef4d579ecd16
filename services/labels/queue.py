"""Pure queue ordering: which items a labeller sees next, in which order."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

from services.errors import InvalidInput
from services.labels.models import QUEUE_ORDERS, LabelItem


def check_order(order: str) -> str:
    if order not in QUEUE_ORDERS:
        raise InvalidInput(f"Unknown queue order {order!r}.", hint=f"Use one of: {', '.join(QUEUE_ORDERS)}.")
    return order


def ordered_items(items: Sequence[LabelItem], order: str, seed: int = 0) -> list[LabelItem]:
    """``uncertainty``: lowest top probability first, items without a probability last (capture order among
    equals); ``random``: shuffled, the same for the same seed and items."""
    check_order(order)
    if order == "random":
        shuffled = list(items)
        random.Random(seed).shuffle(shuffled)
        return shuffled
    return sorted(items, key=lambda item: (item.probability is None, item.probability or 0.0))


def labeller_queue(items: Sequence[LabelItem], order: str, seed: int, done: Iterable[str],
                   front: Sequence[str]) -> list[LabelItem]:
    """The items not in ``done`` (labelled or skipped by this labeller) in ``order``, with the items in
    ``front`` (taken back by undo, most recent first) ahead of the rest."""
    excluded = set(done)
    waiting = [item for item in items if item.item_id not in excluded]
    by_id = {item.item_id: item for item in waiting}
    first = [by_id[i] for i in dict.fromkeys(front) if i in by_id]
    first_ids = {item.item_id for item in first}
    return first + [item for item in ordered_items(waiting, order, seed) if item.item_id not in first_ids]
