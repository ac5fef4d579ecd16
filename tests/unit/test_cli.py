"""``python -m services``: JSON on stdout, one-line errors on stderr with exit code 2, never a traceback."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, home: Path, seed: bool = False, extra_env: dict[str, str] | None = None,
        ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKBENCH_") or k == "WORKBENCH_IMPORT_ROOTS"}
    env |= {"WORKBENCH_HOME": str(home), "WORKBENCH_SEED_ON_START": "true" if seed else "false",
            "PYTHONPATH": str(ROOT)}
    env |= extra_env or {}
    return subprocess.run([sys.executable, "-m", "services", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


class InProcess:
    """``services.cli.main`` in this process (fast); same contract as the real command."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        self.monkeypatch, self.capsys = monkeypatch, capsys

    def __call__(self, *args: str, home: Path, extra_env: dict[str, str] | None = None,
                 ) -> subprocess.CompletedProcess[str]:
        from services.cli import main

        for name in [k for k in os.environ if k.startswith("WORKBENCH_") and k != "WORKBENCH_IMPORT_ROOTS"]:
            self.monkeypatch.delenv(name)
        env = {"WORKBENCH_HOME": str(home), "WORKBENCH_SEED_ON_START": "false"} | (extra_env or {})
        for name, value in env.items():
            self.monkeypatch.setenv(name, value)
        self.capsys.readouterr()
        code = main(list(args))
        out, err = self.capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, out, err)


@pytest.fixture
def cli_fast(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> InProcess:
    return InProcess(monkeypatch, capsys)


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout


def assert_user_error(done: subprocess.CompletedProcess[str], *fragments: str) -> str:
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert done.stdout == ""
    return lines[0]


@pytest.fixture
def seeded_home_copy(seeded_home: Path, tmp_path: Path) -> Path:
    home = tmp_path / "cli-home"
    shutil.copytree(seeded_home, home)
    return home


def test_catalog_databases_tables_and_describe(seeded_home_copy: Path) -> None:
    home = seeded_home_copy
    assert json.loads(ok(cli("catalog", "databases", home=home)))[0]["Name"] == "demo"
    tables = json.loads(ok(cli("catalog", "tables", "demo", home=home)))
    assert [t["Name"] for t in tables] == ["reviews", "reviews_by_division", "reviews_sentiment", "wine"]

    described = json.loads(ok(cli("catalog", "describe", "demo.reviews_by_division", home=home)))
    assert {"Name", "DatabaseName", "TableType", "Parameters", "PartitionKeys", "StorageDescriptor",
            "VersionId"} <= set(described)
    assert described["Name"] == "reviews_by_division"
    assert described["DatabaseName"] == "demo"
    assert described["PartitionKeys"][0]["Name"] == "division"
    assert described["PartitionKeys"][0]["Type"] == "string"
    storage = described["StorageDescriptor"]
    assert storage["Location"].startswith("s3://")
    assert {"Name", "Type", "Comment"} <= set(storage["Columns"][0])
    assert described["Parameters"]["classification"] == "parquet"


def test_describe_keeps_original_headers_as_comments(seeded_home_copy: Path, cli_fast: InProcess) -> None:
    described = json.loads(ok(cli_fast("catalog", "describe", "demo.reviews", home=seeded_home_copy)))
    assert described["StorageDescriptor"]["Columns"][0] == {"Name": "clothing_id", "Type": "bigint",
                                                           "Comment": "Clothing ID"}


def test_query_json_and_csv(seeded_home_copy: Path) -> None:
    sql = "SELECT rating, count(*) AS n FROM reviews GROUP BY rating ORDER BY rating"
    body = json.loads(ok(cli("query", sql, "--database", "demo", home=seeded_home_copy)))
    assert body["columns"] == [{"name": "rating", "type": "bigint"}, {"name": "n", "type": "bigint"}]
    assert [row[0] for row in body["rows"]] == [1, 2, 3, 4, 5]
    assert sum(row[1] for row in body["rows"]) == 20_000
    assert body["statistics"]["rows"] == 5
    assert body["statistics"]["bytes_scanned"] > 0
    assert body["statistics"]["elapsed_ms"] >= 0

    text = ok(cli("query", sql, "--database", "demo", "--format", "csv", home=seeded_home_copy))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["rating", "n"]
    assert len(rows) == 6


def test_import_creates_the_database(tmp_path: Path, cli_fast: InProcess) -> None:
    home = tmp_path / "home"
    source = tmp_path / "people.csv"
    source.write_text("Full Name,Age\nAda,36\n")
    table = json.loads(ok(cli_fast("catalog", "import", str(source), "--database", "People DB", "--table", "people",
                              home=home)))
    assert (table["DatabaseName"], table["Name"]) == ("people_db", "people")
    assert table["StorageDescriptor"]["Columns"][0] == {"Name": "full_name", "Type": "string", "Comment": "Full Name"}
    assert [d["Name"] for d in json.loads(ok(cli_fast("catalog", "databases", home=home)))] == ["people_db"]
    body = json.loads(ok(cli_fast("query", "SELECT full_name, age FROM people_db.people", home=home)))
    assert body["rows"] == [["Ada", 36]]


@pytest.mark.parametrize(
    "args, fragments",
    [
        (("query", "DROP TABLE demo.reviews"), ("DROP is not allowed",)),
        (("query", "SELECT * FROM read_csv('/etc/passwd')"), ("reads files directly",)),
        (("query", "SELECT * FROM demo.reviws"), ("does not exist", "Did you mean demo.reviews?")),
        (("query", "SELEC 1"), ("Syntax error",)),
        (("query", "SELECT 1", "--max-rows", "0"), ("--max-rows",)),
        (("catalog", "describe", "reviews"), ("DATABASE.TABLE",)),
        (("catalog", "describe", "demo.nope"), ("demo.nope does not exist",)),
        (("catalog", "tables", "nope"), ("'nope' does not exist",)),
        (("catalog", "import", "/definitely/not/here.csv", "--database", "d", "--table", "t"), ("does not exist",)),
    ],
    ids=["refused", "file-access", "unknown-table", "syntax", "max-rows", "bad-name", "missing-table",
         "missing-db", "missing-file"],
)
def test_errors_are_one_line_with_exit_code_2(seeded_home_copy: Path, cli_fast: InProcess, args: tuple[str, ...],
                                              fragments: tuple[str, ...]) -> None:
    assert_user_error(cli_fast(*args, home=seeded_home_copy), *fragments)


def test_errors_from_the_real_command_have_no_traceback(seeded_home_copy: Path) -> None:
    assert_user_error(cli("query", "SELECT * FROM demo.reviws", home=seeded_home_copy), "Did you mean demo.reviews?")


def test_bad_file_import_keeps_the_existing_table(seeded_home_copy: Path, tmp_path: Path, cli_fast: InProcess) -> None:
    bad = tmp_path / "wine.csv"
    bad.write_bytes("a,b\nJos\u00e9,1\n".encode("latin-1"))
    assert_user_error(cli_fast("catalog", "import", str(bad), "--database", "demo", "--table", "wine",
                          home=seeded_home_copy), "not UTF-8")
    body = json.loads(ok(cli_fast("query", "SELECT count(*) AS n FROM demo.wine", home=seeded_home_copy)))
    assert body["rows"] == [[178]]


def test_bad_setting_is_a_user_error(tmp_path: Path, cli_fast: InProcess) -> None:
    line = assert_user_error(cli_fast("catalog", "databases", home=tmp_path,
                                 extra_env={"WORKBENCH_QUERY_TIMEOUT_SECONDS": "abc"}), "not a number")
    assert "WORKBENCH_QUERY_TIMEOUT_SECONDS" in line
    assert_user_error(cli_fast("catalog", "databases", home=tmp_path, extra_env={"WORKBENCH_BACKEND": "gcp"}),
                      "not a backend")


def test_query_timeout_from_the_environment(tmp_path: Path) -> None:
    done = cli("query", "SELECT count(*) FROM range(1000000000) a, range(1000000) b WHERE a.range + b.range = 1",
               home=tmp_path, extra_env={"WORKBENCH_QUERY_TIMEOUT_SECONDS": "0.3"})
    assert_user_error(done, "timeout")


def test_seed_is_idempotent_and_data_builds_no_model(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = json.loads(ok(cli("seed", "--demo", "data", home=home)))
    assert sorted(first["created"]) == ["demo.reviews", "demo.reviews_by_division", "demo.reviews_sentiment",
                                        "demo.wine"]
    assert (first["demo"], first["built"], first["found"]) == ("data", [], [])
    assert not (home / "models").exists() and not (home / "demo" / "status.json").exists()
    second = json.loads(ok(cli("seed", home=home, extra_env={"WORKBENCH_DEMO": "data"})))
    assert second["created"] == []
    described = json.loads(ok(cli("catalog", "describe", "demo.reviews", home=home)))
    assert described["VersionId"] == "1"
