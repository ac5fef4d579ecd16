"""Full query results streamed to the browser by a small HTTP server inside the app process.

Streamlit's download button cannot stream: whatever it is given (bytes, a file object, or a callable
run on click) is turned into one bytes object and kept in its in-memory media file storage, so a
40-million-row CSV took over a GB of the app's memory. Instead the page mints a one-time token for a
result and links to ``http://<host>:<port>/downloads/<token>``; this server answers that one request
by writing the export's chunks as they come (the CSV is written record batch by record batch from the
stored Parquet) and forgets the token. Memory is one batch, whatever the result's size.

Who may download: only a holder of a token, and tokens exist only in the page that minted them
(unguessable, single use, expiring after ``TOKEN_SECONDS``). The server binds the app's own address
(``WORKBENCH_ADDRESS``, loopback by default) on a free port, so other users of the machine cannot list
or fetch results, and nothing new is exposed beyond what the app already serves.
"""

from __future__ import annotations

import logging
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from services.config import Settings
from services.errors import NotFound, ServiceError
from services.models import DownloadTicket
from services.query.base import ExportFormat
from services.query.history import QueryHistory
from services.query.models import result_file_name

TOKEN_SECONDS = 15 * 60.0
MAX_TOKENS = 1000
PATH_PREFIX = "/downloads/"
UNSAFE_FILE_NAME = re.compile(r"[^A-Za-z0-9._-]")

log = logging.getLogger(__name__)

Chunks = Callable[[], Iterator[bytes]]


@dataclass(frozen=True)
class _Download:
    file_name: str
    content_type: str
    chunks: Chunks
    expires: float


class DownloadServer:
    """Serves each minted download once, streaming its chunks; a daemon thread per request."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._downloads: dict[str, _Download] = {}
        self._lock = threading.Lock()
        server_class = _IPv6Server if ":" in host else ThreadingHTTPServer
        self._http = server_class((host, port), _handler_for(self))
        self._http.daemon_threads = True
        self.host = host
        self.port = int(self._http.server_address[1])
        self._thread = threading.Thread(target=self._http.serve_forever, name="downloads", daemon=True)
        self._thread.start()

    def mint(self, file_name: str, content_type: str, chunks: Chunks) -> str:
        """A one-time token for downloading ``chunks()`` as ``file_name`` (nothing is read until then)."""
        token = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            self._forget_expired(now)
            self._downloads[token] = _Download(UNSAFE_FILE_NAME.sub("_", file_name) or "download",
                                               content_type, chunks, now + TOKEN_SECONDS)
        return token

    def path(self, token: str) -> str:
        return PATH_PREFIX + token

    def take(self, token: str) -> _Download | None:
        """The download for ``token``, once: the token is spent whether or not it was still valid."""
        with self._lock:
            download = self._downloads.pop(token, None)
        if download is None or download.expires < time.monotonic():
            return None
        return download

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def _forget_expired(self, now: float) -> None:
        for token in [t for t, d in self._downloads.items() if d.expires < now]:
            del self._downloads[token]
        while len(self._downloads) >= MAX_TOKENS:  # the oldest links stop working first
            del self._downloads[next(iter(self._downloads))]


def _handler_for(server: DownloadServer) -> type[BaseHTTPRequestHandler]:
    class DownloadHandler(BaseHTTPRequestHandler):
        # HTTP/1.0: the body ends when the connection closes, so no length is needed before streaming.
        protocol_version = "HTTP/1.0"

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            token = self.path[len(PATH_PREFIX):] if self.path.startswith(PATH_PREFIX) else ""
            download = server.take(token) if token else None
            if download is None:
                self._plain(404, "This download link is unknown, used or expired: download again from the Query page.")
                return
            try:
                chunks = download.chunks()
            except ServiceError as exc:
                self._plain(410, f"{exc.message} {exc.hint}".strip())
                return
            self._stream(download, chunks)

        def _stream(self, download: _Download, chunks: Iterator[bytes]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", download.content_type)
            self.send_header("Content-Disposition", f'attachment; filename="{download.file_name}"')
            self._common_headers()
            try:
                for chunk in chunks:
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):  # the browser cancelled the download
                log.info("Download of %s cancelled by the client", download.file_name)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()

        def _plain(self, status: int, text: str) -> None:
            body = (text + "\n").encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self._common_headers()
            self.wfile.write(body)

        def _common_headers(self) -> None:
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's signature
            log.debug("download %s", format % args)  # tokens are secrets: keep them out of the default log

    return DownloadHandler


class _IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


_servers: dict[str, DownloadServer] = {}
_servers_lock = threading.Lock()


def download_server(host: str) -> DownloadServer:
    """This process's download server on ``host`` (started on first use, then shared)."""
    with _servers_lock:
        if host not in _servers:
            _servers[host] = DownloadServer(host)
        return _servers[host]


DOWNLOAD_TYPES = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


class ResultDownloads:
    """The query port's ``download_ticket``, the same on both adapters: a one-time link that streams
    ``export_chunks`` from this process's download server (bound where the app is served), named after the
    saved query or the table it reads (``result_file_name``)."""

    settings: Settings
    history_store: QueryHistory

    def export_chunks(self, query_id: str, fmt: ExportFormat) -> Iterator[bytes]:
        raise NotImplementedError

    def download_ticket(self, query_id: str, fmt: ExportFormat) -> DownloadTicket:
        server = download_server(self.settings.address)
        token = server.mint(self.download_name(query_id, fmt), DOWNLOAD_TYPES[fmt], partial(self.export_chunks, query_id, fmt))
        return DownloadTicket(server.host, server.port, server.path(token))

    def download_name(self, query_id: str, fmt: ExportFormat) -> str:
        """The file name a download of ``query_id`` gets; the id itself for executions the history does not hold."""
        try:
            entry = self.history_store.get(query_id)
        except NotFound:
            return f"{query_id}.{fmt}"
        wanted = " ".join(entry.sql.split()).rstrip(";")
        saved = next((q.name for q in self.history_store.saved_queries() if " ".join(q.sql.split()).rstrip(";") == wanted), "")
        return result_file_name(entry.sql, entry.submitted_at, fmt, saved)
