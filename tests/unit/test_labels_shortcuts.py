"""The Label page's keys for models with other numbers of classes than the review model's three."""

from __future__ import annotations

import pytest

from components.label_views import class_shortcut


@pytest.mark.parametrize("count, keys", [
    (2, ["1", "2"]), (5, ["1", "2", "3", "4", "5"]),
    (11, ["1", "2", "3", "4", "5", "6", "7", "8", "9", None, None])])  # past nine: labelled by click only
def test_each_class_gets_its_number_key_up_to_nine(count: int, keys: list[str | None]) -> None:
    assert [class_shortcut(position) for position in range(count)] == keys
    assert not {"S", "U"} & {key for key in keys if key}  # skip and undo keep their letters
