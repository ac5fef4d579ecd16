"""``CreateTrainingJob``'s Debugger parameters from a ``DebuggerConfig``, as the SageMaker SDK builds them.

Every built-in rule runs in the region's ``sagemaker-debugger-rules`` image with ``rule_to_invoke`` naming it; the
``StopTraining`` action is the SDK's ``action_json`` rule parameter with the job's name as the prefix to stop; the
hook saves the collections the rule reads (``losses`` / ``gradients``, as ``smdebug_rulesconfig``'s rule configs
say); with the profiler on, system metrics are sampled every 500 ms and the ``ProfilerReport`` rule writes
``rule-output/ProfilerReport/profiler-output/profiler-report.html`` under the job's output.

SageMaker has no built-in rules named ``LowCPUUtilization`` or ``MemoryUsage`` (the workbench evaluates them
locally), so an AWS request naming them is refused rather than sent to a rule job that would fail.
"""

from __future__ import annotations

from typing import Any

from services.debugger.models import DEBUG_RULES, SYSTEM_SAMPLE_MS, DebuggerConfig, RuleConfig
from services.debugger.rules import check_rules
from services.errors import InvalidInput

# The ``sagemaker-debugger-rules:latest`` registry account per region (sagemaker's image_uri_config/debugger.json).
RULE_IMAGE_ACCOUNTS = {
    "af-south-1": "314341159256", "ap-east-1": "199566480951", "ap-northeast-1": "430734990657",
    "ap-northeast-2": "578805364391", "ap-northeast-3": "479947661362", "ap-south-1": "904829902805",
    "ap-southeast-1": "972752614525", "ap-southeast-2": "184798709955", "ca-central-1": "519511493484",
    "cn-north-1": "618459771430", "cn-northwest-1": "658757709296", "eu-central-1": "482524230118",
    "eu-north-1": "314864569078", "eu-south-1": "563282790590", "eu-west-1": "929884845733",
    "eu-west-2": "250201462417", "eu-west-3": "447278800020", "me-south-1": "986000313247",
    "sa-east-1": "818342061345", "us-east-1": "503895931360", "us-east-2": "915447279597",
    "us-gov-west-1": "515509971035", "us-west-1": "685455198987", "us-west-2": "895741380848",
}
AWS_PROFILER_RULES = ("CPUBottleneck",)  # of models.PROFILER_RULES, the ones SageMaker has built in
LOCAL_ONLY_RULES = ("LowCPUUtilization", "MemoryUsage")
LOCAL_ONLY_PARAMETERS = {"Overtraining": ("tensor_regex",)}  # SageMaker's Overtraining reads the losses collection
HOOK_COLLECTIONS = {"LossNotDecreasing": "losses", "VanishingGradient": "gradients"}  # save_interval 500
REPORT_RULE = "ProfilerReport"


def rule_image(region: str) -> str:
    account = RULE_IMAGE_ACCOUNTS.get(region)
    if account is None:
        raise InvalidInput(f"SageMaker Debugger's rule image is not published in {region}.",
                           hint="Train without Debugger rules, or in a region Debugger supports (e.g. us-east-1).")
    domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"{account}.dkr.ecr.{region}.{domain}/sagemaker-debugger-rules:latest"


def stop_training_action(job_name: str) -> str:
    """The SDK's serialised ``ActionList(StopTraining())`` once the prefix is set to the job's name."""
    return f'[{{\\"name\\": \\"stoptraining\\", \\"training_job_prefix\\": \\"{job_name}\\"}}]'


def rule_configuration(rule: RuleConfig, image: str, stop_job: str = "", job_name: str = "") -> dict[str, Any]:
    """One ``DebugRuleConfiguration`` / ``ProfilerRuleConfiguration``; ``stop_job`` adds the StopTraining action.
    A StalledTrainingRule with ``stop_training_on_fire`` gets ``training_job_name_prefix``: the job's name (the
    rule stops the one job with that prefix)."""
    if rule.rule in LOCAL_ONLY_RULES:
        raise InvalidInput(f"SageMaker Debugger has no built-in rule {rule.rule}; the workbench evaluates it "
                           "only on local jobs.", hint="On AWS pick CPUBottleneck; the profiler report shows CPU "
                                                       "and memory use.")
    local_only = [name for name in LOCAL_ONLY_PARAMETERS.get(rule.rule, ()) if name in rule.parameters]
    if local_only:
        raise InvalidInput(f"SageMaker's {rule.rule} rule has no parameter {local_only[0]}; the workbench reads it "
                           "only on local jobs.", hint=f"Leave {local_only[0]} out on AWS.")
    parameters = {str(k): str(v) for k, v in rule.parameters.items()} | {"rule_to_invoke": rule.rule}
    if stop_job:
        parameters["action_json"] = stop_training_action(stop_job)
    if rule.rule == "StalledTrainingRule" and parameters.get("stop_training_on_fire", "").lower() == "true":
        parameters["training_job_name_prefix"] = job_name
    return {"RuleConfigurationName": rule.configuration_name, "RuleEvaluatorImage": image,
            "RuleParameters": parameters}


def debugger_parameters(config: DebuggerConfig | None, job_name: str, region: str, output: str) -> dict[str, Any]:
    """``DebugHookConfig``, ``DebugRuleConfigurations``, ``ProfilerConfig`` and ``ProfilerRuleConfigurations`` for
    ``CreateTrainingJob``; ``output`` is the job's ``S3OutputPath`` (``s3://…/``). ``{}`` without a config."""
    if config is None or (not config.rules and not config.profiler):
        return {}
    check_rules(config.rules)
    image = rule_image(region)
    stop = job_name if config.stop_on_issue else ""
    debug = [rule_configuration(r, image, stop, job_name) for r in config.rules if r.rule in DEBUG_RULES]
    profiler = [rule_configuration(r, image, stop, job_name) for r in config.rules if r.rule not in DEBUG_RULES]
    parameters: dict[str, Any] = {}
    if debug:
        collections = sorted({HOOK_COLLECTIONS[r.rule] for r in config.rules if r.rule in HOOK_COLLECTIONS})
        parameters["DebugHookConfig"] = {"S3OutputPath": output, "CollectionConfigurations": [
            {"CollectionName": name, "CollectionParameters": {"save_interval": "500"}} for name in collections]}
        parameters["DebugRuleConfigurations"] = debug
    if config.profiler:
        parameters["ProfilerConfig"] = {"S3OutputPath": output, "ProfilingIntervalInMilliseconds": SYSTEM_SAMPLE_MS}
        profiler.append({"RuleConfigurationName": REPORT_RULE, "RuleEvaluatorImage": image,
                         "RuleParameters": {"rule_to_invoke": REPORT_RULE}})
    if profiler:
        parameters["ProfilerRuleConfigurations"] = profiler
    return parameters


def refuse_autopilot_rules(config: DebuggerConfig | None) -> None:
    """``CreateAutoMLJobV2`` has no Debugger parameters: rules on an AWS Autopilot job cannot be honoured."""
    if config is not None and config.rules:
        raise InvalidInput("SageMaker Autopilot does not run Debugger rules on its candidates.",
                           hint="Start Autopilot without rules, or train the best candidate's algorithm as a "
                                "training job with the rules.")
