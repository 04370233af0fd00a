"""The recording proxy: a Starlette app on 127.0.0.1 in front of the live deployment.

It forwards each request with httpx, streams the answer back byte for byte, and hands what it saw to
:mod:`.capture` and :mod:`.writing`. The routes it records are :data:`RECORDED_ROUTES` (one entry per route
family, from the shared path table); anything else is passed through unrecorded.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ..errors import RequestRejected
from ..recordings import canonical_messages
from ..responses import chat_request_of
from ..routes import CHAT_PATHS, RESPONSES_PATHS, Family
from ..server import Certificates, free_port, make_certificates
from .capture import SSEParser, StreamCapture, completion_from_body, completion_from_responses_body, error_response
from .redaction import SECRET_QUERY_KEYS, Redactor
from .writing import STAGING_DIR, RecordingWriter

# Path -> route family of every route the proxy records. A family that speaks another protocol also has an
# event parser (capture.EVENT_PARSERS), a reader of its non-streamed body, and a chat form of its request.
RECORDED_ROUTES: dict[str, str] = {
    **{path: family for family, path in CHAT_PATHS.items()},
    **dict.fromkeys(RESPONSES_PATHS, Family.RESPONSES),
}
HOP_BY_HOP = frozenset(
    "host content-length connection keep-alive transfer-encoding te upgrade proxy-authorization "
    "proxy-connection accept-encoding content-encoding trailer".split()
)


@dataclass(frozen=True)
class Upstream:
    """Where one kind of route is forwarded: a scheme and host, and the key to send there."""

    root: str
    key: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Upstreams:
    """The live service: the Azure resource, the model-inference endpoint, and optionally a provider."""

    azure: Upstream
    inference: Upstream
    provider: Upstream | None = None

    def for_path(self, path: str) -> Upstream | None:
        if path.startswith("/v1/openai"):
            return self.provider
        if path.startswith(("/models", "/info", "/chat/")):
            return self.inference
        return self.azure


class UpstreamCut(Exception):
    """The live service cut a stream; the client's stream is cut at the same place."""


class _HideUpstreamCuts(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], UpstreamCut))


logging.getLogger("uvicorn.error").addFilter(_HideUpstreamCuts())


def root_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class RecordingProxy:
    """A local proxy in front of a live deployment that writes what passes through as recordings."""

    def __init__(
        self,
        upstreams: Upstreams,
        out_dir: Path = STAGING_DIR,
        port: int = 0,
        api_key: str | None = None,
        prefix: str = "rec-",
        tls: bool = False,
        report: Callable[[str], None] = print,
        today: str | None = None,
        model_version: str | None = None,
    ) -> None:
        self.upstreams = upstreams
        self.host = "127.0.0.1"  # the proxy holds live credentials: loopback only
        self.port = port or free_port(self.host)
        self.api_key = api_key or "record-proxy-" + secrets.token_urlsafe(12)
        self.redactor = Redactor()
        for upstream in (upstreams.azure, upstreams.inference, upstreams.provider):
            if upstream:
                self.redactor.learn_host(upstream.root)
                self.redactor.learn_secret(upstream.key)
        self.redactor.learn_secret(self.api_key)
        options: dict[str, Any] = {"today": today} if today else {}
        self.writer = RecordingWriter(
            Path(out_dir), self.redactor, prefix, report=report, model_version=model_version, **options
        )
        self.report = report
        self.certificates: Certificates | None = None
        if tls:
            self.certificates = make_certificates(Path(tempfile.mkdtemp(prefix="record-tls-")))
        self.app = self._create_app()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.certificates else 'http'}://{self.host}:{self.port}"

    # -- the app ----------------------------------------------------------------------------------
    def _create_app(self) -> Starlette:
        @contextlib.asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            timeout = httpx.Timeout(connect=15.0, read=600.0, write=60.0, pool=15.0)
            async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
                app.state.client = client
                yield

        routes = [Route(path, self._recorded(family), methods=["POST"]) for path, family in RECORDED_ROUTES.items()]
        routes.append(Route("/{path:path}", self._passthrough, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]))
        return Starlette(routes=routes, lifespan=lifespan)

    def _credential(self, value: str, upstream: Upstream) -> str | None:
        """The live key in place of this proxy's key; any other credential is learned as a secret."""
        if value == self.api_key:
            return upstream.key
        self.redactor.learn_secret(value)  # an Entra ID token or a live key the client brought: never kept
        return value

    def _upstream_request(self, request: Request, content: bytes) -> httpx.Request:
        upstream = self.upstreams.for_path(request.url.path)
        if upstream is None:
            raise LookupError(
                f"{request.url.path}: no upstream for this route. Set DEEPINFRA_BASE_URL and DEEPINFRA_TOKEN "
                "in .env to record the provider route."
            )
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        for name in ("api-key", "authorization"):
            value = headers.pop(name, None)
            if value is None:
                continue
            bearer = name == "authorization" and value.lower().startswith("bearer ")
            credential = self._credential(value[7:].strip() if bearer else value, upstream)
            if credential is not None:
                headers[name] = f"Bearer {credential}" if name == "authorization" else credential
        query = []
        for key, value in parse_qsl(request.url.query, keep_blank_values=True):
            if key.lower() in SECRET_QUERY_KEYS:
                swapped = self._credential(value, upstream)
                if swapped is None:
                    continue
                value = swapped
            query.append((key, value))
        url = upstream.root + request.url.path + (f"?{urlencode(query)}" if query else "")
        return httpx.Request(request.method, url, headers=headers, content=content)

    def _recorded(self, family: str):
        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            try:
                sent = json.loads(raw)
                if not isinstance(sent, dict):
                    raise ValueError("not an object")
                body = chat_request_of(sent) if family == Family.RESPONSES else sent
                canonical_messages(body.get("messages"))
                body["model"], body["stream"] = sent.get("model"), bool(sent.get("stream"))
            except (ValueError, TypeError, RequestRejected):
                return await self._forward(request, raw)  # not a request we can record: pass it on
            self.redactor.learn_deployment(request.path_params.get("deployment"))
            self.redactor.learn_deployment(body.get("model"))
            started = time.monotonic()
            try:
                upstream_request = self._upstream_request(request, raw)
            except LookupError as error:
                return JSONResponse({"error": {"code": "NoUpstream", "message": str(error)}}, status_code=502)
            client: httpx.AsyncClient = request.app.state.client
            try:
                reply = await client.send(upstream_request, stream=True)
            except httpx.HTTPError as error:
                return _unreachable(upstream_request, error)
            self.redactor.learn_deployment(reply.headers.get("x-ms-deployment-name"))
            is_stream = reply.status_code < 400 and "text/event-stream" in reply.headers.get("content-type", "")
            if is_stream:
                return StreamingResponse(
                    self._relay(reply, family, body, started),
                    status_code=reply.status_code,
                    headers=_client_headers(reply.headers),
                )
            content = await reply.aread()
            await reply.aclose()
            self._record_whole(family, body, reply, content)
            return Response(content, status_code=reply.status_code, headers=_client_headers(reply.headers))

        return endpoint

    async def _relay(
        self, reply: httpx.Response, family: str, body: dict[str, Any], started: float
    ) -> AsyncIterator[bytes]:
        parser, capture = SSEParser(), StreamCapture(family, started, self.redactor)
        state = "client closed"
        try:
            async for piece in reply.aiter_bytes():
                arrived = time.monotonic()
                for data in parser.feed(piece):
                    capture.event(data, arrived)
                yield piece
            state = "complete"
        except httpx.HTTPError as error:
            state = "cut"
            raise UpstreamCut(str(error)) from error
        finally:
            self._record_stream(family, body, capture, state)
            with contextlib.suppress(Exception):
                await reply.aclose()

    async def _passthrough(self, request: Request) -> Response:
        return await self._forward(request, await request.body())

    async def _forward(self, request: Request, raw: bytes) -> Response:
        try:
            upstream_request = self._upstream_request(request, raw)
        except LookupError as error:
            return JSONResponse({"error": {"code": "NoUpstream", "message": str(error)}}, status_code=502)
        try:
            reply = await request.app.state.client.send(upstream_request)
        except httpx.HTTPError as error:
            return _unreachable(upstream_request, error)
        return Response(reply.content, status_code=reply.status_code, headers=_client_headers(reply.headers))

    # -- recording ------------------------------------------------------------------------------------
    def _record_whole(self, family: str, body: dict[str, Any], reply: httpx.Response, content: bytes) -> None:
        if reply.status_code >= 400:
            self.writer.add(family, body, error_response(reply.status_code, reply.headers, content, self.redactor))
            return
        try:
            payload = json.loads(content)
        except (json.JSONDecodeError, UnicodeDecodeError):
            payload = None
        if not isinstance(payload, dict):
            self.writer.skipped.append("a non-JSON answer")
            self.report(f"not recorded: the {family} answer (HTTP {reply.status_code}) is not a JSON object")
            return
        if family == Family.RESPONSES:
            self.writer.add(family, body, completion_from_responses_body(payload, self.redactor))
        else:
            self.writer.add(family, body, completion_from_body(payload, family, self.redactor))

    def _record_stream(self, family: str, body: dict[str, Any], capture: StreamCapture, state: str) -> None:
        if capture.error_event:
            self.writer.skipped.append("an error inside a stream")
            self.report(f"not recorded: an error arrived inside the {family} stream; recordings cannot replay that")
            return
        if state == "client closed":
            self.report(
                f"note: the client closed a {family} stream after {len(capture.chunks)} chunks; recording what arrived"
            )
        messages = canonical_messages(body.get("messages"))
        self.writer.add(family, body, capture.to_response(messages, cut=state == "cut"))

    # -- running ----------------------------------------------------------------------------------
    def uvicorn_config(self) -> uvicorn.Config:
        tls = {}
        if self.certificates:
            tls = {"ssl_certfile": str(self.certificates.cert), "ssl_keyfile": str(self.certificates.key)}
        return uvicorn.Config(self.app, host=self.host, port=self.port, log_level="warning", access_log=False, **tls)

    def start(self, timeout_s: float = 10.0) -> RecordingProxy:
        """Serve in a background thread; returns once the port accepts connections."""
        self._server = uvicorn.Server(self.uvicorn_config())
        self._thread = threading.Thread(target=self._server.run, name="recording-proxy", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"The recording proxy did not start on {self.host}:{self.port}.")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server and self._thread:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    def __enter__(self) -> RecordingProxy:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def environment(self, deployment: str, auth: str = "key", inference_path: str = "") -> dict[str, str]:
        """Variables that point the course (in live mode) at this proxy instead of the live endpoint."""
        env = {
            "COURSE_MODE": "live",
            "COURSE_AUTH": auth,
            "AZURE_OPENAI_ENDPOINT": self.url,
            "AZURE_INFERENCE_ENDPOINT": self.url + inference_path,
            "AZURE_DEEPSEEK_DEPLOYMENT": deployment,
            "AZURE_OPENAI_API_KEY": self.api_key if auth == "key" else "",
            "AZURE_INFERENCE_CREDENTIAL": self.api_key if auth == "key" else "",
        }
        if self.upstreams.provider:
            env.update({"DEEPINFRA_BASE_URL": f"{self.url}/v1/openai", "DEEPINFRA_TOKEN": self.api_key})
        if self.certificates:
            bundle = str(self.certificates.ca_bundle)
            env.update({"SSL_CERT_FILE": bundle, "REQUESTS_CA_BUNDLE": bundle})
        return env

    def summary(self) -> str:
        lines = [
            f"{len(self.writer.written)} recordings written to {self.writer.out_dir}, "
            f"{len(self.writer.refused)} refused (secret-shaped content), "
            f"{len(self.writer.skipped)} not recordable."
        ]
        return "\n".join(lines + [f"  {line}" for line in self.writer.placement()])


def _unreachable(upstream_request: httpx.Request, error: httpx.HTTPError) -> JSONResponse:
    message = (
        f"The live endpoint {upstream_request.url.host} did not answer ({type(error).__name__}). "
        "Check AZURE_OPENAI_ENDPOINT."
    )
    return JSONResponse({"error": {"code": "UpstreamUnreachable", "message": message}}, status_code=502)


def _client_headers(headers: httpx.Headers) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
