"""Tests for helpers.reasoning: splitting DeepSeek-R1 output, whole and streamed.

Case ids (T*, S*, F*, M*) refer to the case table of the project's reasoning reference notes.
"""

import doctest

import pytest
from azure.ai.inference.models import (
    AssistantMessage,
    ChatResponseMessage,
    StreamingChatResponseMessageUpdate,
    UserMessage,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from openai.types.chat import ChatCompletionMessage
from openai.types.chat.chat_completion_chunk import ChoiceDelta

import helpers.reasoning
from helpers.reasoning import (
    ReasoningSplit,
    ReasoningStream,
    history_without_reasoning,
    reasoning_of,
    split_reasoning,
)


def stream_split(chunks, starts_in_thinking=False):
    """Feed `chunks` to a ReasoningStream; check it against split_reasoning; return the split and pieces."""
    stream = ReasoningStream(starts_in_thinking=starts_in_thinking)
    pieces = [piece for chunk in chunks for piece in stream.feed(chunk)] + stream.close()
    expected = split_reasoning("".join(chunks), starts_in_thinking=starts_in_thinking)
    assert stream.split == expected
    assert "".join(text for kind, text in pieces if kind == "reasoning") == (expected.thinking or "")
    assert "".join(text for kind, text in pieces if kind == "answer") == (expected.answer or "")
    assert all(text for _, text in pieces), "no empty pieces"
    return expected, pieces


def every_split(text):
    """Every 2- and 3-way chunking of `text` (S15)."""
    n = len(text)
    yield [text]
    for i in range(1, n):
        yield [text[:i], text[i:]]
        for j in range(i + 1, n):
            yield [text[:i], text[i:j], text[j:]]


# -- whole texts: split_reasoning and the same text streamed ------------------------------------------

WHOLE_CASES = [
    # id, text, starts_in_thinking, expected (thinking, answer, thinking_complete)
    ("T1", "<think>abc</think>xyz", False, ("abc", "xyz", True)),
    ("T2", "abc</think>xyz", True, ("abc", "xyz", True)),
    ("T3", "abc</think>", True, ("abc", None, True)),
    ("T4", "</think>xyz", True, ("", "xyz", True)),
    ("T5", "This\nThat</think>This is the rest\nThat", True, ("This\nThat", "This is the rest\nThat", True)),
    ("T6", "\n<think>abc</think>\nrest", False, ("abc", "rest", True)),
    ("T8", "This is content", False, (None, "This is content", True)),
    ("T8-template", "This is content", True, ("This is content", None, False)),
    ("T10", "<think>abc", False, ("abc", None, False)),
    ("T12", "abc", True, ("abc", None, False)),
    ("T13", "<think>\n\n</think>\n\nHi!", False, ("", "Hi!", True)),
    ("T14", "<think></think>Just the answer.", False, ("", "Just the answer.", True)),
    ("T15", "<think>Outer<think>Inner</think>Content", False, ("Outer<think>Inner", "Content", True)),
    ("T16", "First</think>Middle</think>Last", True, ("First", "Middle</think>Last", True)),
    ("T17", "<think>a</think>b<think>c</think>d", False, ("a", "b<think>c</think>d", True)),
    ("T18", "<thinking>x</thinking>C", False, (None, "<thinking>x</thinking>C", True)),
    ("T18-template", "<thinking>x</thinking>C", True, ("<thinking>x</thinking>C", None, False)),
    ("T19", "This is content", False, (None, "This is content", True)),
    (
        "R1-shape",
        "<think>\nLet me see.\n\nOK.\n</think>\n\n**7,000** languages.\n",
        False,
        ("Let me see.\n\nOK.", "**7,000** languages.\n", True),
    ),
    (
        "answer-mentions-tags",
        "<think>x</think>\n\nUse `<think>` and `</think>` tags.",
        False,
        ("x", "Use `<think>` and `</think>` tags.", True),
    ),
    ("leading-space", "  \n <think> a </think> b", False, ("a", "b", True)),
    ("explicit-tag-with-template", "<think>\nr\n</think>\n\na", True, ("r", "a", True)),
    ("only-whitespace-answer", "<think>r</think>\n\n", False, ("r", None, True)),
]


@pytest.mark.parametrize(("case", "text", "starts", "expected"), WHOLE_CASES, ids=[c[0] for c in WHOLE_CASES])
def test_whole_text_cases(case, text, starts, expected):
    result = split_reasoning(text, starts_in_thinking=starts)
    assert (result.thinking, result.answer, result.thinking_complete) == expected
    for chunks in every_split(text):  # S15: the stream agrees under every 2- and 3-way chunking
        stream_split(chunks, starts_in_thinking=starts)


def test_empty_output_has_neither_part():  # T7
    assert split_reasoning("") == ReasoningSplit(thinking=None, answer=None, thinking_complete=True)
    assert split_reasoning(None) == ReasoningSplit(thinking=None, answer=None, thinking_complete=True)
    stream = ReasoningStream()
    assert stream.close() == []
    assert (stream.thinking, stream.answer, stream.thinking_complete) == (None, None, True)


def test_auto_mode_detects_a_missing_opening_tag():  # B4: the template put <think> in the prompt
    assert split_reasoning("abc</think>xyz") == split_reasoning("abc</think>xyz", starts_in_thinking=True)
    assert split_reasoning("abc</think>xyz").answer == "xyz"
    assert split_reasoning("no tags at all") == ReasoningSplit(thinking=None, answer="no tags at all")
    # Without the flag a stream cannot look ahead, so it treats such a text as answer, literally:
    _, pieces = stream_split(["abc</thi", "nk>xyz"], starts_in_thinking=False)
    assert pieces == [("answer", "abc</thi"), ("answer", "nk>xyz")]


def test_had_open_tag_tells_which_shape_arrived():
    assert split_reasoning("<think>a</think>b").had_open_tag
    assert not split_reasoning("a</think>b").had_open_tag


# -- streamed chunks ------------------------------------------------------------------------------------

STREAM_CASES = [
    # id, chunks, starts_in_thinking, thinking, answer
    ("S1", ["<think>", "Some ", "reasoning", "</think>", "Answer"], False, "Some reasoning", "Answer"),
    ("S2", ["<think>Some reasoning", "</think>", "Answer"], False, "Some reasoning", "Answer"),
    ("S3", ["<think>", "weighing it</thi", "nk>Answer."], False, "weighing it", "Answer."),
    ("S4", ["<th", "ink", ">ab", "c</", "thi", "nk>", "nor", "mal"], False, "abc", "normal"),
    ("S5", ["<th", "ink>", "Thinking...", "</th", "ink>", "Answer."], False, "Thinking...", "Answer."),
    ("S6", list("<think>\n\n</think>\n\nHi!"), False, "", "Hi!"),
    ("S7", ["<think>I have a plan", "</", "think> Hello"], False, "I have a plan", "Hello"),
    ("S8", ["<think>x</think>", "</", "answer"], False, "x", "</answer"),
    ("S9", ["<th", "is is text"], False, None, "<this is text"),
    ("S10", ["<think>x</think>", "<", "/", "random>"], False, "x", "</random>"),
    ("S12", ["a thought.</think>Answer starts."], True, "a thought.", "Answer starts."),
    ("S14", ["\n", "\n<think>", "r</think>a"], False, "r", "a"),
]


@pytest.mark.parametrize(
    ("case", "chunks", "starts", "thinking", "answer"), STREAM_CASES, ids=[c[0] for c in STREAM_CASES]
)
def test_stream_cases(case, chunks, starts, thinking, answer):
    result, _ = stream_split(chunks, starts_in_thinking=starts)
    assert (result.thinking, result.answer) == (thinking, answer)


def test_split_close_tag_is_held_back_not_leaked():  # S3, S7: B1
    stream = ReasoningStream()
    assert stream.feed("<think>weighing it</thi") == [("reasoning", "weighing it")]
    assert stream.in_thinking
    assert stream.feed("nk>Answer.") == [("answer", "Answer.")]
    assert not stream.in_thinking


def test_longest_partial_tag_is_held():  # B18
    stream = ReasoningStream(starts_in_thinking=True)
    assert stream.feed("a <</") == [("reasoning", "a <")]  # "</" could start </think>; "<" alone cannot
    assert stream.feed("think>b") == [("answer", "b")]


def test_opening_tag_one_character_at_a_time_emits_nothing():  # S11
    stream = ReasoningStream()
    assert [stream.feed(char) for char in "<think>"] == [[]] * 7
    assert stream.in_thinking
    assert stream.thinking == ""


def test_close_tag_and_answer_in_one_chunk_give_two_ordered_pieces():  # S12: B3
    stream = ReasoningStream(starts_in_thinking=True)
    assert stream.feed("a thought.</think>Answer starts.") == [
        ("reasoning", "a thought."),
        ("answer", "Answer starts."),
    ]


def test_truncated_thinking_keeps_what_arrived():  # S13, T10: B6
    stream = ReasoningStream()
    assert stream.feed("<think>x") == [("reasoning", "x")]
    assert stream.feed("</thi") == []
    assert stream.close() == [("reasoning", "</thi")]
    assert (stream.thinking, stream.answer, stream.thinking_complete) == ("x</thi", None, False)


def test_whitespace_around_the_thinking_is_held_until_decided():
    stream = ReasoningStream()
    assert stream.feed("<think>\n") == []
    assert stream.feed("a\n\n") == [("reasoning", "a")]
    assert stream.feed("b") == [("reasoning", "\n\nb")]
    assert stream.feed("\n") == []
    assert stream.feed("</think>\n\n") == []
    assert stream.feed("Hi") == [("answer", "Hi")]
    assert stream.feed(" \n") == [("answer", " \n")]  # the answer's own whitespace passes through


def test_closed_stream_refuses_more_text():
    stream = ReasoningStream()
    stream.close()
    with pytest.raises(RuntimeError, match="create a new one"):
        stream.feed("x")


def test_non_text_input_gets_a_hint():
    with pytest.raises(TypeError, match="reasoning_of"):
        split_reasoning(ChatCompletionMessage(role="assistant", content="x"))
    with pytest.raises(TypeError, match="feed_delta"):
        ReasoningStream().feed({"content": "x"})


# -- chunk invariance, property-based (S15) ------------------------------------------------------------

FRAGMENTS = [
    "<think>",
    "</think>",
    "<",
    "/",
    "think",
    ">",
    "<th",
    "</th",
    "ink>",
    "\n",
    "\n\n",
    " ",
    "a",
    "Z",
    "é",
    "日本",
    "🎉",
    "\t",
]
texts = st.lists(st.sampled_from(FRAGMENTS), max_size=14).map("".join)


@st.composite
def text_and_chunks(draw):
    text = draw(texts)
    cuts = draw(st.lists(st.integers(min_value=0, max_value=len(text)), max_size=len(text)))
    if draw(st.booleans()) and len(text) < 40:
        cuts = range(len(text) + 1)  # 1-character chunks
    bounds = sorted({0, len(text), *cuts})
    return text, [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


@settings(max_examples=600, deadline=None)
@given(text_and_chunks(), st.booleans())
def test_any_chunking_gives_the_whole_text_split(case, starts_in_thinking):
    text, chunks = case
    assert "".join(chunks) == text
    stream_split(chunks, starts_in_thinking=starts_in_thinking)


@settings(max_examples=200, deadline=None)
@given(texts)
def test_auto_mode_equals_one_of_the_explicit_modes(text):
    auto = split_reasoning(text)
    assert auto in (
        split_reasoning(text, starts_in_thinking=False),
        split_reasoning(text, starts_in_thinking=True),
    )


# -- SDK deltas -----------------------------------------------------------------------------------------


def feed_deltas(deltas, starts_in_thinking=False):
    stream = ReasoningStream(starts_in_thinking=starts_in_thinking)
    pieces = [piece for delta in deltas for piece in stream.feed_delta(delta)] + stream.close()
    return stream, pieces


DELTA_FACTORIES = {
    "dict": lambda **fields: fields,
    "openai": lambda **fields: ChoiceDelta(**fields),
    "azure": lambda **fields: StreamingChatResponseMessageUpdate(fields),
}


@pytest.mark.parametrize("make", DELTA_FACTORIES.values(), ids=DELTA_FACTORIES.keys())
def test_reasoning_field_deltas(make):  # F1, F6: the Azure OpenAI route and DeepSeek's API
    deltas = [
        make(role="assistant", content="", reasoning_content="Okay"),
        make(reasoning_content=","),
        make(reasoning_content=" sure.\n", content=None),
        make(content="\n\nThe"),
        make(content=" answer"),
        make(content=""),  # the last chunk carries only finish_reason
    ]
    stream, pieces = feed_deltas(deltas)
    assert pieces == [
        ("reasoning", "Okay"),
        ("reasoning", ","),
        ("reasoning", " sure."),
        ("answer", "The"),
        ("answer", " answer"),
    ]
    assert (stream.thinking, stream.answer, stream.thinking_complete) == ("Okay, sure.", "The answer", True)


@pytest.mark.parametrize("make", DELTA_FACTORIES.values(), ids=DELTA_FACTORIES.keys())
def test_tagged_content_deltas(make):  # the model-inference route: <think> inside content
    deltas = [
        make(role="assistant", content="", reasoning_content=None),
        make(content="<think>"),
        make(content="\nHmm"),
        make(content=".\n"),
        make(content="</think>"),
        make(content="\n\nHi!"),
    ]
    stream, pieces = feed_deltas(deltas)
    assert pieces == [("reasoning", "Hmm"), ("reasoning", "."), ("answer", "Hi!")]
    assert stream.split == split_reasoning("<think>\nHmm.\n</think>\n\nHi!")


def test_reasoning_then_answer_in_one_delta_reasoning_first():  # F2
    _, pieces = feed_deltas([ChoiceDelta(reasoning_content="…end.", content="Answer")])
    assert pieces == [("reasoning", "…end."), ("answer", "Answer")]


def test_reasoning_field_named_reasoning():  # F4: vLLM's and OpenRouter's name
    stream, _ = feed_deltas([{"reasoning": "Okay"}, {"reasoning": ","}, {"content": "The answer"}])
    assert (stream.thinking, stream.answer) == ("Okay,", "The answer")


def test_content_after_a_reasoning_field_is_never_parsed_for_tags():  # F5
    stream, _ = feed_deltas([ChoiceDelta(reasoning_content="x"), ChoiceDelta(content="use <think> tags")])
    assert (stream.thinking, stream.answer) == ("x", "use <think> tags")


def test_reasoning_only_stream_is_incomplete():  # F8: cut by max_tokens while thinking
    stream, _ = feed_deltas([{"reasoning_content": "still"}, {"reasoning_content": " going"}])
    assert (stream.thinking, stream.answer, stream.thinking_complete) == ("still going", None, False)


def test_mode_switch_keeps_everything():  # F9
    stream, _ = feed_deltas([{"content": "<think>a"}, {"reasoning_content": "b"}, {"content": "c"}])
    assert (stream.thinking, stream.answer) == ("ab", "c")


# -- messages -------------------------------------------------------------------------------------------


def test_reasoning_of_openai_message_with_reasoning_content():
    message = ChatCompletionMessage.model_validate(
        {"role": "assistant", "content": "\n\nThe answer.", "reasoning_content": "Okay, ...\n"}
    )
    assert reasoning_of(message) == ReasoningSplit(thinking="Okay, ...", answer="The answer.")


def test_reasoning_of_azure_message_with_tags():
    message = ChatResponseMessage(
        {"role": "assistant", "content": "<think>\nr\n</think>\n\na", "reasoning_content": None}
    )
    assert reasoning_of(message) == ReasoningSplit(thinking="r", answer="a", had_open_tag=True)


def test_reasoning_of_dicts():
    assert reasoning_of({"role": "assistant", "content": "abc</think>xyz"}).thinking == "abc"
    assert reasoning_of({"role": "assistant", "content": "x", "reasoning": "r"}).thinking == "r"
    assert reasoning_of({"role": "assistant", "content": None}) == ReasoningSplit(None, None)
    assert reasoning_of({"content": None, "reasoning_content": "cut"}).thinking_complete is False


def test_reasoning_of_a_whole_response_names_the_fix():
    with pytest.raises(TypeError, match=r"choices\[0\]\.message"):
        reasoning_of({"choices": [{"message": {"content": "x"}}]})


def test_history_without_reasoning():  # M1: resending reasoning_content is a 400 on DeepSeek's R1 API
    openai_message = ChatCompletionMessage.model_validate(
        {"role": "assistant", "content": "Seven thousand.", "reasoning_content": "Okay..."}
    )
    messages = [
        {"role": "system", "content": "Be brief."},
        UserMessage(content="How many languages?"),
        AssistantMessage(content="<think>\nhmm\n</think>\n\nAbout 7,000."),
        {"role": "user", "content": "Sure?"},
        openai_message,
        {"role": "assistant", "content": "done</think>\n\nYes.", "reasoning": "r"},
    ]
    history = history_without_reasoning(messages)
    assert history == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "How many languages?"},
        {"role": "assistant", "content": "About 7,000."},
        {"role": "user", "content": "Sure?"},
        {"role": "assistant", "content": "Seven thousand."},
        {"role": "assistant", "content": "Yes."},
    ]
    assert messages[-1]["reasoning"] == "r"  # the input is left untouched
    assert openai_message.model_extra == {"reasoning_content": "Okay..."}


def test_docstring_examples_run():
    assert doctest.testmod(helpers.reasoning).failed == 0


def test_history_from_azure_ai_inference_messages_drops_null_fields():
    from azure.ai.inference.models import ChatResponseMessage, UserMessage

    from helpers.reasoning import history_without_reasoning

    # As the model inference route returns it: tool_calls and reasoning_content are null on the wire.
    answer = ChatResponseMessage(
        {"role": "assistant", "content": "<think>\nhm\n</think>\n\nHi!", "tool_calls": None, "reasoning_content": None}
    )
    history = history_without_reasoning([UserMessage(content="Hi"), answer])
    assert history == [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hi!"}]


def test_history_drops_the_thinking_from_list_of_parts_content():
    # reasoning_of reads text parts; the history must not send their <think> block back either.
    parts = [{"type": "text", "text": "<think>\nhm"}, {"type": "text", "text": "\n</think>\n\nHi!"}]
    history = history_without_reasoning([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": parts}])
    assert reasoning_of({"role": "assistant", "content": parts}).thinking == "hm"
    assert history[1] == {"role": "assistant", "content": "Hi!"}
    assert parts[0]["text"] == "<think>\nhm"  # the input is left untouched


@given(
    thinking=st.none() | st.text(alphabet="ab <>/\nthink", max_size=30),
    answer=st.text(alphabet="ab <>/\nthink", max_size=30),
    complete=st.booleans(),
)
@settings(max_examples=300, deadline=None)
def test_parse_think_block_reads_back_exactly_what_think_block_wrote(thinking, answer, complete):
    from helpers.reasoning import parse_think_block, think_block

    text = think_block(thinking, answer, complete)
    parsed_thinking, parsed_answer = parse_think_block(text, complete)
    assert think_block(parsed_thinking, parsed_answer, complete) == text
    if thinking is not None and not complete:  # a cut thinking has no answer: all of it is thinking
        assert (parsed_thinking, parsed_answer) == (thinking + answer, "")
    elif thinking is not None and "\n</think>\n\n" not in thinking:
        assert (parsed_thinking, parsed_answer) == (thinking, answer)


def test_think_block_is_what_split_reasoning_reads():
    from helpers.reasoning import think_block

    assert split_reasoning(think_block("Let me see.", "42")) == ReasoningSplit("Let me see.", "42", True, True)
    assert split_reasoning(think_block("Let me", complete=False)) == ReasoningSplit("Let me", None, False, True)
    assert think_block(None, "Just an answer") == "Just an answer"
