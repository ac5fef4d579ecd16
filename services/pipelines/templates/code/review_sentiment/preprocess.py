"""Feature engineering for the review-sentiment pipeline (a SageMaker Processing script, scikit-learn image).

Reads the reviews table's files (CSV or Parquet, as the catalog lays them out: folders and files starting
with ``_`` or ``.`` are not the table's), builds ``review_body`` (title + review text, or the column itself
when the table has it), labels ``sentiment`` from the star rating (1-2 negative, 3 neutral, 4-5 positive),
keeps ``product_category`` (the department) for the bias check, balances the classes by down-sampling each
to the smallest, and writes a seeded, stratified train/validation/test split as CSV files. Paths default to
the processing contract's ``/opt/ml/processing/...``; tests pass their own folders.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

LABELS = {1: "negative", 2: "negative", 3: "neutral", 4: "positive", 5: "positive"}
COLUMNS = ["review_body", "sentiment", "product_category"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--input-dir", default="/opt/ml/processing/input/reviews")
    parser.add_argument("--output-dir", default="/opt/ml/processing", help="train/, validation/ and test/ go here")
    parser.add_argument("--validation-share", type=float, default=0.1)
    parser.add_argument("--test-share", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=42)
    return parser.parse_args(argv)


def table_files(folder: Path) -> list[Path]:
    """The table's data files, skipping what Athena and Glue skip (names starting with ``_`` or ``.``)."""
    found = []
    for path in sorted(folder.rglob("*")):
        hidden = any(part.startswith(("_", ".")) for part in path.relative_to(folder).parts)
        if path.is_file() and not hidden and path.suffix.lower() in (".csv", ".parquet"):
            found.append(path)
    if not found:
        raise SystemExit(f"No CSV or Parquet files under {folder}")
    return found


def read_table(folder: Path) -> pd.DataFrame:
    frames = [pd.read_parquet(p) if p.suffix.lower() == ".parquet" else pd.read_csv(p) for p in table_files(folder)]
    frame = pd.concat(frames, ignore_index=True)
    frame.columns = [re.sub(r"[^0-9a-z]+", "_", str(c).strip().lower()).strip("_") for c in frame.columns]
    return frame


def text_column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame.columns:
        return pd.Series("", index=frame.index)
    return frame[name].fillna("").astype(str).str.strip()


def features(frame: pd.DataFrame) -> pd.DataFrame:
    """review_body, sentiment and product_category; rows without text or rating dropped."""
    if "review_body" in frame.columns:
        body = text_column(frame, "review_body")
    else:
        body = (text_column(frame, "title") + " " + text_column(frame, "review_text")).str.strip()
        body = body.where(text_column(frame, "review_text") != "", "")  # a title alone is not a review
    if "rating" not in frame.columns:
        raise SystemExit(f"The table has no rating column (columns: {', '.join(frame.columns)})")
    category = frame["product_category"] if "product_category" in frame.columns else frame.get("department_name")
    out = pd.DataFrame({"review_body": body, "sentiment": pd.to_numeric(frame["rating"], errors="coerce").map(LABELS),
                        "product_category": (category if category is not None else pd.Series(index=frame.index, dtype=object))})
    out["product_category"] = out["product_category"].fillna("unknown").astype(str)
    return out[(out["review_body"] != "") & out["sentiment"].notna()].reset_index(drop=True)


def balance(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Each sentiment down-sampled to the size of the smallest, so the classes are equal."""
    smallest = int(frame["sentiment"].value_counts().min())
    parts = [part.sample(n=smallest, random_state=seed) for _, part in frame.groupby("sentiment", sort=True)]
    return pd.concat(parts).sample(frac=1.0, random_state=seed).reset_index(drop=True)


def split(frame: pd.DataFrame, validation_share: float, test_share: float, seed: int) -> dict[str, pd.DataFrame]:
    rest, test = train_test_split(frame, test_size=test_share, random_state=seed, stratify=frame["sentiment"])
    share = validation_share / (1.0 - test_share)
    train, validation = train_test_split(rest, test_size=share, random_state=seed, stratify=rest["sentiment"])
    return {"train": train, "validation": validation, "test": test}


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    frame = features(read_table(Path(args.input_dir)))
    print(f"rows with a review and a rating: {len(frame)}; by sentiment: {frame['sentiment'].value_counts().to_dict()}")
    balanced = balance(frame, args.seed)
    print(f"balanced: {len(balanced)} rows, by sentiment: {balanced['sentiment'].value_counts().to_dict()}")
    for name, part in split(balanced, args.validation_share, args.test_share, args.seed).items():
        folder = Path(args.output_dir) / name
        folder.mkdir(parents=True, exist_ok=True)
        part[COLUMNS].to_csv(folder / f"{name}.csv", index=False)
        print(f"{name}: {len(part)} rows")


if __name__ == "__main__":
    main()
