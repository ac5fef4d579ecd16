"""The Tour: the practical data-science loop in seven steps on the demo reviews — query → bias → train → compare →
explain → deploy → score — each one real action through a port (the page calls it with the requests and values
below), with the equivalent code on AWS. Pure: what the steps send, which model and endpoint they use, and how a
result reads; no port is called here.

A step remembers what it made (a query id, a job name, a model id, an endpoint name) in ``TourMemory``, which
the page keeps in the session; a later step uses an earlier one's result (deploy serves the model the train step
made). When a step before was not run in this session, the tour reuses what the workspace already holds: the
newest review-sentiment model (the full demo's ``demo-review-sentiment`` included) and the demo's endpoint
``reviews-demo``. Each step still does its own real action (a query, a report, a job, a ranking, a SHAP run, a
deploy or an update, a request).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

import services.codegen.models as codegen
from services.bias.models import BiasReport, BiasRequest
from services.endpoints.models import DeployRequest, Endpoint, Variant
from services.errors import NotFound
from services.explain.base import ExplainRequest, TokenAttribution
from services.models import DataSource, ModelRecord, RunSummary, TrainingRequest
from services.runs.models import filter_runs, leaderboard, metric_names
from services.training.models import SUGGESTED_HYPERPARAMETERS

TABLE = "demo.reviews_sentiment"
DATABASE = "demo"
TEXT_COLUMN = "review_body"
TARGET = "sentiment"
EXPERIMENT = "tour"
ENDPOINT = "tour-reviews"
DEMO_ENDPOINT = "reviews-demo"  # the full demo's endpoint (services/demo/full.py), reused when the tour deployed none
SQL = (f"SELECT product_category, {TARGET}, count(*) AS reviews\nFROM {TABLE}\n"
       f"GROUP BY product_category, {TARGET}\nORDER BY product_category, {TARGET}")
REVIEW = "I love the colour and the fabric is soft, but it runs small and the zipper broke after one wash."
EXPLAIN_EVALS = 200  # SHAP Partition evaluations for one review: enough for a stable picture, about a second
BIAS_REQUEST = BiasRequest(source=DataSource(table=TABLE), label=TARGET, label_values=("1",), facet="product_category",
                           bootstrap=50)
TRAINING_REQUEST = TrainingRequest(algorithm="text-tfidf", source=DataSource(table=TABLE), target=TARGET,
                                   text_column=TEXT_COLUMN, hyperparameters=SUGGESTED_HYPERPARAMETERS["text-tfidf"],
                                   experiment=EXPERIMENT)
RANK_METRIC = "accuracy"


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    explanation: str  # two lines: what the step does, and why it matters in the loop
    button: str


STEPS = (
    Step("query", "1 · Query the reviews",
         f"Athena SQL over the catalog: how many reviews of each sentiment each product category has in `{TABLE}`.\n"
         "Knowing the class balance per group comes before any model.", "Run the query"),
    Step("bias", "2 · Check the data for bias",
         "Clarify's pre-training metrics by `product_category`: is positive sentiment spread evenly across groups?\n"
         "CI measures how under-represented a group is, DPL how much less often its reviews are positive.",
         "Build the bias report"),
    Step("train", "3 · Train a sentiment model",
         f"A built-in text classifier (TF-IDF word n-grams, BlazingText-style) on `{TEXT_COLUMN}` → `{TARGET}`.\n"
         "It runs as a training job: metrics land in the experiment and the model in the registry.",
         "Start training"),
    Step("compare", "4 · Compare the runs",
         f"Every run trained on `{TABLE}`, ranked on one metric (experiments, as SageMaker's managed MLflow keeps them).\n"
         "The best run is the one to deploy; ties go to the run that finished first.", "Rank the runs"),
    Step("explain", "5 · Explain a prediction",
         "SHAP (Partition explainer, text masker) splits one review into words and measures each word's push.\n"
         "It shows what the model learnt, before anyone relies on it.", "Explain the review"),
    Step("deploy", "6 · Deploy an endpoint",
         f"A real-time endpoint `{ENDPOINT}` serves the model over HTTP with SageMaker's inference contract.\n"
         "Data capture records every request for monitoring.", "Deploy"),
    Step("score", "7 · Score a review live",
         "One request to the endpoint: the predicted sentiment and each class's probability.\n"
         "This is what an application calls in production.", "Score the review"),
)
STEP_KEYS = tuple(step.key for step in STEPS)


@dataclass(frozen=True)
class TourMemory:
    """What earlier steps made, for the later ones (ids and names only)."""

    query_id: str = ""
    job: str = ""  # the training job the train step started
    model_id: str = ""  # the model it produced (or the one the tour reused)
    run_id: str = ""
    endpoint: str = ""  # the endpoint the deploy step brought up

    def remember(self, **fields: str) -> TourMemory:
        return replace(self, **fields)


# -- what the steps use and show -------------------------------------------------------------------------------


def bias_table(report: BiasReport) -> pd.DataFrame:
    """The report compactly: one row per category with its share (CI) and its gap in positive reviews (DPL)."""
    rows = []
    for entry in report.pre.entries:
        values = {m.name: m.value for m in entry.metrics}
        rows.append({"product_category": entry.value_or_threshold, "CI": values.get("CI"), "DPL": values.get("DPL")})
    return pd.DataFrame(rows, columns=["product_category", "CI", "DPL"])


def bias_headline(report: BiasReport) -> str:
    """The largest gap in positive reviews, in words."""
    rows = [row for row in bias_table(report).to_dict("records") if row["DPL"] is not None and row["DPL"] == row["DPL"]]
    if not rows:
        return "No category could be compared (see the Bias page for the full report)."
    worst = max(rows, key=lambda row: abs(row["DPL"]))
    direction = "less" if worst["DPL"] > 0 else "more"
    return (f"{worst['product_category']} gets positive reviews {abs(worst['DPL']):.1%} {direction} often than the "
            f"other categories (DPL {worst['DPL']:+.3f}); {len(rows)} categories compared on {report.rows:,} reviews.")


def ranking(runs: list[RunSummary]) -> pd.DataFrame:
    """Step 4: the runs on the reviews table, ranked on accuracy (or the most common metric when none has it)."""
    found = filter_runs(runs, TABLE)
    metrics = metric_names(found)
    if not metrics:
        raise NotFound(f"No finished run on {TABLE} has metrics yet.",
                       hint="Run step 3 (Train) and wait for the job to complete.")
    metric = RANK_METRIC if RANK_METRIC in metrics else metrics[0]
    return leaderboard(found, metric, higher_is_better=True)


def review_model(models: list[ModelRecord], memory: TourMemory) -> str:
    """The model the later steps use: the train step's, else the newest review-sentiment model in the registry
    (the full demo's ``demo-review-sentiment`` included)."""
    if memory.model_id:
        return memory.model_id
    found = [m for m in models if m.framework.startswith("text-") and m.target == TARGET]
    if not found:
        raise NotFound("There is no review-sentiment model yet.", hint="Run step 3 (Train) first.")
    return max(found, key=lambda m: (m.created_at, m.version)).model_id


def top_words(attribution: TokenAttribution, count: int = 6) -> pd.DataFrame:
    """The words that pushed hardest towards the predicted class, strongest first, with their contribution."""
    scores = attribution.scores.get(attribution.predicted_label, ())
    pairs = [(token.strip(), score) for token, score in zip(attribution.tokens, scores, strict=False) if token.strip()]
    pairs.sort(key=lambda pair: abs(pair[1]), reverse=True)
    return pd.DataFrame(pairs[:count], columns=["word", "contribution"])


def deploy_request(model_id: str) -> DeployRequest:
    return DeployRequest(name=ENDPOINT, variants=variants(model_id))


def variants(model_id: str) -> tuple[Variant, ...]:
    return (Variant("AllTraffic", model_id),)


def deploy_plan(endpoints: list[Endpoint], model_id: str) -> str:
    """Step 6: ``deploy`` a new ``tour-reviews``, ``update`` it to the new model, or ``serving`` when it already
    serves ``model_id`` InService (then the step reads it back)."""
    current = next((e for e in endpoints if e.name == ENDPOINT), None)
    if current is None:
        return "deploy"
    if current.status == "InService" and [v.model_id for v in current.variants] == [model_id]:
        return "serving"
    return "update"


def tour_endpoint(endpoints: list[Endpoint], memory: TourMemory) -> str:
    """The endpoint the score step calls: the deploy step's, else ``tour-reviews`` or the full demo's
    ``reviews-demo`` if in service."""
    if memory.endpoint:
        return memory.endpoint
    for endpoint in endpoints:
        if endpoint.name in (ENDPOINT, DEMO_ENDPOINT) and endpoint.status == "InService":
            return endpoint.name
    raise NotFound("No endpoint serves a review model yet.", hint="Run step 6 (Deploy) first.")


# -- the equivalent code on AWS --------------------------------------------------------------------------------


def step_code(key: str, memory: TourMemory) -> str:
    """The AWS code (awswrangler / SageMaker SDK 3.x) doing what step ``key`` does, with the tour's values."""
    model_id = memory.model_id or "demo-review-sentiment/1"
    source = DataSource(table=TABLE)
    builders = {
        "query": lambda: codegen.query_code(SQL, DATABASE),
        "bias": lambda: codegen.pre_training_bias_code(BIAS_REQUEST),
        "train": lambda: codegen.builtin_training_code(TRAINING_REQUEST),
        "compare": lambda: codegen.compare_runs_code(EXPERIMENT, TABLE, RANK_METRIC),
        "explain": lambda: codegen.explain_code(ExplainRequest(model_id, source), TARGET, TEXT_COLUMN),
        "deploy": lambda: codegen.deploy_code(ENDPOINT, memory.job or "demo-review-sentiment"),
        "score": lambda: codegen.score_code(memory.endpoint or ENDPOINT, REVIEW),
    }
    return builders[key]()
