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
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from . import errors
from .identity import parse_token
from .recordings import Miss, Recording, RecordingLibrary
from .routes import CHAT_PATHS, INFERENCE_FAMILIES
from .wire import PROVIDER_MODEL, Completion, sse_frame

MAX_BODY_BYTES = 1_000_000
MAX_JSON_DEPTH = 32  # a chat request nests 5 deep; far deeper is an attack or a bug, never a prompt
MODEL_INFO = {
    # Transcribed from seed 000's printed output; the live service spells the type "chat-completion"
    # (wire-format reference §1.2), and the SDK accepts both.
    "model_name": "DeepSeek-R1",
    "model_type": "chat-completions",
    "model_provider_name": "DeepSeek",
}
GO_LIVE = (
    "Recorded mode only replays the requests in recorded_endpoint/recordings/. To send your own prompt, "
    "go live: copy .env.sample to .env, fill in AZURE_OPENAI_ENDPOINT and a key (or use Entra ID), "
    "and restart the kernel (notebook 00 shows how)."
)


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


@dataclass
class ReplayConfig:
    """What the recorded endpoint serves and whom it lets in."""

    library: RecordingLibrary
    api_key: str
    timing: Timing = field(default_factory=Timing)
    deployments: tuple[str, ...] = ("DeepSeek-R1",)


class RequestRejected(Exception):
    """Ends request handling early with a ready response."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def check_auth(request: Request, family: str, config: ReplayConfig) -> None:
    """Accept the key (``api-key`` header or Bearer) or a recorded Entra ID token for the right audience."""
    keys = [request.headers.get("api-key"), _bearer(request)]
    if config.api_key in keys:
        return
    token = parse_token(_bearer(request) or "")
    if token and family != "provider":
        audience, has_role = token
        if audience == "cognitiveservices.azure.com":
            if not has_role:
                raise RequestRejected(errors.permission_denied())
            return
    raise RequestRejected(errors.unauthorized(family))


async def read_json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object, or a 4xx naming what is wrong with it."""
    content_type = request.headers.get("content-type", "")
    if "json" not in content_type:
        raise RequestRejected(
            errors.azure_error(
                415, "UnsupportedMediaType", f"Content-Type must be application/json, got {content_type!r}."
            )
        )
    too_large = RequestRejected(
        errors.azure_error(413, "RequestEntityTooLarge", f"The body exceeds {MAX_BODY_BYTES} bytes.")
    )
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_large
    raw = bytearray()
    try:
        async for piece in request.stream():
            raw += piece
            if len(raw) > MAX_BODY_BYTES:
                raise too_large
    except ClientDisconnect as gone:
        # The client hung up mid-body; nobody will read this answer, but the request ends quietly.
        raise RequestRejected(errors.bad_request("The request body ended before it was complete.")) from gone
    too_deep = RequestRejected(errors.bad_request(f"The request body nests deeper than {MAX_JSON_DEPTH} levels."))
    try:
        body = json.loads(raw)
    except RecursionError as error:
        raise too_deep from error
    except ValueError as error:  # not JSON, not UTF-8, or a number too long to convert
        raise RequestRejected(errors.bad_request(f"The request body is not valid JSON: {error}.")) from error
    if not isinstance(body, dict):
        raise RequestRejected(errors.bad_request("The request body must be a JSON object."))
    if nests_deeper_than(body, MAX_JSON_DEPTH):
        raise too_deep
    return body


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
    if miss.nearest is None:
        detail = "There is no recording for this route."
    else:
        differences = "; ".join(miss.differences[:4]) or "nothing visible"
        detail = f"The nearest recording is '{miss.nearest.name}' ({miss.nearest.title}); it differs in: {differences}."
    return errors.azure_error(
        400, "RecordingNotFound", f"No recorded response matches this request. {detail} {GO_LIVE}"
    )


async def stream_events(
    completion: Completion, family: str, include_usage: bool, timing: Timing
) -> AsyncIterator[bytes]:
    for pause_ms, data in completion.events(family, include_usage):
        if pause_ms and timing.factor:
            await asyncio.sleep(pause_ms * timing.factor / 1000)
        yield sse_frame(data)


def respond(recording: Recording, family: str, body: dict[str, Any], config: ReplayConfig) -> Response:
    answer = recording.next_response()
    if answer.get("kind") == "error":
        return JSONResponse(answer["body"], status_code=answer["status"], headers=answer.get("headers"))
    completion = Completion(answer, recording.name)
    if body.get("stream"):
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return StreamingResponse(
            stream_events(completion, family, include_usage, config.timing),
            media_type="text/event-stream; charset=utf-8",
            headers={"x-accel-buffering": "no", "cache-control": "no-cache"},
        )
    return JSONResponse(completion.body(family))


def chat_endpoint(family: str):
    """A Starlette endpoint for the chat completions route of one family."""

    async def endpoint(request: Request) -> Response:
        config: ReplayConfig = request.app.state.config
        try:
            check_auth(request, family, config)
            body = await read_json_body(request)
            check_messages(body)
            if family == "classic":
                check_deployment(request.path_params["deployment"], config)
            elif family == "provider":
                if body.get("model") != PROVIDER_MODEL:
                    model = repr(body.get("model"))[:80]
                    message = f"Model {model} is not available; this endpoint serves {PROVIDER_MODEL!r}."
                    return errors.azure_error(404, "model_not_found", message)
            elif family in ("v1", "inference"):
                if "model" not in body:
                    return errors.bad_request(
                        "'model' is required: pass your deployment name, e.g. model='DeepSeek-R1'.", param="model"
                    )
                check_deployment(body["model"], config)
            match = config.library.find(family, body, bool(body.get("stream")))
        except RequestRejected as rejected:
            return rejected.response
        if isinstance(match, Miss):
            return miss_response(match)
        return respond(match, family, body, config)

    return endpoint


def info_endpoint(supported: bool):
    async def endpoint(request: Request) -> Response:
        family = "inference" if supported else "classic"
        try:
            check_auth(request, family, request.app.state.config)
        except RequestRejected as rejected:
            return rejected.response
        return JSONResponse(MODEL_INFO) if supported else errors.resource_not_found()

    return endpoint


async def not_found(request: Request, exc: Exception) -> Response:
    return errors.resource_not_found()


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    return errors.azure_error(405, "MethodNotAllowed", f"{request.method} is not allowed on {request.url.path}.")


async def server_error(request: Request, exc: Exception) -> Response:
    return errors.azure_error(500, "InternalServerError", "The recorded endpoint failed on this request.")


def create_app(config: ReplayConfig, extra_routes: list | None = None) -> Starlette:
    """The recorded endpoint as an ASGI app."""
    routes = [
        *(Route(path, chat_endpoint(family), methods=["POST"]) for family, path in CHAT_PATHS.items()),
        Route("/openai/deployments/{deployment}/info", info_endpoint(supported=False), methods=["GET"]),
        Route("/models/info", info_endpoint(supported=True), methods=["GET"]),
        Route("/info", info_endpoint(supported=True), methods=["GET"]),
        *(extra_routes or []),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={404: not_found, 405: method_not_allowed, 500: server_error},
    )
    app.state.config = config
    return app


__all__ = ["ReplayConfig", "Timing", "create_app", "INFERENCE_FAMILIES"]
