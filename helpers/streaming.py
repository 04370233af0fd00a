"""Consume a DeepSeek-R1 stream from either SDK into thinking, answer, usage and timings, and show it live.

Works with the `openai` SDK's `Stream` and `AsyncStream` (v1 and classic Azure OpenAI routes: the thinking
arrives in `delta.reasoning_content`) and with `azure-ai-inference`'s `StreamingChatCompletions` (model
inference route: the thinking arrives inside `delta.content` between `<think>` and `</think>`). Both go
through `helpers.reasoning.ReasoningStream.feed_delta`, so the same code splits both wire shapes.

Responses API streams are read too: `client.responses.create(..., stream=True)` and `client.responses.stream(...)`
yield typed events; the reasoning deltas (`response.reasoning_summary_text.delta`, or
`response.reasoning_text.delta`) feed the thinking, `response.output_text.delta` the answer, and the final
`response.completed` (or `response.incomplete`) event gives the usage and why the output ended.

    stream = client.chat.completions.create(model=..., messages=..., stream=True)
    result = consume(stream, view=LiveView())     # or TextView(), or no view at all
    print(result.to_text())                       # "Thinking:" block, then "Answer:" block
    print(result.timing_text())                   # time to first token, first answer token, tokens/s

The views (`LiveView`, `TextView`) live in `helpers.views`; they are importable from here too.

`aconsume` does the same with `async for`, and also accepts the un-awaited `create(...)` call, so that an
error raised by the request itself is recorded like one raised mid-stream.

Nothing is lost: when the stream breaks (a dropped connection, an error event), the result keeps every
piece that arrived and records the exception in `result.error`; `result.raise_for_error()` re-raises it.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .reasoning import CLOSE_TAG, REASONING_FIELDS, ReasoningStream, is_response, split_reasoning
from .sdk import as_dict, finish_reason, message_field
from .views import LiveView, StreamView, TextView, render_text

__all__ = [
    "StreamResult",
    "StreamView",
    "TextView",
    "LiveView",
    "consume",
    "aconsume",
    "describe_error",
]

# Responses API stream events (openai.types.responses): which carry thinking, which end the response.
REASONING_DELTA_EVENTS = ("response.reasoning_summary_text.delta", "response.reasoning_text.delta")
ANSWER_DELTA_EVENT = "response.output_text.delta"
FINAL_EVENTS = ("response.completed", "response.incomplete", "response.failed")
# How a Response's status reads as a chat finish_reason ("incomplete" is told apart by its reason).
INCOMPLETE_REASONS = {"max_output_tokens": "length", "content_filter": "content_filter"}


@dataclass
class StreamResult:
    """What a streamed DeepSeek-R1 response delivered, including how fast and whether it ended well.

    Times are in seconds from the start of consumption (or from `started`, if given).
    """

    thinking: str | None = None
    answer: str | None = None
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    chunks: int = 0  # every chunk the SDK yielded (prompt-filter and usage-only chunks included)
    text_chunks: int = 0  # chunks that carried reasoning or answer text
    time_to_first_token: float | None = None
    time_to_first_answer_token: float | None = None
    time_to_last_token: float | None = None
    duration: float | None = None
    thinking_complete: bool = True
    reclassified: bool = False  # the opening <think> was missing; see consume(starts_in_thinking=None)
    error: BaseException | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """True when the stream ended normally (it may still have ended on finish_reason "length")."""
        return self.error is None

    @property
    def output_tokens(self) -> int | None:
        """Generated tokens: the service's count (`completion_tokens`, or `output_tokens` on the Responses API),
        else the tokenizer's count of what arrived."""
        for name in ("completion_tokens", "output_tokens"):
            if self.usage and self.usage.get(name) is not None:
                return int(self.usage[name])
        if self.thinking is None and self.answer is None:
            return None
        from .tokens import count_tokens

        return count_tokens((self.thinking or "") + (self.answer or ""))

    @property
    def tokens_per_second(self) -> float | None:
        """Generation speed after the first token: (tokens - 1) / (last token time - first token time)."""
        tokens = self.output_tokens
        if tokens is None or tokens < 2 or self.time_to_first_token is None or self.time_to_last_token is None:
            return None
        span = self.time_to_last_token - self.time_to_first_token
        return (tokens - 1) / span if span > 0 else None

    def message(self) -> dict[str, Any]:
        """The assistant turn as a dict, reasoning included; pass the history through
        `helpers.reasoning.history_without_reasoning` before sending it back."""
        turn: dict[str, Any] = {"role": "assistant", "content": self.answer or ""}
        if self.thinking:
            turn["reasoning_content"] = self.thinking
        return turn

    def notes(self) -> list[str]:
        """What a reader should know beyond the text: a cut, a missing tag, a broken stream."""
        found = []
        if self.reclassified:
            found.append("no opening <think>: the text before </think> was thinking (the chat template opened it)")
        if self.finish_reason == "length":
            where = "during the thinking, so there is no answer" if not self.thinking_complete else "in the answer"
            found.append(f"finish_reason 'length': max_tokens ran out {where}")
        elif self.finish_reason == "content_filter":
            found.append("finish_reason 'content_filter': the content filter stopped the output")
        elif not self.thinking_complete and self.ok:
            found.append("the thinking never ended: no </think> arrived")
        if self.error is not None:
            stage = f"stream broken after {self.chunks} chunks" if self.chunks else "request failed"
            found.append(f"{stage}: {describe_error(self.error)}")
        elif self.finish_reason is None:
            found.append("the stream ended without a finish_reason")
        return found

    def to_text(self) -> str:
        """A deterministic plain-text rendering: a "Thinking:" block, an "Answer:" block, then notes."""
        return render_text(self)

    def timing_text(self) -> str:
        """Time to first token, to first answer token, tokens per second and chunk count, on one line."""

        def seconds(value: float | None) -> str:
            return "none" if value is None else f"{value:.2f} s"

        speed = self.tokens_per_second
        return (
            f"first token after {seconds(self.time_to_first_token)} · "
            f"first answer token after {seconds(self.time_to_first_answer_token)} · "
            f"{'no speed measured' if speed is None else f'{speed:.1f} tokens/s'} · "
            f"{self.chunks} chunks ({self.text_chunks} with text)"
        )

    def raise_for_error(self) -> StreamResult:
        """Re-raise the exception that broke the stream, if any; else return self."""
        if self.error is not None:
            raise self.error
        return self


# -- consuming ----------------------------------------------------------------------------------------


class _Consumer:
    """The shared bookkeeping of `consume` and `aconsume`: one chunk in, pieces out to the view."""

    def __init__(self, view: StreamView | None, starts_in_thinking: bool | None, started: float | None) -> None:
        self.view = view
        self.auto_tags = starts_in_thinking is None
        self.splitter = ReasoningStream(starts_in_thinking=bool(starts_in_thinking))
        self.started = time.perf_counter() if started is None else started
        self.result = StreamResult()
        # Set when the route sends a reasoning field (even empty): its content is then all answer.
        self.reasoning_field_seen = False
        if view is not None:
            view.start()

    def now(self) -> float:
        return time.perf_counter() - self.started

    def chunk(self, chunk: Any) -> None:
        self.result.chunks += 1
        kind = message_field(chunk, "type")
        if isinstance(kind, str) and (kind.startswith("response.") or kind == "error"):
            self.event(kind, chunk)
            return
        usage = message_field(chunk, "usage")
        if usage:
            self.result.usage = as_dict(usage, drop_none=True)
        for choice in message_field(chunk, "choices") or []:  # the first Azure OpenAI chunk has choices []
            if (message_field(choice, "index") or 0) != 0:
                continue  # DeepSeek-R1 returns one choice; others would need their own splitter
            finish = finish_reason(choice)
            if finish:
                self.result.finish_reason = finish
            delta = message_field(choice, "delta")
            if delta is not None:
                self.delta(delta)

    def event(self, kind: str, event: Any) -> None:
        """One typed event of a Responses API stream; the others (item added, part done, ...) carry no news."""
        if kind in REASONING_DELTA_EVENTS:
            self.delta({"reasoning_content": message_field(event, "delta")})
        elif kind == ANSWER_DELTA_EVENT:
            self.delta({"content": message_field(event, "delta")})
        elif kind in FINAL_EVENTS:
            response = message_field(event, "response")
            usage = message_field(response, "usage")
            if usage:
                self.result.usage = as_dict(usage, drop_none=True)
            self.result.finish_reason = response_finish_reason(response)
            if kind == "response.failed":
                self.fail(ResponseFailed(message_field(response, "error")))
        elif kind == "error":
            self.fail(ResponseFailed(event))

    def delta(self, delta: Any) -> None:
        if any(isinstance(message_field(delta, name), str) for name in REASONING_FIELDS):
            self.reasoning_field_seen = True
        has_text = any(message_field(delta, name) for name in (*REASONING_FIELDS, "content"))
        if has_text:
            self.result.text_chunks += 1
            now = self.now()
            self.result.time_to_last_token = now
            if self.result.time_to_first_token is None:
                self.result.time_to_first_token = now
        self.emit(self.splitter.feed_delta(delta))

    def emit(self, pieces: list[tuple[str, str]]) -> None:
        # The texts are joined once, at the end: joining them per chunk would make a long stream quadratic.
        result = self.result
        for kind, text in pieces:
            if kind == "answer" and result.time_to_first_answer_token is None:
                result.time_to_first_answer_token = self.now()
                result.thinking = self.splitter.thinking  # the thinking is over: views may look at it
            if self.view is not None:
                self.view.update(kind, text, result)

    def fail(self, error: BaseException) -> None:
        self.result.error = error

    def finish(self) -> StreamResult:
        self.emit(self.splitter.close())
        result = self.result
        result.thinking, result.answer = self.splitter.thinking, self.splitter.answer
        result.thinking_complete = self.splitter.thinking_complete
        if self._opening_tag_was_missing():
            split = split_reasoning(result.answer)
            result.thinking, result.answer, result.reclassified = split.thinking, split.answer, True
        result.duration = self.now()
        if self.view is not None:
            self.view.finish(result)
        return result

    def _opening_tag_was_missing(self) -> bool:
        # A stream cannot look ahead: without <think> the text streamed as answer. If a </think> turned up in
        # it, the host's chat template had opened the thinking in the prompt (split_reasoning's auto rule).
        result = self.result
        return (
            self.auto_tags
            and not self.reasoning_field_seen
            and result.thinking is None
            and result.answer is not None
            and CLOSE_TAG in result.answer
        )


class ResponseFailed(RuntimeError):
    """A Responses API stream reported an error (an `error` event, or `response.failed`)."""

    def __init__(self, error: Any) -> None:
        self.code = message_field(error, "code")
        self.message = message_field(error, "message") or "the response failed"
        super().__init__(f"{self.code}: {self.message}" if self.code else self.message)


def response_finish_reason(response: Any) -> str | None:
    """A Response's status as a chat finish_reason: "stop", "length", "content_filter", or None (failed)."""
    status = message_field(response, "status")
    if status == "completed":
        return "stop"
    if status == "incomplete":
        reason = message_field(message_field(response, "incomplete_details"), "reason")
        return INCOMPLETE_REASONS.get(reason, reason)
    return None


def _is_stream_manager(stream: Any) -> bool:
    """`client.responses.stream(...)` returns a context manager that opens the stream."""
    return hasattr(stream, "__enter__") and not hasattr(stream, "__iter__")


def _is_async_stream_manager(stream: Any) -> bool:
    return hasattr(stream, "__aenter__") and not hasattr(stream, "__aiter__")


def _require_stream(stream: Any) -> None:
    if is_response(stream):
        raise TypeError(
            "This is a complete Responses object, not a stream: pass stream=True to responses.create(), use "
            "responses.stream(), or read it with helpers.reasoning.reasoning_of(response)."
        )
    if message_field(stream, "choices") is not None:
        raise TypeError(
            "This is a complete response, not a stream: pass stream=True to create()/complete(), "
            "or read it with helpers.reasoning.reasoning_of(response.choices[0].message)."
        )


def consume(
    stream: Any,
    view: StreamView | None = None,
    *,
    starts_in_thinking: bool | None = None,
    started: float | None = None,
) -> StreamResult:
    """Read a stream of either SDK to the end and return a `StreamResult`; never loses what arrived.

    view: shows the pieces as they arrive (`LiveView()` in JupyterLab, `TextView()` anywhere).
    starts_in_thinking: None (auto) streams text before any `<think>` as answer and, if a `</think>` shows up
        later, moves the text before it to the thinking at the end (`result.reclassified`); True streams it as
        thinking from the first token (hosts that put `<think>` in the prompt); False never moves it.
    started: a `time.perf_counter()` value taken before the request, to include the wait for the response
        headers in the times (by default, the clock starts when consumption starts).

    A broken stream does not raise: `result.error` holds the exception and the text so far is kept. The
    stream is closed at the end either way.
    """
    _require_stream(stream)
    if _is_stream_manager(stream):
        with stream as opened:
            return consume(opened, view, starts_in_thinking=starts_in_thinking, started=started)
    consumer = _Consumer(view, starts_in_thinking, started)
    try:
        for chunk in stream:
            consumer.chunk(chunk)
    except Exception as error:  # noqa: BLE001 - recorded in the result, re-raisable with raise_for_error()
        consumer.fail(error)
    finally:
        _close(stream)
    return consumer.finish()


async def aconsume(
    stream: Any,
    view: StreamView | None = None,
    *,
    starts_in_thinking: bool | None = None,
    started: float | None = None,
) -> StreamResult:
    """`consume` for `AsyncStream` (openai) and async azure-ai-inference streams, with `async for`.

    `stream` may also be the un-awaited `client.chat.completions.create(..., stream=True)` call: it is then
    awaited here, the clock includes the request, and an error it raises (401, 404, 429, ...) is recorded in
    `result.error` like a mid-stream one, which is what a chat UI wants to show.
    """
    if _is_async_stream_manager(stream):  # client.responses.stream(...) on AsyncOpenAI
        started = time.perf_counter() if started is None else started
        try:
            async with stream as opened:
                return await aconsume(opened, view, starts_in_thinking=starts_in_thinking, started=started)
        except Exception as error:  # noqa: BLE001 - the request failed: shown like a broken stream
            consumer = _Consumer(view, starts_in_thinking, started)
            consumer.fail(error)
            return consumer.finish()
    consumer = _Consumer(view, starts_in_thinking, started)
    try:
        opened = await stream if inspect.isawaitable(stream) else stream
    except Exception as error:  # noqa: BLE001 - the request failed: shown like a broken stream
        consumer.fail(error)
        return consumer.finish()
    _require_stream(opened)
    try:
        async for chunk in opened:
            consumer.chunk(chunk)
    except Exception as error:  # noqa: BLE001 - recorded in the result, re-raisable with raise_for_error()
        consumer.fail(error)
    finally:
        await _aclose(opened)
    return consumer.finish()


def _close(stream: Any) -> None:
    close = getattr(stream, "close", None)
    if callable(close):
        close()


async def _aclose(stream: Any) -> None:
    close = getattr(stream, "aclose", None) or getattr(stream, "close", None)
    if callable(close):
        outcome = close()
        if inspect.isawaitable(outcome):
            await outcome


# -- errors ---------------------------------------------------------------------------------------------


def describe_error(error: BaseException) -> str:
    """One line for a person: the error class, HTTP status and service error code, and the message.

    Reads the error bodies of both SDKs (openai `APIStatusError.body`, azure-core `HttpResponseError.error`)
    and, for errors without an HTTP status, names the underlying cause (e.g. the peer closing the connection).
    """
    name = type(error).__name__
    status = getattr(error, "status_code", None)
    code, message = _code_and_message(error)
    head = name
    if status or code:
        head += " (" + ", ".join(str(part) for part in (f"HTTP {status}" if status else None, code) if part) + ")"
    text = f"{head}: {message}" if message else head
    cause = error.__cause__ or error.__context__
    if status is None and cause is not None and str(cause) and str(cause) not in text:
        text += f" [cause: {type(cause).__name__}: {cause}]"
    return text


def _code_and_message(error: BaseException) -> tuple[str | None, str]:
    body = getattr(error, "body", None)  # openai: the inner "error" object of the response body
    if isinstance(body, Mapping) and body.get("message"):
        return _text_or_none(body.get("code")), str(body["message"])
    odata = getattr(error, "error", None)  # azure-core: the parsed {"error": {...}} body, if any
    if odata is not None and getattr(odata, "message", None):
        return _text_or_none(getattr(odata, "code", None)), str(odata.message)
    message = getattr(error, "message", None) or str(error)
    return None, str(message).splitlines()[0] if message else ""


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)
