"""Pure queue ordering: which items a labeller sees next, in which order."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

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


def undo_time(now: str, latest: str) -> str:
    """``now`` (ISO, milliseconds or microseconds), or one tick after ``latest`` when the clock has not moved past it.

    Undo times order the items taken back (the most recently undone first); two undos in one clock tick must not
    tie, or the later undo's item could come second."""
    if not latest or now > latest:
        return now
    micro = len(now.split(".")[-1].split("+")[0]) == 6  # the clock's resolution, from the stamp's fraction
    tick = timedelta(microseconds=1 if micro else 1000)
    return (datetime.fromisoformat(latest) + tick).isoformat(timespec="microseconds" if micro else "milliseconds")
