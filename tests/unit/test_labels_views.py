"""The Label page's widgets: keys for models with other numbers of classes than the review model's three, and an
import's report that lists a bounded number of unknown ids and unreadable lines while counting them all."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from components.label_views import class_shortcut


@pytest.mark.parametrize("count, keys", [
    (2, ["1", "2"]), (5, ["1", "2", "3", "4", "5"]),
    (11, ["1", "2", "3", "4", "5", "6", "7", "8", "9", None, None])])  # past nine: labelled by click only
def test_each_class_gets_its_number_key_up_to_nine(count: int, keys: list[str | None]) -> None:
    assert [class_shortcut(position) for position in range(count)] == keys
    assert not {"S", "U"} & {key for key in keys if key}  # skip and undo keep their letters


def import_report() -> None:
    from components.label_views import render_import_result
    from services.labels.models import ImportResult

    unknown = tuple(f"event-{n}" for n in range(1_500))
    render_import_result(ImportResult(3, unknown, tuple(f"line {n}: not JSON" for n in range(1_200))), key="report")


def test_an_import_report_counts_everything_and_lists_the_first_thousand() -> None:
    app = AppTest.from_function(import_report).run()
    assert not app.exception, app.exception
    assert app.warning[0].value == "Imported 3, unknown event ids 1,500"
    captions = [c.value for c in app.caption]
    assert "(the first 1,000 of 1,500)" in captions[0] and "(the first 1,000 of 1,200)" in captions[1]
    assert len(app.dataframe[0].value) == 1_000
    assert app.code[0].value.count("\n") == 999
