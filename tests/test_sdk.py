"""helpers.sdk reads both SDKs' objects and plain dicts alike: the same answer from each shape."""

import doctest

import pytest
from azure.ai.inference.models import ChatChoice, ChatResponseMessage, CompletionsFinishReason, CompletionsUsage
from openai.types.chat.chat_completion import Choice
from openai.types.chat.chat_completion_message import ChatCompletionMessage
from openai.types.completion_usage import CompletionUsage

import helpers.sdk
from helpers.sdk import as_dict, finish_reason, message_field, text_of


def test_docstring_examples_run():
    assert doctest.testmod(helpers.sdk).failed == 0


def openai_choice():
    message = ChatCompletionMessage(role="assistant", content="Hi!", reasoning_content="Hm.")  # an extra field
    return Choice(index=0, finish_reason="stop", message=message)


def azure_choice():
    message = ChatResponseMessage({"role": "assistant", "content": "Hi!", "reasoning_content": "Hm."})
    return ChatChoice({"index": 0, "finish_reason": CompletionsFinishReason.STOPPED, "message": message})


def dict_choice():
    return {
        "index": 0,
        "finish_reason": "stop",
        "message": {"role": "assistant", "content": "Hi!", "reasoning_content": "Hm."},
    }


@pytest.mark.parametrize("make", [openai_choice, azure_choice, dict_choice], ids=["openai", "azure", "dict"])
def test_each_shape_reads_the_same(make):
    choice = make()
    message = message_field(choice, "message")
    assert message_field(message, "content") == "Hi!"
    assert message_field(message, "reasoning_content") == "Hm."
    assert message_field(message, "missing") is None
    assert finish_reason(choice) == "stop"
    assert as_dict(message, drop_none=True) == {"role": "assistant", "content": "Hi!", "reasoning_content": "Hm."}


def test_usage_of_both_sdks_becomes_the_same_dict():
    counts = {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}
    assert as_dict(CompletionUsage(**counts), drop_none=True) == counts
    assert as_dict(CompletionsUsage(counts)) == counts


def test_as_dict_copies_and_keeps_none_unless_asked():
    source = {"role": "assistant", "content": None}
    copy = as_dict(source)
    assert copy == source and copy is not source
    assert as_dict(source, drop_none=True) == {"role": "assistant"}


def test_text_of_rejects_what_it_cannot_read_with_the_fix():
    assert text_of(None) == "" and text_of("x") == "x"
    with pytest.raises(ValueError, match="Only text content"):
        text_of([{"type": "image_url", "image_url": {"url": "x"}}])
    with pytest.raises(TypeError, match="use a str or text parts"):
        text_of(42)
    with pytest.raises(TypeError, match="Expected a dict or an SDK model"):
        as_dict(42)


def test_no_finish_reason_is_none():
    assert finish_reason({"finish_reason": None}) is None
    assert finish_reason({}) is None
