"""Each Debugger rule on small hand-made series (pure functions), and the catalog's parameters."""

from __future__ import annotations

import math

import pytest

from services.debugger.cli_flags import debugger_from_args
from services.debugger.models import ALL_RULES, DebuggerConfig, RuleConfig
from services.debugger.rules import (
    CATALOG,
    MalformedSeries,
    Recorded,
    catalog_json,
    check_config,
    evaluate,
    mode_of,
    parse_parameters,
)
from services.errors import InvalidInput


def points(name: str, values: list[float], start: int = 0) -> list[dict[str, object]]:
    return [{"name": name, "value": v, "step": start + i, "seconds": float(i), "mode": mode_of(name)}
            for i, v in enumerate(values)]


def system(cpu: list[float], memory: list[float] | None = None) -> list[dict[str, object]]:
    memory = memory or [10.0] * len(cpu)
    return [{"seconds": i / 2, "cpu": [c, c], "memory_percent": m, "rss_mb": 1.0, "read_mb": 0.0, "write_mb": 0.0}
            for i, (c, m) in enumerate(zip(cpu, memory, strict=True))]


def run(rule: str, data: Recorded, **params: str) -> object:
    return evaluate(RuleConfig(rule, params), data)


def test_catalog_has_every_rule_with_sagemakers_defaults() -> None:
    catalog = catalog_json()
    assert set(catalog) == set(ALL_RULES)
    assert catalog["LossNotDecreasing"]["parameters"].items() >= {"num_steps": "10", "diff_percent": "0.1",
                                                                  "increase_threshold_percent": "5"}.items()
    assert catalog["Overfit"]["parameters"]["ratio_threshold"] == "0.1"
    assert catalog["StalledTrainingRule"]["parameters"] == {"threshold": "1800", "stop_training_on_fire": "False"}
    assert set(catalog["Overfit"]["parameters"]) == {"tensor_regex", "start_step", "patience", "ratio_threshold"}
    assert set(catalog["ExplodingTensor"]["parameters"]) == {"tensor_regex", "only_nan"}
    assert catalog["ClassImbalance"]["parameters"] == {
        "threshold_imbalance": "10", "threshold_misprediction": "0.7", "samples": "500", "argmax": "False",
        "labels_regex": ".*labels", "predictions_regex": ".*predictions"}
    assert catalog["CPUBottleneck"]["kind"] == "profiler" and catalog["Overfit"]["kind"] == "debug"
    assert all(entry["advice"] and entry["description"] for entry in catalog.values())


def test_unknown_rules_parameters_and_values_are_refused() -> None:
    with pytest.raises(InvalidInput, match="Unknown Debugger rule 'Nope'"):
        parse_parameters("Nope", {})
    with pytest.raises(InvalidInput, match="LossNotDecreasing has no parameter 'patience'"):
        parse_parameters("LossNotDecreasing", {"patience": "3"})
    with pytest.raises(InvalidInput, match="num_steps='many' is not a whole number"):
        parse_parameters("LossNotDecreasing", {"num_steps": "many"})
    with pytest.raises(InvalidInput, match="tensor_regex='loss[(]' is not a regular expression"):
        parse_parameters("Overfit", {"tensor_regex": "loss("})
    with pytest.raises(InvalidInput, match="mode='TEST' is not TRAIN, EVAL or GLOBAL"):
        parse_parameters("LossNotDecreasing", {"mode": "TEST"})
    with pytest.raises(InvalidInput, match="only_nan='maybe' is not True or False"):
        parse_parameters("ExplodingTensor", {"only_nan": "maybe"})
    with pytest.raises(InvalidInput, match="at least 0"):
        parse_parameters("Overfit", {"ratio_threshold": "-1"})
    with pytest.raises(InvalidInput, match="needs at least one rule"):
        check_config(DebuggerConfig((), stop_on_issue=True))
    with pytest.raises(InvalidInput, match="Two rules are named"):
        check_config(DebuggerConfig((RuleConfig("Overfit"), RuleConfig("Overfit"))))


def test_cli_flags_make_a_checked_config() -> None:
    class Args:
        rules = ["LossNotDecreasing", "Overfit"]
        rule_params = ["LossNotDecreasing:num_steps=5"]
        stop_on_rule_issue = True

    config = debugger_from_args(Args())  # type: ignore[arg-type]
    assert config == DebuggerConfig((RuleConfig("LossNotDecreasing", {"num_steps": "5"}), RuleConfig("Overfit")),
                                    stop_on_issue=True)
    Args.rule_params = ["Overtraining:delta=1"]
    with pytest.raises(InvalidInput, match="which is not a --rule"):
        debugger_from_args(Args())  # type: ignore[arg-type]
    Args.rule_params = ["num_steps=5"]
    with pytest.raises(InvalidInput, match="is not NAME:KEY=VALUE"):
        debugger_from_args(Args())  # type: ignore[arg-type]


def test_mode_from_the_metric_name() -> None:
    assert [mode_of(n) for n in ("train:loss", "validation:logloss", "val_loss", "eval-loss", "loss")] == [
        "TRAIN", "EVAL", "EVAL", "EVAL", "TRAIN"]


def test_loss_not_decreasing() -> None:
    assert run("LossNotDecreasing", Recorded()) is None
    falling = run("LossNotDecreasing", Recorded(points("train:loss", [1 - i / 50 for i in range(30)])), num_steps="5")
    assert falling.issue is False  # type: ignore[attr-defined]
    flat = run("LossNotDecreasing", Recorded(points("train:loss", [1.0] * 12)), num_steps="5")
    assert flat.issue and flat.step == 5 and "did not decrease by 0.1 %" in flat.details  # type: ignore[attr-defined]
    rising = run("LossNotDecreasing", Recorded(points("train:loss", [1.0, 1.0, 1.2])), num_steps="2")
    assert rising.issue and "rose from 1 at step 0 to 1.2" in rising.details  # type: ignore[attr-defined]
    other = run("LossNotDecreasing", Recorded(points("train:accuracy", [1.0] * 12)), num_steps="5")
    assert other is None  # accuracy is not in the losses collection
    picked = run("LossNotDecreasing", Recorded(points("train:accuracy", [1.0] * 12)), num_steps="5",
                 tensor_regex=".*accuracy.*")
    assert picked.issue  # type: ignore[attr-defined]
    only_eval = run("LossNotDecreasing", Recorded(points("train:loss", [1.0] * 12)), num_steps="5", mode="EVAL")
    assert only_eval is None
    assert run("LossNotDecreasing", Recorded(points("train:loss", [1.0] * 12)), num_steps="5", mode="GLOBAL").issue  # type: ignore[attr-defined]
    every_scalar = run("LossNotDecreasing", Recorded(points("train:accuracy", [1.0] * 12)), num_steps="5",
                       use_losses_collection="False")
    assert every_scalar.issue  # type: ignore[attr-defined]  # no tensor_regex, no losses collection: every scalar


def test_overfit_pairs_training_and_validation_losses() -> None:
    train = points("train:logloss", [0.5, 0.3, 0.1, 0.05])
    close = run("Overfit", Recorded(train + points("validation:logloss", [0.52, 0.31, 0.105, 0.052])))
    assert close.issue is False  # type: ignore[attr-defined]
    apart = Recorded(train + points("validation:logloss", [0.52, 0.4, 0.3, 0.35]))
    fired = run("Overfit", apart)
    assert fired.issue and fired.step == 1 and "validation:logloss" in fired.details  # type: ignore[attr-defined]
    patient = run("Overfit", apart, patience="3")
    assert patient.issue and patient.step == 3  # type: ignore[attr-defined]
    assert run("Overfit", apart, start_step="4").issue is False  # type: ignore[attr-defined]
    assert run("Overfit", Recorded(train)) is None
    scripts = Recorded(points("train_loss", [0.5, 0.1]) + points("val_loss", [0.5, 0.4]))
    assert run("Overfit", scripts).issue  # type: ignore[attr-defined]


def test_overtraining() -> None:
    improving = Recorded(points("train:loss", [1 - i / 10 for i in range(8)]))
    assert run("Overtraining", improving).issue is False  # type: ignore[attr-defined]
    plateau = Recorded(points("train:loss", [1.0, 0.5] + [0.499] * 6))
    fired = run("Overtraining", plateau)
    assert fired.issue and fired.step == 6  # type: ignore[attr-defined]
    validation = Recorded(points("validation:loss", [1.0, 0.5] + [0.5] * 6))
    assert run("Overtraining", validation).issue is False  # type: ignore[attr-defined]  # patience_validation=10
    assert run("Overtraining", validation, patience_validation="3").issue  # type: ignore[attr-defined]


def test_stalled_training() -> None:
    data = Recorded(points("train:loss", [1.0, 0.9]), now=100.0)
    assert run("StalledTrainingRule", data).issue is False  # type: ignore[attr-defined]
    stalled = run("StalledTrainingRule", data, threshold="30")
    assert stalled.issue and "No training progress for 99 s" in stalled.details  # type: ignore[attr-defined]


def outputs(step: int, labels: list[object], predictions: list[object], prefix: str = "validation/"
            ) -> list[dict[str, object]]:
    return [{"name": f"{prefix}labels", "step": step, "values": labels},
            {"name": f"{prefix}predictions", "step": step, "values": predictions}]


def test_class_imbalance_counts_the_training_labels() -> None:
    assert run("ClassImbalance", Recorded()) is None
    even = run("ClassImbalance", Recorded(labels={"a": 50, "b": 40}))
    assert even.issue is False and "misprediction check was not evaluated" in even.details  # type: ignore[attr-defined]
    skewed = run("ClassImbalance", Recorded(labels={"a": 990, "b": 10}))
    assert skewed.issue and skewed.step == 0 and "99.0 times class 'b'" in skewed.details  # type: ignore[attr-defined]


def test_class_imbalance_mispredictions_by_hand() -> None:
    """Step 1: 'b' 1 of 2 wrong; step 2 adds 'b' 2 of 2 wrong: 3 of 4 = 75 % > 0.7, with 10 labels seen."""
    first = outputs(1, ["a", "a", "a", "b", "b"], ["a", "a", "b", "b", "a"])
    second = outputs(2, ["a", "a", "a", "b", "b"], ["a", "a", "a", "a", "a"])
    waiting = run("ClassImbalance", Recorded(outputs=first + second))  # samples 500
    assert waiting.issue is False and "waits for 500 labels; 10 were recorded" in waiting.details  # type: ignore[attr-defined]
    fired = run("ClassImbalance", Recorded(outputs=first + second), samples="10")
    assert fired.issue and fired.step == 2  # type: ignore[attr-defined]
    assert "Class 'b': 3 of 4 labels mispredicted (75%) by step 2" in fired.details  # type: ignore[attr-defined]
    assert run("ClassImbalance", Recorded(outputs=first), samples="5").issue is False  # type: ignore[attr-defined]  # 1 of 2
    lenient = run("ClassImbalance", Recorded(outputs=first + second), samples="10", threshold_misprediction="0.8")
    assert lenient.issue is False and "the most mispredicted is 'b', 75% of its 4 labels" in lenient.details  # type: ignore[attr-defined]
    both = run("ClassImbalance", Recorded(labels={"a": 990, "b": 10}, outputs=first + second), samples="10")
    assert both.issue and both.step == 2 and "99.0 times" in both.details and "3 of 4" in both.details  # type: ignore[attr-defined]


def test_class_imbalance_argmax_regexes_and_malformed_tensors() -> None:
    probabilities = outputs(0, [0, 1, 1, 1.0], [[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.6, 0.4]])
    fired = run("ClassImbalance", Recorded(outputs=probabilities), samples="4", argmax="True")
    assert fired.issue and "Class '1': 3 of 3" in fired.details  # type: ignore[attr-defined]  # 1.0 is class 1
    with pytest.raises(MalformedSeries, match="set argmax=True"):
        run("ClassImbalance", Recorded(outputs=probabilities), samples="4")
    skewed = run("ClassImbalance", Recorded(labels={"a": 990, "b": 10}, outputs=probabilities), samples="4")
    assert skewed.issue and "could not read the predictions" in skewed.details  # type: ignore[attr-defined]
    with pytest.raises(MalformedSeries, match="not a vector of probabilities"):
        run("ClassImbalance", Recorded(outputs=outputs(0, [0], [0])), samples="1", argmax="True")
    with pytest.raises(MalformedSeries, match="2 labels but 1 predictions"):
        run("ClassImbalance", Recorded(outputs=outputs(0, [0, 1], [0])))
    other = outputs(0, ["a", "b"], ["b", "a"], prefix="train_")
    assert run("ClassImbalance", Recorded(outputs=other), samples="1", labels_regex="validation.*") is None
    assert run("ClassImbalance", Recorded(outputs=other), samples="1").issue  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput, match="labels_regex='[(]' is not a regular expression"):
        parse_parameters("ClassImbalance", {"labels_regex": "("})


def test_vanishing_gradient_and_exploding_tensor() -> None:
    def grad(abs_mean: float, maximum: float = 1.0) -> dict[str, object]:
        return {"name": "gradients/all", "step": 3, "mean": 0.0, "std": 1.0, "min": -1.0, "max": maximum,
                "norm": 1.0, "abs_mean": abs_mean}

    assert run("VanishingGradient", Recorded(points("train:loss", [1.0]))) is None  # no gradients: nothing to do
    assert run("VanishingGradient", Recorded(tensors=[grad(1e-3)])).issue is False  # type: ignore[attr-defined]
    assert run("VanishingGradient", Recorded(tensors=[grad(1e-9)])).step == 3  # type: ignore[attr-defined]
    assert run("ExplodingTensor", Recorded(tensors=[grad(1e-3)])).issue is False  # type: ignore[attr-defined]
    assert run("ExplodingTensor", Recorded(tensors=[grad(1e-3, math.inf)])).issue  # type: ignore[attr-defined]
    assert run("ExplodingTensor", Recorded(tensors=[grad(1e-3, math.inf)]), only_nan="True").issue is False  # type: ignore[attr-defined]
    assert run("ExplodingTensor", Recorded(points("train:loss", [1.0, math.nan]))).issue  # type: ignore[attr-defined]
    watched = Recorded(tensors=[grad(1e-3, math.inf)], scalars=points("train:loss", [1.0]))
    assert run("ExplodingTensor", watched, tensor_regex=".*loss").issue is False  # type: ignore[attr-defined]


def test_cpu_bottleneck_waits_for_patience_and_says_there_is_no_gpu() -> None:
    busy = Recorded(system=system([95.0] * 10))
    assert run("CPUBottleneck", busy) is None  # patience 1000 samples
    fired = run("CPUBottleneck", busy, patience="2")
    assert fired.issue and "gpu_threshold does not apply" in fired.details  # type: ignore[attr-defined]
    calm = run("CPUBottleneck", Recorded(system=system([95.0] * 3 + [20.0] * 7)), patience="0")
    assert calm.issue is False  # type: ignore[attr-defined]


def test_low_cpu_utilization() -> None:
    low = Recorded(system=system([30.0] * 20))
    assert run("LowCPUUtilization", low) is None
    assert "under-used" in run("LowCPUUtilization", low, patience="5").details  # type: ignore[attr-defined]
    fluctuating = Recorded(system=system([95.0, 1.0] * 10))
    assert "fluctuates" in run("LowCPUUtilization", fluctuating, patience="5").details  # type: ignore[attr-defined]
    busy = Recorded(system=system([90.0] * 20))
    assert run("LowCPUUtilization", busy, patience="5").issue is False  # type: ignore[attr-defined]


def test_memory_usage() -> None:
    steady = Recorded(system=system([50.0] * 30, [20.0] * 30))
    assert run("MemoryUsage", steady, patience="0").issue is False  # type: ignore[attr-defined]
    growing = Recorded(system=system([50.0] * 30, [20.0] * 10 + [40.0] * 20))
    assert run("MemoryUsage", growing, patience="0").issue  # type: ignore[attr-defined]
    assert run("MemoryUsage", growing) is None  # patience 1000


def test_a_malformed_series_is_reported() -> None:
    with pytest.raises(MalformedSeries):
        run("LossNotDecreasing", Recorded([{"name": "train:loss", "value": "high", "step": 0}]))
    with pytest.raises(MalformedSeries):
        run("CPUBottleneck", Recorded(system=[{"seconds": 0, "cpu": []}]), patience="0")


def test_every_rule_evaluates_an_empty_recording_to_nothing_yet() -> None:
    for rule in CATALOG:
        if rule != "StalledTrainingRule":
            assert run(rule, Recorded()) is None, rule
