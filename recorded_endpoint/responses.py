"""The Responses API on the recorded endpoint: the same recordings as chat, rendered as Responses objects.

``POST /openai/v1/responses`` (and the project form ``/api/projects/{project}/openai/v1/responses``) answers
from the route-neutral recordings the chat routes use. A Responses request is first read as the chat request
it stands for (:func:`chat_request_of`), so one recording answers both APIs and no answer is kept twice:

=====================================  ===============================================================
Responses request                      chat request it is matched as
=====================================  ===============================================================
``instructions``                       a first ``system`` message
``input`` (a string)                   one ``user`` message
``input`` (a list of messages)         the messages, role and text (``input_text``/``output_text`` parts)
``reasoning`` items in ``input``       dropped, as ``reasoning_content`` is dropped from chat history
``max_output_tokens``                  ``max_tokens``
``temperature``, ``top_p``             the same
``model``, ``stream``, ``store``, …    not matched (routing and bookkeeping, see ``NOT_MATCHED``)
=====================================  ===============================================================

The answer comes back as Learn documents it for Foundry Models that are not Azure OpenAI models (wire-format
reference, "The Responses API"): a ``reasoning`` output item whose ``summary[].text`` holds the thinking, a
``message`` item with the answer as ``output_text``, usage as ``input_tokens``/``output_tokens`` with
``reasoning_tokens`` 0 (the documented known issue), and the Foundry ``content_filters`` array. Streamed, the
same content arrives as the typed events the openai SDK's ``responses.stream()`` accumulates.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from . import errors
from .app import (
    MATCH_DEADLINE_S,
    PARSE_IN_THREAD_BYTES,
    ReplayConfig,
    RequestRejected,
    Timing,
    check_api_version,
    check_auth,
    check_deployment,
    error_headers,
    json_object,
    miss_response,
    read_body,
)
from .recordings import Miss, Recording
from .routes import CLASSIC_MODELS_PATH, MODELS_PATHS, RESPONSES_PATHS, Family
from .wire import DEFAULT_CREATED, Completion, StreamDropped

FAMILY = Family.RESPONSES
OWNED_BY = "DeepSeek"  # [X] the owner a live /openai/v1/models names for DeepSeek models is not confirmed
R1_RETIREMENT = 1786579200  # 2026-08-13 00:00 UTC: DeepSeek-R1 retired (Learn, model retirement schedule, 2026-09-02)

# Body fields that do not change what the model says. ``text`` is only the default text format here;
# any other value is matched (and so misses, naming itself).
NOT_MATCHED = frozenset(
    {"model", "input", "instructions", "stream", "stream_options", "store", "metadata", "user", "include",
     "truncation", "parallel_tool_calls", "tool_choice", "tools", "service_tier", "prompt_cache_key",
     "safety_identifier", "max_output_tokens", "reasoning"}
)  # fmt: skip
RENAMED = {"max_output_tokens": "max_tokens"}
MESSAGE_ROLES = ("system", "developer", "user", "assistant")
TEXT_PART_TYPES = ("input_text", "output_text", "text")


# -- the request ------------------------------------------------------------------------------------------------
def chat_request_of(body: dict[str, Any]) -> dict[str, Any]:
    """The chat request a Responses request stands for: ``messages`` and the generation parameters.

    Raises :class:`RequestRejected` with a Responses-shaped 400 when ``input`` is not a string or a list of
    messages, naming the item and the fix.
    """
    messages: list[dict[str, Any]] = []
    instructions = body.get("instructions")
    if instructions is not None:
        if not isinstance(instructions, str):
            raise RequestRejected(errors.bad_request("'instructions' must be a string.", param="instructions"))
        messages.append({"role": "system", "content": instructions})
    messages += _input_messages(body.get("input"))
    chat: dict[str, Any] = {"messages": messages}
    for key, value in body.items():
        if key not in NOT_MATCHED or key in RENAMED:
            chat[RENAMED.get(key, key)] = value
    if body.get("text") in ({"format": {"type": "text"}}, None):
        chat.pop("text", None)
    return chat


def _input_messages(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    if not isinstance(value, list) or not value:
        raise RequestRejected(
            errors.bad_request("'input' is required: a string, or a non-empty list of messages.", param="input")
        )
    messages = []
    for index, item in enumerate(value):
        if isinstance(item, dict) and item.get("type") == "reasoning":
            continue  # the model's own thinking, sent back: not part of what decides the answer
        if (
            not isinstance(item, dict)
            or item.get("type", "message") != "message"
            or item.get("role") not in MESSAGE_ROLES
        ):
            raise RequestRejected(
                errors.bad_request(
                    f"input[{index}] must be a message such as {{'role': 'user', 'content': '...'}} "
                    "(roles: system, developer, user, assistant).",
                    param=f"input[{index}]",
                )
            )
        messages.append({"role": item["role"], "content": _text_of(item.get("content"), index)})
    return messages


def _text_of(content: Any, index: int) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(
        isinstance(part, dict) and part.get("type") in TEXT_PART_TYPES and isinstance(part.get("text"), str)
        for part in content
    ):
        return "".join(part["text"] for part in content)
    raise RequestRejected(
        errors.bad_request(
            f"input[{index}].content must be a string or a list of {{'type': 'input_text', 'text': '...'}} parts.",
            param=f"input[{index}].content",
        )
    )


def check_supported(body: dict[str, Any]) -> None:
    """Refuse, as a 400 that names the fix, what DeepSeek-R1 on this endpoint does not support.

    [X] Which parameters Foundry refuses for DeepSeek on the Responses API, and the exact error text, are not
    confirmed; these follow the chat route (no effort control, no tools for R1) and the wire-format reference.
    """
    effort = (body.get("reasoning") or {}).get("effort") if isinstance(body.get("reasoning"), dict) else None
    if effort is not None:
        raise RequestRejected(
            _unsupported(
                "reasoning.effort",
                "DeepSeek-R1 always thinks and has no reasoning effort setting. Remove reasoning.effort.",
            )
        )
    if body.get("tools"):
        raise RequestRejected(
            _unsupported("tools", "This DeepSeek-R1 deployment does not call tools. Remove 'tools' from the request.")
        )
    if body.get("previous_response_id") is not None:
        raise RequestRejected(
            _unsupported(
                "previous_response_id",
                "The recorded endpoint keeps no stored responses, so previous_response_id cannot be looked up. "
                "Send the whole conversation as the input list instead (lesson 07 shows how).",
            )
        )
    if body.get("background"):
        raise RequestRejected(
            _unsupported("background", "Background responses are not available here. Remove 'background'.")
        )


def _unsupported(param: str, message: str) -> JSONResponse:
    return errors.bad_request(f"Unsupported parameter: '{param}'. {message}", code="unsupported_parameter", param=param)


# -- the answer -------------------------------------------------------------------------------------------------
def response_id(completion: Completion) -> str:
    return f"resp_{completion.id}"


def content_filters(completion: Completion) -> list[dict[str, Any]]:
    """The Foundry ``content_filters`` array: one entry for the prompt, one for the completion."""
    return [
        {"blocked": False, "source_type": "prompt", "content_filter_results": completion.prompt_annotations},
        {
            "blocked": completion.cut_by_filter,
            "source_type": "completion",
            "content_filter_results": completion.annotations,
        },
    ]


def usage_of(completion: Completion) -> dict[str, Any]:
    """Chat usage in Responses names. ``reasoning_tokens`` is 0, as Learn's known issue (2026-06-04) says."""
    usage = completion.usage
    return {
        "input_tokens": usage["prompt_tokens"],
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": usage["completion_tokens"],
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": usage["total_tokens"],
    }


def status_of(completion: Completion) -> tuple[str, dict[str, str] | None]:
    """``completed``, or ``incomplete`` with the reason: the output-token limit or the content filter."""
    if completion.finish_reason == "length":
        return "incomplete", {"reason": "max_output_tokens"}
    if completion.cut_by_filter:
        return "incomplete", {"reason": "content_filter"}
    return "completed", None


def reasoning_item(completion: Completion, text: str, status: str = "completed") -> dict[str, Any]:
    summary = [{"type": "summary_text", "text": text}] if text else []
    return {"id": f"rs_{completion.id}", "type": "reasoning", "summary": summary, "status": status}


def message_item(completion: Completion, text: str, status: str = "completed") -> dict[str, Any]:
    return {
        "id": f"msg_{completion.id}",
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
    }


def output_of(completion: Completion) -> list[dict[str, Any]]:
    """Output items: the reasoning, then the answer. A completion the filter cut returns neither."""
    if completion.cut_by_filter:
        return []
    status = "completed" if completion.finish_reason == "stop" else "incomplete"
    items = []
    if completion.reasoning is not None:
        # The text the chat routes send as reasoning_content, so both APIs show the same thinking.
        items.append(reasoning_item(completion, completion.reasoning_content() or "", status))
    if completion.answer is not None:
        items.append(message_item(completion, completion.answer, status))
    return items


def echoed(body: dict[str, Any]) -> dict[str, Any]:
    """The request settings a Response repeats back."""
    return {
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "metadata": body.get("metadata") or {},
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "top_p": body.get("top_p", 1.0),
    }


def response_body(completion: Completion, body: dict[str, Any], final: bool = True) -> dict[str, Any]:
    """The Response object: complete (``final``), or as ``response.created`` shows it, in progress."""
    status, incomplete = status_of(completion) if final else ("in_progress", None)
    return {
        "id": response_id(completion),
        "object": "response",
        "created_at": completion.created,
        "status": status,
        "error": None,
        "incomplete_details": incomplete,
        "model": completion.model_for("v1"),
        "output": output_of(completion) if final else [],
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "truncation": "disabled",
        "usage": usage_of(completion) if final else None,
        "content_filters": content_filters(completion) if final else [],
        **echoed(body),
    }


def responses_error(answer: dict[str, Any], timing: Timing) -> JSONResponse:
    """A recorded error in the Responses shape: a blocked prompt lists its results in ``content_filters``.

    Chat completions put them in ``innererror.content_filter_result``; the Responses API drops ``innererror``
    and sends ``content_filters[0].content_filter_results`` (wire-format reference, "The Responses API").
    """
    headers = error_headers(answer.get("headers"), timing)
    error = dict(answer["body"].get("error") or {})
    if error.get("code") != "content_filter":
        return JSONResponse(answer["body"], status_code=answer["status"], headers=headers)
    results = (error.pop("innererror", None) or {}).get("content_filter_result", {})
    error.pop("status", None)
    error["type"] = "invalid_request_error"
    error["content_filters"] = [{"blocked": True, "source_type": "prompt", "content_filter_results": results}]
    return JSONResponse({"error": error}, status_code=answer["status"], headers=headers)


# -- the stream -------------------------------------------------------------------------------------------------
class EventStream:
    """The typed server-sent events of one streamed Response, as ``(pause in ms, event type, payload)``."""

    def __init__(self, completion: Completion, body: dict[str, Any]) -> None:
        self.completion = completion
        self.body = body
        self.sequence = 0
        self.output_index = -1

    def event(self, kind: str, **fields: Any) -> dict[str, Any]:
        payload = {"type": kind, "sequence_number": self.sequence, **fields}
        self.sequence += 1
        return payload

    def render(self) -> Iterator[tuple[float, dict[str, Any]]]:
        completion = self.completion
        yield 0.0, self.event("response.created", response=response_body(completion, self.body, final=False))
        yield 0.0, self.event("response.in_progress", response=response_body(completion, self.body, final=False))
        open_kind, text = None, ""
        for index, piece in enumerate(completion.chunks("v1")):
            if completion.drop_after is not None and index >= completion.drop_after:
                raise StreamDropped(index)
            if piece.kind != open_kind:
                if open_kind is not None:
                    yield from self.close_item(open_kind, text)
                open_kind, text = piece.kind, ""
                yield from self.open_item(open_kind)
            text += piece.text
            yield piece.gap_ms, self.delta(open_kind, piece.text)
        if completion.drop_after is not None:
            raise StreamDropped(completion.drop_after)
        if open_kind is not None:
            yield from self.close_item(open_kind, text)
        status, _ = status_of(completion)
        final = response_body(completion, self.body)
        if completion.cut_by_filter:  # what streamed passed the filter; the final object says what stopped it
            final["output"] = []
        yield 0.0, self.event("response.completed" if status == "completed" else "response.incomplete", response=final)

    def item_id(self, kind: str) -> str:
        return f"{'rs' if kind == 'reasoning' else 'msg'}_{self.completion.id}"

    def open_item(self, kind: str) -> Iterator[tuple[float, dict[str, Any]]]:
        self.output_index += 1
        where = {"item_id": self.item_id(kind), "output_index": self.output_index}
        if kind == "reasoning":
            item = reasoning_item(self.completion, "", "in_progress")
            yield 0.0, self.event("response.output_item.added", output_index=self.output_index, item=item)
            part = {"type": "summary_text", "text": ""}
            yield 0.0, self.event("response.reasoning_summary_part.added", **where, summary_index=0, part=part)
        else:
            item = {**message_item(self.completion, "", "in_progress"), "content": []}
            yield 0.0, self.event("response.output_item.added", output_index=self.output_index, item=item)
            part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            yield 0.0, self.event("response.content_part.added", **where, content_index=0, part=part)

    def delta(self, kind: str, text: str) -> dict[str, Any]:
        where = {"item_id": self.item_id(kind), "output_index": self.output_index}
        if kind == "reasoning":
            return self.event("response.reasoning_summary_text.delta", **where, summary_index=0, delta=text)
        return self.event("response.output_text.delta", **where, content_index=0, delta=text, logprobs=[])

    def close_item(self, kind: str, text: str) -> Iterator[tuple[float, dict[str, Any]]]:
        where = {"item_id": self.item_id(kind), "output_index": self.output_index}
        if kind == "reasoning":
            yield 0.0, self.event("response.reasoning_summary_text.done", **where, summary_index=0, text=text)
            part = {"type": "summary_text", "text": text}
            yield 0.0, self.event("response.reasoning_summary_part.done", **where, summary_index=0, part=part)
            item = reasoning_item(self.completion, text)
        else:
            yield 0.0, self.event("response.output_text.done", **where, content_index=0, text=text, logprobs=[])
            part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
            yield 0.0, self.event("response.content_part.done", **where, content_index=0, part=part)
            item = message_item(self.completion, text)
        yield 0.0, self.event("response.output_item.done", output_index=self.output_index, item=item)


def sse_event(payload: dict[str, Any]) -> bytes:
    """One typed event as OpenAI frames them: an ``event:`` line naming the type, then the ``data:`` line."""
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return f"event: {payload['type']}\ndata: {data}\n\n".encode()


_RENDERED_KEPT = 256
_rendered: OrderedDict[tuple[int, str], tuple[dict[str, Any], list[tuple[float, bytes]]]] = OrderedDict()
_rendered_lock = threading.Lock()


def rendered_events(completion: Completion, body: dict[str, Any]) -> Iterator[tuple[float, bytes]]:
    """The stream's framed events; a recording's stream is rendered once per echoed settings and kept."""
    if completion.drop_after is not None:  # cut on purpose mid-way: render each time, up to the cut
        for pause, payload in EventStream(completion, body).render():
            yield pause, sse_event(payload)
        return
    yield from _kept_events(completion, body)


def _kept_events(completion: Completion, body: dict[str, Any]) -> list[tuple[float, bytes]]:
    # A plain function, not a generator: the lock must never be held across a yield (other streams would wait).
    key = (id(completion.data), json.dumps(echoed(body), sort_keys=True))
    with _rendered_lock:
        kept = _rendered.get(key)
        # The cache holds the response dict itself, so its id cannot be reused by another dict meanwhile.
        if kept is not None and kept[0] is completion.data:
            _rendered.move_to_end(key)
            return kept[1]
    events = [(pause, sse_event(payload)) for pause, payload in EventStream(completion, body).render()]
    with _rendered_lock:
        _rendered[key] = (completion.data, events)
        while len(_rendered) > _RENDERED_KEPT:
            _rendered.popitem(last=False)
    return events


async def paced(events: Iterator[tuple[float, bytes]], timing: Timing) -> AsyncIterator[bytes]:
    for pause_ms, frame in events:
        # Without a pause, still yield to the event loop, so a client that hung up is noticed at once.
        await asyncio.sleep(pause_ms * timing.factor / 1000 if pause_ms and timing.factor else 0)
        yield frame


# -- the routes -------------------------------------------------------------------------------------------------
def respond(recording: Recording, body: dict[str, Any], timing: Timing, attempt: int) -> Response:
    answer = recording.response_for(attempt)
    if answer.get("kind") == "error":
        return responses_error(answer, timing)
    completion = Completion(answer, recording.name)
    if body.get("stream"):
        return StreamingResponse(
            paced(rendered_events(completion, body), timing),
            media_type="text/event-stream; charset=utf-8",
            headers={"x-accel-buffering": "no"},  # Azure's streams carry no cache-control (wire-format reference)
        )
    return JSONResponse(response_body(completion, body))


def match(raw: bytes, config: ReplayConfig) -> tuple[dict[str, Any], Recording | Miss]:
    """Parse, check and match a Responses request body (plain CPU work, safe to run in a worker thread)."""
    body = json_object(raw)
    if "model" not in body:
        raise RequestRejected(
            errors.bad_request(
                "'model' is required: pass your deployment name, e.g. model='DeepSeek-R1'.", param="model"
            )
        )
    check_deployment(body["model"], config)
    if not isinstance(body.get("stream", False), bool):
        raise RequestRejected(errors.bad_request("'stream' must be a boolean.", param="stream"))
    check_supported(body)
    return body, config.library.find(FAMILY, chat_request_of(body), bool(body.get("stream")))


async def responses_endpoint(request: Request) -> Response:
    """``POST …/openai/v1/responses``: auth, body, deployment, what is unsupported, then the recording."""
    config: ReplayConfig = request.app.state.config
    try:
        check_auth(request, FAMILY, config)
        raw = await read_body(request)
        if len(raw) <= PARSE_IN_THREAD_BYTES:
            body, found = match(raw, config)
        else:  # a large body is parsed and explained off the event loop, as on the chat routes
            with anyio.fail_after(MATCH_DEADLINE_S):
                body, found = await anyio.to_thread.run_sync(match, raw, config, abandon_on_cancel=True)
    except RequestRejected as rejected:
        return rejected.response
    if isinstance(found, Miss):
        return miss_response(found)
    return respond(found, body, config.timing, config.attempts.of(request, found))


async def models_endpoint(request: Request) -> Response:
    """``GET /openai/v1/models``: the list shape of the v1 REST reference (``object: list``, ``data``)."""
    config: ReplayConfig = request.app.state.config
    try:
        check_auth(request, FAMILY, config)
    except RequestRejected as rejected:
        return rejected.response
    data = [
        {"id": name, "object": "model", "created": DEFAULT_CREATED, "owned_by": OWNED_BY} for name in config.deployments
    ]
    return JSONResponse({"object": "list", "data": data})


async def classic_models_endpoint(request: Request) -> Response:
    """``GET /openai/models?api-version=…``: the authoring API's list (azure-rest-api-specs, ``OpenAIAuthoring``
    2024-10-21 ``get_models`` example): ``created_at`` instead of ``created``, capabilities, lifecycle, deprecation."""
    config: ReplayConfig = request.app.state.config
    try:
        check_auth(request, Family.CLASSIC, config)
        check_api_version(request, Family.CLASSIC)
    except RequestRejected as rejected:
        return rejected.response
    capabilities = {"chat_completion": True, "completion": False, "embeddings": False, "fine_tune": False,
                    "inference": True}  # fmt: skip
    data = [
        {"id": name, "object": "model", "status": "succeeded", "created_at": DEFAULT_CREATED,
         "capabilities": capabilities, "lifecycle_status": "generally-available",  # [X] R1's listed status
         "deprecation": {"inference": R1_RETIREMENT}}
        for name in config.deployments
    ]  # fmt: skip
    return JSONResponse({"data": data, "object": "list"})


def routes() -> list[Route]:
    """The Responses and model-list routes, for :func:`recorded_endpoint.app.create_app`."""
    return [
        *(Route(path, responses_endpoint, methods=["POST"]) for path in RESPONSES_PATHS),
        *(Route(path, models_endpoint, methods=["GET"]) for path in MODELS_PATHS),
        Route(CLASSIC_MODELS_PATH, classic_models_endpoint, methods=["GET"]),
    ]


__all__ = ["chat_request_of", "content_filters", "response_body", "routes"]
