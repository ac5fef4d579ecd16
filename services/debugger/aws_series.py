"""A SageMaker training job's series, from where SageMaker keeps them.

* Scalars: the job's metric definitions as SageMaker publishes them to CloudWatch (namespace
  ``/aws/sagemaker/TrainingJobs``, dimension ``Host = <job>/algo-1``), one point per datapoint, in time order; the
  step is the point's index (CloudWatch keeps no step).
* System: the profiler's files under ``{ProfilerConfig.S3OutputPath}/{job}/profiler-output/system/incremental/``,
  JSON lines as smdebug writes them (``{"Type": "cpu", "Name": "cpu0", "Dimension": "CPUUtilization", "Value",
  "NodeId": "algo-1", "Timestamp": <epoch seconds>}``; host memory is the event named ``MemoryUsedPercent``),
  folded into the local recording's samples ``{"seconds", "cpu": [per-core %], "memory_percent"}``.

Reads are bounded: at most ``MAX_SYSTEM_FILES`` files (the newest) and ``MAX_POINTS`` CloudWatch points per metric.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

NAMESPACE = "/aws/sagemaker/TrainingJobs"
MAX_POINTS = 100_000
MAX_SYSTEM_FILES = 2_000  # one file a minute: a day and more of profiling
PERIOD_SECONDS = 1  # SageMaker's training metrics are high resolution
CORE = re.compile(r"cpu(\d+)$")


def metric_queries(job_name: str, names: list[str]) -> list[dict[str, Any]]:
    """GetMetricData queries, one per metric definition (``Id`` must start with a lower-case letter)."""
    return [{"Id": f"m{index}", "Label": name, "ReturnData": True, "MetricStat": {
        "Metric": {"Namespace": NAMESPACE, "MetricName": name,
                   "Dimensions": [{"Name": "Host", "Value": f"{job_name}/algo-1"}]},
        "Period": PERIOD_SECONDS, "Stat": "Average"}} for index, name in enumerate(names)]


def read_scalars(cloudwatch: Any, job_name: str, names: list[str], start: datetime,
                 end: datetime) -> list[dict[str, Any]]:
    """Every datapoint of the job's metrics: ``{"name", "value", "step", "seconds", "mode"}``, oldest first."""
    if not names:
        return []
    points: dict[str, list[tuple[datetime, float]]] = {name: [] for name in names}
    paginator = cloudwatch.get_paginator("get_metric_data")
    for page in paginator.paginate(MetricDataQueries=metric_queries(job_name, names), StartTime=start,
                                   EndTime=end + timedelta(minutes=1), ScanBy="TimestampAscending"):
        for result in page["MetricDataResults"]:
            kept = points[result["Label"]]
            kept += list(zip(result["Timestamps"], result["Values"], strict=True))[:MAX_POINTS - len(kept)]
    return [{"name": name, "value": float(value), "step": step, "seconds": (stamp - start).total_seconds(),
             "mode": "EVAL" if re.search(r"valid|eval|test", name, re.I) else "TRAIN"}
            for name, series in points.items() for step, (stamp, value) in enumerate(sorted(series))]


def system_samples(lines: list[str], start: float) -> list[dict[str, Any]]:
    """smdebug's system events folded per timestamp into samples; seconds since ``start`` (epoch seconds)."""
    by_time: dict[float, dict[str, Any]] = {}
    for line in lines:
        if not line.strip():
            continue
        event = json.loads(line)
        sample = by_time.setdefault(float(event["Timestamp"]), {"cores": {}, "memory_percent": None})
        core = CORE.match(str(event.get("Name", "")))
        if event.get("Dimension") == "CPUUtilization" and core:
            sample["cores"][int(core.group(1))] = float(event["Value"])
        elif event.get("Name") == "MemoryUsedPercent":
            sample["memory_percent"] = float(event["Value"])
    return [{"seconds": round(stamp - start, 3), "cpu": [cores[i] for i in sorted(cores)],
             "memory_percent": sample["memory_percent"]}
            for stamp, sample in sorted(by_time.items()) if (cores := sample["cores"])]


def read_system(s3: Any, bucket: str, prefix: str, start: float) -> list[dict[str, Any]]:
    """The newest ``MAX_SYSTEM_FILES`` profiler files under ``prefix`` (lexical order is time order)."""
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [item["Key"] for item in page.get("Contents", []) if item["Key"].endswith(".json")]
    lines: list[str] = []
    for key in sorted(keys)[-MAX_SYSTEM_FILES:]:
        lines += s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8").splitlines()
    return system_samples(lines, start)
