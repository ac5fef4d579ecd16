"""Deployment on approval: an endpoint can follow a model package group, so that approving a version of the group
(``TrainingPort.set_model_approval(..., "Approved")``, from the Model dashboard, the CLI or a pipeline) updates the
endpoint to it with the rule's deployment choices — a blue/green update like any other (canary, linear, alarms).

The rules are a workbench setting kept in the workspace's metadata store (one per endpoint) on both backends; the
hook is registered by the composition root (``services/registry.py``) on the training adapter.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict

from services.embedded.metadata import MetadataStore
from services.endpoints.base import EndpointsPort
from services.endpoints.deployment import check_alarm_rules, check_deployment_config
from services.endpoints.models import DeploymentChoices, FollowRule, Variant
from services.errors import ServiceError
from services.models import ModelRecord
from services.names import check_name

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS endpoint_follow_rules (
    endpoint TEXT PRIMARY KEY, model_group TEXT NOT NULL, choices TEXT NOT NULL
);
"""


class FollowRules:
    """The follow-rule half of the endpoints port, shared by both adapters (they give their metadata store)."""

    def _rules_store(self) -> MetadataStore:
        raise NotImplementedError

    def describe_endpoint(self, name: str) -> object:
        raise NotImplementedError

    def follow_model_group(self, name: str, group: str, choices: DeploymentChoices | None = None) -> FollowRule | None:
        """Follow ``group`` from now on (``""`` stops following); ``NotFound`` for an unknown endpoint."""
        self.describe_endpoint(name)
        store = self._rules_store()
        store.ensure_schema(SCHEMA)
        if not group:
            store.execute("DELETE FROM endpoint_follow_rules WHERE endpoint = ?", (name,))
            return None
        rule = FollowRule(name, check_name("model-package-group", group), choices or DeploymentChoices())
        config, alarms = rule.choices.deployment(name)  # a choice SageMaker would refuse fails now, not at the next approval
        check_deployment_config(config, local=False)
        check_alarm_rules(config, alarms)
        store.execute("INSERT INTO endpoint_follow_rules VALUES (?, ?, ?) ON CONFLICT (endpoint) DO UPDATE SET "
                      "model_group = excluded.model_group, choices = excluded.choices",
                      (name, group, json.dumps(asdict(rule.choices))))
        return rule

    def follow_rules(self) -> list[FollowRule]:
        store = self._rules_store()
        store.ensure_schema(SCHEMA)
        rows = store.fetch_all("SELECT endpoint, model_group, choices FROM endpoint_follow_rules ORDER BY endpoint")
        return [FollowRule(r["endpoint"], r["model_group"], DeploymentChoices(**json.loads(r["choices"]))) for r in rows]


def deploy_approved(endpoints: EndpointsPort, record: ModelRecord) -> dict[str, str]:
    """Update every endpoint following ``record``'s group to it; per endpoint, what happened. One endpoint that
    cannot be updated (gone, an update in progress) does not stop the others, and never undoes the approval."""
    outcomes: dict[str, str] = {}
    if record.approval_status != "Approved":
        return outcomes
    for rule in endpoints.follow_rules():
        if rule.group != record.name:
            continue
        try:
            outcomes[rule.endpoint] = update_to(endpoints, rule, record)
        except ServiceError as exc:
            outcomes[rule.endpoint] = f"not updated: {exc.message}"
            log.warning("Endpoint %s follows %s but was not updated to %s: %s", rule.endpoint, rule.group, record.model_id, exc)
    return outcomes


def update_to(endpoints: EndpointsPort, rule: FollowRule, record: ModelRecord) -> str:
    endpoint = endpoints.describe_endpoint(rule.endpoint)
    live = [v for v in endpoint.variants if not v.shadow]
    if [v.model_id for v in live] == [record.model_id]:
        return "already serving it"
    config, alarms = rule.choices.deployment(rule.endpoint)
    endpoints.update_endpoint(rule.endpoint, (Variant(live[0].name if live else "AllTraffic", record.model_id),), config, alarms)
    return f"updating to {record.model_id} ({rule.choices.strategy})"
