"""The Label page over a real local endpoint: the review model deployed once per module with twelve captured reviews
(tests/helpers/label_pages.py). Tests share that workspace and keep apart by labeller name (the queue is per
labeller); the empty state runs on the seeded workspace without endpoints.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from services.registry import build_services
from tests.helpers.endpoints import stop_everything
from tests.helpers.label_pages import ENDPOINT, deploy_with_captures, ground_truth_lines, hosting
from tests.helpers.pages import APP, REVIEW_MODEL, frame_with, open_page, texts
from tests.helpers.workspace import close_services, copy_workspace, settings_for_tests

pytestmark = pytest.mark.slow  # deploys a real endpoint (a server process) for the module
ID = re.compile(r"(?:^|· )id (\S+)")


@pytest.fixture(scope="module")
def label_home(review_model_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int, list[str]]]:
    """(home, gateway port, captured eventIds): REVIEW_MODEL deployed as ENDPOINT, REVIEWS scored through it."""
    home = tmp_path_factory.mktemp("label") / "workspace"
    copy_workspace(review_model_home, home)
    services = hosting(home)
    try:
        yield home, services.settings.gateway_port, deploy_with_captures(services, REVIEW_MODEL)
    finally:
        stop_everything(services)


@pytest.fixture
def label_app(label_home: tuple[Path, int, list[str]], monkeypatch: pytest.MonkeyPatch) -> AppTest:
    home, port, _ = label_home
    for name in ("WORKBENCH_BACKEND", "WORKBENCH_QUERY_TIMEOUT_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {"WORKBENCH_HOME": str(home), "WORKBENCH_SEED_ON_START": "false",
                        "WORKBENCH_GATEWAY_PORT": str(port)}.items():
        monkeypatch.setenv(name, value)
    return AppTest.from_file(str(APP), default_timeout=60)


def as_labeller(app: AppTest, name: str, show_prediction: bool = False) -> AppTest:
    open_page(app, "label")
    assert app.selectbox(key=keys.LABEL_ENDPOINT).value == ENDPOINT
    app.text_input(key=keys.LABEL_LABELLER).input(name)
    app.toggle(key=keys.LABEL_SHOW_PREDICTION).set_value(show_prediction).run()
    assert not app.exception, app.exception
    return app


def shown_id(app: AppTest) -> str:
    """The eventId of the item on screen (its caption says "id …")."""
    found = [m.group(1) for m in map(ID.search, (str(c.value) for c in app.caption)) if m]
    assert found, texts(app.caption)
    return found[0]


def press(app: AppTest, key: str) -> AppTest:
    app.button(key=key).click().run()
    assert not app.exception, app.exception
    return app


def class_buttons(app: AppTest) -> list[str]:
    return [b.label for b in app.button if b.key and b.key.startswith("label.item.class.")]


def raw(shown: str) -> str:
    """The class a button stands for: "negative (-1)" → "-1" (sentiment classes are named), else the label itself."""
    named = re.fullmatch(r".+ \((.+)\)", shown)
    return named.group(1) if named else shown


def metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def test_labelling_three_reviews_stores_ground_truth_least_sure_first_and_shows_agreement(
        label_app: AppTest, label_home: tuple[Path, int, list[str]]) -> None:
    home, _, captured = label_home
    app = as_labeller(label_app, "ana", show_prediction=True)
    classes = class_buttons(app)
    assert classes == ["negative (-1)", "neutral (0)", "positive (1)"]  # the sentiment classes, named
    shortcuts = {b.key: b.proto.shortcut for b in app.button if b.key and b.key.startswith("label.")}
    assert [shortcuts[f"label.item.class.{n}"] for n in range(3)] == ["1", "2", "3"]
    assert (shortcuts["label.item.skip"], shortcuts["label.undo"]) == ("s", "u")  # streamlit keeps keys lower case
    assert "The model said" in texts(app.caption)
    labelled, sureness = [], []
    for _ in range(3):
        labelled.append(shown_id(app))
        sureness.append(float(re.search(r"\((\d+)%\)", texts(app.caption)).group(1)))  # type: ignore[union-attr]
        press(app, "label.item.class.0")
        assert f"Labelled {labelled[-1]} as {classes[0]}." in texts(app.caption)
    assert set(labelled) <= set(captured) and len(set(labelled)) == 3
    assert sureness == sorted(sureness), sureness  # uncertainty order: the model's least sure prediction first
    assert metrics(app)["Your labels"] == "3"
    truth = build_services(settings_for_tests(home=home, seed_on_start=False)).labels.ground_truth(ENDPOINT)
    assert {event_id: truth[event_id] for event_id in labelled} == dict.fromkeys(labelled, raw(classes[0]))

    app.text_input(key=keys.LABEL_LABELLER).input("bo").run()  # a second labeller sees the same items first
    for event_id in labelled:
        assert shown_id(app) == event_id
        press(app, "label.item.class.0")
    agreement = frame_with(app, "kappa")
    pair = agreement[(agreement["labeller A"].isin(["ana", "bo"])) & (agreement["labeller B"].isin(["ana", "bo"]))]
    assert pair["items"].tolist() == [3] and pair["agreement %"].tolist() == [100.0]
    assert app.text_input(key=keys.LABEL_LABELLER).value == "bo"


def test_skip_and_undo_bring_items_back_to_the_front(label_app: AppTest) -> None:
    app = as_labeller(label_app, "cy")
    assert "The model said" not in texts(app.caption)  # the prediction is hidden unless the setting shows it
    first = shown_id(app)
    press(app, "label.item.skip")
    assert f"Skipped {first}." in texts(app.caption)
    second = shown_id(app)
    assert second != first
    label = class_buttons(app)[-1]
    press(app, f"label.item.class.{len(class_buttons(app)) - 1}")
    assert shown_id(app) not in (first, second)
    press(app, "label.undo")
    assert f"Took back {second} = {raw(label)}" in texts(app.caption)
    assert shown_id(app) == second
    assert metrics(app)["Your labels"] == "0"
    press(app, "label.undo")  # the skip
    assert shown_id(app) == first


def test_an_import_reports_the_unknown_event_id_and_stores_the_known_ones(label_app: AppTest,
                                                                          label_home: tuple[Path, int, list[str]]) -> None:
    home, _, captured = label_home
    app = as_labeller(label_app, "dee")
    label = raw(class_buttons(app)[0])
    lines = ground_truth_lines({captured[-1]: label, captured[-2]: label, "no-such-event": label})
    app.file_uploader(key=keys.LABEL_IMPORT_FILE).upload("truth.jsonl", lines, "application/jsonlines").run()
    press(app, "label.import.run")
    assert "Imported 2, unknown event ids 1" in texts(app.warning)
    assert frame_with(app, "unknown event id")["unknown event id"].tolist() == ["no-such-event"]
    truth = build_services(settings_for_tests(home=home, seed_on_start=False)).labels.ground_truth(ENDPOINT)
    assert {captured[-1], captured[-2]} <= set(truth) and "no-such-event" not in truth
    assert [b.label for b in app.get("download_button")] == ["Download the ground truth (JSON lines)"]


def test_without_capturing_endpoints_the_page_says_how_to_turn_capture_on(app: AppTest) -> None:
    open_page(app, "label")
    assert "No endpoint captures its requests yet" in texts(app.info)
    press(app, "label.open_endpoints")
    assert [t.value for t in app.title] == ["Endpoints"]


def test_appending_to_a_table_whose_column_types_do_not_fit_is_an_error_that_keeps_the_choice_then_train(
        label_app: AppTest) -> None:
    app = as_labeller(label_app, "eve")
    press(app, "label.item.class.0")
    app.selectbox(key=keys.LABEL_RETRAIN_TABLE).set_value("wine").run()
    app.selectbox(key=keys.LABEL_RETRAIN_TEXT_COLUMN).set_value("alcohol").run()  # a number column gets no review text
    app.selectbox(key=keys.LABEL_RETRAIN_LABEL_COLUMN).set_value("target").run()
    press(app, "label.retrain.run")
    assert "alcohol" in texts(app.error)
    assert [app.selectbox(key=k).value for k in (keys.LABEL_RETRAIN_TABLE, keys.LABEL_RETRAIN_TEXT_COLUMN,
                                                 keys.LABEL_RETRAIN_LABEL_COLUMN)] == ["wine", "alcohol", "target"]
    app.selectbox(key=keys.LABEL_RETRAIN_TABLE).set_value("reviews_sentiment").run()
    app.selectbox(key=keys.LABEL_RETRAIN_TEXT_COLUMN).set_value("review_body").run()
    app.selectbox(key=keys.LABEL_RETRAIN_LABEL_COLUMN).set_value("sentiment").run()
    press(app, "label.retrain.run")
    assert re.search(r"Appended \d+ labelled rows to demo.reviews_sentiment", texts(app.success))
    press(app, "label.retrain.train")
    assert [t.value for t in app.title] == ["Train"]
    assert (app.selectbox(key=keys.TRAIN_DATABASE).value, app.selectbox(key=keys.TRAIN_TABLE).value) == (
        "demo", "reviews_sentiment")


def test_a_tables_rows_are_labelled_with_a_typed_class_which_then_gets_its_button_and_an_empty_one_is_refused(
        app: AppTest, workspace: Path, tmp_path: Path) -> None:
    open_page(app, "label")
    app.radio(key=keys.LABEL_SOURCE_KIND).set_value("Catalog table").run()
    assert [app.selectbox(key=k).value for k in (keys.LABEL_TABLE, keys.LABEL_ID_COLUMN, keys.LABEL_TEXT_COLUMN)] == [
        "reviews_sentiment", "review_id", "review_body"]
    app.text_input(key=keys.LABEL_LABELLER).input("flo").run()
    assert not class_buttons(app) and "No classes yet" in texts(app.caption)
    first = shown_id(app)
    app.button(key="FormSubmitter:label.new_class-Label with it").click().run()  # nothing typed
    assert "is not one of the classes" in texts(app.error) and shown_id(app) == first
    app.text_input(key="label.new_class.text").input("fits small")
    app.button(key="FormSubmitter:label.new_class-Label with it").click().run()
    assert not app.exception, app.exception
    assert f"Labelled {first} as fits small." in texts(app.caption)
    assert class_buttons(app) == ["fits small"] and shown_id(app) != first
    assert app.text_input(key=keys.LABEL_LABELLER).value == "flo"

    empty = tmp_path / "no_rows.csv"  # a table without rows says so (not "nothing left for you to label")
    empty.write_text("review_id,review_body\n")
    services = build_services(settings_for_tests(home=workspace, seed_on_start=False))
    services.catalog.import_path(empty, "demo", "no_rows")
    close_services(services)
    app.run()  # the table list now offers it
    app.selectbox(key=keys.LABEL_TABLE).set_value("no_rows").run()
    assert not app.exception and "demo.no_rows has no rows to label" in texts(app.info), texts(app.info)
