"""Home's capability cards: one per page of the navigation, grouped by its sections, each with its live count."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from services.overview.models import Count, WorkspaceOverview


@dataclass(frozen=True)
class Card:
    capability: str  # the key of its count in the overview ("" for a card with no count)
    page: str
    title: str
    icon: str
    text: str
    link: str


# The navigation's sections (app.py), in its order; Home itself is left out.
SECTIONS: tuple[tuple[str, tuple[Card, ...]], ...] = (
    ("Data", (
        Card("", "pages/tour.py", "Tour", ":material/tour:",
             "The practical data-science loop in seven steps on the demo data.", "Take the tour"),
        Card("catalog", "pages/catalog.py", "Catalog", ":material/dataset:",
             "Databases, tables, schemas, partitions and versions. Import files or crawl a lake folder.", "Open the catalog"),
        Card("query", "pages/query.py", "Query", ":material/terminal:",
             "Athena SQL with cost estimates, charts, history and saved queries.", "Open the SQL editor"),
        Card("", "pages/quality.py", "Data quality", ":material/fact_check:",
             "Profile a table: missing values, outliers, class balance, target leakage.", "Check a table"),
        Card("features", "pages/features.py", "Features", ":material/table_chart:",
             "Feature groups with an online and an offline store; point-in-time datasets.", "Open the feature store"),
    )),
    ("Analyse", (
        Card("bias", "pages/bias.py", "Bias", ":material/balance:",
             "Clarify's pre- and post-training bias metrics for a facet of your data.", "Check for bias"),
        Card("explain", "pages/explain.py", "Explain", ":material/insights:",
             "SHAP values: which features or words drive a model's predictions.", "Explain a model"),
    )),
    ("Build", (
        Card("train", "pages/train.py", "Train", ":material/model_training:",
             "Autopilot (AutoML), built-in algorithms, your own SageMaker script, tuning.", "Train a model"),
        Card("jobs", "pages/jobs.py", "Jobs & models", ":material/work_history:",
             "Watch jobs live, leaderboards, model insights, the model registry, batch predictions.", "Open jobs"),
        Card("compare", "pages/compare.py", "Compare runs", ":material/compare:",
             "Every run side by side: parameters, metrics, curves, confusion matrices.", "Compare runs"),
    )),
    ("Deploy", (
        Card("endpoints", "pages/endpoints.py", "Endpoints", ":material/dns:",
             "Deploy a model behind an HTTP endpoint with data capture; canary and linear updates.", "Open endpoints"),
        Card("score", "pages/score.py", "Score", ":material/reviews:",
             "Score a review live and see the words that decided it, or a whole table in batch.", "Score a review"),
    )),
    ("Automate", (
        Card("pipelines", "pages/pipelines.py", "Pipelines", ":material/conversion_path:",
             "SageMaker pipeline definitions run step by step, with caching, conditions and retries.", "Open pipelines"),
        Card("", "pages/lineage.py", "Lineage", ":material/account_tree:",
             "Where a model came from: its data, jobs, approvals and endpoints.", "Follow the lineage"),
    )),
    ("Operate", (
        Card("label", "pages/label.py", "Label", ":material/label:",
             "Label captured requests, least sure first; labels become Model Monitor ground truth.", "Start labelling"),
        Card("monitoring", "pages/monitoring.py", "Monitoring", ":material/monitor_heart:",
             "Model Monitor schedules: data quality, model quality, bias and attribution drift.", "Open monitoring"),
        Card("model_dashboard", "pages/model_dashboard.py", "Model dashboard", ":material/dashboard:",
             "Every model group: latest version, approval, metrics, endpoints, drift.", "Open the dashboard"),
    )),
    ("Share", (
        Card("", "pages/export.py", "Export", ":material/download:",
             "The session as one HTML file: queries, bias report, leaderboard, scored reviews.", "Export the session"),
    )),
)
PER_ROW = 3


def render_capability_cards(overview: WorkspaceOverview) -> None:
    """Every section of the navigation with a card per page: what it is for, its live count and a link."""
    for section, cards in SECTIONS:
        st.subheader(section, divider="gray")
        for start in range(0, len(cards), PER_ROW):
            row = cards[start:start + PER_ROW]
            for column, card in zip(st.columns(PER_ROW), row):
                with column, st.container(border=True):
                    _render_card(card, overview.count(card.capability))


def _render_card(card: Card, count: Count | None) -> None:
    st.markdown(f"#### {card.icon} {card.title}")
    st.caption(card.text)
    if count is not None:
        st.metric(count.label.capitalize(), count.shown, help=count.error or None)
        if count.error:
            st.caption(f":red[{count.error}]")
        elif count.detail:
            st.caption(count.detail)
    st.page_link(card.page, label=card.link, icon=":material/arrow_forward:")
