"""One client connection, parsed by h11: strict HTTP/1.1 framing with deadlines.

h11 (pure Python, python-hyper) parses request lines and headers by the RFC's grammar: it
refuses a second ``Host``, a ``Content-Length`` that is not ASCII digits or disagrees with
another one, ``Content-Length`` together with ``Transfer-Encoding``, bare line feeds in odd
places and heads over ``MAX_HEAD_BYTES``. This module adds what h11 leaves to its user: only
HTTP/1.0 and 1.1, only origin-form targets (``/path``), one value for the headers the eraser
reads, a deadline for the whole head, a stall limit for bodies and replies, and a lingering
close so that a client still sending a refused upload reads the answer instead of a reset.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus

import h11

from rvwheels_runtime import __version__
from rvwheels_runtime.serve.errors import ApiError

SERVER = f"rvwheels-eraser/{__version__}"
MAX_HEAD_BYTES = 16 * 1024
# A refused upload is read and thrown away for at most this long and this much, after the
# answer, so that the client sees the answer (closing with unread data sends a reset).
LINGER_SECONDS = 2.0
LINGER_BYTES = 256 << 20
_CHUNK = 1 << 16
# Headers the eraser acts on: a second copy of any of them makes the request ambiguous.
SINGLE_HEADERS = frozenset(
    {"host", "origin", "sec-fetch-site", "content-type", "content-length", "expect"}
    | {"transfer-encoding", "x-eraser-token"}
)


class ConnectionGone(Exception):
    """The client closed the connection or stopped reading; nothing more can be said."""


@dataclass(frozen=True, kw_only=True)
class Request:
    method: str
    target: str
    path: str
    http_version: str
    headers: Mapping[str, str]  # lower-case names; one value each (repeats joined by ", ")


class Channel:
    """The h11 state of one socket: read requests and bodies, write answers."""

    def __init__(
        self, sock: socket.socket, *, header_timeout: float, body_timeout: float, quiet: bool
    ) -> None:
        self._sock = sock
        self._conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD_BYTES)
        self._header_timeout = header_timeout
        self._body_timeout = body_timeout
        self._quiet = quiet
        self._peer = _peer_name(sock)
        self.request: Request | None = None

    # --- reading -----------------------------------------------------------------------------

    def next_request(self) -> Request | None:
        """The next request's head, or None when the client closed or stayed idle too long.

        Raises ApiError (400, 408, 431, 505) for a head that cannot be served; the caller
        answers it and closes."""
        self.request = None
        deadline = time.monotonic() + self._header_timeout
        event = self._next_event(deadline)
        if isinstance(event, h11.ConnectionClosed) or event is None:
            return None
        if not isinstance(event, h11.Request):
            raise ApiError(status=400, message="expected a request line")
        self.request = _request(event)
        return self.request

    def read_body(self) -> bytes:
        """The request's body, after a ``100 Continue`` if the client waits for one."""
        if self._conn.they_are_waiting_for_100_continue:
            self._send(h11.InformationalResponse(status_code=100, headers=[]))
        chunks: list[bytes] = []
        while True:
            event = self._next_event(None)
            if isinstance(event, h11.EndOfMessage):
                return b"".join(chunks)
            if not isinstance(event, h11.Data):
                raise ApiError(status=400, message="the upload ended early")
            chunks.append(bytes(event.data))

    def _next_event(self, deadline: float | None) -> object:
        """The next h11 event. ``deadline`` bounds a head; None allows ``body_timeout`` of
        silence between the pieces of a body. None is returned for an idle keep-alive."""
        received = False
        while True:
            try:
                event = self._conn.next_event()
            except h11.RemoteProtocolError as err:
                raise _protocol_error(err, self._conn) from None
            if event is not h11.NEED_DATA:
                return event
            data = self._receive(deadline, received)
            if data is None:
                return None
            received = True
            self._conn.receive_data(data)

    def _receive(self, deadline: float | None, received: bool) -> bytes | None:
        left = self._body_timeout if deadline is None else deadline - time.monotonic()
        idle = deadline is not None and not received and not self._conn.trailing_data[0]
        try:
            if left <= 0:
                raise TimeoutError
            self._sock.settimeout(left)
            return self._sock.recv(_CHUNK)
        except TimeoutError:
            if idle and self._conn.their_state is h11.IDLE:
                return None  # a kept-alive connection that was not used again
            if deadline is not None:
                message = f"the request head did not arrive within {self._header_timeout:g} s"
            else:
                message = f"the upload stalled for {self._body_timeout:g} s"
            raise ApiError(status=408, message=message) from None
        except OSError as err:
            raise ConnectionGone(str(err)) from None

    # --- writing -----------------------------------------------------------------------------

    def respond(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
        """Send one whole answer; closes the connection afterwards when the request's body
        was not read (it would be taken for the next request) or the request was broken."""
        if self._conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return  # an answer went out already (the client stopped reading mid-way)
        fields = [*headers, ("Content-Length", str(len(body))), ("Server", SERVER)]
        self._take_empty_body()
        if self._conn.their_state is not h11.DONE:
            fields.append(("Connection", "close"))
        self._send(h11.Response(status_code=status, headers=fields, reason=_reason(status)))
        if self.request is None or self.request.method != "HEAD":  # HEAD: the head only
            self._send(h11.Data(data=body))
        self._send(h11.EndOfMessage())
        self._log(status, len(body))

    def _take_empty_body(self) -> None:
        """A request without a body (a GET) ends at once: let h11 see that, without reading,
        so that the connection can be kept for the next request."""
        if self._conn.their_state is h11.SEND_BODY:
            with contextlib.suppress(h11.RemoteProtocolError):
                self._conn.next_event()

    def _send(self, event: object) -> None:
        data = self._conn.send(event)
        try:
            self._sock.settimeout(self._body_timeout)
            self._sock.sendall(data or b"")
        except OSError as err:
            self._conn.send_failed()
            raise ConnectionGone(str(err)) from None

    def next_cycle(self) -> bool:
        """Get ready for the client's next request; False when the connection must close."""
        if self._conn.our_state is h11.DONE and self._conn.their_state is h11.DONE:
            self._conn.start_next_cycle()
            return True
        return False

    def linger(self) -> None:
        """Before closing: if the client may still be sending, stop writing and read what
        it sends for a moment, so that our answer is not lost to a reset."""
        if self._conn.their_state not in (h11.SEND_BODY, h11.ERROR, h11.IDLE):
            return
        deadline = time.monotonic() + LINGER_SECONDS
        drained = 0
        try:
            self._sock.shutdown(socket.SHUT_WR)
            while drained < LINGER_BYTES and (left := deadline - time.monotonic()) > 0:
                self._sock.settimeout(left)
                chunk = self._sock.recv(_CHUNK)
                if not chunk:
                    return
                drained += len(chunk)
        except OSError:
            return

    def _log(self, status: int, size: int) -> None:
        if self._quiet:
            return
        request = self.request
        line = f"{request.method} {request.target} HTTP/{request.http_version}" if request else "-"
        stamp = time.strftime("%d/%b/%Y %H:%M:%S")
        print(f'{self._peer} - - [{stamp}] "{line}" {status} {size}', file=sys.stderr)


def _request(event: h11.Request) -> Request:
    version = event.http_version.decode("ascii")
    if version not in ("1.0", "1.1"):
        message = f"HTTP/{version} is not supported; this server speaks HTTP/1.1"
        raise ApiError(status=505, message=message)
    size = len(event.target) + sum(len(name) + len(value) + 4 for name, value in event.headers)
    if size > MAX_HEAD_BYTES:  # h11 checks only heads that arrive in pieces
        message = f"the request head is larger than {MAX_HEAD_BYTES // 1024} KiB"
        raise ApiError(status=431, message=message)
    target = event.target.decode("ascii", "replace")
    if not target.startswith("/"):
        message = f"request target {target[:80]!r} must be a path starting with / (not a URL)"
        raise ApiError(status=400, message=message)
    headers: dict[str, str] = {}
    for raw_name, raw_value in event.headers:
        name, value = raw_name.decode("ascii"), raw_value.decode("latin-1")
        if name in headers and name in SINGLE_HEADERS:
            raise ApiError(status=400, message=f"more than one {name} header")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    path = target.split("?", 1)[0].split("#", 1)[0]
    method = event.method.decode("ascii")
    return Request(method=method, target=target, path=path, http_version=version, headers=headers)


def _protocol_error(err: h11.RemoteProtocolError, conn: h11.Connection) -> ApiError:
    """h11's complaint as a one-line answer; a body cut short is named as such."""
    status = err.error_status_hint if 400 <= err.error_status_hint < 600 else 400
    reason = str(err).splitlines()[0] if str(err) else "malformed request"
    if conn.their_state is h11.ERROR and "peer closed" in reason:
        return ApiError(status=400, message=f"the upload ended early ({reason})")
    if status == 431:
        reason = f"the request head is larger than {MAX_HEAD_BYTES // 1024} KiB"
    return ApiError(status=status, message=f"bad request: {reason}")


def _reason(status: int) -> bytes:
    try:
        return HTTPStatus(status).phrase.encode("ascii")
    except ValueError:
        return b""


def _peer_name(sock: socket.socket) -> str:
    try:
        return str(sock.getpeername()[0])
    except OSError:
        return "-"
