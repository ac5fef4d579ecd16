"""The endpoints port's contract: every adapter must pass ``EndpointsContract``.

``TestLocalEndpoints`` runs it on real server processes serving the session's trained review model (one
deploy for the module). ``TestAwsEndpoints`` runs it on the SageMaker adapter: moto holds the control plane
(model packages, models, endpoint configs, endpoints, transform jobs, tags), and the runtime's answers come
from botocore's Stubber (moto's ``InvokeEndpoint`` returns a fixed stub body), in the shape the serving
container documents: the workbench's JSON for a review model.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from botocore.stub import Stubber

from services.endpoints.base import EndpointsPort
from services.endpoints.models import (
    CapturedInvocation,
    DeploymentChoices,
    DeployRequest,
    Endpoint,
    FollowRule,
    InvokeResult,
    MonitoringStatus,
    ScoreResult,
    Variant,
)
from services.errors import AlreadyExists, InvalidInput, NotFound
from services.registry import Services, build_services
from tests.helpers.aws import aws_settings
from tests.helpers.aws_endpoints import ROLE, answer_of, register_model
from tests.helpers.aws_monitoring import put_capture
from tests.helpers.endpoints import TEXT_MODEL, hosting_services, review, stop_everything, trained_template, wait_for
from tests.helpers.moto_gaps import answer_calls
from tests.helpers.workspace import close_services

SERVING = "reviews"
REVIEW = "Love this dress, it fits perfectly and the fabric is so soft."
# What a review model's container answers (the workbench's JSON): label, its probability, every class's.
WORKBENCH_ANSWER = {"predictions": [{"predicted_label": "1", "probability": 0.9,
                                     "probabilities": {"-1": 0.04, "0": 0.06, "1": 0.9}}]}


class EndpointsContract:
    """Tests any endpoints adapter must pass. Subclasses provide ``endpoints`` (the adapter, with the review
    model's endpoint ``reviews`` in service) and ``model_id`` (a registered model), and queue the runtime's
    answer where their backend needs it (``expect_answer``, ``expect_unknown``)."""

    @pytest.fixture
    def endpoints(self) -> EndpointsPort:
        raise NotImplementedError

    @pytest.fixture
    def model_id(self) -> str:
        raise NotImplementedError

    def expect_answer(self, endpoints: EndpointsPort, answer: dict[str, object]) -> None:
        """The next invocation of ``reviews`` answers ``answer`` (a real server answers for itself)."""

    def expect_unknown(self, endpoints: EndpointsPort, name: str) -> None:
        """The next invocation of ``name`` meets no endpoint."""

    def expect_no_monitors(self, endpoints: EndpointsPort) -> None:
        """No endpoint has a drift report or a monitoring execution yet (a fresh local endpoint has none)."""

    def captured(self, endpoints: EndpointsPort, text: str, answer: dict[str, object]) -> None:
        """The last scoring of ``text`` is in the endpoint's data capture (a real server writes it itself)."""


    def test_an_unknown_endpoint_is_not_found_by_every_call(self, endpoints: EndpointsPort) -> None:
        for call in (lambda: endpoints.describe_endpoint("nowhere"), lambda: endpoints.delete_endpoint("nowhere"),
                     lambda: endpoints.endpoint_logs("nowhere"), lambda: endpoints.describe_batch_transform("nowhere")):
            with pytest.raises(NotFound, match="nowhere"):
                call()
        self.expect_unknown(endpoints, "nowhere")
        with pytest.raises(NotFound, match="nowhere"):
            endpoints.invoke("nowhere", review(REVIEW))

    def test_list_shows_every_endpoint_with_its_status_url_and_variants(self, endpoints: EndpointsPort,
                                                                        model_id: str) -> None:
        listed = endpoints.list_endpoints()
        assert all(isinstance(e, Endpoint) for e in listed)
        serving = next(e for e in listed if e.name == SERVING)
        assert serving.status == "InService" and serving.url and serving.failure_reason == ""
        assert [(v.model_id, v.shadow) for v in serving.variants] == [(model_id, False)]
        assert serving.created_at and serving.uptime_seconds is not None
        created = [e.created_at for e in listed]
        assert created == sorted(created, reverse=True)  # newest first

    @pytest.mark.parametrize("name", ["under_score", "-leading", "x" * 64])
    def test_a_bad_name_is_refused_before_anything_exists(self, endpoints: EndpointsPort, model_id: str, name: str) -> None:
        before = [e.name for e in endpoints.list_endpoints()]
        with pytest.raises(InvalidInput):
            endpoints.deploy(DeployRequest(name, (Variant("AllTraffic", model_id),)))
        assert [e.name for e in endpoints.list_endpoints()] == before

    def test_an_unknown_model_or_a_taken_name_is_refused(self, endpoints: EndpointsPort, model_id: str) -> None:
        before = [e.name for e in endpoints.list_endpoints()]
        with pytest.raises(NotFound, match="no-such-model/1"):
            endpoints.deploy(DeployRequest("refused", (Variant("AllTraffic", "no-such-model/1"),)))
        with pytest.raises(AlreadyExists, match=SERVING):
            endpoints.deploy(DeployRequest(SERVING, (Variant("AllTraffic", model_id),)))
        assert [e.name for e in endpoints.list_endpoints()] == before

    def test_invoke_returns_the_containers_answer_as_it_is(self, endpoints: EndpointsPort) -> None:
        self.expect_answer(endpoints, WORKBENCH_ANSWER)
        result = endpoints.invoke(SERVING, review(REVIEW), content_type="application/json", accept="application/json")
        assert isinstance(result, InvokeResult)
        assert result.content_type.startswith("application/json") and result.variant and result.status_code == 200
        prediction = json.loads(result.body)["predictions"][0]
        assert prediction["predicted_label"] in prediction["probabilities"]

    def test_score_text_gives_the_label_its_probability_and_every_class(self, endpoints: EndpointsPort) -> None:
        self.expect_answer(endpoints, WORKBENCH_ANSWER)
        result = endpoints.score_text(SERVING, REVIEW)
        assert isinstance(result, ScoreResult)
        assert result.predicted_label in result.probabilities and result.variant
        assert result.probability == max(result.probabilities.values())
        assert sum(result.probabilities.values()) == pytest.approx(1, abs=1e-4)
        assert result.latency_ms > 0

    def test_recent_capture_gives_the_scored_requests_newest_first(self, endpoints: EndpointsPort) -> None:
        with pytest.raises(NotFound, match="nowhere"):
            endpoints.recent_capture("nowhere")
        self.expect_answer(endpoints, WORKBENCH_ANSWER)
        endpoints.score_text(SERVING, REVIEW)
        self.captured(endpoints, REVIEW, WORKBENCH_ANSWER)
        wait_for(lambda: bool(endpoints.recent_capture(SERVING, 1)), 30)  # a server writes its capture in the background
        [newest] = endpoints.recent_capture(SERVING, 1)
        assert isinstance(newest, CapturedInvocation) and REVIEW in newest.input_data
        assert "predicted_label" in json.loads(newest.output_data)["predictions"][0]
        times = [c.inference_time for c in endpoints.recent_capture(SERVING, 50)]
        assert times == sorted(times, reverse=True) and times[0] == newest.inference_time
        assert endpoints.recent_capture(SERVING, 0) == []

    def test_an_empty_review_is_refused_before_anything_is_sent(self, endpoints: EndpointsPort) -> None:
        with pytest.raises(InvalidInput, match="empty"):
            endpoints.score_text(SERVING, "   ")

    def test_monitoring_status_answers_per_name_in_order_with_no_report_yet(self, endpoints: EndpointsPort) -> None:
        self.expect_no_monitors(endpoints)
        statuses = endpoints.monitoring_status(["nowhere", SERVING])
        assert all(isinstance(s, MonitoringStatus) for s in statuses)
        assert [(s.endpoint, s.latest_status, s.violations, s.report_time) for s in statuses] == [
            ("nowhere", "No report yet", 0, ""), (SERVING, "No report yet", 0, "")]
        assert statuses[0].monitored is False  # nothing watches an endpoint that does not exist
        assert endpoints.monitoring_status([]) == []

    def test_an_update_sagemaker_would_refuse_changes_nothing(self, endpoints: EndpointsPort, model_id: str) -> None:
        variants = (Variant("AllTraffic", model_id),)
        too_big, _ = DeploymentChoices("canary", 60).deployment(SERVING)  # a canary is at most half of the fleet
        with pytest.raises(InvalidInput, match="CanarySize 60 is outside 1–50"):
            endpoints.update_endpoint(SERVING, variants, too_big)
        with pytest.raises(NotFound, match="nowhere"):
            endpoints.update_endpoint("nowhere", variants)
        with pytest.raises(NotFound, match="nowhere"):
            endpoints.deployment_history("nowhere")
        assert endpoints.deployment_history(SERVING) == []
        assert [v.model_id for v in endpoints.describe_endpoint(SERVING).variants] == [model_id]

    def test_an_endpoint_follows_a_model_group_until_told_not_to(self, endpoints: EndpointsPort) -> None:
        choices = DeploymentChoices("linear", 20, wait_seconds=30, max_error_rate=2.0)
        rule = endpoints.follow_model_group(SERVING, "reviews-next", choices)
        assert rule == FollowRule(SERVING, "reviews-next", choices)
        assert endpoints.follow_rules() == [rule]
        assert endpoints.follow_model_group(SERVING, "") is None
        assert endpoints.follow_rules() == []
        with pytest.raises(NotFound, match="nowhere"):
            endpoints.follow_model_group("nowhere", "reviews-next")


# -- local: real server processes -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def local_hosting(seeded_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """The trained template's copy with ``reviews`` in service, for the module."""
    services = hosting_services(trained_template(tmp_path_factory, seeded_home), tmp_path_factory.mktemp("contract") / "ws")
    services.endpoints.deploy(DeployRequest(SERVING, (Variant("AllTraffic", TEXT_MODEL),)))
    assert services.endpoints.wait_for_endpoint(SERVING, 120).status == "InService", services.endpoints.endpoint_logs(SERVING)
    yield services
    stop_everything(services)
    close_services(services)


class TestLocalEndpoints(EndpointsContract):
    @pytest.fixture
    def endpoints(self, local_hosting: Services) -> EndpointsPort:
        return local_hosting.endpoints

    @pytest.fixture
    def model_id(self) -> str:
        return TEXT_MODEL


# -- aws: moto for the control plane, Stubber for the runtime -----------------------------------------------------


@pytest.fixture
def aws_services(mocked_aws: None, tmp_path: Path) -> Services:
    return build_services(replace(aws_settings(tmp_path / "home"), sagemaker_role=ROLE))


class TestAwsEndpoints(EndpointsContract):
    @pytest.fixture
    def model_id(self, aws_services: Services) -> str:
        return register_model("reviews-model", framework="script", classes=["-1", "0", "1"], encoding={})

    @pytest.fixture
    def endpoints(self, aws_services: Services, model_id: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[EndpointsPort]:
        self.monkeypatch = monkeypatch
        adapter = aws_services.endpoints
        adapter.deploy(DeployRequest(SERVING, (Variant("AllTraffic", model_id),), capture_percent=0))
        with Stubber(adapter._runtime) as stubber:  # type: ignore[attr-defined]
            self.stubber = stubber
            yield adapter
            stubber.assert_no_pending_responses()

    def expect_answer(self, endpoints: EndpointsPort, answer: dict[str, object]) -> None:
        self.stubber.add_response("invoke_endpoint", answer_of(json.dumps(answer).encode(), "application/json", "AllTraffic"))

    def expect_no_monitors(self, endpoints: EndpointsPort) -> None:
        """moto has no Model Monitor: ``ListMonitoringSchedules`` answers, as SageMaker does, with no schedule."""
        answer_calls(self.monkeypatch, "sagemaker", "ListMonitoringSchedules", lambda _: {"MonitoringScheduleSummaries": []},
                     clients=[endpoints._sagemaker])  # type: ignore[attr-defined]

    def captured(self, endpoints: EndpointsPort, text: str, answer: dict[str, object]) -> None:
        """SageMaker writes the capture to S3 under the endpoint's ``DestinationS3Uri``: the record is put there."""
        label = str(answer["predictions"][0]["predicted_label"])  # type: ignore[index]
        put_capture(SERVING, [("event-1", {"review_body": text}, label, 0.9)], variant="AllTraffic")

    def expect_unknown(self, endpoints: EndpointsPort, name: str) -> None:
        self.stubber.add_client_error("invoke_endpoint", "ValidationError", f"Endpoint {name} of account 123456789012 not found.",
                                      400)
