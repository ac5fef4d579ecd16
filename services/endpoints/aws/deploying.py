"""Safe deployment on SageMaker: ``UpdateEndpoint`` with a new endpoint config and the ``DeploymentConfig`` as
given (blue/green, canary or linear traffic shifting, auto-rollback on CloudWatch alarms), and the update's
state read back from ``DescribeEndpoint``.

The alarms named in ``AutoRollbackConfiguration`` are CloudWatch alarms the user owns; the local ``AlarmRule``
definitions are not used here. SageMaker reports an update's phase, not its traffic share, so a history event's
share is the one the DeploymentConfig gives that phase (the canary's size while ActivatingTraffic/Baking a
canary, 0 while the new fleet is created or rolled back, 1 once the update is done). The previous endpoint
config and its models stay: SageMaker rolls back to them.
"""

from __future__ import annotations

import uuid

from services.aws.errors import AWS_ERRORS, translated
from services.aws.sagemaker import model_id_of
from services.embedded.metadata import MetadataStore
from services.endpoints.aws.common import MODEL_TAG
from services.endpoints.aws.hosting import Hosting, capture_percent, check_variants
from services.endpoints.deployment import all_at_once, check_deployment_config, deployment_config_json, deployment_events
from services.endpoints.models import AlarmRule, DeploymentConfig, DeploymentEvent, DeployRequest, Endpoint, Variant
from services.errors import InvalidInput


class Deploying(Hosting):
    """Hosting plus blue/green updates (they create configs and models as a deploy does)."""

    @translated
    def update_endpoint(self, name: str, variants: tuple[Variant, ...], deployment_config: DeploymentConfig | None = None,
                        alarm_rules: tuple[AlarmRule, ...] = ()) -> Endpoint:
        """CreateModel per variant, CreateEndpointConfig (capture as the endpoint has it), then UpdateEndpoint with
        the DeploymentConfig; returns at once (SageMaker says Updating). What was created is removed if a step fails."""
        check_variants(variants)
        config = deployment_config or all_at_once()
        check_deployment_config(config, local=False)
        raw = self._describe(name)
        if raw.get("EndpointStatus") != "InService":
            raise InvalidInput(f"Endpoint {name} is {raw.get('EndpointStatus')}; SageMaker updates only an endpoint in service.",
                               hint="Wait until it is InService.")
        percent = capture_percent(raw, self._endpoint_config(raw.get("EndpointConfigName", "")))
        request = DeployRequest(name, variants, capture_percent=percent)
        role, bucket = self._require_role(), self._require_bucket() if percent else ""
        packages = {v.name: self._package(v.model_id) for v in variants}
        created: list[tuple[str, dict[str, str]]] = []
        try:
            # A name of its own: an update within the second of the deploy must not reuse the live config's name.
            config_name = self._create_config(request, packages, role, bucket, created, stamp=f"u{uuid.uuid4().hex[:11]}")
            self._sagemaker.update_endpoint(EndpointName=name, EndpointConfigName=config_name,
                                            DeploymentConfig=deployment_config_json(config))
        except AWS_ERRORS:
            self._remove(created)
            raise
        tags = [{"Key": f"{MODEL_TAG}{v.name}", "Value": model_id_of(packages[v.name])} for v in variants]
        self._sagemaker.add_tags(ResourceArn=raw["EndpointArn"], Tags=tags)
        return self.describe_endpoint(name)

    def _rules_store(self) -> MetadataStore:
        return self.store

    @translated
    def deployment_history(self, name: str) -> list[DeploymentEvent]:
        """What DescribeEndpoint tells about the latest update: its pending phase, a rollback, or its end."""
        return deployment_events(self._describe(name))
