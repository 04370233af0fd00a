"""Split DeepSeek-R1 output into its thinking (chain of thought) and its answer.

DeepSeek-R1 thinks before it answers. Depending on the route, the thinking arrives:

- inside `content`, wrapped in tags: `<think>\\n...\\n</think>\\n\\nanswer` (Azure's model-inference route);
- in a separate `reasoning_content` (or `reasoning`) field, with `content` holding only the answer
  (Azure OpenAI routes, DeepSeek's API, vLLM);
- on the Responses API, as `reasoning` output items next to a `message` item holding the answer
  (`output_text`); Learn shows the text in `summary[].text`, the OpenAI spec also allows `content[]` parts of
  type `reasoning_text`: both are read.

Three tools cover both, for complete messages and for streams:

- `split_reasoning(text)` parses the tags of a complete text;
- `reasoning_of(message)` reads a message of either SDK (or a dict): the reasoning field if present,
  else the tags in `content`;
- `ReasoningStream` does the same incrementally, chunk by chunk or delta by delta.

And one the other way round: `think_block(thinking, answer)` writes the text as DeepSeek-R1 generates it,
`<think>\\n...\\n</think>\\n\\nanswer`; `parse_think_block` reads exactly that shape back.

Rules (the same for `split_reasoning` and `ReasoningStream`):

- Leading whitespace, then `<think>`, opens the thinking. Only the *first* `</think>` closes it. A
  `<think>` inside the thinking, or any tag after the first `</think>`, is kept as literal text.
- No `</think>` after the thinking opened: the output was cut (e.g. by `max_tokens`); everything is
  thinking, `answer` is None and `thinking_complete` is False.
- **Missing `<think>`.** Hosts whose chat template puts `<think>` in the *prompt* produce output that
  starts inside the thinking and shows only `</think>`. `starts_in_thinking=True` says so: the text
  before the first `</think>` is thinking. With `starts_in_thinking=False` such a text is all answer
  (a literal `</think>` in it included). `split_reasoning` defaults to `None` (auto): it behaves as True
  when the text holds `</think>` without an opening `<think>`, else as False. A stream cannot look ahead
  to the end, so `ReasoningStream` has no auto mode: it defaults to False, which fits Azure (its content
  opens with `<think>`); pass `starts_in_thinking=True` for hosts that inject `<think>` in the prompt.
- Whitespace: the thinking is stripped on both sides, the answer loses its leading whitespace (R1
  writes `\\n\\n` after `</think>`), and whitespace before `<think>` is dropped.
- `thinking` is None when there was no thinking phase and `""` for an empty block (`<think>\\n\\n</think>`);
  `answer` is None when there is no answer text.

For any text and any chunking, the pieces `ReasoningStream(starts_in_thinking=s)` emits, joined by kind,
equal `split_reasoning(text, starts_in_thinking=s)`. The stream keeps no history: per chunk it looks at
the chunk plus at most 7 held-back characters (the longest trailing piece that could start a tag), plus
the whitespace it holds at the end of the thinking until it knows whether the thinking goes on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .sdk import as_dict, message_field, text_of

OPEN_TAG = "<think>"
CLOSE_TAG = "</think>"
REASONING_FIELDS = ("reasoning_content", "reasoning")


@dataclass(frozen=True)
class ReasoningSplit:
    """DeepSeek-R1 output split in two.

    thinking: the chain of thought; None when there was no thinking phase, "" for an empty block.
    answer: the final answer; None when there is none (yet).
    thinking_complete: False when the thinking never ended (cut by max_tokens, or still streaming).
    had_open_tag: True when the text itself opened the thinking with `<think>`.
    """

    thinking: str | None
    answer: str | None
    thinking_complete: bool = True
    had_open_tag: bool = False


def split_reasoning(text: str | None, starts_in_thinking: bool | None = None) -> ReasoningSplit:
    """Split a complete DeepSeek-R1 text into thinking and answer (see the module docstring for the rules).

    >>> split_reasoning("<think>\\nHmm.\\n</think>\\n\\nHello!")
    ReasoningSplit(thinking='Hmm.', answer='Hello!', thinking_complete=True, had_open_tag=True)
    """
    if text is None:
        return ReasoningSplit(thinking=None, answer=None)
    _require_text(text)
    body = text.lstrip()
    had_open_tag = body.startswith(OPEN_TAG)
    if had_open_tag:
        body = body[len(OPEN_TAG) :]
    else:
        if starts_in_thinking is None:
            starts_in_thinking = CLOSE_TAG in body
        if not starts_in_thinking:
            return ReasoningSplit(thinking=None, answer=body or None)
    thinking, close_tag, answer = body.partition(CLOSE_TAG)
    return ReasoningSplit(
        thinking=thinking.strip(),
        answer=answer.lstrip() or None,
        thinking_complete=bool(close_tag),
        had_open_tag=had_open_tag,
    )


def reasoning_of(message: Any, starts_in_thinking: bool | None = None) -> ReasoningSplit:
    """Thinking and answer of a response message of either SDK, of a Responses API object, or of a dict.

    A non-empty `reasoning_content` (or `reasoning`) field wins and `content` is then the answer, taken
    as is (tags in it stay literal). Otherwise the tags in `content` are parsed with `split_reasoning`.
    A Responses object (`client.responses.create(...)`) is read from its output items instead.
    """
    if is_response(message):
        return _response_split(message, starts_in_thinking)
    _reject_whole_response(message)
    reasoning = reasoning_field(message)
    content = message_field(message, "content")
    if reasoning:
        answer = text_of(content).lstrip() or None
        # The model moved on to the answer; without one we cannot tell a finished thinking from a cut one.
        return ReasoningSplit(thinking=reasoning.strip(), answer=answer, thinking_complete=answer is not None)
    return split_reasoning(None if content is None else text_of(content), starts_in_thinking)


class ReasoningStream:
    """Incremental `split_reasoning`: feed text chunks or SDK deltas, get `(kind, text)` pieces.

    `kind` is "reasoning" or "answer". Nothing is emitted twice and nothing is lost: text that might be
    the start of a tag is held back until the next chunk decides, and `close()` flushes it.

    >>> stream = ReasoningStream()
    >>> stream.feed("<think>Hm") + stream.feed("m.</th") + stream.feed("ink>\\n\\nHi") + stream.close()
    [('reasoning', 'Hm'), ('reasoning', 'm.'), ('answer', 'Hi')]
    """

    def __init__(self, starts_in_thinking: bool = False) -> None:
        self.starts_in_thinking = starts_in_thinking
        self._phase = "start"  # "start" -> "thinking" -> "answer"
        self._held = ""  # a possible partial tag, at most len(tag) - 1 characters
        self._pending_space: list[str] = []  # whitespace at the end of the thinking so far
        self._thinking_parts: list[str] = []
        self._answer_parts: list[str] = []
        self._saw_thinking = False
        self._thinking_ended = False
        self._had_open_tag = False
        self._fields_mode = False  # a reasoning field was seen: content is then answer, never parsed
        self._closed = False

    # -- public API --------------------------------------------------------------------------------

    def feed(self, text: str) -> list[tuple[str, str]]:
        """Add a chunk of output text (tags included); return the pieces it completes."""
        self._require_open()
        _require_text(text)
        out: list[tuple[str, str]] = []
        self._consume(text, out)
        return out

    def feed_delta(self, delta: Any) -> list[tuple[str, str]]:
        """Add a streamed delta: openai `ChoiceDelta`, azure-ai-inference update, or a dict.

        A `reasoning_content`/`reasoning` field goes straight to "reasoning"; `content` goes through the
        tag parser, unless a reasoning field was seen earlier (then it is answer, tags and all).
        """
        self._require_open()
        reasoning = reasoning_field(delta)
        content = text_of(message_field(delta, "content"))
        out: list[tuple[str, str]] = []
        if reasoning:
            if not self._fields_mode:
                self._enter_fields_mode(out)
            self._emit_thinking(reasoning, out)
        if content:
            if self._fields_mode:
                if self._phase == "thinking":
                    self._end_thinking()
                self._emit_answer(content, out)
            else:
                self._consume(content, out)
        return out

    def close(self) -> list[tuple[str, str]]:
        """End of stream: flush what was held back (a partial tag is literal text after all)."""
        self._require_open()
        out: list[tuple[str, str]] = []
        self._flush_held(out)
        if self._phase == "start" and self.starts_in_thinking:
            self._open_thinking(explicit=False)  # the prompt opened a thinking that produced nothing
        self._closed = True  # whitespace still pending at the end of the thinking is dropped
        return out

    @property
    def thinking(self) -> str | None:
        """Reasoning emitted so far (None if no thinking phase was seen).

        Each read joins all pieces; for a live display, use the pieces `feed` returns instead.
        """
        return "".join(self._thinking_parts) if self._saw_thinking else None

    @property
    def answer(self) -> str | None:
        """Answer emitted so far (None if none yet)."""
        return "".join(self._answer_parts) or None

    @property
    def in_thinking(self) -> bool:
        """True while the model is thinking."""
        return self._phase == "thinking"

    @property
    def thinking_complete(self) -> bool:
        """False while (or if, after `close()`) a thinking phase is open without its end."""
        return self._thinking_ended or not self._saw_thinking

    @property
    def split(self) -> ReasoningSplit:
        """The accumulated result, the same shape `split_reasoning` returns."""
        return ReasoningSplit(self.thinking, self.answer, self.thinking_complete, self._had_open_tag)

    # -- the tag state machine ---------------------------------------------------------------------

    def _consume(self, text: str, out: list[tuple[str, str]]) -> None:
        while text:
            if self._phase == "start":
                text = self._consume_start(text)
            elif self._phase == "thinking":
                text = self._consume_thinking(text, out)
            else:
                self._emit_answer(text, out)
                text = ""

    def _consume_start(self, text: str) -> str:
        """Before anything is decided: skip leading whitespace, look for an opening `<think>`."""
        if not self._held:
            text = text.lstrip()
        buffer = self._held + text
        if buffer.startswith(OPEN_TAG):
            self._held = ""
            self._open_thinking(explicit=True)
            return buffer[len(OPEN_TAG) :]
        if OPEN_TAG.startswith(buffer):
            self._held = buffer  # "<thi" might still become "<think>"
            return ""
        self._held = ""
        if self.starts_in_thinking:
            self._open_thinking(explicit=False)
        else:
            self._phase = "answer"
        return buffer

    def _consume_thinking(self, text: str, out: list[tuple[str, str]]) -> str:
        """Inside the thinking: look for `</think>` in the held characters plus this chunk only."""
        buffer = self._held + text
        end = buffer.find(CLOSE_TAG)
        if end >= 0:
            self._held = ""
            self._emit_thinking(buffer[:end], out)
            self._end_thinking()
            return buffer[end + len(CLOSE_TAG) :]
        keep = _partial_tag_length(buffer, CLOSE_TAG)
        cut = len(buffer) - keep
        self._held = buffer[cut:]
        self._emit_thinking(buffer[:cut], out)
        return ""

    def _open_thinking(self, explicit: bool) -> None:
        self._phase = "thinking"
        self._saw_thinking = True
        self._had_open_tag = explicit

    def _end_thinking(self) -> None:
        self._pending_space.clear()
        self._thinking_ended = True
        self._phase = "answer"

    def _emit_thinking(self, text: str, out: list[tuple[str, str]]) -> None:
        if not self._thinking_parts:
            text = text.lstrip()
        body = text.rstrip()
        if not body:
            if text:
                self._pending_space.append(text)  # emitted only if more thinking follows
            return
        piece = "".join(self._pending_space) + body if self._pending_space else body
        self._pending_space.clear()
        if len(body) < len(text):
            self._pending_space.append(text[len(body) :])
        self._thinking_parts.append(piece)
        out.append(("reasoning", piece))

    def _emit_answer(self, text: str, out: list[tuple[str, str]]) -> None:
        if not self._answer_parts:
            text = text.lstrip()
            if not text:
                return
        self._answer_parts.append(text)
        out.append(("answer", text))

    def _flush_held(self, out: list[tuple[str, str]]) -> None:
        held, self._held = self._held, ""
        if not held:
            return
        if self._phase == "start":  # a prefix of "<think>" that never completed: plain text
            if self.starts_in_thinking:
                self._open_thinking(explicit=False)
            else:
                self._phase = "answer"
        if self._phase == "thinking":
            self._emit_thinking(held, out)
        else:
            self._emit_answer(held, out)

    def _enter_fields_mode(self, out: list[tuple[str, str]]) -> None:
        self._flush_held(out)
        self._fields_mode = True
        self._phase = "thinking"
        self._saw_thinking = True

    def _require_open(self) -> None:
        if self._closed:
            raise RuntimeError("This ReasoningStream is closed; create a new one for the next response.")


def _partial_tag_length(text: str, tag: str) -> int:
    """Length of the longest end of `text` that is a proper prefix of `tag` (0 if none).

    The longest candidate is tried first: holding back less could release the start of a tag into
    the wrong channel. Only the last len(tag) - 1 characters are looked at.
    """
    tail = text[-(len(tag) - 1) :]
    start = tail.find(tag[0])
    while start >= 0:
        if tag.startswith(tail[start:]):
            return len(tail) - start
        start = tail.find(tag[0], start + 1)
    return 0


# -- reasoning fields -----------------------------------------------------------------------------------


def reasoning_field(obj: Any) -> str | None:
    """The non-empty `reasoning_content` (or `reasoning`) text of a message or delta, else None."""
    for name in REASONING_FIELDS:
        value = message_field(obj, name)
        if value:
            return text_of(value)
    return None


def _require_text(text: Any) -> None:
    if not isinstance(text, str):
        raise TypeError(
            f"Expected the output text as str, got {type(text).__name__}. For an SDK message or delta, "
            "use reasoning_of(message) or ReasoningStream.feed_delta(delta)."
        )


def _reject_whole_response(message: Any) -> None:
    if message_field(message, "choices") is not None or message_field(message, "message") is not None:
        raise TypeError("Pass a message, not a whole response or choice: e.g. response.choices[0].message.")


# -- Responses API objects ------------------------------------------------------------------------------


def is_response(obj: Any) -> bool:
    """True for a Responses API object (`client.responses.create(...)`) or its dict: `object == "response"`."""
    return message_field(obj, "object") == "response"


def reasoning_item_text(item: Any) -> str:
    """The text of a `reasoning` output item: its `content[]` parts of type `reasoning_text` if any, else its
    `summary[].text` (what Learn shows for DeepSeek on Foundry); parts are joined with a newline."""
    parts = [message_field(part, "text") or "" for part in message_field(item, "content") or []]
    parts = parts or [message_field(part, "text") or "" for part in message_field(item, "summary") or []]
    return "\n".join(parts)


def _response_split(response: Any, starts_in_thinking: bool | None) -> ReasoningSplit:
    thinking: list[str] = []
    answer: list[str] = []
    saw_reasoning = False
    for item in message_field(response, "output") or []:
        kind = message_field(item, "type")
        if kind == "reasoning":
            saw_reasoning = True
            thinking.append(reasoning_item_text(item))
        elif kind == "message":
            answer += [message_field(part, "text") or "" for part in message_field(item, "content") or []
                       if message_field(part, "type") == "output_text"]  # fmt: skip
    text = "".join(answer)
    if not saw_reasoning:  # a host that left the tags in the text: parse them as on the chat routes
        return split_reasoning(text if answer else None, starts_in_thinking)
    cut_while_thinking = message_field(response, "status") == "incomplete" and not text
    return ReasoningSplit(
        thinking="\n".join(thinking).strip(), answer=text.lstrip() or None, thinking_complete=not cut_while_thinking
    )


# -- the <think> block, written and read back --------------------------------------------------------


def think_block(thinking: str | None, answer: str | None = None, complete: bool = True) -> str:
    """The text DeepSeek-R1 generates: `<think>\\n{thinking}\\n</think>\\n\\n{answer}`.

    `thinking=None` (no thinking phase) gives the answer alone; `complete=False` (cut while thinking) leaves
    the block open. `split_reasoning` reads the result back; `parse_think_block` does so exactly.

    >>> think_block("Hmm.", "Hello!")
    '<think>\\nHmm.\\n</think>\\n\\nHello!'
    >>> split_reasoning(think_block("Hmm.", "Hello!"))
    ReasoningSplit(thinking='Hmm.', answer='Hello!', thinking_complete=True, had_open_tag=True)
    """
    if thinking is None:
        return answer or ""
    closing = f"\n{CLOSE_TAG}\n\n" if complete else ""
    return f"{OPEN_TAG}\n{thinking}{closing}{answer or ''}"


def parse_think_block(text: str | None, complete: bool = True) -> tuple[str | None, str | None]:
    """`(thinking, answer)` such that `think_block(thinking, answer, complete)` gives `text` back exactly.

    Unlike `split_reasoning`, nothing is stripped: this is for storing a text that must be rendered again
    byte for byte. A text of any other shape is all answer (`thinking` None).

    >>> parse_think_block("<think>\\nHmm.\\n</think>\\n\\nHello!")
    ('Hmm.', 'Hello!')
    >>> parse_think_block("<think>\\nHmm, let me", complete=False)
    ('Hmm, let me', '')
    """
    if text is None or not text.startswith(f"{OPEN_TAG}\n"):
        return None, text
    inside = text[len(OPEN_TAG) + 1 :]
    if not complete:
        return inside, ""
    thinking, closing, answer = inside.partition(f"\n{CLOSE_TAG}\n\n")
    if closing:
        return thinking, answer
    return None, text


# -- conversation history -------------------------------------------------------------------------------


def history_without_reasoning(messages: Iterable[Any]) -> list[dict[str, Any]]:
    """The conversation as dicts, with the reasoning removed from assistant turns, ready to send back.

    Assistant turns lose `reasoning_content`/`reasoning` and the `<think>...</think>` part of `content`
    (a list of text parts becomes the answer's text).
    DeepSeek's R1 guide says sending `reasoning_content` back is rejected with a 400 error, and Azure
    advises not to resend reasoning. An assistant turn that was cut while thinking gets content "".
    The input is not modified.
    """
    history = []
    for message in messages:
        entry = _as_dict(message)
        if entry.get("role") == "assistant":
            for name in REASONING_FIELDS:
                entry.pop(name, None)
            if entry.get("content") is not None:
                entry["content"] = split_reasoning(text_of(entry["content"])).answer or ""
        history.append(entry)
    return history


def _as_dict(message: Any) -> dict[str, Any]:
    try:
        return as_dict(message, drop_none=True)
    except TypeError:
        raise TypeError(
            f"Unsupported message of type {type(message).__name__}: use dicts like "
            "{'role': 'user', 'content': '...'} or SDK message objects."
        ) from None
