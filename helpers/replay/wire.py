"""Render a recorded completion in the wire shape of each route, as Azure sends it.

Two shapes exist for DeepSeek-R1 (see the wire-format reference, section 6):

* the **model-inference** routes (``/models/chat/completions`` and the serverless ``/chat/completions``) put
  the reasoning inside ``content`` as ``<think>\\n…\\n</think>\\n\\n`` followed by the answer;
* the **Azure OpenAI** routes (``/openai/v1`` and ``/openai/deployments/…``) send it in a separate
  ``reasoning_content`` field, with content filter annotations around it.

The OpenAI-compatible provider route (``/v1/openai/chat/completions``, seed 004) answers in the first shape
and adds ``estimated_cost`` to its usage.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..tokens import token_pieces

OPENAI_FAMILIES = ("v1", "classic")
INFERENCE_FAMILIES = ("inference", "serverless", "provider")
DEFAULT_MODEL = "DeepSeek-R1"
DEFAULT_CREATED = 1737763200  # 2025-01-25, shortly after DeepSeek-R1 reached Azure AI Foundry
PROVIDER_MODEL = "deepseek-ai/DeepSeek-R1-Turbo"
PROVIDER_PRICE_PER_MILLION = (1.00, 3.00)  # USD in/out, from the provider's model page (seed 004)

SAFE_ANNOTATIONS = {
    "hate": {"filtered": False, "severity": "safe"},
    "self_harm": {"filtered": False, "severity": "safe"},
    "sexual": {"filtered": False, "severity": "safe"},
    "violence": {"filtered": False, "severity": "safe"},
}
SAFE_PROMPT_ANNOTATIONS = {**SAFE_ANNOTATIONS, "jailbreak": {"filtered": False, "detected": False}}


def think_block(reasoning: str | None, answer: str | None, complete: bool = True) -> str:
    """The text DeepSeek-R1 generates: its thinking between tags, then the answer."""
    if reasoning is None:
        return answer or ""
    closing = "\n</think>\n\n" if complete else ""
    return f"<think>\n{reasoning}{closing}{answer or ''}"


@dataclass(frozen=True)
class Chunk:
    """One streamed piece of text, the kind of text it is, and the pause before it."""

    kind: str  # "reasoning" or "answer" (or "content" for text that carries its own tags)
    text: str
    gap_ms: float


class Completion:
    """A recorded model answer, ready to be rendered for any route."""

    def __init__(self, response: dict[str, Any], recording_name: str) -> None:
        self.data = response
        self.reasoning: str | None = response.get("reasoning")
        self.answer: str | None = response.get("answer")
        self.finish_reason: str = response.get("finish_reason", "stop")
        self.usage: dict[str, Any] = response["usage"]
        self._model: str = response.get("model", DEFAULT_MODEL)
        self.id: str = response.get("id", f"replay-{recording_name}")
        self.created: int = response.get("created", DEFAULT_CREATED)
        self.thinking_complete = self.finish_reason != "length" or bool(response.get("thinking_complete", False))
        self.drop_after: int | None = response.get("drop_after_chunks")

    def model_for(self, family: str) -> str:
        return PROVIDER_MODEL if family == "provider" else self._model

    # -- non-streaming -------------------------------------------------------------------------------
    def content_for(self, family: str) -> str | None:
        if family in OPENAI_FAMILIES:
            return self.answer
        text = think_block(self.reasoning, self.answer, self.thinking_complete)
        return text if text or self.answer is not None else None

    def body(self, family: str) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": self.content_for(family), "tool_calls": None}
        choice: dict[str, Any] = {"index": 0, "message": message, "finish_reason": self.finish_reason}
        body: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model_for(family),
            "choices": [choice],
            "usage": self.usage_for(family),
        }
        if family in OPENAI_FAMILIES:
            message["reasoning_content"] = self.reasoning
            choice["content_filter_results"] = self.data.get("content_filter_results", SAFE_ANNOTATIONS)
            choice["logprobs"] = None
            body["prompt_filter_results"] = [
                {"prompt_index": 0, "content_filter_results": self.data.get("prompt_filter_results", SAFE_PROMPT_ANNOTATIONS)}
            ]
        else:
            message["reasoning_content"] = None
        return body

    def usage_for(self, family: str) -> dict[str, Any]:
        usage = dict(self.usage)
        if family == "provider":  # this provider reports the price of the request with its usage
            price_in, price_out = PROVIDER_PRICE_PER_MILLION
            cost = (usage["prompt_tokens"] * price_in + usage["completion_tokens"] * price_out) / 1_000_000
            usage["estimated_cost"] = round(cost, 8)
        return usage

    # -- streaming -----------------------------------------------------------------------------------
    def chunks(self, family: str) -> list[Chunk]:
        """The stream as text chunks, one token each unless the recording kept its own chunking."""
        recorded = self.data.get("chunks")
        if recorded:
            return [Chunk(c["kind"], c["text"], float(c.get("gap_ms", 0))) for c in recorded]
        timing = self.data.get("timing", {})
        first_ms = float(timing.get("first_token_ms", 0))
        gap_ms = 1000.0 / float(timing["tokens_per_second"]) if timing.get("tokens_per_second") else 0.0
        if family in OPENAI_FAMILIES:
            pieces = [("reasoning", p) for p in token_pieces(self.reasoning or "")]
            pieces += [("answer", p) for p in token_pieces(self.answer or "")]
        else:
            pieces = [("content", p) for p in token_pieces(think_block(self.reasoning, self.answer, self.thinking_complete))]
        return [Chunk(kind, text, first_ms if i == 0 else gap_ms) for i, (kind, text) in enumerate(pieces)]

    def events(self, family: str, include_usage: bool) -> Iterator[tuple[float, str]]:
        """``(pause in ms, SSE data payload)`` pairs, ending with ``[DONE]``."""
        model = self.model_for(family)
        envelope = {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": model}

        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
            choice: dict[str, Any] = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
            return _dumps({**envelope, "choices": [choice], **extra})

        openai_route = family in OPENAI_FAMILIES
        if openai_route:
            prompt_results = self.data.get("prompt_filter_results", SAFE_PROMPT_ANNOTATIONS)
            yield 0.0, _dumps(
                {"choices": [], "created": 0, "id": "", "model": "", "object": "",
                 "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": prompt_results}]}
            )
        yield 0.0, chunk({"role": "assistant", "content": "", "reasoning_content": "" if openai_route else None})
        for index, piece in enumerate(self.chunks(family)):
            if self.drop_after is not None and index >= self.drop_after:
                raise StreamDropped(index)
            if openai_route and piece.kind == "reasoning":
                delta = {"content": "", "reasoning_content": piece.text}
            elif openai_route:
                delta = {"content": piece.text, "reasoning_content": ""}
            else:
                delta = {"content": piece.text, "reasoning_content": None}
            yield piece.gap_ms, chunk(delta)
        usage = self.usage_for(family)
        last_delta = {"content": "", "reasoning_content": "" if openai_route else None}
        if openai_route and not include_usage:
            yield 0.0, chunk(last_delta, self.finish_reason, usage=usage)
        else:
            yield 0.0, chunk(last_delta, self.finish_reason, usage=None)
            yield 0.0, _dumps({"choices": [], "id": self.id, "model": model, "usage": usage})
        yield 0.0, "[DONE]"


class StreamDropped(Exception):
    """Raised inside a streaming response to cut the connection mid-way, as a dropped network would."""

    def __init__(self, after_chunks: int) -> None:
        super().__init__(f"stream dropped after {after_chunks} chunks, as recorded")


def _dumps(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def sse_frame(data: str) -> bytes:
    """One server-sent event in the strict framing azure-ai-inference requires: ``data: …\\n\\n``."""
    return f"data: {data}\n\n".encode()
