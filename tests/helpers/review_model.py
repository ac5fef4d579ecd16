"""An older review model for journeys that update an endpoint to a newer one: the built-in text-tfidf fitted in the
test's own process on the 120 tiny reviews (well under a second, no training job queued before the app's own jobs),
registered as the next version of a model package group."""

from __future__ import annotations

from pathlib import Path

from services.models import Column, ModelRecord
from services.registry import Services
from services.training.algorithms.common import get_algorithm
from services.training.algorithms.dataset import prepare_dataset
from tests.helpers.data import tiny_reviews
from tests.helpers.recording import RecordingReporter


def register_review_model(services: Services, folder: Path, group: str, approval_status: str = "Approved") -> str:
    """A real text-tfidf model of sentiment from review_body, saved in ``folder`` and registered in the local
    registry as the next version of ``group`` (Approved: the version in production); returns its model id."""
    data = prepare_dataset(tiny_reviews(), "sentiment", text_column="review_body", seed=3)
    fitted = get_algorithm("text-tfidf").fit(data, {}, RecordingReporter())
    fitted.predictor.save(folder)
    draft = ModelRecord(model_id="", name=group, version=0, framework="text-tfidf", problem_type=data.problem_type,
                        target="sentiment", input_schema=(Column("review_body", "string"),), classes=tuple(data.classes),
                        metrics=fitted.metrics, run_id="", job_name="", artifact_path="", approval_status=approval_status)
    return services.stack.models.register(draft, folder).model_id
