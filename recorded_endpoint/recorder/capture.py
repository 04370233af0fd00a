"""From the captured wire to the recording format: answers, errors and streams, kept by allowlist.

Everything kept passes the :class:`~.redaction.Redactor`: model text through ``names_in`` (credentials and
hosts), everything else (error texts, verdicts, headers, keywords) through ``everything_in``. A stream's
chunks are redacted as one joined text (:meth:`Redactor.chunks_in`), so a secret split across chunks is
replaced too.

A stream is read by an *event parser*, one per wire protocol (:data:`EVENT_PARSERS`, chosen by
:func:`parser_for`): :func:`chat_event` reads Chat Completions chunks, :func:`responses_event` the Responses
API's typed events. A non-streamed answer is read by :func:`completion_from_body` or
:func:`completion_from_responses_body`. Both protocols land in the same route-neutral recording.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from helpers.tokens import count_prompt_tokens, count_tokens

from ..routes import OPENAI_FAMILIES, Family
from ..wire import think_block
from .redaction import KNOWN_MODEL_NAMES, Redactor

# Response headers kept with an error response: the ones clients act on.
SAFE_ERROR_HEADERS = frozenset(
    "retry-after retry-after-ms x-ms-retry-after-ms x-should-retry x-ms-error-reason "
    "x-ratelimit-limit-requests x-ratelimit-limit-tokens x-ratelimit-remaining-requests "
    "x-ratelimit-remaining-tokens".split()
)
SAFE_HEADER_VALUE = re.compile(r"^[\w .,:;=/-]{0,80}$")
# Keys of error bodies, across the routes (wire-format reference §5). Anything else is dropped.
SAFE_ERROR_KEYS = frozenset(
    "error code message type param status innererror inner_error statusCode detail "
    "content_filter_result content_filter_results".split()
)
SAFE_USAGE_KEYS = frozenset(
    "prompt_tokens completion_tokens total_tokens prompt_tokens_details completion_tokens_details "
    "reasoning_tokens cached_tokens audio_tokens accepted_prediction_tokens "
    "rejected_prediction_tokens".split()
)
SAFE_ANNOTATION_FIELDS = {"filtered": bool, "detected": bool, "severity": str}
SEVERITIES = frozenset({"safe", "low", "medium", "high"})
FINISH_REASONS = frozenset({"stop", "length", "content_filter", "tool_calls", "function_call"})
VERDICT_ERROR_CODES = frozenset({"content_filter_error", "ResponsibleAIPolicyViolation"})
# Families whose reasoning arrives apart from the answer (not as <think> inside the content).
SEPARATE_REASONING = OPENAI_FAMILIES | {Family.RESPONSES}
RESPONSES_FINISH = {"max_output_tokens": "length", "content_filter": "content_filter"}


def reasoning_of_openai(reasoning: str | None, finish_reason: str | None) -> str | None:
    """``reasoning_content`` as a recording keeps it: without the newline Azure sends before ``</think>``.

    The replay adds that newline back (``wire.Completion.reasoning_content``), as Learn's example shows it.
    """
    if isinstance(reasoning, str) and finish_reason != "length" and reasoning.endswith("\n"):
        return reasoning[:-1]
    return reasoning


def split_think(content: str | None, finish_reason: str | None) -> tuple[str | None, str | None]:
    """``(reasoning, answer)`` of a model-inference ``content``, such that the replay renders it back exactly.

    The replay writes ``<think>\\n{reasoning}\\n</think>\\n\\n{answer}``; content of any other shape is kept
    whole as the answer, which the replay sends unchanged.
    """
    if content is None or not content.startswith("<think>\n"):
        return None, content
    inside = content[len("<think>\n") :]
    reasoning, closing, answer = inside.partition("\n</think>\n\n")
    if closing:
        return reasoning, answer
    if finish_reason == "length":  # cut while thinking: the replay writes no closing tag either
        return inside, ""
    return None, content


def annotations(results: Any, redactor: Redactor) -> dict[str, Any] | None:
    """Content-filter verdicts, category by category, reduced to filtered / detected / severity.

    A verdict's ``error`` entry keeps its code (a plain keyword) and its message, both redacted.
    """
    if not isinstance(results, dict):
        return None
    kept: dict[str, Any] = {}
    for category, verdict in results.items():
        if not (isinstance(category, str) and re.fullmatch(r"[a-z_]{1,40}", category) and isinstance(verdict, dict)):
            continue
        if category == "error":
            error = {"code": redactor.word_in(verdict.get("code"), VERDICT_ERROR_CODES, r"[A-Za-z_]{1,40}")}
            if isinstance(verdict.get("message"), str):
                error["message"] = redactor.everything_in(verdict["message"])[:500]
            kept["error"] = {k: v for k, v in error.items() if v is not None}
            continue
        kept[category] = {
            name: verdict[name] for name, kind in SAFE_ANNOTATION_FIELDS.items() if isinstance(verdict.get(name), kind)
        }
        if kept[category].get("severity") not in (None, *SEVERITIES):
            kept[category].pop("severity")
    return kept or None


def usage_numbers(usage: Any) -> dict[str, Any] | None:
    """The token counts of a usage object; nothing but integers and their known groupings."""
    if not isinstance(usage, dict):
        return None
    kept: dict[str, Any] = {}
    for key, value in usage.items():
        if key not in SAFE_USAGE_KEYS:
            continue
        if isinstance(value, int) and not isinstance(value, bool):
            kept[key] = value
        elif isinstance(value, dict):
            kept[key] = usage_numbers(value) or {}
    return kept or None


def estimated_usage(
    messages: list[dict[str, str]], reasoning: str | None, answer: str | None, complete: bool
) -> dict[str, int]:
    """Usage from the DeepSeek-R1 tokenizer, for a stream that ended before the service sent its own."""
    prompt = count_prompt_tokens(messages)
    completion = count_tokens(think_block(reasoning, answer, complete))
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def common_fields(payload: dict[str, Any], redactor: Redactor) -> dict[str, Any]:
    """The fields every answer shape shares: the public model name, ``created`` and the prompt's verdicts."""
    kept: dict[str, Any] = {}
    if payload.get("model") in KNOWN_MODEL_NAMES:
        kept["model"] = payload["model"]
    if isinstance(payload.get("created"), int) and payload["created"] > 0:
        kept["created"] = payload["created"]
    prompt_results = payload.get("prompt_filter_results")
    if isinstance(prompt_results, list) and prompt_results and isinstance(prompt_results[0], dict):
        verdicts = annotations(prompt_results[0].get("content_filter_results"), redactor)
        if verdicts:
            kept["prompt_filter_results"] = verdicts
    return kept


def completion_from_body(body: dict[str, Any], family: str, redactor: Redactor) -> dict[str, Any]:
    """A non-streamed chat completion as a recorded ``completion`` response."""
    choice = (body.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    finish_reason = redactor.word_in(choice.get("finish_reason"), FINISH_REASONS) or "stop"
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    content = message.get("content")
    if family not in OPENAI_FAMILIES and reasoning is None:
        reasoning, content = split_think(content, finish_reason)
    elif family in OPENAI_FAMILIES:
        reasoning = reasoning_of_openai(reasoning, finish_reason)
    response: dict[str, Any] = {
        "kind": "completion",
        "reasoning": redactor.names_in(reasoning) if isinstance(reasoning, str) else None,
        "answer": redactor.names_in(content) if isinstance(content, str) else None,
        "finish_reason": finish_reason,
        "usage": usage_numbers(body.get("usage")) or {},
        **common_fields(body, redactor),
    }
    verdicts = annotations(choice.get("content_filter_results"), redactor)
    if verdicts:
        response["content_filter_results"] = verdicts
    return response


def error_response(status: int, headers: httpx.Headers, raw: bytes, redactor: Redactor) -> dict[str, Any]:
    """An error answer as a recorded ``error`` response: status, allowlisted headers and body keys."""
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        text = redactor.everything_in(raw.decode("utf-8", "replace"))[:500]
        body = {"error": {"code": str(status), "message": text}}
    kept_headers = {
        name.lower(): redactor.everything_in(value)
        for name, value in headers.items()
        if name.lower() in SAFE_ERROR_HEADERS and SAFE_HEADER_VALUE.match(value)
    }
    response: dict[str, Any] = {"kind": "error", "status": status, "body": _error_body(body, redactor)}
    if kept_headers:
        response["headers"] = kept_headers
    return response


def _error_body(value: Any, redactor: Redactor) -> Any:
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            if key in ("content_filter_result", "content_filter_results"):
                kept[key] = annotations(item, redactor) or {}
            elif key in SAFE_ERROR_KEYS:
                kept[key] = _error_body(item, redactor)
        return kept
    if isinstance(value, list):
        return [_error_body(item, redactor) for item in value]
    if isinstance(value, str):
        return redactor.everything_in(value)
    return value if isinstance(value, (int, float, bool)) or value is None else None


class SSEParser:
    """Incremental ``text/event-stream`` parser: bytes in, the ``data`` of each complete event out."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._buffer = ""
        self._held_cr = False  # a "\r" at the end of a piece may be the first half of "\r\n"

    def feed(self, piece: bytes) -> list[str]:
        text = ("\r" if self._held_cr else "") + self._decoder.decode(piece)
        self._held_cr = text.endswith("\r")
        text = text[:-1] if self._held_cr else text
        self._buffer += text.replace("\r\n", "\n").replace("\r", "\n")
        *events, self._buffer = self._buffer.split("\n\n")
        found = []
        for event in events:
            lines = [line[5:].removeprefix(" ") for line in event.split("\n") if line.startswith("data:")]
            if lines:
                found.append("\n".join(lines))
        return found


@dataclass
class StreamCapture:
    """What arrived on a streamed answer: text chunks with the pause before each, and the trailer fields."""

    family: str
    started: float
    redactor: Redactor = field(default_factory=Redactor)
    chunks: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    content_filter_results: dict[str, Any] | None = None
    error_event: bool = False
    last_text_at: float | None = None

    def event(self, data: str, arrived: float) -> None:
        """One SSE ``data`` payload; ``[DONE]`` and anything that is not a JSON object are ignored."""
        if data.strip() == "[DONE]":
            return
        try:
            payload = json.loads(data)
        except json.JSONDecodeError:
            return
        if isinstance(payload, dict):
            parser_for(self.family)(self, payload, arrived)

    def add_text(self, kind: str, text: Any, arrived: float) -> None:
        if not isinstance(text, str) or not text:
            return
        since = self.started if self.last_text_at is None else self.last_text_at
        self.chunks.append({"kind": kind, "text": text, "gap_ms": round(max(arrived - since, 0.0) * 1000, 1)})
        self.last_text_at = arrived

    def text_of(self, *kinds: str) -> str | None:
        pieces = [c["text"] for c in self.chunks if c["kind"] in kinds]
        return "".join(pieces) if pieces else None

    def to_response(self, messages: list[dict[str, str]], cut: bool) -> dict[str, Any]:
        """The recorded ``completion``, with explicit chunks; a cut stream replays cut at the same place."""
        redactor = self.redactor
        finish_reason = self.finish_reason  # None when the stream ended before the service sent one
        chunks = redactor.chunks_in(self.chunks)
        kept = StreamCapture(self.family, self.started, redactor, chunks)
        if self.family in SEPARATE_REASONING:
            reasoning, answer = reasoning_of_openai(kept.text_of("reasoning"), finish_reason), kept.text_of("answer")
        else:  # a stream that ended early may have ended inside the thinking, as a "length" finish does
            reasoning, answer = split_think(kept.text_of("content", "reasoning"), finish_reason or "length")
        response: dict[str, Any] = {
            "kind": "completion",
            "reasoning": reasoning,
            "answer": answer,
            "finish_reason": finish_reason,
            "usage": self.usage,
            "chunks": chunks,
            **self.extras,
        }
        if self.usage is None:
            complete = finish_reason not in (None, "length")
            raw_reasoning, raw_answer = self.text_of("reasoning"), self.text_of("answer", "content")
            response["usage"] = estimated_usage(messages, raw_reasoning, raw_answer, complete)
            response["usage_source"] = "DeepSeek-R1 tokenizer: the stream ended before the service sent usage"
        if cut:
            response["drop_after_chunks"] = len(chunks)
        if self.content_filter_results:
            response["content_filter_results"] = self.content_filter_results
        if chunks:
            response["timing"] = kept.timing()
        return response

    def timing(self) -> dict[str, Any]:
        """Time to the first text, and the pace of the rest in DeepSeek-R1 tokens per second."""
        first, rest = self.chunks[0], self.chunks[1:]
        rest_ms = sum(c["gap_ms"] for c in rest)
        tokens = count_tokens("".join(c["text"] for c in rest))
        speed = round(tokens / (rest_ms / 1000), 1) if rest_ms > 0 else None
        return {"first_token_ms": first["gap_ms"], "tokens_per_second": speed, "source": "recorded"}


EventParser = Callable[[StreamCapture, dict[str, Any], float], None]


def chat_event(capture: StreamCapture, payload: dict[str, Any], arrived: float) -> None:
    """One Chat Completions chunk: text deltas, the finish reason, usage and verdicts."""
    redactor = capture.redactor
    if payload.get("error"):
        capture.error_event = True
    capture.extras.update({k: v for k, v in common_fields(payload, redactor).items() if k not in capture.extras})
    capture.usage = usage_numbers(payload.get("usage")) or capture.usage
    for choice in payload.get("choices") or []:
        if not isinstance(choice, dict):
            continue
        delta = choice.get("delta") or {}
        capture.add_text("reasoning", delta.get("reasoning_content") or delta.get("reasoning"), arrived)
        kind = "answer" if capture.family in OPENAI_FAMILIES else "content"
        capture.add_text(kind, delta.get("content"), arrived)
        capture.finish_reason = redactor.word_in(choice.get("finish_reason"), FINISH_REASONS) or capture.finish_reason
        verdicts = annotations(choice.get("content_filter_results"), redactor)
        capture.content_filter_results = verdicts or capture.content_filter_results


def responses_usage(usage: Any) -> dict[str, Any] | None:
    """Responses usage (``input_tokens``/``output_tokens``) in the recordings' chat names."""
    if not isinstance(usage, dict):
        return None
    renamed = {"input_tokens": "prompt_tokens", "output_tokens": "completion_tokens", "total_tokens": "total_tokens"}
    chat = {new: usage[old] for old, new in renamed.items() if old in usage}
    details = usage.get("output_tokens_details")
    if isinstance(details, dict):
        chat["completion_tokens_details"] = details
    return usage_numbers(chat)


def responses_finish(response: dict[str, Any], redactor: Redactor) -> str:
    """The chat finish reason a Response's ``status`` stands for: completed is stop, cut short is length."""
    if response.get("status") != "incomplete":
        return "stop"
    reason = (response.get("incomplete_details") or {}).get("reason")
    return RESPONSES_FINISH.get(reason) or redactor.word_in(reason, ()) or "length"


def responses_common(response: dict[str, Any], redactor: Redactor) -> dict[str, Any]:
    created = response.get("created_at")
    return common_fields({"model": response.get("model"), "created": created}, redactor)


def completion_from_responses_body(body: dict[str, Any], redactor: Redactor) -> dict[str, Any]:
    """A non-streamed Response as a recorded ``completion``: reasoning items' text, the message's output_text."""
    reasoning, answer = [], []
    for item in body.get("output") or []:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "reasoning":
            parts = [*(item.get("summary") or []), *(item.get("content") or [])]
            reasoning += [p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str)]
        elif item.get("type") == "message":
            parts = item.get("content") or []
            answer += [p["text"] for p in parts if isinstance(p, dict) and p.get("type") == "output_text"]
    finish_reason = responses_finish(body, redactor)
    return {
        "kind": "completion",
        "reasoning": redactor.names_in(reasoning_of_openai("".join(reasoning), finish_reason)) if reasoning else None,
        "answer": redactor.names_in("".join(answer)) if answer else None,
        "finish_reason": finish_reason,
        "usage": responses_usage(body.get("usage")) or {},
        **responses_common(body, redactor),
    }


REASONING_DELTAS = frozenset({"response.reasoning_summary_text.delta", "response.reasoning_text.delta"})


def responses_event(capture: StreamCapture, payload: dict[str, Any], arrived: float) -> None:
    """One typed Responses event: reasoning and text deltas, and the final response's status and usage."""
    kind = payload.get("type")
    if kind in ("error", "response.failed"):
        capture.error_event = True
    elif kind in REASONING_DELTAS:
        capture.add_text("reasoning", payload.get("delta"), arrived)
    elif kind == "response.output_text.delta":
        capture.add_text("answer", payload.get("delta"), arrived)
    elif kind in ("response.created", "response.completed", "response.incomplete"):
        response = payload.get("response") if isinstance(payload.get("response"), dict) else {}
        capture.extras.update({k: v for k, v in responses_common(response, capture.redactor).items()})
        if kind != "response.created":
            capture.finish_reason = responses_finish(response, capture.redactor)
            capture.usage = responses_usage(response.get("usage")) or capture.usage


# One parser per wire protocol; a family maps to its protocol's parser (Chat Completions unless listed).
EVENT_PARSERS: dict[str, EventParser] = {"chat": chat_event, "responses": responses_event}
EVENT_PARSER_OF_FAMILY: dict[str, str] = {Family.RESPONSES: "responses"}


def parser_for(family: str) -> EventParser:
    return EVENT_PARSERS[EVENT_PARSER_OF_FAMILY.get(family, "chat")]
