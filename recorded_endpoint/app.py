"""The recorded endpoint: a Starlette app answering the routes of DeepSeek-R1 on Azure AI Foundry.

Routes and what they mimic:

=========================================================  ===============================================
``POST /openai/v1/chat/completions``                       v1 API (``OpenAI(base_url=…/openai/v1/)``)
``POST /openai/deployments/{deployment}/chat/completions``  classic route (``AzureOpenAI``)
``GET  /openai/deployments/{deployment}/info``              404: Azure OpenAI endpoints have no ``/info``
``POST /models/chat/completions``, ``GET /models/info``     model inference API (``ChatCompletionsClient``)
``POST /chat/completions``, ``GET /info``                   the serverless form of the same API
``POST /v1/openai/chat/completions``                        an OpenAI-compatible provider (seed 004)
``/subscriptions/…``                                        Azure Resource Manager, for lessons 01, 02, 11
=========================================================  ===============================================
"""

from __future__ import annotations

import asyncio
import hmac
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from . import errors
from .errors import RequestRejected
from .headers import AzureHeaders
from .identity import verify_token
from .limits import MAX_BODY_BYTES, BodyDeadline, BodyIncomplete, BodyTooLarge, BodyTooSlow, parse_json, read_bounded
from .recordings import Miss, Recording, RecordingLibrary
from .routes import CHAT_PATHS, INFERENCE_FAMILIES, Family
from .wire import PROVIDER_MODEL, Completion, sse_frame

MODEL_INFO = {
    # Transcribed from seed 000's printed output; the live service spells the type "chat-completion"
    # (wire-format reference §1.2), and the SDK accepts both.
    "model_name": "DeepSeek-R1",
    "model_type": "chat-completions",
    "model_provider_name": "DeepSeek",
}
# Token audiences each family accepts (wire-format reference, "Microsoft Entra ID"): ai.azure.com is Microsoft's
# current scope for v1 and Responses; ml.azure.com is azure-ai-inference's default, which a real serverless
# endpoint accepted (azure-sdk-assets recording, wire_format W10).
AUDIENCES: dict[str, frozenset[str]] = {
    Family.V1: frozenset({"ai.azure.com", "cognitiveservices.azure.com"}),
    Family.CLASSIC: frozenset({"ai.azure.com", "cognitiveservices.azure.com"}),
    Family.RESPONSES: frozenset({"ai.azure.com", "cognitiveservices.azure.com"}),
    Family.INFERENCE: frozenset({"ai.azure.com", "cognitiveservices.azure.com"}),
    Family.SERVERLESS: frozenset({"ai.azure.com", "cognitiveservices.azure.com", "ml.azure.com"}),
    Family.RESPONSES: frozenset({"ai.azure.com", "cognitiveservices.azure.com"}),
}
# Dated api-versions served, and where each comes from: the course and Learn's DeepSeek-R1 page (2024-10-21), the
# previous GA (2024-06-01), the deepseek-python sample (2025-04-01-preview), azure-ai-inference 1.0.0b9's default
# (2024-05-01-preview) and the model inference API's stable version (2025-04-01, azure-rest-api-specs).
API_VERSIONS: dict[str, frozenset[str]] = {
    Family.V1: frozenset({"v1", "preview"}),
    Family.CLASSIC: frozenset({"2024-06-01", "2024-10-21", "2025-04-01-preview"}),
    Family.INFERENCE: frozenset({"2024-05-01-preview", "2025-04-01"}),
    Family.SERVERLESS: frozenset({"2024-05-01-preview", "2025-04-01"}),
}
PARSE_IN_THREAD_BYTES = 64_000  # bodies larger than this are parsed and matched off the event loop
MATCH_DEADLINE_S = 5.0
YIELD_EVERY = 8  # chunks written between two turns of the event loop when a stream has no pauses


@dataclass(frozen=True)
class Timing:
    """How long the recorded endpoint waits between streamed chunks: not at all, as recorded, or scaled."""

    factor: float = 0.0

    @classmethod
    def parse(cls, text: str) -> Timing:
        """``none``, ``recorded`` or ``scaled:F`` (F times faster than recorded)."""
        if text == "none":
            return cls(0.0)
        if text == "recorded":
            return cls(1.0)
        if text.startswith("scaled:"):
            speedup = float(text.split(":", 1)[1])
            if speedup <= 0:
                raise ValueError("scaled:F needs F > 0")
            return cls(1.0 / speedup)
        raise ValueError(f"timing {text!r}: use none, recorded or scaled:F (e.g. scaled:10)")

    def retry_after(self, seconds: str) -> str:
        """A recorded ``retry-after`` scaled like the stream (never 0, which both SDKs read as "not given")."""
        try:
            value = float(seconds)
        except ValueError:
            return seconds
        return seconds if self.factor == 1.0 else f"{max(value * self.factor, 0.001):g}"


class Attempts:
    """Which try of a request this is, per client, so a recorded "429, then success" plays for every learner.

    The openai SDK numbers its tries in ``x-stainless-retry-count``; azure-core sends one
    ``x-ms-client-request-id`` for all tries of a call (its RequestIdPolicy runs before the RetryPolicy). Other
    clients are told apart by their address. Only the most recent ``kept`` clients are remembered.
    """

    def __init__(self, kept: int = 4096) -> None:
        self.kept = kept
        self._seen: OrderedDict[tuple[str, str], int] = OrderedDict()

    def of(self, request: Request, recording: Recording) -> int:
        """0 for a client's first try of ``recording``, 1 for its retry, and so on."""
        if len(recording.responses) == 1:
            return 0
        retry = request.headers.get("x-stainless-retry-count", "")
        if retry.isdigit() and len(retry) < 6:
            return int(retry)
        client = request.headers.get("x-ms-client-request-id") or (request.client.host if request.client else "")
        key = (recording.name, client[:100])
        attempt = self._seen.pop(key, -1) + 1
        self._seen[key] = attempt
        while len(self._seen) > self.kept:
            self._seen.popitem(last=False)
        return attempt


@dataclass
class ReplayConfig:
    """What the recorded endpoint serves and whom it lets in."""

    library: RecordingLibrary
    api_key: str
    timing: Timing = field(default_factory=Timing)
    deployments: tuple[str, ...] = ("DeepSeek-R1",)
    attempts: Attempts = field(default_factory=Attempts)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else None


def _is_key(sent: str | None, key: str) -> bool:
    return sent is not None and hmac.compare_digest(sent.encode("utf-8", "surrogateescape"), key.encode())


def _looks_like_token(bearer: str) -> bool:
    """A JWT (what Entra ID issues) or a recorded token; anything else in ``Authorization`` is taken for a key."""
    return bearer.startswith(("eyJ", "recorded-entra"))


def check_auth(request: Request, family: str, config: ReplayConfig) -> None:
    """Accept the key (``api-key`` header or Bearer) or a recorded Entra ID token signed with it, for this route."""
    bearer = _bearer(request)
    if _is_key(request.headers.get("api-key"), config.api_key) or _is_key(bearer, config.api_key):
        return
    token = bearer is not None and family in AUDIENCES and _looks_like_token(bearer)
    if token:
        claims = verify_token(bearer or "", config.api_key)
        if claims and claims.audience in AUDIENCES[family]:
            if not claims.has_role:
                raise RequestRejected(errors.permission_denied())
            return
    raise RequestRejected(errors.unauthorized(family, bearer=token))


def check_api_version(request: Request, family: str) -> None:
    """Azure's answers to a missing or unknown ``api-version`` (wire-format reference, "api-version")."""
    if family not in API_VERSIONS:
        return
    version = request.query_params.get("api-version")
    if version is None:
        if family == Family.CLASSIC:  # MicrosoftDocs/azure-docs#114602: the classic route is then not found
            raise RequestRejected(errors.resource_not_found())
        return  # v1 needs none; the model inference routes default to the SDK's version [X] unconfirmed
    if version not in API_VERSIONS[family]:
        raise RequestRejected(errors.api_version_not_supported())


async def read_body(request: Request) -> bytes:
    """The raw request body, or a 4xx if it is not JSON, too large, or cut short."""
    content_type = request.headers.get("content-type", "")
    if "json" not in content_type:
        shown = content_type[:80].encode("ascii", "replace").decode()
        raise RequestRejected(
            errors.azure_error(415, "UnsupportedMediaType", f"Content-Type must be application/json, got {shown!r}.")
        )
    try:
        return await read_bounded(request)
    except BodyTooLarge:
        raise RequestRejected(
            errors.azure_error(413, "RequestEntityTooLarge", f"The body exceeds {MAX_BODY_BYTES} bytes.")
        ) from None
    except BodyIncomplete:
        # The client hung up mid-body; nobody will read this answer, but the request ends quietly.
        raise RequestRejected(errors.bad_request("The request body ended before it was complete.")) from None


def json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object within the limits of :mod:`recorded_endpoint.limits`, or a 400."""
    try:
        body = parse_json(raw)
    except ValueError as error:  # not JSON, not UTF-8, too deep, or a number too long
        reason = str(error)[:200].encode("utf-8", "backslashreplace").decode()
        raise RequestRejected(errors.bad_request(f"The request body is not valid JSON: {reason}.")) from error
    if not isinstance(body, dict):
        raise RequestRejected(errors.bad_request("The request body must be a JSON object."))
    return body


async def read_json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object, or a 4xx naming what is wrong with it."""
    return json_object(await read_body(request))


def check_messages(body: dict[str, Any]) -> None:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestRejected(
            errors.bad_request("'messages' is a required property and must be a non-empty array.", param="messages")
        )
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in (
            "system",
            "developer",
            "user",
            "assistant",
            "tool",
        ):
            raise RequestRejected(
                errors.bad_request(
                    f"messages[{index}] needs a 'role' of system, user or assistant.", param=f"messages[{index}]"
                )
            )
        content = message.get("content")
        if content is not None and not isinstance(content, (str, list)):
            raise RequestRejected(
                errors.bad_request(
                    f"messages[{index}].content must be a string or an array.", param=f"messages[{index}]"
                )
            )
        if isinstance(content, list) and not all(_is_text_part(part) for part in content):
            raise RequestRejected(
                errors.bad_request(
                    f"messages[{index}].content parts must be objects such as {{'type': 'text', 'text': '...'}}.",
                    param=f"messages[{index}]",
                )
            )
    if not isinstance(body.get("stream", False), bool):
        raise RequestRejected(errors.bad_request("'stream' must be a boolean.", param="stream"))
    if not isinstance(body.get("stream_options") or {}, dict):
        raise RequestRejected(errors.bad_request("'stream_options' must be an object.", param="stream_options"))


def _is_text_part(part: Any) -> bool:
    return isinstance(part, dict) and isinstance(part.get("text", ""), str)


def check_deployment(name: Any, config: ReplayConfig) -> None:
    # Deployment names are resource names: Azure compares them without regard to case.
    if not isinstance(name, str) or name.lower() not in {d.lower() for d in config.deployments}:
        raise RequestRejected(errors.deployment_not_found())


def miss_response(miss: Miss) -> JSONResponse:
    return errors.azure_error(400, "RecordingNotFound", miss.message())


async def stream_events(
    completion: Completion, family: str, include_usage: bool, timing: Timing
) -> AsyncIterator[bytes]:
    for index, (pause_ms, data) in enumerate(completion.events(family, include_usage)):
        if pause_ms and timing.factor:
            await asyncio.sleep(pause_ms * timing.factor / 1000)
        elif index % YIELD_EVERY == 0 and index:
            # Without pauses, still yield to the event loop now and then, so other clients' requests and a
            # hang-up are seen while a long stream is written (but not before the first chunk: it goes at once).
            await asyncio.sleep(0)
        yield sse_frame(data)


def error_headers(recorded: dict[str, str] | None, timing: Timing) -> dict[str, str]:
    """A recorded error's headers, with ``retry-after`` scaled like the stream; ``retry-after-ms`` is not sent
    (no real capture has it: wire-format reference §5.5)."""
    headers = {name: value for name, value in (recorded or {}).items() if name.lower() != "retry-after-ms"}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            headers[name] = timing.retry_after(value)
    return headers


def respond(recording: Recording, family: str, body: dict[str, Any], config: ReplayConfig, attempt: int) -> Response:
    answer = recording.response_for(attempt)
    if answer.get("kind") == "error":
        headers = error_headers(answer.get("headers"), config.timing)
        return JSONResponse(answer["body"], status_code=answer["status"], headers=headers)
    completion = Completion(answer, recording.name)
    if body.get("stream"):
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return StreamingResponse(
            stream_events(completion, family, include_usage, config.timing),
            media_type="text/event-stream; charset=utf-8",
            headers={"x-accel-buffering": "no"},  # as Azure's streams; they carry no cache-control
        )
    return JSONResponse(completion.body(family))


def check_model(family: str, body: dict[str, Any], config: ReplayConfig) -> None:
    """The model (v1, inference, provider) must name a deployment this endpoint serves."""
    if family == Family.PROVIDER and body.get("model") != PROVIDER_MODEL:
        model = printable(repr(body.get("model"))[:80])
        message = f"Model {model} is not available; this endpoint serves {PROVIDER_MODEL!r}."
        raise RequestRejected(errors.azure_error(404, "model_not_found", message))
    if family in (Family.V1, Family.INFERENCE):
        if "model" not in body:
            raise RequestRejected(
                errors.bad_request(
                    "'model' is required: pass your deployment name, e.g. model='DeepSeek-R1'.", param="model"
                )
            )
        check_deployment(body["model"], config)


def printable(text: str) -> str:
    """``text`` with any lone surrogate shown as an escape, so it can go into a UTF-8 answer."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def match(family: str, raw: bytes, config: ReplayConfig) -> tuple[dict[str, Any], Recording | Miss]:
    """Parse, check and match a request body (plain CPU work, safe to run in a worker thread)."""
    body = json_object(raw)
    check_messages(body)
    check_model(family, body, config)
    return body, config.library.find(family, body, bool(body.get("stream")))


def chat_endpoint(family: str) -> Callable[[Request], Any]:
    """A Starlette endpoint for the chat completions route of one family."""

    async def endpoint(request: Request) -> Response:
        config: ReplayConfig = request.app.state.config
        check_auth(request, family, config)
        check_api_version(request, family)
        if family == Family.CLASSIC:
            check_deployment(request.path_params["deployment"], config)
        raw = await read_body(request)
        if len(raw) <= PARSE_IN_THREAD_BYTES:
            body, found = match(family, raw, config)
        else:  # a large body is parsed and explained off the event loop, so other clients are not held up
            with anyio.fail_after(MATCH_DEADLINE_S):
                body, found = await anyio.to_thread.run_sync(match, family, raw, config, abandon_on_cancel=True)
        if isinstance(found, Miss):
            return miss_response(found)
        return respond(found, family, body, config, config.attempts.of(request, found))

    return endpoint


def info_endpoint(family: Family) -> Callable[[Request], Any]:
    """``GET …/info``: the model's description on the model inference routes, 404 on Azure OpenAI's."""
    supported = family in INFERENCE_FAMILIES

    async def endpoint(request: Request) -> Response:
        check_auth(request, family, request.app.state.config)
        if not supported:
            return errors.resource_not_found()
        check_api_version(request, family)
        return JSONResponse(MODEL_INFO)

    return endpoint


async def rejected(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestRejected)
    return exc.response


async def body_too_slow(request: Request, exc: Exception) -> Response:
    response = errors.azure_error(408, "RequestTimeout", str(exc))
    response.headers["connection"] = "close"
    return response


async def match_too_slow(request: Request, exc: Exception) -> Response:
    message = f"Matching this request took longer than {MATCH_DEADLINE_S:g} seconds; send a shorter request."
    return errors.azure_error(503, "ServiceUnavailable", message)


async def not_found(request: Request, exc: Exception) -> Response:
    return errors.resource_not_found()


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    path = printable(request.url.path[:200])
    return errors.azure_error(405, "MethodNotAllowed", f"{request.method} is not allowed on {path}.")


async def server_error(request: Request, exc: Exception) -> Response:
    response = errors.azure_error(500, "InternalServerError", "The recorded endpoint failed on this request.")
    response.headers["connection"] = "close"  # the connection ends after a 500: say so, so clients reconnect
    return response


def create_app(config: ReplayConfig, extra_routes: list | None = None) -> Starlette:
    """The recorded endpoint as an ASGI app: the chat and info routes, plus ``extra_routes`` as they are.

    The server adds the Responses API and the Resource Manager routes as ``extra_routes``; both build on this
    module's request checks, so this module imports neither of them.
    """
    routes = [
        *(Route(path, chat_endpoint(family), methods=["POST"]) for family, path in CHAT_PATHS.items()),
        Route("/openai/deployments/{deployment}/info", info_endpoint(Family.CLASSIC), methods=["GET"]),
        Route("/models/info", info_endpoint(Family.INFERENCE), methods=["GET"]),
        Route("/info", info_endpoint(Family.SERVERLESS), methods=["GET"]),
        *(extra_routes or []),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(AzureHeaders), Middleware(BodyDeadline)],
        exception_handlers={
            RequestRejected: rejected,
            BodyTooSlow: body_too_slow,
            TimeoutError: match_too_slow,
            404: not_found,
            405: method_not_allowed,
            500: server_error,
        },
    )
    app.router.redirect_slashes = False  # Starlette's redirect builds Location from the Host header (F11)
    app.state.config = config
    return app


__all__ = ["MAX_BODY_BYTES", "ReplayConfig", "RequestRejected", "Timing", "create_app", "INFERENCE_FAMILIES"]
