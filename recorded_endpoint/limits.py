"""Limits that keep one client from holding up the others: read deadlines, body size, JSON shape.

uvicorn bounds the size of request headers (``h11_max_incomplete_event_size``, 16 KB by default), idle
keep-alive connections (``timeout_keep_alive``) and the number of connections (``limit_concurrency``), but
has no deadline for the request headers or body to arrive. :class:`HeaderDeadlineProtocol` and
:class:`BodyDeadline` add those two.
"""

from __future__ import annotations

import asyncio
import json
import resource
import time
from typing import Any

import h11
from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_DEADLINE_S = 10.0  # from connecting (or the end of the previous answer) to the end of the headers
BODY_DEADLINE_S = 30.0  # from the headers to the end of the body
MAX_BODY_BYTES = 1_000_000
MAX_JSON_DEPTH = 32  # a chat request nests 5 deep; far deeper is an attack or a bug, never a prompt
MAX_NUMBER_CHARS = 40  # longer than any float or integer a request needs; Python refuses ints over 4300 digits
ROOM_CONNECTIONS = 1000  # the room-mode default for uvicorn's limit_concurrency (then 503 Service Unavailable)


class HeaderDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request headers do not arrive in time (slowloris)."""

    header_deadline_s = HEADER_DEADLINE_S
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the request line and headers are in
            self._cancel_header_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.conn.our_state is h11.IDLE:  # the connection is kept alive for another request
            self._arm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_deadline()
        super().connection_lost(exc)

    def _arm_header_deadline(self) -> None:
        self._cancel_header_deadline()
        self._header_timer = self.loop.call_later(self.header_deadline_s, self._headers_too_slow)

    def _cancel_header_deadline(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


class BodyTooSlow(Exception):
    """The request body did not arrive within the deadline."""


class BodyDeadline:
    """ASGI middleware: a request body must arrive within ``deadline_s`` of the request's start."""

    def __init__(self, app: ASGIApp, deadline_s: float | None = None) -> None:
        self.app = app
        self._deadline_s = deadline_s

    @property
    def deadline_s(self) -> float:
        """The deadline given, else :data:`BODY_DEADLINE_S` as it is now."""
        return BODY_DEADLINE_S if self._deadline_s is None else self._deadline_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = time.monotonic() + self.deadline_s
        body_done = False

        async def receive_in_time() -> Message:
            nonlocal body_done
            if body_done:  # after the body, receive() only waits for a disconnect: no deadline
                return await receive()
            try:
                async with asyncio.timeout(max(deadline - time.monotonic(), 0.001)):  # no extra task, unlike wait_for
                    message = await receive()
            except TimeoutError as error:
                raise BodyTooSlow(f"The request body did not arrive within {self.deadline_s:g} seconds.") from error
            body_done = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        await self.app(scope, receive_in_time, send)


class BodyTooLarge(Exception):
    """The request body is (or says it is) larger than the limit."""


class BodyIncomplete(Exception):
    """The client hung up before the body was complete."""


async def read_bounded(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, read no further than ``limit`` bytes (each route family words the two errors its own way)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    raw = bytearray()
    try:
        async for piece in request.stream():
            raw += piece
            if len(raw) > limit:
                raise BodyTooLarge
    except ClientDisconnect:
        raise BodyIncomplete from None
    return bytes(raw)


class JSONLimitError(ValueError):
    """A JSON body outside the limits; the message says which."""


def _number(kind: type) -> Any:
    def parse(text: str) -> Any:
        if len(text) > MAX_NUMBER_CHARS:
            raise JSONLimitError(f"a number in the body has {len(text)} characters; the limit is {MAX_NUMBER_CHARS}")
        return kind(text)

    return parse


def _no_constant(name: str) -> Any:
    raise JSONLimitError(f"{name} is not a JSON number")


def parse_json(raw: bytes) -> Any:
    """``json.loads`` within the limits: depth, number length, no NaN/Infinity; raises ValueError otherwise."""
    try:
        value = json.loads(raw, parse_int=_number(int), parse_float=_number(float), parse_constant=_no_constant)
    except RecursionError as error:
        raise JSONLimitError(f"the body nests deeper than {MAX_JSON_DEPTH} levels") from error
    if nests_deeper_than(value, MAX_JSON_DEPTH):
        raise JSONLimitError(f"the body nests deeper than {MAX_JSON_DEPTH} levels")
    return value


def nests_deeper_than(value: Any, limit: int) -> bool:
    """Whether JSON ``value`` has more than ``limit`` levels of arrays and objects (checked without recursion)."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


def room_connection_limit(wanted: int = ROOM_CONNECTIONS) -> int:
    """``wanted``, lowered to leave file descriptors spare under this process's limit (``ulimit -n``)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return wanted if soft == resource.RLIM_INFINITY else max(16, min(wanted, soft - 64))
