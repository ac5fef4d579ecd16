"""The generated AWS code compiles, carries the form's values as literals, and names only APIs the installed
SDKs have (classes, their methods and keyword arguments), so a renamed API fails here."""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Callable
from typing import Any

import pytest

import services.codegen.models as codegen
from services.bias.models import BiasRequest
from services.explain.base import ExplainRequest
from services.models import AutopilotRequest, Column, DataSource, ModelRecord, ScriptJobRequest, TrainingRequest, TuningRequest

REVIEWS = DataSource(table="demo.reviews_sentiment")
HOSTILE = "x'); import os; os.system(\"rm -rf /\") #\n\"\"\"'''"


def _imported_names(tree: ast.Module) -> dict[str, Any]:
    """Every ``from m import n`` / ``import m as a`` of the snippet, resolved in the installed packages."""
    names: dict[str, Any] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            module = importlib.import_module(node.module)
            for alias in node.names:
                assert hasattr(module, alias.name), f"{node.module} has no {alias.name}"
                names[alias.asname or alias.name] = getattr(module, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name] = importlib.import_module(alias.name)
    return names


def _assigned_classes(tree: ast.Module, names: dict[str, Any]) -> dict[str, Any]:
    """``trainer = ModelTrainer(...)`` → {"trainer": ModelTrainer}, so ``trainer.train`` can be checked."""
    variables: dict[str, Any] = {}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name)
                and node.value.func.id in names and inspect.isclass(names[node.value.func.id])):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    variables[target.id] = names[node.value.func.id]
    return variables


def _resolve(func: ast.expr, known: dict[str, Any]) -> Any:
    """The object a call's function names (``wr.athena.read_sql_query``, ``trainer.train``), or None if local."""
    if isinstance(func, ast.Name):
        return known.get(func.id)
    if isinstance(func, ast.Attribute):
        owner = _resolve(func.value, known)
        if owner is None:
            return None
        assert hasattr(owner, func.attr), f"{owner!r} has no attribute {func.attr}"
        return getattr(owner, func.attr)
    return None


def _check_keywords(target: Any, call: ast.Call) -> None:
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return
    parameters = signature.parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return
    accepted = {p.name for p in parameters}
    for keyword in call.keywords:
        assert keyword.arg is None or keyword.arg in accepted, f"{target!r} takes no keyword {keyword.arg}"


def check_code(code: str) -> ast.Module:
    """Compile ``code`` and check every SDK name, method and keyword it uses exists."""
    compile(code, "<code>", "exec")
    tree = ast.parse(code)
    names = _imported_names(tree)
    known = {**names, **_assigned_classes(tree, names)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            target = _resolve(node.func, known)
            if target is not None and callable(target):
                _check_keywords(target, node)
    return tree


def literals(tree: ast.Module) -> list[Any]:
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)]


@pytest.fixture(scope="module", autouse=True)
def region() -> Any:
    """sagemaker.serve and sagemaker.mlops need a region to import; nothing here calls AWS."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        yield


WINE = ModelRecord("wine/2", "wine", 2, "xgboost", "MulticlassClassification", "target",
                   (Column("alcohol", "double"),), ("0", "1", "2"), {}, "run", "job-wine", "/models/wine")
REVIEW_MODEL = ModelRecord("reviews/3", "reviews", 3, "text-tfidf", "MulticlassClassification", "sentiment",
                           (Column("review_body", "string"),), ("-1", "0", "1"), {}, "run", "job-reviews", "/m")
BIAS = BiasRequest(source=REVIEWS, label="sentiment", label_values=("1",), facet="product_category",
                   facet_values=("Dresses",))
CASES: dict[str, tuple[Callable[[], str], tuple[Any, ...]]] = {
    "query": (lambda: codegen.query_code("SELECT * FROM demo.wine LIMIT 7", "demo"),
              ("SELECT * FROM demo.wine LIMIT 7", "demo")),
    "import": (lambda: codegen.catalog_import_code("sales.csv", "shop", "sales"), ("sales.csv", "shop", "sales")),
    "crawl": (lambda: codegen.crawl_code("s3://lake/raw/", "raw", "r_"), ("s3://lake/raw/", "raw", "r_")),
    "crawl-local": (lambda: codegen.crawl_code("/home/me/workspace/lake/sales/raw/", "raw"), ("s3://sales/raw/",)),
    "features": (lambda: codegen.feature_ingest_code("reviews-fg", REVIEWS), ("reviews-fg", "SELECT * FROM demo.reviews_sentiment")),
    "pre-bias": (lambda: codegen.pre_training_bias_code(BIAS), ("sentiment", [1], "product_category", ["Dresses"])),
    "post-bias": (lambda: codegen.post_training_bias_code(BiasRequest(**{**BIAS.__dict__, "model_id": "reviews/3"})),
                  ("reviews-3",)),
    "post-bias-column": (lambda: codegen.post_training_bias_code(BiasRequest(**{**BIAS.__dict__, "predicted": "pred"})),
                         ("pred",)),
    "explain": (lambda: codegen.explain_code(ExplainRequest("reviews/3", REVIEWS, rows=40), "sentiment", "review_body"),
                ("reviews-3", "sentiment", ["review_body"], 40)),
    "explain-model": (lambda: codegen.explain_model_code(ExplainRequest("wine/2", DataSource(table="demo.wine")), WINE),
                      ("wine-2", "target", "SELECT * FROM demo.wine")),
    "explain-text-model": (lambda: codegen.explain_model_code(ExplainRequest("reviews/3", REVIEWS), REVIEW_MODEL),
                           (["review_body"], "sentiment")),
    "train-xgboost": (lambda: codegen.builtin_training_code(TrainingRequest(
        "xgboost", DataSource(table="demo.wine"), "target", {"max_depth": "5"}, name="wine-xgb")),
        ("xgboost", "1.7-1", {"max_depth": "5"}, "wine-xgb", "target")),
    "train-text": (lambda: codegen.builtin_training_code(TrainingRequest(
        "text-tfidf", REVIEWS, "sentiment", {"word_ngrams": "2"}, text_column="review_body")),
        ("blazingtext", {"word_ngrams": "2", "mode": "supervised"}, "review_body")),
    "script": (lambda: codegen.script_training_code(ScriptJobRequest(
        "train.py", "/src/project", {"train": "/data/train.csv"}, {"epochs": "3"}, {"acc": "acc=([0-9.]+)"})),
        ("train.py", "/src/project", "train", {"epochs": "3"})),
    "tuning": (lambda: codegen.tuning_code(TuningRequest(
        TrainingRequest("xgboost", DataSource(table="demo.wine"), "target"),
        {"max_depth": {"type": "integer", "min": 2, "max": 8}, "eta": {"type": "continuous", "min": 0.01, "max": 0.3,
                                                                     "scale": "log"}},
        "validation:f1_macro", max_jobs=6)), ("validation:f1_macro", "max_depth", 8, 0.01, "Logarithmic", 6)),
    "autopilot": (lambda: codegen.autopilot_code(AutopilotRequest(
        DataSource(table="demo.wine"), "target", problem_type="MulticlassClassification", objective="F1macro",
        max_candidates=4, name="wine-auto")), ("wine-auto", "target", "MulticlassClassification", "F1macro", 4)),
    "deploy": (lambda: codegen.deploy_code("reviews-demo", "train-reviews-1", capture_percent=50),
               ("reviews-demo", "train-reviews-1", 50)),
    "score": (lambda: codegen.score_code("reviews-demo", "Lovely dress"), ("reviews-demo",)),
    "bias-dispatch": (lambda: codegen.bias_code(BiasRequest(**{**BIAS.__dict__, "model_id": "reviews/3"})),
                      ("reviews-3", "product_category")),
    "batch": (lambda: codegen.batch_transform_code("reviews/3", REVIEWS, "results.scored"), ("reviews-3", "results", "scored")),
    "monitor": (lambda: codegen.monitoring_schedule_code("reviews-demo", "model-quality", "daily"),
                ("reviews-demo", "reviews-demo-model-quality")),
    "monitor-cron": (lambda: codegen.monitoring_schedule_code("reviews-demo", "bias-drift", "cron(0 0 ? * * *)", "nightly"),
                     ("nightly",)),
    "features-sql": (lambda: codegen.feature_ingest_choice_code("reviews-fg", "sql", "", "SELECT 1 AS id"),
                     ("SELECT 1 AS id", "reviews-fg")),
    "monitor-data": (lambda: codegen.monitoring_schedule_code("reviews-demo", "data-quality"), ("reviews-demo",)),
    "compare": (lambda: codegen.compare_runs_code("tour", "demo.reviews_sentiment", "accuracy"),
                ("tour", "tags.`workbench.input` = 'demo.reviews_sentiment'", "metrics.accuracy DESC")),
    "pipeline": (lambda: codegen.pipeline_code("reviews-pipeline", {"MinAccuracy": "0.7"}),
                 ("reviews-pipeline", {"MinAccuracy": "0.7"})),
}


@pytest.mark.parametrize("case", list(CASES))
def test_code_compiles_names_real_apis_and_carries_the_values(case: str) -> None:
    build, expected = CASES[case]
    code = build()
    found = literals(check_code(code))
    for value in expected:
        rendered = repr(value)
        assert value in found or rendered in code, f"{value!r} is not in the {case} code:\n{code}"


def test_a_score_body_holds_a_review_or_a_record_as_sagemaker_json() -> None:
    for payload in ("Lovely dress", {"age": 31, "division": "General"}):
        tree = check_code(codegen.score_code("reviews-demo", payload))
        bodies = [node for node in ast.walk(tree) if isinstance(node, ast.Dict)]
        assert ast.literal_eval(bodies[0]) == {"instances": [payload]}


def test_user_text_stays_a_literal_whatever_it_holds() -> None:
    """Quotes, newlines and code in what a user typed become one string constant, never code."""
    for code in (codegen.query_code(HOSTILE, HOSTILE), codegen.score_code(HOSTILE, {HOSTILE: HOSTILE}),
                 codegen.score_code(HOSTILE, HOSTILE),
                 codegen.pre_training_bias_code(BiasRequest(sql=HOSTILE, label=HOSTILE, facet=HOSTILE))):
        tree = check_code(code)
        assert HOSTILE in literals(tree)
        assert not any(isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "system"
                       for node in ast.walk(tree))


def test_the_checker_fails_on_a_renamed_api() -> None:
    """The name check is real: a method the SDK does not have is refused."""
    with pytest.raises(AssertionError, match="no attribute"):
        check_code("from sagemaker.train import ModelTrainer\ntrainer = ModelTrainer()\ntrainer.fit()")
    with pytest.raises(AssertionError, match="takes no keyword"):
        check_code("from sagemaker.core.clarify import BiasConfig\nBiasConfig(facet='x')")


def test_a_schedules_cron_expression_becomes_the_sdks_helper() -> None:
    assert "CronExpressionGenerator.daily()" in codegen.monitoring_schedule_code("e", "data-quality", "cron(0 0 ? * * *)")
    assert "schedule_cron_expression='cron(0 12 ? * * *)'" in codegen.monitoring_schedule_code("e", "data-quality",
                                                                                               "cron(0 12 ? * * *)")
