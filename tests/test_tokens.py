"""Tests for helpers.tokens: DeepSeek-R1's real tokenizer, offline."""

import pytest
from azure.ai.inference.models import AssistantMessage, SystemMessage, TextContentItem, UserMessage
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2.sandbox import ImmutableSandboxedEnvironment
from openai.types.chat import ChatCompletionMessage

from helpers.reasoning import ReasoningStream, split_reasoning
from helpers.tokens import (
    BOS,
    chat_template,
    count_prompt_tokens,
    count_tokens,
    encode,
    render_prompt,
    token_pieces,
)

QUESTION = "How many languages are in the world?"
SYSTEM = "You are a helpful assistant."

# The "Thinking:" text of DeepSeek-R1's published answer (seeds 000 and 001, Azure AI Foundry docs).
# The page prints the newlines as a literal "\n"; they are real newlines in the model output. Seed 000
# shows "think â€“ recent": mojibake of an en dash, restored here. (Seed 001 is a later, edited copy:
# "countries or regions", "country/region"; it counts 733 tokens.)
SEED_THINKING = "\n\n".join(
    [
        "Okay, the user is asking how many languages exist in the world. I need to provide a clear "
        "and accurate answer. Let's start by recalling the general consensus from linguistic "
        "sources. I remember that the number often cited is around 7,000, but maybe I should check "
        "some reputable organizations.",
        "Ethnologue is a well-known resource for language data, and I think they list about 7,000 "
        "languages. But wait, do they update their numbers? It might be around 7,100 or so. Also, "
        "the exact count can vary because some sources might categorize dialects differently or have "
        "more recent data. ",
        "Another thing to consider is language endangerment. Many languages are endangered, with "
        "some having only a few speakers left. Organizations like UNESCO track endangered languages, "
        "so mentioning that adds context. Also, the distribution isn't even. Some countries have "
        "hundreds of languages, like Papua New Guinea with over 800, while others have just a few. ",
        "A user might also wonder why the exact number is hard to pin down. It's because the "
        "distinction between a language and a dialect can be political or cultural. For example, "
        "Mandarin and Cantonese are considered dialects of Chinese by some, but they're mutually "
        "unintelligible, so others classify them as separate languages. Also, some regions are "
        "under-researched, making it hard to document all languages. ",
        "I should also touch on language families. The 7,000 languages are grouped into families "
        "like Indo-European, Sino-Tibetan, Niger-Congo, etc. Maybe mention a few of the largest "
        "families. But wait, the question is just about the count, not the families. Still, it's "
        "good to provide a bit more context. ",
        "I need to make sure the information is up-to-date. Let me think – recent estimates still "
        "hover around 7,000. However, languages are dying out rapidly, so the number decreases over "
        "time. Including that note about endangerment and language extinction rates could be "
        "helpful. For instance, it's often stated that a language dies every few weeks. ",
        "Another point is sign languages. Does the count include them? Ethnologue includes some, but "
        "not all sources might. If the user is including sign languages, that adds more to the "
        "count, but I think the 7,000 figure typically refers to spoken languages. For thoroughness, "
        "maybe mention that there are also over 300 sign languages. ",
        "Summarizing, the answer should state around 7,000, mention Ethnologue's figure, explain why "
        "the exact number varies, touch on endangerment, and possibly note sign languages as a "
        "separate category. Also, a brief mention of Papua New Guinea as the most linguistically "
        "diverse country. ",
        "Wait, let me verify Ethnologue's current number. As of their latest edition (25th, 2022), "
        "they list 7,168 living languages. But I should check if that's the case. Some sources might "
        "round to 7,000. Also, SIL International publishes Ethnologue, so citing them as reference "
        "makes sense. ",
        "Other sources, like Glottolog, might have a different count because they use different "
        "criteria. Glottolog might list around 7,000 as well, but exact numbers vary. It's important "
        "to highlight that the count isn't exact because of differing definitions and ongoing "
        "research. ",
        "In conclusion, the approximate number is 7,000, with Ethnologue being a key source, "
        "considerations of endangerment, and the challenges in counting due to dialect vs. language "
        "distinctions. I should make sure the answer is clear, acknowledges the variability, and "
        "provides key points succinctly.",
    ]
)

SEED_ANSWER_FIRST_PARAGRAPH = (
    "The exact number of languages in the world is challenging to determine due to differences in "
    "definitions (e.g., distinguishing languages from dialects) and ongoing documentation efforts. "
    "However, widely cited estimates suggest there are approximately **7,000 languages** globally."
)


def test_think_tags_are_single_tokens():
    assert encode("<think>") == [128798]
    assert encode("</think>") == [128799]


def test_no_bos_is_added_to_plain_text():
    assert encode(QUESTION) == [4117, 1623, 10555, 477, 295, 270, 2058, 33]
    assert count_tokens(QUESTION) == 8
    assert count_tokens("") == 0
    assert encode(BOS) == [0]


def test_count_tokens_rejects_non_text_with_a_hint():
    with pytest.raises(TypeError, match="message.content"):
        count_tokens(None)


def test_published_prompt_count_matches_user_message_only():
    # Seed 000's code sends a system message AND the user question, but the published usage says
    # 11 prompt tokens. With the shipped R1 template, 11 is exactly BOS + <｜User｜> + the 8 question
    # tokens + <｜Assistant｜>: the published numbers come from a request WITHOUT the system message
    # (or a service that dropped it). With the system message the prompt is 17 tokens.
    user_only = [{"role": "user", "content": QUESTION}]
    with_system = [{"role": "system", "content": SYSTEM}, *user_only]
    assert count_prompt_tokens(user_only) == 11
    assert count_prompt_tokens(with_system) == 17
    assert count_prompt_tokens(with_system) - count_prompt_tokens(user_only) == count_tokens(SYSTEM)


def test_seed_thinking_token_count():
    # 729 tokens of thinking text; the tagged block as R1 writes it ("<think>\n" ... "\n</think>") is 732.
    # The published usage says 886 completion tokens in all; the page shows only the first paragraph
    # of the answer (48 tokens), so the rest of the 886 is answer text the page leaves out.
    assert count_tokens(SEED_THINKING) == 729
    assert count_tokens(f"<think>\n{SEED_THINKING}\n</think>") == 732
    assert count_tokens(SEED_ANSWER_FIRST_PARAGRAPH) == 48


def test_render_prompt_shape():
    messages = [
        {"role": "system", "content": "A"},
        {"role": "user", "content": "Q1"},
        {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nA1"},
        {"role": "system", "content": "B"},
        {"role": "user", "content": "Q2"},
    ]
    assert render_prompt(messages) == (
        BOS + "A\n\nB<｜User｜>Q1<｜Assistant｜>\n\nA1<｜end▁of▁sentence｜><｜User｜>Q2<｜Assistant｜>"
    )
    assert not render_prompt(messages).endswith("<think>\n")  # this template version does not force it


def test_developer_message_counts_as_system():
    system = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}]
    developer = [{"role": "developer", "content": SYSTEM}, {"role": "user", "content": QUESTION}]
    assert render_prompt(developer) == render_prompt(system)


CONVERSATIONS = [
    [{"role": "user", "content": QUESTION}],
    [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}],
    [
        {"role": "system", "content": "one"},
        {"role": "system", "content": "two"},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "<think>\nplan\n</think>\n\nHello! <b>x</b>"},
        {"role": "user", "content": "And 日本語 🎉?"},
        {"role": "assistant", "content": "no thinking here"},
        {"role": "user", "content": "a</think>b"},
    ],
    [{"role": "assistant", "content": "First</think>Middle</think>Last"}, {"role": "user", "content": "x"}],
]


@pytest.mark.parametrize("messages", CONVERSATIONS)
def test_render_prompt_matches_the_shipped_jinja_template(messages):
    template = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True).from_string(
        chat_template()
    )
    expected = template.render(messages=messages, bos_token=BOS, add_generation_prompt=True)
    assert render_prompt(messages) == expected
    # Both branches of the template, and a rendering that really holds the conversation.
    without_prompt = template.render(messages=messages, bos_token=BOS, add_generation_prompt=False)
    assert render_prompt(messages, add_generation_prompt=False) == without_prompt
    assert expected == without_prompt + "<｜Assistant｜>" and expected.startswith(BOS)
    assert messages[-1]["content"] in expected


def test_sdk_message_objects_count_like_dicts():
    dicts = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": "About 7,000."},
        {"role": "user", "content": "Thanks"},
    ]
    azure = [
        SystemMessage(content=SYSTEM),
        UserMessage(
            content=[TextContentItem(text="How many languages "), TextContentItem(text="are in the world?")]
        ),
        AssistantMessage(content="<think>\nshort\n</think>\n\nAbout 7,000."),
        UserMessage(content="Thanks"),
    ]
    openai_assistant = ChatCompletionMessage.model_validate(
        {"role": "assistant", "content": "About 7,000.", "reasoning_content": "short"}
    )
    mixed = [
        dicts[0],
        {"role": "user", "content": [{"type": "text", "text": QUESTION}]},
        openai_assistant,
        dicts[3],
    ]
    assert count_prompt_tokens(mixed) == count_prompt_tokens(dicts)  # reasoning_content is never resent
    # The template keeps everything after </think>, including R1's blank line before the answer.
    assert render_prompt(azure) == render_prompt(dicts).replace(
        "<｜Assistant｜>About", "<｜Assistant｜>\n\nAbout"
    )


def test_tool_messages_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="tool calling"):
        count_prompt_tokens([{"role": "tool", "content": "42", "tool_call_id": "x"}])
    with pytest.raises(ValueError, match="role 'narrator'"):
        count_prompt_tokens([{"role": "narrator", "content": "x"}])
    with pytest.raises(ValueError, match="Only text content"):
        count_prompt_tokens([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_token_pieces_concatenate_back_to_the_text(text):
    pieces = token_pieces(text)
    assert "".join(pieces) == text
    assert all(pieces)
    assert len(pieces) <= count_tokens(text)


def test_token_pieces_merge_tokens_inside_one_character():
    text = "ok 🎉 done"
    assert count_tokens(text) == 5  # " 🎉" (5 bytes) spreads over 3 byte-level tokens
    assert token_pieces(text) == ["ok", " 🎉", " done"]
    assert token_pieces("<think>\nHi</think>") == ["<think>", "\n", "Hi", "</think>"]


def test_seed_answer_streamed_token_by_token_splits_like_the_whole_text():
    content = f"<think>\n{SEED_THINKING}\n</think>\n\n{SEED_ANSWER_FIRST_PARAGRAPH}"
    stream = ReasoningStream()
    pieces = [piece for chunk in token_pieces(content) for piece in stream.feed(chunk)] + stream.close()
    assert stream.split == split_reasoning(content)
    assert stream.thinking == SEED_THINKING
    assert stream.answer == SEED_ANSWER_FIRST_PARAGRAPH
    assert len(pieces) > 700  # streamed as it came, not in one lump at the end
