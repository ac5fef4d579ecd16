"""The session export's pure parts: the document (escaping, no external reference, every section present with
"Nothing yet" or its data, caps said), the capture parsing and the SVG charts."""

from __future__ import annotations

import json
from datetime import date

from services.bias.models import BiasReport, FacetEntry, MetricValue, StageReport
from services.endpoints.models import CapturedInvocation
from services.export.capture import scored_reviews
from services.export.data import BiasEntry, Leaderboard, Listing, ScoredReview, SessionData
from services.export.models import export_file_name
from services.export.render import SECTIONS, render_html, section_summaries
from services.export.svg import bar_chart
from services.models import Candidate, HistoryEntry, Job, RunSummary
from tests.helpers.export import external_references

HOSTILE = "<script>alert('x')</script>"


def empty_session() -> SessionData:
    return SessionData("2026-12-05T18:00:00+00:00", "Local", Listing(), Listing(), Listing(), Listing(), Listing(), Listing())


def full_session() -> SessionData:
    metrics = (MetricValue("CI", "Class Imbalance (CI)", 0.42),
               MetricValue("DPL", "Difference in positive proportions in labels (DPL)", -0.05, ci_low=-0.1, ci_high=0.01))
    counts = {"n_d": 10, "n_a": 90, "rate_d": 0.3, "rate_a": 0.25}
    bias = BiasReport(pre=StageReport("sentiment", "1", "product_category", (FacetEntry(HOSTILE, metrics, counts),)), rows=100)
    return SessionData(
        "2026-12-05T18:00:00+00:00", "Local",
        queries=Listing((HistoryEntry("q1", f"SELECT '{HOSTILE}' AS x", "demo", "SUCCEEDED", "2026-12-05T17:00:00",
                                      elapsed_ms=120.0, rows=1),), more=True),
        bias=Listing((BiasEntry("bias-1", "2026-12-05T17:01:00", bias),)),
        leaderboards=Listing((Leaderboard("automl-1", "Completed", "2026-12-05T17:02:00", (
            Candidate("cand-b", "xgboost", "Accuracy", 0.91, 3.0), Candidate("cand-a", "linear-learner", "Accuracy", 0.85, 2.0))),)),
        training=Listing((Job("train-1", "training", "Completed", "Completed", "2026-12-05T17:03:00",
                              config={"algorithm": "text-tfidf"}, model_id="m/1", metrics={"validation:accuracy": 0.8}),)),
        runs=Listing((RunSummary("r1", "reviews", "run-one", "FINISHED", "2026-12-05T17:04:00", {"eta": "0.3"},
                                 {"accuracy": 0.8}, {}),)),
        reviews=Listing((ScoredReview("reviews-demo", "2026-12-05T17:05:00.000Z", "AllTraffic", f"Great {HOSTILE}", "1", 0.7,
                                      {"-1": 0.1, "0": 0.2, "1": 0.7}, ("Great", " ", HOSTILE),
                                      {"1": (0.5, 0.0, -0.2), "-1": (-0.5, 0.0, 0.2)}),)),
    )


def test_an_empty_session_has_every_section_saying_nothing_yet() -> None:
    document = render_html(empty_session())
    for key, title in SECTIONS:
        section = document[document.index(f"<section id='{key}'><h2>{title}</h2>"):]
        assert section[:section.index("</section>")].count("<p class='empty'>Nothing yet") == 1
    assert [s.count for s in section_summaries(empty_session())] == [0] * len(SECTIONS)


def test_user_strings_are_escaped_everywhere() -> None:
    document = render_html(full_session())
    assert "<script" not in document
    assert document.count("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;") >= 4  # SQL, facet value, review text, token


def test_the_document_references_nothing_outside_itself() -> None:
    document = render_html(full_session())
    assert external_references(document) == []
    assert "<svg" in document and "<style>" in document


def test_the_reference_finder_sees_what_a_browser_would_fetch() -> None:
    fetched = ("<script src='https://cdn.example/x.js'></script><img src='//example.org/a.png'>"
               "<a href='http://example.org'>x</a><style>@import 'x.css'; body{background:url(a.png)}</style>"
               "<div style=\"background:url('b.png')\"></div><a href='#runs'>in page</a>")
    found = "\n".join(external_references(fetched))
    for fetch in ("<script>", "<img>", "https://cdn.example/x.js", "//example.org/a.png", "http://example.org",
                  "@import 'x.css'", "url(a.png)", "url('b.png')"):
        assert fetch in found
    assert "#runs" not in found


def test_each_section_shows_its_data_and_a_cap_is_said() -> None:
    document = render_html(full_session())
    assert "SUCCEEDED" in document and "Showing the newest 1; older ones were left out" in document
    assert "bias-1" in document and "Class Imbalance (CI)" in document and "0.4200" in document
    assert "includes 0" in document and "Flagged: CI" in document  # the bias package's verdict (DPL's interval -0.1 … 0.01)
    assert "cand-b" in document and "0.9100" in document
    assert "train-1" in document and "validation:accuracy 0.8000" in document
    assert "run-one" in document and "param: eta" in document
    assert "positive (1)" in document and "rgba(22, 163, 74,0.85)" in document  # the strongest word, shaded green
    summary = {s.key: (s.count, s.more) for s in section_summaries(full_session())}
    assert summary == {"queries": (1, True), "bias": (1, False), "leaderboards": (1, False), "training": (1, False),
                       "runs": (1, False), "reviews": (1, False)}


def test_a_section_that_could_not_be_read_says_why() -> None:
    session = empty_session()
    broken = SessionData(session.created_at, "AWS", session.queries, session.bias, session.leaderboards, session.training,
                         Listing(error="The MLflow tracking server cannot be read"), session.reviews)
    document = render_html(broken)
    assert "Could not be read: The MLflow tracking server cannot be read" in document
    assert section_summaries(broken)[4].error


def test_a_captured_review_with_its_explanation_becomes_a_scored_review() -> None:
    answer = {"predictions": [{"predicted_label": "-1", "probability": 0.8, "probabilities": {"-1": 0.8, "0": 0.1, "1": 0.1},
                               "explanation": {"tokens": ["Awful", " fit"], "scores": {"-1": [0.6, 0.1], "0": [0, 0],
                                                                                      "1": [-0.6, -0.1]}}}]}
    invocation = CapturedInvocation("e1", "2026-12-05T17:00:00.000Z", "AllTraffic", "application/json",
                                    json.dumps({"instances": [{"review_body": "Awful fit"}]}), "application/json",
                                    json.dumps(answer))
    [review] = scored_reviews("reviews", invocation)
    assert (review.text, review.predicted_label, review.probability, review.is_review) == ("Awful fit", "-1", 0.8, True)
    assert review.tokens == ("Awful", " fit") and review.token_scores["-1"] == (0.6, 0.1)


def test_csv_and_tabular_captures_and_unreadable_ones() -> None:
    csv_call = CapturedInvocation("e2", "t", "a", "text/csv", "13.2,2.1\n12.0,1.5", "text/csv", "1,0.9\n0,0.6")
    assert [(r.text, r.predicted_label, r.probability, r.is_review) for r in scored_reviews("wine", csv_call)] == [
        ('["13.2", "2.1"]', "1", 0.9, False), ('["12.0", "1.5"]', "0", 0.6, False)]
    record = CapturedInvocation("e3", "t", "a", "application/json", json.dumps({"instances": [{"age": 3, "city": "Oslo"}]}),
                                "application/json", json.dumps({"predictions": [{"predicted_label": "yes"}]}))
    assert scored_reviews("tabular", record)[0].text == '{"age": 3, "city": "Oslo"}'
    broken = CapturedInvocation("e4", "t", "a", "application/json", "{not json", "application/json", "")
    assert scored_reviews("x", broken) == []


def test_bar_charts_draw_negative_values_left_of_zero_and_escape_labels() -> None:
    chart = bar_chart(["<b>", "up"], [-0.5, 0.5], title="t & u")
    assert "&lt;b&gt;" in chart and "t &amp; u" in chart and chart.count("<rect") == 2
    assert "#dc2626" in chart  # the negative bar
    assert bar_chart(["none"], [None], title="x").count("<rect") == 0


def test_the_file_is_named_after_the_day() -> None:
    assert export_file_name(date(2026, 12, 5)) == "workbench-session-2026-12-05.html"


def test_a_review_models_record_shows_its_longest_text_as_the_review() -> None:
    record = {"review_body": "Runs small, order a size up.", "division_name": "General"}
    call = CapturedInvocation("e5", "t", "a", "application/json", json.dumps({"instances": [record]}), "application/json",
                              json.dumps({"predictions": [{"predicted_label": "0"}]}))
    assert (scored_reviews("r", call, text_model=True)[0].text, scored_reviews("r", call)[0].is_review) == (
        "Runs small, order a size up.", False)


def test_bias_metric_bars_are_coloured_by_their_flag() -> None:
    document = render_html(full_session())
    chart = document[document.index("metric values (coloured"):]
    assert "fill='#dc2626'><title>CI: 0.4200" in chart and "fill='#16a34a'><title>DPL: -0.0500" in chart
