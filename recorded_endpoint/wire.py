"""Render a recorded completion in the wire shape of each route, as Azure sends it.

Two shapes exist for DeepSeek-R1 (see the wire-format reference, section 6):

* the **model-inference** routes (``/models/chat/completions`` and the serverless ``/chat/completions``) put
  the reasoning inside ``content`` as ``<think>\\n…\\n</think>\\n\\n`` followed by the answer;
* the **Azure OpenAI** routes (``/openai/v1`` and ``/openai/deployments/…``) send it in a separate
  ``reasoning_content`` field, with content filter annotations around it.

The OpenAI-compatible provider route (``/v1/openai/chat/completions``, seed 004) answers in the first shape
and adds ``estimated_cost`` to its usage.

Content filter annotations (wire-format reference §4) appear on the Azure OpenAI routes only: the response (or the
first, empty-choices stream chunk) carries ``prompt_filter_results``, each choice (and each streamed text chunk)
``content_filter_results``. A completion the filter cut (``finish_reason: "content_filter"``, §5.2) has no content
when not streamed; streamed, the text that passed arrives and the last chunk says ``content_filter`` and carries
the annotations that stopped it. Whether the reasoning of a cut completion survives is not documented; here
nothing generated is returned when not streamed.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from helpers.reasoning import think_block
from helpers.tokens import token_pieces

from .routes import OPENAI_FAMILIES

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


@dataclass(frozen=True)
class Chunk:
    """One streamed piece of text, the kind of text it is, and the pause before it."""

    kind: str  # "reasoning" or "answer" (or "content" for text that carries its own tags)
    text: str
    gap_ms: float


class Completion:
    """A recorded model answer, ready to be rendered for any route."""

    def __init__(self, response: dict[str, Any], recording_name: str, model: dict[str, Any] | None = None) -> None:
        self.data = response
        self.reasoning: str | None = response.get("reasoning")
        self.answer: str | None = response.get("answer")
        self.finish_reason: str = response.get("finish_reason", "stop")
        self.usage: dict[str, Any] = response["usage"]
        # The model that answered: the response's own name, else the recording's ``model``, else DeepSeek-R1.
        self._model: str = response.get("model") or (model or {}).get("name") or DEFAULT_MODEL
        self.id: str = response.get("id", f"replay-{recording_name}")
        self.created: int = response.get("created", DEFAULT_CREATED)
        self.thinking_complete = self.finish_reason != "length" or bool(response.get("thinking_complete", False))
        self.drop_after: int | None = response.get("drop_after_chunks")
        self.cut_by_filter = self.finish_reason == "content_filter"
        self.annotations: dict[str, Any] = response.get("content_filter_results", SAFE_ANNOTATIONS)
        self.prompt_annotations: dict[str, Any] = response.get("prompt_filter_results", SAFE_PROMPT_ANNOTATIONS)

    def model_for(self, family: str) -> str:
        return PROVIDER_MODEL if family == "provider" else self._model

    def reasoning_content(self) -> str | None:
        """The reasoning as the Azure OpenAI routes send it: the text inside ``<think>…</think>``, with the
        newline before the closing tag (Learn's DeepSeek-R1 example ends it ``…succinctly.\n``)."""
        if not self.reasoning or not self.thinking_complete:  # no thinking, or cut before its end
            return self.reasoning
        return self.reasoning + "\n"

    # -- non-streaming -------------------------------------------------------------------------------
    def content_for(self, family: str) -> str | None:
        if self.cut_by_filter:
            return None
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
            message["reasoning_content"] = None if self.cut_by_filter else self.reasoning_content()
            choice["content_filter_results"] = self.annotations
            choice["logprobs"] = None
            body["prompt_filter_results"] = [{"prompt_index": 0, "content_filter_results": self.prompt_annotations}]
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
            pieces = [("reasoning", p) for p in token_pieces(self.reasoning_content() or "")]
            pieces += [("answer", p) for p in token_pieces(self.answer or "")]
        else:
            pieces = [
                ("content", p) for p in token_pieces(think_block(self.reasoning, self.answer, self.thinking_complete))
            ]
        return [Chunk(kind, text, first_ms if i == 0 else gap_ms) for i, (kind, text) in enumerate(pieces)]

    def events(self, family: str, include_usage: bool) -> Iterator[tuple[float, str]]:
        """``(pause in ms, SSE data payload)`` pairs, ending with ``[DONE]``.

        A recording's stream is the same every time, so it is rendered once per route family and kept: a
        workshop room sending the same request at once then costs one rendering, not one per learner.
        """
        if self.drop_after is not None:  # a stream cut on purpose stops mid-way: render it each time
            yield from self._render(family, include_usage)
            return
        yield from _rendered(self, family, include_usage)

    def _render(self, family: str, include_usage: bool) -> Iterator[tuple[float, str]]:
        """The stream as Azure sends it (wire-format reference §2.3, §4.2, §6):

        * Azure OpenAI routes: an empty-choices chunk with the prompt's verdicts; the role fused into the first
          text delta (Learn's DeepSeek-R1 example); the finish chunk; with ``include_usage`` a usage-only chunk
          in the full chunk envelope (``object``, ``created``, ``system_fingerprint``), else usage in the finish
          chunk.
        * Model-inference routes: every delta carries ``role``, ``tool_calls`` and ``reasoning_content`` (null
          after the first), every choice ``matched_stop``, every chunk ``usage``: null until the finish chunk,
          which carries it (Learn's inference tab; the lobe-chat capture sends a separate usage chunk instead:
          [X] the sources disagree).
        """
        model = self.model_for(family)
        envelope = {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": model}

        openai_route = family in OPENAI_FAMILIES
        # Text that reached the client passed the filter; the chunk that ends a cut stream says what stopped it.
        passed = SAFE_ANNOTATIONS if self.cut_by_filter else self.annotations
        final_annotations = self.annotations if self.cut_by_filter else {}

        def chunk(delta: dict[str, Any], finish: str | None = None, annotations: dict | None = None, **extra: Any):
            choice: dict[str, Any] = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
            if openai_route:
                choice["content_filter_results"] = annotations or {}
            else:
                delta.setdefault("role", None)
                delta.setdefault("tool_calls", None)
                choice["matched_stop"] = None
                extra.setdefault("usage", None)
            return _dumps({**envelope, "choices": [choice], **extra})

        def text_delta(piece: Chunk) -> dict[str, Any]:
            if openai_route and piece.kind == "reasoning":
                return {"content": "", "reasoning_content": piece.text}
            if openai_route:
                return {"content": piece.text, "reasoning_content": ""}
            return {"content": piece.text, "reasoning_content": None}

        if openai_route:
            prompt_results = [{"prompt_index": 0, "content_filter_results": self.prompt_annotations}]
            first = {"choices": [], "created": 0, "id": "", "model": "", "object": ""}
            yield 0.0, _dumps({**first, "prompt_filter_results": prompt_results})
        pieces = self.chunks(family)
        if not pieces or self.drop_after == 0:  # nothing to fuse the role into
            yield 0.0, chunk({"role": "assistant", **text_delta(Chunk("answer", "", 0.0))})
        for index, piece in enumerate(pieces):
            if self.drop_after is not None and index >= self.drop_after:
                raise StreamDropped(index)
            delta = {"role": "assistant", **text_delta(piece)} if index == 0 else text_delta(piece)
            yield piece.gap_ms, chunk(delta, annotations=passed)
        if self.drop_after is not None:  # the recording holds only what arrived before the cut
            raise StreamDropped(self.drop_after)
        usage = self.usage_for(family)
        last_delta = {"content": "", "reasoning_content": "" if openai_route else None}
        if openai_route and include_usage:
            yield 0.0, chunk(last_delta, self.finish_reason, final_annotations, usage=None)
            usage_chunk = {"choices": [], **envelope, "system_fingerprint": None, "usage": usage}
            yield 0.0, _dumps(usage_chunk)
        else:
            yield 0.0, chunk(last_delta, self.finish_reason, final_annotations, usage=usage)
        yield 0.0, "[DONE]"


_RENDERED_KEPT = 256
_rendered_streams: OrderedDict[tuple[int, str, bool], tuple[dict[str, Any], list[tuple[float, str]]]] = OrderedDict()
_rendered_lock = threading.Lock()


def _rendered(completion: Completion, family: str, include_usage: bool) -> list[tuple[float, str]]:
    """The rendered events of ``completion``, from the cache of the most recently used streams."""
    key = (id(completion.data), family, include_usage)
    with _rendered_lock:
        kept = _rendered_streams.get(key)
        # The cache holds the response dict itself, so its id cannot be reused by another dict meanwhile.
        if kept is not None and kept[0] is completion.data:
            _rendered_streams.move_to_end(key)
            return kept[1]
    events = list(completion._render(family, include_usage))
    with _rendered_lock:
        _rendered_streams[key] = (completion.data, events)
        while len(_rendered_streams) > _RENDERED_KEPT:
            _rendered_streams.popitem(last=False)
    return events


class StreamDropped(Exception):
    """Raised inside a streaming response to cut the connection mid-way, as a dropped network would."""

    def __init__(self, after_chunks: int) -> None:
        super().__init__(f"stream dropped after {after_chunks} chunks, as recorded")


def _dumps(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def sse_frame(data: str) -> bytes:
    """One server-sent event in the strict framing azure-ai-inference requires: ``data: …\\n\\n``."""
    return f"data: {data}\n\n".encode()
