"""The confusion matrices of Monitoring and of Jobs name the classes by the one label map."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from components.monitoring_views import confusion_figure

SENTIMENT_MATRIX = {"-1": {"-1": 5, "0": 1}, "0": {"0": 2, "1": 3}, "1": {"1": 9}}


def test_monitorings_confusion_matrix_names_the_sentiment_classes() -> None:
    statistics = {"multiclass_classification_metrics": {"confusion_matrix": SENTIMENT_MATRIX}}
    figure = confusion_figure(statistics)
    assert figure is not None
    heatmap = figure.data[0]
    assert list(heatmap.x) == ["negative (-1)", "neutral (0)", "positive (1)"]
    assert list(heatmap.y) == list(heatmap.x)
    assert heatmap.z.tolist() == [[5, 1, 0], [0, 2, 3], [0, 0, 9]]


def test_the_jobs_pages_confusion_matrix_names_the_sentiment_classes() -> None:
    def page() -> None:
        from components.job_views import render_insights

        render_insights({"confusion_matrix": {"labels": [-1, 0, 1], "matrix": [[5, 1, 0], [0, 2, 3], [0, 0, 9]]}}, key="t")

    app = AppTest.from_function(page).run()
    assert not app.exception, app.exception
    spec = app.get("plotly_chart")[0].proto.spec
    assert all(name in spec for name in ("negative (-1)", "neutral (0)", "positive (1)"))
