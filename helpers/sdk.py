"""Read the objects of both SDKs, and plain dicts, the same way.

The course talks to DeepSeek-R1 through two SDKs. `openai` returns pydantic models (attributes, and
`model_dump()`); `azure-ai-inference` returns models that are also mappings (keys, and `as_dict()`); tests
and recordings use plain dicts. The functions here read all three, so the rest of `helpers` never asks
which SDK an object came from:

- `message_field(obj, name)`: one field, or None;
- `text_of(content)`: the text of a message `content` (a string, None, or a list of text parts);
- `as_dict(obj)`: a plain dict;
- `finish_reason(choice)`: why a choice ended, as a string.

>>> message_field({"role": "user"}, "role")
'user'
>>> text_of([{"type": "text", "text": "Hello, "}, {"type": "text", "text": "world"}])
'Hello, world'
>>> as_dict({"role": "assistant", "content": "Hi", "refusal": None}, drop_none=True)
{'role': 'assistant', 'content': 'Hi'}
>>> finish_reason({"finish_reason": "stop"})
'stop'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["message_field", "text_of", "as_dict", "finish_reason", "plain_value"]


def message_field(obj: Any, name: str) -> Any:
    """Field `name` of a dict, an azure-ai-inference model (a mapping) or an openai pydantic model.

    openai models allow extra fields, so Azure's `reasoning_content` is an attribute there too.
    """
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def text_of(content: Any) -> str:
    """Text of a message `content`: a string, None (""), or a list of text parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Iterable):
        return "".join(_text_of_part(part) for part in content)
    raise TypeError(f"Unsupported message content of type {type(content).__name__}: use a str or text parts.")


def _text_of_part(part: Any) -> str:
    if isinstance(part, str):
        return part
    kind = message_field(part, "type")
    text = message_field(part, "text")
    if kind == "text" and isinstance(text, str):
        return text
    raise ValueError(
        f"Only text content is supported here, got a part of type {kind!r}. "
        "Use {'type': 'text', 'text': '...'} parts (DeepSeek-R1 reads text only)."
    )


def as_dict(obj: Any, drop_none: bool = False) -> dict[str, Any]:
    """A plain dict of an azure-ai-inference model, an openai model or a mapping (a copy, never the input).

    SDK models are converted all the way down; `drop_none=True` leaves out fields whose value is None
    (openai models list every field they know, sent or not). Azure's extra fields, such as
    `reasoning_content` or `content_filter_results`, are kept.
    """
    if hasattr(obj, "as_dict"):  # azure-ai-inference model
        data = obj.as_dict()
    elif hasattr(obj, "model_dump"):  # openai pydantic model
        return obj.model_dump(exclude_none=drop_none)
    elif isinstance(obj, Mapping):
        data = dict(obj)
    else:
        raise TypeError(f"Expected a dict or an SDK model (openai or azure-ai-inference), got {type(obj).__name__}.")
    return {key: value for key, value in data.items() if value is not None} if drop_none else data


def plain_value(value: Any) -> Any:
    """The value of an enum member (azure-ai-inference uses enums such as `CompletionsFinishReason`), else `value`."""
    return getattr(value, "value", value)


def finish_reason(choice: Any) -> str | None:
    """Why a choice (or a streamed chunk's choice) ended: "stop", "length", "content_filter", ...; else None."""
    reason = message_field(choice, "finish_reason")
    return str(plain_value(reason)) if reason else None
