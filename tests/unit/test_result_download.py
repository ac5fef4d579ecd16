"""Full-result downloads: CSV written batch by batch from the stored result, served by one-time links."""

from __future__ import annotations

import io
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from services.embedded.workspace import Workspace
from services.errors import NotFound
from services.query.downloads import DownloadServer
from services.query.local import csv_chunks, file_chunks
from services.registry import Services


def stored_result(services: Services, query_id: str) -> Path:
    return Workspace(services.settings.home).results / f"{query_id}.parquet"


def whole_csv(path: Path) -> bytes:
    """The CSV as the download used to build it: one writer over every batch into one buffer."""
    buffer = io.BytesIO()
    parquet = pq.ParquetFile(path)
    with pa_csv.CSVWriter(buffer, parquet.schema_arrow) as writer:
        for batch in parquet.iter_batches():
            writer.write_batch(batch)
    return buffer.getvalue()


def test_csv_is_produced_batch_by_batch_and_equals_the_whole_csv(seeded_services: Services) -> None:
    result = seeded_services.query.run("SELECT review_id, review_body, rating FROM demo.reviews_sentiment ORDER BY review_id")
    path = stored_result(seeded_services, result.query_id)

    chunks = list(csv_chunks(pq.ParquetFile(path), batch_rows=1000))

    assert len(chunks) == 20  # 20,000 rows, 1,000 at a time
    assert max(len(c) for c in chunks) < sum(len(c) for c in chunks) / 10
    assert chunks[0].startswith(b'"review_id","review_body","rating"\n')
    assert b"".join(chunks) == whole_csv(path)


def test_the_port_streams_csv_and_the_stored_parquet_file(seeded_services: Services) -> None:
    query = seeded_services.query
    query_id = query.run("SELECT * FROM demo.reviews").query_id
    path = stored_result(seeded_services, query_id)

    assert b"".join(query.export_chunks(query_id, "csv")) == whole_csv(path)
    assert b"".join(query.export_chunks(query_id, "parquet")) == path.read_bytes()
    assert len(list(file_chunks(path, chunk_bytes=64 * 1024))) == -(-path.stat().st_size // (64 * 1024))


def test_an_empty_result_downloads_its_header(seeded_services: Services) -> None:
    query_id = seeded_services.query.run("SELECT rating, age FROM demo.reviews WHERE rating > 99").query_id
    assert b"".join(seeded_services.query.export_chunks(query_id, "csv")) == b'"rating","age"\n'


def test_a_failed_query_has_nothing_to_stream(seeded_services: Services) -> None:
    with pytest.raises(Exception):  # noqa: B017,PT011 - the query's own error, whatever it is
        seeded_services.query.run("SELECT nope FROM demo.reviews")
    failed = seeded_services.query.history()[0].query_id
    with pytest.raises(Exception, match="nope"):  # noqa: PT011
        seeded_services.query.export_chunks(failed, "csv")


# -- the download server ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[DownloadServer]:
    server = DownloadServer("127.0.0.1")
    yield server
    server.close()


def fetch(server: DownloadServer, path: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}", timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_a_link_streams_the_chunks_once_as_an_attachment(server: DownloadServer) -> None:
    token = server.mint("result 1/../x.csv", "text/csv", lambda: iter([b"a,b\n", b"1,2\n", b"3,4\n"]))

    status, headers, body = fetch(server, server.path(token))
    again, _, _ = fetch(server, server.path(token))

    assert (status, body) == (200, b"a,b\n1,2\n3,4\n")
    assert headers["Content-Type"] == "text/csv"
    assert headers["Content-Disposition"] == 'attachment; filename="result_1_.._x.csv"'
    assert headers["Cache-Control"] == "no-store"
    assert again == 404


@pytest.mark.parametrize("path", ["/downloads/", "/downloads/not-a-token", "/", "/downloads/../etc/passwd"])
def test_unknown_links_get_404_and_nothing_else(server: DownloadServer, path: str) -> None:
    server.mint("x.csv", "text/csv", lambda: iter([b"secret"]))
    status, _, body = fetch(server, path)
    assert status == 404 and b"secret" not in body


def test_tokens_are_unguessable_and_the_server_is_on_loopback(server: DownloadServer) -> None:
    tokens = {server.mint("x.csv", "text/csv", lambda: iter([b""])) for _ in range(50)}
    assert len(tokens) == 50 and min(len(t) for t in tokens) >= 40
    assert server.host == "127.0.0.1"


def test_a_result_that_expired_since_the_link_was_made_says_so(server: DownloadServer) -> None:
    def expired() -> Iterator[bytes]:
        raise NotFound("The result of this query expired.", hint="Run the query again.")

    status, _, body = fetch(server, server.path(server.mint("x.csv", "text/csv", expired)))
    assert status == 410
    assert body.decode() == "The result of this query expired. Run the query again.\n"


def test_a_query_result_downloads_through_its_link(seeded_services: Services, server: DownloadServer) -> None:
    query = seeded_services.query
    query_id = query.run("SELECT * FROM demo.reviews").query_id
    token = server.mint(f"{query_id}.csv", "text/csv", lambda: query.export_chunks(query_id, "csv"))

    status, _, body = fetch(server, server.path(token))

    assert status == 200
    assert body == whole_csv(stored_result(seeded_services, query_id))
