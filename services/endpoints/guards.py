"""What the endpoint servers and the runtime gateway check before they trust a request.

* ``Host`` (``HostCheck``): a web page can make the browser send a "simple" POST to
  ``127.0.0.1:<port>``, and DNS rebinding lets it read the answer too; both carry the page's own
  host name in ``Host``. So a request is served only when ``Host`` names the address the server was
  started on (with its port): the bound host, ``localhost``/``127.0.0.1``/``::1`` for a loopback
  bind, and for a wildcard bind (``0.0.0.0``) any IP address or this machine's name. Others get 421.
* ``Content-Type``: required and one of ``REQUEST_FORMATS`` (a cross-site "simple" request can only
  send ``text/plain``, forms or none), else 415.
* The body (``read_limited``): read as a stream and refused once it is over SageMaker's 6 MB, so at
  most the limit plus one chunk is ever held. The rest of an over-limit body is then read and
  thrown away (up to ``DRAIN_MAX_BYTES`` or ``DRAIN_SECONDS``) before the 413 goes out: a server
  that answers and closes while the client is still sending resets the connection, and the client
  sees "Connection reset by peer" instead of the 413 (uvicorn closes at once when the client sent
  ``Connection: close``, as ``urllib`` does).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from collections.abc import AsyncIterator, Callable
from urllib.parse import urlsplit

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

REQUEST_FORMATS = {"application/json": "json", "application/jsonlines": "jsonlines", "application/x-jsonlines": "jsonlines",
                   "application/jsonl": "jsonlines", "text/csv": "csv"}
DRAIN_MAX_BYTES = 64 * 1024 * 1024  # beyond this, an over-limit body is not read to its end (the client may see a reset)
DRAIN_SECONDS = 10.0
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})


# -- Host ---------------------------------------------------------------------------------------------------


def is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def is_loopback(name: str) -> bool:
    return name == "localhost" or (is_ip_address(name) and ipaddress.ip_address(name).is_loopback)


def host_allowed(header: str, bound_host: str, port: int) -> bool:
    """Whether a ``Host`` header names the server bound to ``bound_host``:``port``."""
    try:
        parts = urlsplit("//" + header.strip())
        name, given_port = (parts.hostname or ""), parts.port
    except ValueError:  # a port that is not a number, or brackets that do not close
        return False
    if not name or (given_port or 80) != port:
        return False
    bound = bound_host.strip("[]").lower()
    if bound in WILDCARD_HOSTS:
        return is_ip_address(name) or name in LOOPBACK_NAMES or name == socket.gethostname().lower()
    if is_loopback(bound):
        return name == bound or name in LOOPBACK_NAMES
    return name == bound


class HostCheck:
    """ASGI middleware: requests whose ``Host`` is not the bound address get ``refuse(message)`` (421)."""

    def __init__(self, app: ASGIApp, host: str, port: int, refuse: Callable[[int, str], Response]) -> None:
        self.app, self.host, self.port, self.refuse = app, host, port, refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            header = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
            if not host_allowed(header, self.host, self.port):
                message = (f"Host {header!r} is not the address this server was started on "
                           f"({self.host}:{self.port}); call it by that address.")
                await self.refuse(421, message)(scope, receive, send)
                return
        await self.app(scope, receive, send)


# -- Content-Type -------------------------------------------------------------------------------------------


def media_type(header: str) -> str:
    return header.split(";")[0].strip().lower()


def content_type_problem(header: str) -> str:
    """Why a request's ``Content-Type`` is refused (415), or "" when it names a supported format."""
    supported = ", ".join(sorted(REQUEST_FORMATS))
    if not media_type(header):
        return f"The request has no Content-Type; send one of {supported}."
    if media_type(header) not in REQUEST_FORMATS:
        return f"Content type {header!r} is not supported; use {supported}."
    return ""


# -- the body -----------------------------------------------------------------------------------------------


class BodyTooLarge(Exception):
    """The body is over the limit; ``drained`` tells whether the rest of it was read (else close the connection)."""

    def __init__(self, message: str, drained: bool) -> None:
        super().__init__(message)
        self.message = message
        self.drained = drained


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, holding at most ``limit`` bytes plus one chunk; ``BodyTooLarge`` past the limit, after
    reading the rest (within bounds) so the client gets the answer instead of a reset connection."""
    declared = request.headers.get("content-length", "")
    stream = request.stream()
    if declared.isdigit() and int(declared) > limit:
        drained = int(declared) <= DRAIN_MAX_BYTES and await drain(stream, DRAIN_MAX_BYTES)
        raise BodyTooLarge(f"The body has {int(declared):,} bytes; the limit is {limit:,}.", drained)
    chunks: list[bytes] = []
    size = 0
    async for chunk in stream:
        size += len(chunk)
        if size > limit:
            chunks.clear()
            drained = await drain(stream, DRAIN_MAX_BYTES - size)
            raise BodyTooLarge(f"The body is over the limit of {limit:,} bytes.", drained)
        chunks.append(chunk)
    return b"".join(chunks)


async def drain(stream: AsyncIterator[bytes], budget: int) -> bool:
    """Read and discard the rest of ``stream``; False when it is over ``budget`` bytes or ``DRAIN_SECONDS``."""
    with contextlib.suppress(ClientDisconnect):
        try:
            async with asyncio.timeout(DRAIN_SECONDS):
                async for chunk in stream:
                    budget -= len(chunk)
                    if budget < 0:
                        return False
        except TimeoutError:
            return False
    return True
