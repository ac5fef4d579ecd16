"""Review feature engineering, the course's processing job (a SageMaker Processing script, scikit-learn image).

Reads the reviews table's files (CSV or Parquet; names starting with ``_`` or ``.`` are not the table's, as for
Athena), and writes:

* ``review_id``: the table's own ``review_id``, else ``<file>:<row>`` (stable from run to run), and
  ``event_time``: when this run processed the review (ISO 8601, UTC; ``--event-time`` to set it), so the
  features can go to a feature group;
* ``review_body``: the title and review text (or the ``review_body`` column), cleaned: HTML tags and control
  characters removed, whitespace collapsed; rows without text or rating dropped;
* ``sentiment`` from the star rating: 1-2 → -1, 3 → 0, 4-5 → 1, and ``label`` negative/neutral/positive;
  ``product_category`` (the department) kept for bias checks;
* the classes balanced by down-sampling each to the smallest, then a seeded, stratified
  train/validation/test split as ``<output>/<split>/<split>-<host>.parquet`` (one file per instance; Parquet,
  so both backends catalogue the splits with their types);
* with ``--max-length N``: the reviews tokenised for MiniLM with the model's own ``tokenizer.json``
  (``--tokenizer-dir``), ``input_ids`` and ``attention_mask`` (space-separated, truncated and padded to N)
  in the splits, and ``<output>/report/report-<host>.json`` with the token counts (before truncation), a
  token-length histogram and the truncation rate (the share of reviews longer than N tokens).

With several instances (ShardedByS3Key), each processes its share of the files; ``current_host`` comes from
``/opt/ml/config/resourceconfig.json``. Paths default to the processing contract's; tests pass their own.
"""

from __future__ import annotations

import argparse
import html
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

SENTIMENT = {1: -1, 2: -1, 3: 0, 4: 1, 5: 1}
LABELS = {-1: "negative", 0: "neutral", 1: "positive"}
COLUMNS = ["review_id", "review_body", "sentiment", "label", "product_category", "event_time"]
TAG = re.compile(r"<[^>]{0,200}>")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
HISTOGRAM_BINS = 20


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--input-dir", default="/opt/ml/processing/input/reviews")
    parser.add_argument("--output-dir", default="/opt/ml/processing/output")
    parser.add_argument("--tokenizer-dir", default="/opt/ml/processing/input/tokenizer")
    parser.add_argument("--resource-config", default="/opt/ml/config/resourceconfig.json")
    parser.add_argument("--max-length", type=int, default=0, help="tokenise for MiniLM with this many tokens (0: no)")
    parser.add_argument("--validation-share", type=float, default=0.1)
    parser.add_argument("--test-share", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--event-time", default="", help="ISO 8601 event time of every record (default: now, UTC)")
    return parser.parse_args(argv)


def current_host(path: Path) -> str:
    return str(json.loads(path.read_text())["current_host"]) if path.is_file() else "algo-1"


def table_files(folder: Path) -> list[Path]:
    """The table's data files, skipping what Athena and Glue skip (names starting with ``_`` or ``.``)."""
    found = []
    for path in sorted(folder.rglob("*")):
        hidden = any(part.startswith(("_", ".")) for part in path.relative_to(folder).parts)
        if path.is_file() and not hidden and path.suffix.lower() in (".csv", ".parquet"):
            found.append(path)
    return found


def read_table(folder: Path) -> pd.DataFrame:
    files = table_files(folder)
    if not files:
        return pd.DataFrame()
    frames = []
    for path in files:
        frame = pd.read_parquet(path) if path.suffix.lower() == ".parquet" else pd.read_csv(path)
        frame.columns = [re.sub(r"[^0-9a-z]+", "_", str(c).strip().lower()).strip("_") for c in frame.columns]
        if "review_id" not in frame.columns:
            frame["review_id"] = [f"{path.relative_to(folder).as_posix()}:{row}" for row in range(len(frame))]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def clean(text: pd.Series) -> pd.Series:
    """HTML entities decoded and tags removed, control characters dropped, whitespace collapsed."""
    text = text.fillna("").astype(str).map(html.unescape)
    text = text.str.replace(TAG, " ", regex=True).str.replace(CONTROL, " ", regex=True)
    return text.str.replace(r"\s+", " ", regex=True).str.strip()


def features(frame: pd.DataFrame, event_time: str) -> pd.DataFrame:
    """The ``COLUMNS``; rows without text or a 1-5 rating dropped."""
    if "rating" not in frame.columns:
        raise SystemExit(f"The table has no rating column (columns: {', '.join(frame.columns)})")
    if "review_body" in frame.columns:
        body = clean(frame["review_body"])
    else:
        review = clean(frame.get("review_text", pd.Series("", index=frame.index)))
        title = clean(frame.get("title", pd.Series("", index=frame.index)))
        body = (title + " " + review).str.strip().where(review != "", "")  # a title alone is not a review
    sentiment = pd.to_numeric(frame["rating"], errors="coerce").map(SENTIMENT)
    category = frame.get("product_category", frame.get("department_name", pd.Series(index=frame.index, dtype=object)))
    out = pd.DataFrame({"review_id": frame["review_id"].astype(str), "review_body": body, "sentiment": sentiment,
                        "product_category": category, "event_time": event_time})
    out = out[(out["review_body"] != "") & out["sentiment"].notna()].copy()
    out["sentiment"] = out["sentiment"].astype(int)
    out["label"] = out["sentiment"].map(LABELS)
    out["product_category"] = out["product_category"].fillna("unknown").astype(str)
    return out[COLUMNS].reset_index(drop=True)


def balance(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Each sentiment down-sampled to the size of the smallest, so the classes are equal."""
    smallest = int(frame["sentiment"].value_counts().min())
    parts = [part.sample(n=smallest, random_state=seed) for _, part in frame.groupby("sentiment", sort=True)]
    return pd.concat(parts).sample(frac=1.0, random_state=seed).reset_index(drop=True)


def split(frame: pd.DataFrame, validation_share: float, test_share: float, seed: int) -> dict[str, pd.DataFrame]:
    """Stratified by sentiment; too few rows for every split to hold each class ends the job with the reason."""
    try:
        rest, test = train_test_split(frame, test_size=test_share, random_state=seed, stratify=frame["sentiment"])
        share = validation_share / (1.0 - test_share)
        train, validation = train_test_split(rest, test_size=share, random_state=seed, stratify=rest["sentiment"])
    except ValueError as exc:
        raise SystemExit(f"{len(frame)} balanced rows are too few to split by sentiment: {exc}") from exc
    return {"train": train, "validation": validation, "test": test}


def load_tokenizer(folder: Path) -> Any:
    try:
        from tokenizers import Tokenizer
    except ModuleNotFoundError as exc:  # SageMaker's scikit-learn image does not ship it
        raise SystemExit("Tokenising needs the tokenizers package, which this image lacks: run with --max-length 0, "
                         "or in an image that has it (e.g. SageMaker's Hugging Face or PyTorch image).") from exc

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def token_counts(tokenizer: Any, texts: list[str]) -> list[int]:
    """Tokens per text with MiniLM's special tokens ([CLS] … [SEP]), before any truncation."""
    return [len(encoding.ids) for encoding in tokenizer.encode_batch(texts)]


def token_report(counts: list[int], max_length: int) -> dict[str, Any]:
    """Token counts, a histogram of them and the truncation rate at ``max_length``."""
    values = np.asarray(counts, dtype=float)
    if values.size == 0:
        return {"max_length": max_length, "reviews": 0, "truncated": 0, "truncation_rate": 0.0, "histogram": {}}
    frequencies, edges = np.histogram(values, bins=HISTOGRAM_BINS)
    truncated = int((values > max_length).sum())
    return {"max_length": max_length, "reviews": int(values.size), "truncated": truncated,
            "truncation_rate": round(truncated / values.size, 6),
            "tokens": {"min": int(values.min()), "mean": round(float(values.mean()), 3), "median": float(np.median(values)),
                       "p95": float(np.percentile(values, 95)), "max": int(values.max())},
            "histogram": {"edges": [round(float(e), 3) for e in edges], "counts": [int(c) for c in frequencies]}}


def encode(tokenizer: Any, texts: list[str], max_length: int) -> tuple[list[str], list[str]]:
    """input_ids and attention_mask per text, truncated and padded to ``max_length`` (space-separated)."""
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.enable_padding(length=max_length)
    encodings = tokenizer.encode_batch(texts)
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return ([" ".join(map(str, e.ids)) for e in encodings], [" ".join(map(str, e.attention_mask)) for e in encodings])


def write(folder: Path, name: str, frame: pd.DataFrame) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(folder / name, index=False)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    host = current_host(Path(args.resource_config))
    if not table_files(Path(args.input_dir)):
        print(f"{host}: no table files in this instance's share of the input; nothing to do")
        return
    event_time = args.event_time or datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    frame = features(read_table(Path(args.input_dir)), event_time)
    print(f"{host}: rows with a review and a rating: {len(frame)}; by sentiment: {frame['sentiment'].value_counts().to_dict()}")
    if frame.empty or frame["sentiment"].nunique() < 3:
        raise SystemExit(f"{host}: the reviews need all three sentiments to balance them "
                         f"(found {sorted(frame['sentiment'].unique().tolist())})")
    balanced = balance(frame, args.seed)
    report: dict[str, Any] = {"host": host, "rows": len(frame), "balanced_rows": len(balanced),
                              "by_sentiment": {str(k): int(v) for k, v in frame["sentiment"].value_counts().items()}}
    columns = list(COLUMNS)
    if args.max_length > 0:
        tokenizer = load_tokenizer(Path(args.tokenizer_dir))
        texts = balanced["review_body"].tolist()
        report["tokenization"] = token_report(token_counts(tokenizer, texts), args.max_length)
        balanced["input_ids"], balanced["attention_mask"] = encode(tokenizer, texts, args.max_length)
        columns += ["input_ids", "attention_mask"]
        print(f"{host}: truncation rate at {args.max_length} tokens: {report['tokenization']['truncation_rate']:.2%}")
    output = Path(args.output_dir)
    for name, part in split(balanced, args.validation_share, args.test_share, args.seed).items():
        write(output / name, f"{name}-{host}.parquet", part[columns])
        report[f"{name}_rows"] = len(part)
        print(f"{host}: {name}: {len(part)} rows")
    (output / "report").mkdir(parents=True, exist_ok=True)
    (output / "report" / f"report-{host}.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
