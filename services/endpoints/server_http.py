"""The endpoint server's HTTP connections: uvicorn's httptools protocol, with each response sent in one write.

uvicorn writes a response's head (on ``http.response.start``) and its body (on ``http.response.body``) to the
socket separately. On loopback each ``send`` hands the bytes straight to the client, which is woken twice per
answer: for the head, then for the body. On a busy 2-core machine the woken client can take the core while the
server is still inside the first ``send`` (py-spy showed about a third of a text-tfidf server's request time
there). ``CoalescedWrites`` holds the writes made in one turn of the event loop and sends them together at
the end of the turn, so head and body leave in one ``send``; closing sends what is held first.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CoalescedWrites:
    """A transport whose writes within one event-loop turn go out as one write; the rest is the wrapped transport's."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._held:
            self._loop.call_soon(self.flush)
        self._held.append(bytes(data))

    def flush(self) -> None:
        """Send what is held (dropped if the connection is already closing, as the transport itself would)."""
        if not self._held:
            return
        data = b"".join(self._held)
        self._held.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class OneWriteHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol writing through ``CoalescedWrites``."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.transport = CoalescedWrites(transport, self.loop)  # type: ignore[assignment]
