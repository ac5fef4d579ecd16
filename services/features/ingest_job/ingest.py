"""Ingest data files into a SageMaker feature group with PutRecord: the script of the aws backend's ingestion job.

It runs in a SageMaker Processing job (the scikit-learn image: Python 3, pandas, boto3), so it imports nothing of the
workbench. The files under ``--input`` (CSV, TSV, Parquet or JSON lines; a catalog table's files, or one uploaded file)
are read in chunks of ``--chunk-rows``; each row is checked against the group's definitions (``--definitions``: the
FeatureDefinitions JSON with the record identifier and event time names, in ``--group-file``) — identifier and event time present, event
time ISO-8601 for a String feature, Integral whole numbers, Fractional finite numbers, collections as lists or JSON
arrays — and the good rows are put on a few threads. Bad rows are skipped and counted per cause. The totals go to
``--output``/result.json as ``{"Ingested", "Failed", "Errors"}`` and to the job's log.

``FEATURESTORE_RUNTIME_URL`` (unset on AWS) points the runtime client elsewhere, e.g. at the workbench's local gateway.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pandas as pd

THREADS = 8


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feature-group", required=True)
    parser.add_argument("--group-file", default="/opt/ml/processing/input/group/group.json",
                        help='{"RecordIdentifierFeatureName", "EventTimeFeatureName", "FeatureDefinitions"}')
    parser.add_argument("--input", default="/opt/ml/processing/input/data")
    parser.add_argument("--output", default="/opt/ml/processing/output/result")
    parser.add_argument("--chunk-rows", type=int, default=10_000)
    args = parser.parse_args(argv)
    group = json.loads(Path(args.group_file).read_text())
    runtime = boto3.client("sagemaker-featurestore-runtime", endpoint_url=os.environ.get("FEATURESTORE_RUNTIME_URL") or None)
    ingested, failed, causes = 0, 0, Counter[str]()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        for chunk in chunks(Path(args.input), args.chunk_rows):
            records = []
            for row in chunk.to_dict("records"):
                record, cause = checked(group, row)
                if cause:
                    failed += 1
                    causes[cause] += 1
                else:
                    records.append(record)
            list(pool.map(lambda r: runtime.put_record(FeatureGroupName=args.feature_group, Record=r), records))
            ingested += len(records)
            print(f"ingest: {ingested:,} rows ingested, {failed:,} failed so far", flush=True)
    errors = [f"{count:,} {'row' if count == 1 else 'rows'}: {cause}" for cause, count in causes.most_common()]
    result = {"Ingested": ingested, "Failed": failed, "Errors": errors}
    Path(args.output).mkdir(parents=True, exist_ok=True)
    (Path(args.output) / "result.json").write_text(json.dumps(result))
    print(f"ingest: done: {json.dumps(result)}", flush=True)
    return 0


def chunks(folder: Path, rows: int) -> Iterator[pd.DataFrame]:
    """Every data file under ``folder`` (hidden files and folders skipped), ``rows`` rows at a time."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not any(part.startswith(".") for part in p.parts)):
        name = path.name.lower()
        if name.endswith(".parquet") or name.endswith(".snappy.parquet"):
            frame = pd.read_parquet(path)
            for start in range(0, len(frame), rows):
                yield frame.iloc[start:start + rows]
        elif name.endswith((".jsonl", ".json")):
            yield from pd.read_json(path, lines=True, chunksize=rows, dtype=False)
        elif name.endswith((".csv", ".tsv", ".txt")):
            yield from pd.read_csv(path, sep="\t" if name.endswith(".tsv") else ",", chunksize=rows, dtype=str,
                                   keep_default_na=False, na_values=[""])


def checked(group: dict[str, Any], row: dict[Any, Any]) -> tuple[list[dict[str, Any]], str]:
    """(the row as PutRecord's Record, "") or ([], the cause in words)."""
    record: list[dict[str, Any]] = []
    for definition in group["FeatureDefinitions"]:
        name = definition["FeatureName"]
        value = row.get(name)
        if missing(value):
            if name in (group["RecordIdentifierFeatureName"], group["EventTimeFeatureName"]):
                role = "record identifier" if name == group["RecordIdentifierFeatureName"] else "event time"
                return [], f"{name} has no value (it is the {role})"
            continue
        try:
            record.append(feature_value(definition, value))
        except ValueError as exc:
            return [], f"{name} {exc}"
        if name == group["EventTimeFeatureName"] and definition["FeatureType"] == "String" and not is_iso_time(str(value)):
            return [], f"{name} is not an ISO-8601 time"
    return record, ""


def feature_value(definition: dict[str, Any], value: Any) -> dict[str, Any]:
    kind = definition["FeatureType"]
    if definition.get("CollectionType"):
        items = json.loads(value) if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)) and not hasattr(items, "tolist"):
            raise ValueError(f"is not a list of {kind} values")
        items = items.tolist() if hasattr(items, "tolist") else list(items)
        return {"FeatureName": definition["FeatureName"], "ValueAsStringList": [scalar(kind, item) for item in items]}
    return {"FeatureName": definition["FeatureName"], "ValueAsString": scalar(kind, value)}


def scalar(kind: str, value: Any) -> str:
    if kind == "String":
        return str(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number):
        raise ValueError("is not a number" if kind == "Fractional" else "is not a whole number")
    if kind == "Integral":
        if not number.is_integer():
            raise ValueError("is not a whole number")
        return str(int(number))
    return repr(number)


def missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (isinstance(value, str) and not value.strip())


def is_iso_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return False
    return len(text.strip()) >= 10


if __name__ == "__main__":
    sys.exit(main())
