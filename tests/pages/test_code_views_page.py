"""'Show the code' on the Query and Train pages: the expander holds the AWS code of the values the form sent."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from components import keys
from tests.helpers.pages import open_page, texts


def codes(app: AppTest) -> str:
    return "\n".join(str(code.value) for code in app.code)


def test_the_query_page_shows_the_athena_code_of_the_sql_it_ran(app: AppTest) -> None:
    open_page(app, "query")
    app.text_area(key=keys.QUERY_SQL).input("SELECT 'it''s' AS quoted, 42 AS answer")
    app.button(key="FormSubmitter:query.editor-Run").click().run()
    assert not app.exception, app.exception
    assert "Show the code" in [expander.label for expander in app.expander]
    assert "sql = \"SELECT 'it''s' AS quoted, 42 AS answer\"" in codes(app)
    assert "wr.athena.read_sql_query(sql, database='demo', ctas_approach=False)" in codes(app)


def test_each_train_form_shows_the_sagemaker_code_of_its_values(app: AppTest, tmp_path: Path) -> None:
    open_page(app, "train")
    app.selectbox(key="train.builtin.algorithm").set_value("linear-learner").run()  # outside the form: applies at once
    shown = codes(app)
    assert "training_image=retrieve('linear-learner', region)" in shown and "'learning_rate': '0.01'" in shown
    assert "target_attribute_name='sentiment'" in shown  # Autopilot's form, on its default target
    assert "HyperparameterTuner(" in shown and "objective_metric_name='validation:f1_macro'" in shown

    project = tmp_path / "project"
    project.mkdir()
    app.text_input(key="train.script.entry").input("fit.py")
    app.text_input(key="train.script.source").input(str(project))
    app.text_area(key="train.script.hps").input("epochs=3")
    app.button(key="FormSubmitter:train.script-Start script job").click().run()
    assert not app.exception, app.exception
    assert "fit.py is not in" in texts(app.error)  # nothing started, and the code shows what the form sent
    shown = codes(app)
    assert f"SourceCode(source_dir={str(project)!r}, entry_script='fit.py')" in shown and "{'epochs': '3'}" in shown
