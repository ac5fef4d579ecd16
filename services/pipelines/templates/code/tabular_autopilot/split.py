"""Split a table for the tabular Autopilot pipeline (a SageMaker Processing script, scikit-learn image).

Reads the table's files (CSV or Parquet, as the catalog lays them out: folders and files starting with ``_`` or
``.`` are not the table's), leaves out the columns named in ``--drop-columns`` (e.g. wine's numeric copy of its
label, which would give the answer away), drops rows without a target, and writes a seeded split, stratified on
the target when every class has at least two rows (each class gives the same share):

* ``train/train.csv``: a header and every kept column, the target included (Autopilot's training channel,
  ``text/csv;header=present``);
* ``test-features/features.csv``: the held-out rows' features in the training order, without a header (the
  batch transform's input: one ``text/csv`` record a line, as Autopilot's inference container reads them);
* ``test-labels/labels.csv``: the held-out rows' target under a header, in the same order.

Paths default to the processing contract's ``/opt/ml/processing/...``; tests pass their own folders.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--input-dir", default="/opt/ml/processing/input/table")
    parser.add_argument("--output-dir", default="/opt/ml/processing", help="train/, test-features/ and test-labels/ go here")
    parser.add_argument("--target", required=True, help="the column to predict")
    parser.add_argument("--drop-columns", default="", help="comma-separated columns to leave out")
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
    return pd.concat(frames, ignore_index=True)


def select_columns(frame: pd.DataFrame, target: str, drop: list[str]) -> pd.DataFrame:
    """The kept columns, target last; rows without a target dropped."""
    missing = [name for name in [target, *drop] if name not in frame.columns]
    if missing:
        raise SystemExit(f"The table has no column {', '.join(missing)} (columns: {', '.join(map(str, frame.columns))})")
    features = [name for name in frame.columns if name != target and name not in drop]
    if not features:
        raise SystemExit("No feature columns are left once the target and the dropped columns are taken out")
    return frame.loc[frame[target].notna(), [*features, target]].reset_index(drop=True)


def split(frame: pd.DataFrame, target: str, test_share: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The held-out share drawn from each class (plain pandas: importing scikit-learn costs the step seconds)."""
    counts = frame[target].value_counts()
    if len(counts) > 1 and counts.min() >= 2:
        test = frame.groupby(target, sort=True).sample(frac=test_share, random_state=seed)
    else:
        test = frame.sample(frac=test_share, random_state=seed)
    return frame.drop(index=test.index), test


def write(folder: Path, name: str, part: pd.DataFrame, *, header: bool) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    part.to_csv(folder / name, index=False, header=header)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    drop = [name.strip() for name in args.drop_columns.split(",") if name.strip() and name.strip() != args.target]
    frame = select_columns(read_table(Path(args.input_dir)), args.target, drop)
    print(f"rows with a target: {len(frame)}; features: {', '.join(map(str, frame.columns[:-1]))}; dropped: {', '.join(drop) or 'none'}")
    train, test = split(frame, args.target, args.test_share, args.seed)
    if train.empty or test.empty:
        raise SystemExit(f"{len(frame)} rows with a target are too few to hold out {args.test_share:.0%} of them")
    output = Path(args.output_dir)
    write(output / "train", "train.csv", train, header=True)
    write(output / "test-features", "features.csv", test.drop(columns=[args.target]), header=False)
    write(output / "test-labels", "labels.csv", test[[args.target]], header=True)
    print(f"train: {len(train)} rows; held out: {len(test)} rows; by {args.target}: {test[args.target].value_counts().to_dict()}")


if __name__ == "__main__":
    main()
