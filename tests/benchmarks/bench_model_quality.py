"""Model-quality report benchmark (issue 13). Run: ``.venv/bin/python tests/benchmarks/bench_model_quality.py [--records 100000]``.

In a scratch workspace a text-tfidf review model is trained (through the training port, as a job) on 3,000
generated, seeded reviews; an endpoint record names it, and ``--records`` captured requests are written in
SageMaker's data-capture format with the capture writer's own record and path functions
(``services/endpoints/capture.py``: one JSON line per invocation, one file per hour, one record a second, so
100,000 records span 28 hours), each answered with the model's real prediction for that review. Every record has
a ground-truth label (the review's generated sentiment). The labels port reads at most 50,000 captured requests for
its queue, so the ground truth is handed to the gatherer directly, as ``labels.ground_truth`` would return it.

Measured: the report as the local adapter makes it — reading the capture (``gather``), the engine (metrics with
Model Monitor's standard deviations: five seeded draws of 80 % of the rows; confusion matrix, per-hour trend) and
keeping the three files. Then, in the same run, the baseline: plain scikit-learn's accuracy, weighted and macro
precision/recall/F1, per-class scores and confusion matrix on the already joined frame (no reading, no standard
deviations); both sets of values are checked equal.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.config import Settings  # noqa: E402
from services.embedded.metadata import utc_now  # noqa: E402
from services.models import DataSource, TrainingRequest  # noqa: E402
from services.monitoring import model_quality, reports  # noqa: E402
from services.monitoring.gather import gather  # noqa: E402
from services.monitoring.models import MonitorConfig  # noqa: E402
from services.registry import build_services  # noqa: E402
from services.training.algorithms.base import load_in_app_process  # noqa: E402
from tests.helpers.monitoring import json_answer, review_request, write_capture, write_endpoint_record  # noqa: E402
from tests.helpers.workspace import close_services  # noqa: E402

ENDPOINT = "bench-reviews"
GOOD = ["lovely", "soft", "flattering", "perfect", "comfortable", "great", "love"]
BAD = ["ripped", "cheap", "returned", "itchy", "disappointed", "thin", "awful"]
PLAIN = ["dress", "fabric", "size", "colour", "fit", "sleeves", "order", "wash", "length", "it", "the", "was"]


def reviews(rng: np.random.Generator, count: int) -> pd.DataFrame:
    """Reviews of 8-14 words whose sentiment (-1, 0, 1) shows in their words, with some noise."""
    sentiment = rng.choice([-1, 0, 1], count, p=[0.25, 0.15, 0.6])
    texts = []
    for label in sentiment:
        words = list(rng.choice(PLAIN, rng.integers(6, 11)))
        tone = GOOD if label == 1 else BAD if label == -1 else GOOD[:2] + BAD[:2]
        words += list(rng.choice(tone, 2)) + list(rng.choice(GOOD + BAD, 1))
        texts.append(" ".join(rng.permutation(words)))
    return pd.DataFrame({"review_body": texts, "sentiment": sentiment})


def train(services: object, folder: Path) -> str:
    frame = reviews(np.random.default_rng(1), 3000)
    frame.to_csv(folder / "train.csv", index=False)
    name = services.training.start_training_job(TrainingRequest(  # type: ignore[attr-defined]
        algorithm="text-tfidf", source=DataSource(path=str(folder / "train.csv")), target="sentiment",
        text_column="review_body", name="bench-reviews"))
    job = services.jobs.wait_for_job(name, 600)  # type: ignore[attr-defined]
    if job.status != "Completed":
        raise SystemExit(f"training failed: {services.jobs.job_logs(name)}")  # type: ignore[attr-defined]
    return str(job.model_id)


def write_traffic(services: object, model_id: str, records: int) -> dict[str, str]:
    """``records`` captured requests (2,000 distinct reviews, drawn at random) and their ground truth."""
    record = services.training.get_model(model_id)  # type: ignore[attr-defined]
    distinct = reviews(np.random.default_rng(2), 2000)
    scored = load_in_app_process(record).predict_frame(distinct[["review_body"]])
    answers = [(review_request(text), json_answer(scored.iloc[[i]])) for i, text in enumerate(distinct["review_body"])]
    picks = np.random.default_rng(3).integers(0, len(distinct), records)
    capture = write_endpoint_record(services.settings.home, ENDPOINT, record)  # type: ignore[attr-defined]
    ids = write_capture(capture, [answers[i] for i in picks], datetime(2026, 3, 1, tzinfo=UTC), 1.0)
    truth = distinct["sentiment"].astype(str).to_numpy()
    return {event_id: str(truth[i]) for event_id, i in zip(ids, picks)}


def report_seconds(services: object, ground_truth: dict[str, str]) -> tuple[float, float, object, object]:
    """(seconds reading the capture, seconds for the engine and keeping the files, the report, the inputs)."""
    stack = services.stack  # type: ignore[attr-defined]
    started = time.perf_counter()
    gathered = gather(stack, ENDPOINT, MonitorConfig(), lambda _: ground_truth, utc_now())
    read = time.perf_counter()
    report = reports.save_report(Path(stack.settings.home), stack.store, model_quality.run(gathered.inputs))
    return read - started, time.perf_counter() - read, report, gathered.inputs


def sklearn_seconds(inputs: object, classes: list[str]) -> tuple[float, dict[str, float], list[list[int]]]:
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    joined, _ = model_quality.join_ground_truth(inputs.captured, inputs.ground_truth,  # type: ignore[attr-defined]
                                                "MulticlassClassification")
    started = time.perf_counter()
    y, p = joined["label"].to_numpy(), joined["prediction"].to_numpy()
    values = {"accuracy": accuracy_score(y, p)}
    for average in ("weighted", "macro"):
        precision, recall, f1, _ = precision_recall_fscore_support(y, p, labels=classes, average=average, zero_division=0)
        values.update({f"{average}_precision": precision, f"{average}_recall": recall, f"{average}_f1": f1})
    precision_recall_fscore_support(y, p, labels=classes, zero_division=0)  # per class, as the report has them
    matrix = confusion_matrix(y, p, labels=classes).tolist()
    values["macro_f1_check"] = f1_score(y, p, labels=classes, average="macro", zero_division=0)
    return time.perf_counter() - started, values, matrix


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-model-quality-"))
    services = build_services(Settings(home=home / "workspace", seed_on_start=False, import_roots=(home,)))
    try:
        model_id = train(services, home)
        ground_truth = write_traffic(services, model_id, args.records)
        read, engine, report, inputs = report_seconds(services, ground_truth)
        block = report.statistics["multiclass_classification_metrics"]  # type: ignore[attr-defined]
        classes = list(block["confusion_matrix"])
        baseline, values, matrix = sklearn_seconds(inputs, classes)
        for name in ("accuracy", "weighted_precision", "weighted_recall", "weighted_f1", "macro_precision", "macro_recall",
                     "macro_f1"):
            assert abs(block[name]["value"] - values[name]) < 1e-12, (name, block[name]["value"], values[name])
        assert [[block["confusion_matrix"][a][b] for b in classes] for a in classes] == matrix
        print(f"model-quality report over {report.item_count:,} labelled captured records "  # type: ignore[attr-defined]
              f"({len(report.trend)} hours): {read + engine:.2f} s "  # type: ignore[attr-defined]
              f"(reading the capture {read:.2f} s, metrics, standard deviations from 5 draws of 80 % + trend + files {engine:.2f} s); "
              f"accuracy {block['accuracy']['value']:.3f} ± {block['accuracy']['standard_deviation']:.4f}")
        print(f"baseline, same run: scikit-learn's metrics on the joined frame (no reading, no standard deviations): {baseline:.2f} s; "
              "values equal")
    finally:
        close_services(services)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
