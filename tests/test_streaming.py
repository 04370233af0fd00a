"""helpers.streaming against the recorded endpoint over real HTTP, with the real SDKs (no monkeypatching).

Expected texts come from the recording files themselves, so a test fails if a stream loses, duplicates or
misfiles a single character on either wire shape.
"""

from __future__ import annotations

import asyncio
import io
import json

import openai
import pytest
from azure.core.exceptions import HttpResponseError

from helpers import clients
from helpers.streaming import StreamResult, aconsume, consume, describe_error
from helpers.views import LiveView, TextView
from recorded_endpoint import ReplayServer
from recorded_endpoint.recordings import RECORDINGS_DIR

SYSTEM = {"role": "system", "content": "You are a helpful assistant."}
MONA_LISA = [SYSTEM, {"role": "user", "content": "Who painted the Mona Lisa?"}]
SKY = [SYSTEM, {"role": "user", "content": "Why is the sky blue?"}]
PRIME = [{"role": "user", "content": "Is 391 a prime number?"}]
HELLO_FR = [{"role": "user", "content": "Say hello in French, one word only."}]
PROOF = [{"role": "user", "content": "Prove that there are infinitely many prime numbers."}]
TAGS = [{"role": "user", "content": "How can I tell DeepSeek-R1's reasoning from its answer in the raw output?"}]


def recorded(name: str) -> dict:
    return json.loads((RECORDINGS_DIR / f"{name}.json").read_text(encoding="utf-8"))["response"]


def open_stream(route: str, messages: list[dict], **params):
    """A streaming request on one route family, with the client the course uses for it."""
    if route == "inference":
        return clients.inference_client().complete(messages=messages, stream=True, **params)
    client = clients.openai_client(max_retries=0) if route == "v1" else clients.azure_openai_client(max_retries=0)
    return client.chat.completions.create(model="DeepSeek-R1", messages=messages, stream=True, **params)


ROUTES = ["v1", "classic", "inference"]


@pytest.mark.parametrize("route", ROUTES)
def test_both_wire_shapes_split_into_the_recorded_thinking_and_answer(replay_env, route):
    expected = recorded("mona-lisa")
    result = consume(open_stream(route, MONA_LISA))
    assert result.ok
    assert result.thinking == expected["reasoning"]
    assert result.answer == expected["answer"]
    assert result.finish_reason == "stop"
    assert result.thinking_complete and not result.reclassified
    assert {k: result.usage[k] for k in expected["usage"]} == expected["usage"]
    assert result.time_to_first_token <= result.time_to_first_answer_token <= result.duration
    assert result.output_tokens == expected["usage"]["completion_tokens"]


@pytest.mark.parametrize(
    ("route", "params", "chunks_without_text"),
    [
        # openai yields Azure's first chunk (choices [] + prompt_filter_results) and the finish chunk, which
        # carries usage unless include_usage asks for a separate usage-only chunk (choices []). The role rides
        # in the first text chunk, as in Learn's DeepSeek-R1 example.
        ("v1", {}, 2),
        ("v1", {"stream_options": {"include_usage": True}}, 3),
        ("classic", {"stream_options": {"include_usage": True}}, 3),
        # azure-ai-inference drops the empty first chunk; on this route usage rides in the finish chunk.
        ("inference", {}, 1),
    ],
)
def test_chunks_without_choices_are_counted_but_not_read(replay_env, route, params, chunks_without_text):
    result = consume(open_stream(route, MONA_LISA, **params))
    assert result.chunks - result.text_chunks == chunks_without_text
    assert result.usage["total_tokens"] == recorded("mona-lisa")["usage"]["total_tokens"]
    assert result.answer == recorded("mona-lisa")["answer"]


def test_async_openai_stream_and_unawaited_create(replay_env):
    expected = recorded("mona-lisa")

    async def run() -> tuple[StreamResult, StreamResult]:
        async with (
            clients.async_openai_client(max_retries=0) as v1,
            clients.async_azure_openai_client(max_retries=0) as classic,
        ):
            stream = await v1.chat.completions.create(model="DeepSeek-R1", messages=MONA_LISA, stream=True)
            first = await aconsume(stream)
            second = await aconsume(
                classic.chat.completions.create(model="DeepSeek-R1", messages=MONA_LISA, stream=True)
            )
            return first, second

    for result in asyncio.run(run()):
        assert result.ok
        assert (result.thinking, result.answer) == (expected["reasoning"], expected["answer"])
        assert result.finish_reason == "stop"


def test_aconsume_records_an_error_raised_by_the_request(replay_env):
    async def run() -> StreamResult:
        async with clients.async_openai_client(max_retries=0) as client:
            messages = [{"role": "user", "content": "A prompt nobody recorded"}]
            return await aconsume(client.chat.completions.create(model="DeepSeek-R1", messages=messages, stream=True))

    result = asyncio.run(run())
    assert isinstance(result.error, openai.BadRequestError)
    assert result.chunks == 0 and result.thinking is None and result.answer is None
    assert "BadRequestError (HTTP 400, RecordingNotFound): No recorded response matches" in describe_error(result.error)
    assert "request failed" in result.to_text()
    with pytest.raises(openai.BadRequestError):
        result.raise_for_error()


@pytest.mark.parametrize(("route", "error_type"), [("v1", openai.APIConnectionError), ("inference", HttpResponseError)])
def test_dropped_stream_keeps_what_arrived_and_reports_the_error(replay_env, route, error_type):
    expected = recorded("l06-dropped")
    result = consume(open_stream(route, SKY))
    assert isinstance(result.error, error_type)
    assert not result.ok and result.finish_reason is None and result.usage is None
    assert result.thinking == expected["reasoning"]
    assert result.answer and expected["answer"].startswith(result.answer) and result.answer != expected["answer"]
    assert f"stream broken after {result.chunks} chunks" in result.to_text()
    assert result.text_chunks == expected["drop_after_chunks"]
    with pytest.raises(error_type):
        result.raise_for_error()


@pytest.mark.parametrize("route", ROUTES)
def test_thinking_cut_by_max_tokens(replay_env, route):
    expected = recorded("l05-truncated")
    result = consume(open_stream(route, PROOF, max_tokens=60))
    assert result.ok and result.finish_reason == "length"
    assert result.answer is None and not result.thinking_complete
    assert result.thinking == expected["reasoning"].strip()
    assert result.usage["completion_tokens"] == 60
    text = result.to_text()
    assert text.endswith(
        "Answer: (none)\n[finish_reason 'length': max_tokens ran out during the thinking, so there is no answer]"
    )


def test_missing_opening_tag_is_detected_at_the_end_or_streamed_right_when_told(replay_env):
    raw = recorded("l05-missing-open-tag")["answer"]
    thinking, _, answer = raw.partition("</think>")

    auto_out = io.StringIO()
    auto = consume(open_stream("inference", PRIME), view=TextView(auto_out))
    assert auto.reclassified and (auto.thinking, auto.answer) == (thinking.strip(), answer.strip())
    assert auto_out.getvalue().startswith("Answer:\n" + raw[:40])  # streamed as answer: a stream can't look ahead
    assert "[The opening <think> was missing" in auto_out.getvalue()

    told_out = io.StringIO()
    told = consume(open_stream("inference", PRIME), view=TextView(told_out), starts_in_thinking=True)
    assert not told.reclassified and (told.thinking, told.answer) == (auto.thinking, auto.answer)
    assert told_out.getvalue() == told.to_text() + "\n"

    never = consume(open_stream("inference", PRIME), starts_in_thinking=False)
    assert never.thinking is None and never.answer == raw


def test_empty_thinking_on_both_wire_shapes(replay_env):
    inference = consume(open_stream("inference", HELLO_FR))
    v1 = consume(open_stream("v1", HELLO_FR))
    assert inference.answer == v1.answer == recorded("l05-empty-thinking")["answer"]
    assert inference.thinking == ""  # <think>\n\n</think>: an empty block
    assert v1.thinking is None  # an empty reasoning_content cannot say whether there was a thinking phase
    assert inference.to_text().startswith("Thinking: (empty)\n\nAnswer:\n")


@pytest.mark.parametrize("route", ROUTES)
def test_an_answer_that_mentions_the_tags_keeps_them(replay_env, route):
    expected = recorded("l05-mentions-think")
    result = consume(open_stream(route, TAGS))
    assert (result.thinking, result.answer) == (expected["reasoning"], expected["answer"])
    assert "`<think>`" in result.answer and "`</think>`" in result.answer


@pytest.mark.parametrize(
    ("route", "messages", "params"),
    [
        ("v1", MONA_LISA, {}),
        ("inference", MONA_LISA, {}),
        ("inference", HELLO_FR, {}),
        ("classic", PROOF, {"max_tokens": 60}),
        ("v1", SKY, {}),
        ("inference", TAGS, {}),
    ],
)
def test_text_view_prints_exactly_what_to_text_renders(replay_env, route, messages, params):
    out = io.StringIO()
    result = consume(open_stream(route, messages, **params), view=TextView(out))
    assert out.getvalue() == result.to_text() + "\n"


def test_live_view_shows_thinking_in_a_panel_above_the_answer(replay_env):
    view = LiveView(display=False, min_interval=0)
    result = consume(open_stream("v1", MONA_LISA), view=view)
    assert view.widget.children[0] is view.panel and view.widget.children[1] is view.answer_box
    assert view.panel.titles[0] == f"Thinking ({len(result.thinking.split())} words)"
    assert view.panel.selected_index is None  # folded away once the answer came
    (shown,) = view.answer_box.outputs
    assert shown["data"]["text/markdown"] == result.answer  # rendered as Markdown by JupyterLab
    assert "Lisa Gherardini" in view.thinking_box.value
    assert "tokens/s" in view.status.value

    broken = LiveView(display=False)
    consume(open_stream("v1", SKY), view=broken)
    assert "Error: stream broken" in broken.status.value and "#b00020" in broken.status.value
    partial = broken.answer_box.outputs[0]["data"]["text/markdown"]
    assert partial and recorded("l06-dropped")["answer"].startswith(partial)  # the partial answer stays on screen


def test_consume_rejects_a_complete_response(replay_env):
    response = clients.openai_client(max_retries=0).chat.completions.create(model="DeepSeek-R1", messages=MONA_LISA)
    with pytest.raises(TypeError, match="stream=True"):
        consume(response)


def test_describe_error_reads_both_sdks_error_bodies(replay_env):
    with pytest.raises(openai.NotFoundError) as openai_error:
        clients.azure_openai_client(max_retries=0).chat.completions.create(
            model="no-such-deployment", messages=MONA_LISA
        )
    assert describe_error(openai_error.value).startswith(
        "NotFoundError (HTTP 404, DeploymentNotFound): The API deployment"
    )
    with pytest.raises(HttpResponseError) as azure_error:
        clients.inference_client().complete(messages=[{"role": "user", "content": "Unrecorded"}])
    assert describe_error(azure_error.value).startswith("HttpResponseError (HTTP 400, RecordingNotFound): No recorded")


def test_times_measure_when_chunks_arrive():
    # Recorded pace 10x faster: the first token comes 85 ms after the headers, then 45 tokens/s x 10.
    with ReplayServer(timing="scaled:10") as server:
        client = openai.OpenAI(base_url=f"{server.url}/openai/v1/", api_key=server.api_key, max_retries=0)
        result = consume(client.chat.completions.create(model="DeepSeek-R1", messages=MONA_LISA, stream=True))
    assert result.time_to_first_token >= 0.08
    assert result.time_to_first_answer_token > result.time_to_first_token
    assert result.tokens_per_second is not None and result.tokens_per_second > 0


# -- the lesson-09 chat app -------------------------------------------------------------------------------


def test_chat_app_streams_turns_sends_history_without_reasoning_and_shows_errors(replay_env):
    from helpers.chat_app import ChatApp

    first, second = recorded("mona-lisa"), recorded("l10-mona-lisa-turn2")

    async def run() -> ChatApp:
        app = ChatApp(clients.async_azure_openai_client(max_retries=0), model="DeepSeek-R1")
        await app.ask("Who painted the Mona Lisa?")
        # Strict matching: this turn has a recording only if the history carries the first answer as sent.
        await app.ask("What else did he paint?")
        await app.ask("A question nobody recorded")
        await app.close()
        return app

    app = asyncio.run(run())
    assert [turn.result.answer for turn in app.turns[:2]] == [first["answer"], second["answer"]]
    sent = app.turns[1].sent
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert sent[2] == {"role": "assistant", "content": first["answer"]}
    assert app.history[1]["reasoning_content"] == first["reasoning"]  # kept for display, never sent

    failed = app.turns[2].result
    assert isinstance(failed.error, openai.BadRequestError) and len(app.history) == 4  # not added to the history
    status = app.log.children[-2].children[2].value  # the failed turn's LiveView status line
    assert "Error: request failed: BadRequestError (HTTP 400, RecordingNotFound)" in status
    transcript = app.transcript()
    assert transcript.startswith(f"You: Who painted the Mona Lisa?\nThoughts ({len(first['reasoning'].split())} words)")
    assert f"DeepSeek-R1: {second['answer']}" in transcript
    assert "[request failed: BadRequestError (HTTP 400, RecordingNotFound)" in transcript

    assert app.client.is_closed() and app.closed and app.send_button.disabled
    with pytest.raises(RuntimeError, match="closed"):
        asyncio.run(app.ask("Who painted the Mona Lisa?"))


def test_chat_app_answers_what_is_typed_in_the_text_box(replay_env):
    from helpers.chat_app import ChatApp

    async def run() -> ChatApp:
        app = ChatApp(clients.async_openai_client(max_retries=0), model="DeepSeek-R1")
        app.prompt.value = "Who painted the Mona Lisa?"  # what the browser sends when Enter is pressed
        assert app.prompt.value == ""  # cleared for the next question
        await app.close()  # waits for the running turn first
        return app

    app = asyncio.run(run())
    assert app.turns[0].question == "Who painted the Mona Lisa?"
    assert app.turns[0].result.answer == recorded("mona-lisa")["answer"]


def test_chat_app_runs_turns_on_its_own_loop_when_widget_callbacks_come_from_another(replay_env):
    # Kernels with subshells run widget callbacks in another thread with its own event loop; the client's
    # connections belong to the loop the app was made in, so two questions typed that way must both work.
    import threading

    from helpers.chat_app import ChatApp

    async def type_in_another_thread(app: ChatApp, question: str) -> None:
        async def subshell() -> None:
            app.prompt.value = question

        thread = threading.Thread(target=asyncio.run, args=(subshell(),))
        thread.start()
        thread.join()
        await asyncio.sleep(0.01)
        await asyncio.gather(*app._tasks)

    async def run() -> ChatApp:
        app = ChatApp(clients.async_openai_client(max_retries=0), model="DeepSeek-R1")
        await type_in_another_thread(app, "Who painted the Mona Lisa?")
        await type_in_another_thread(app, "What else did he paint?")
        await app.close()
        return app

    app = asyncio.run(run())
    assert [turn.result.error for turn in app.turns] == [None, None]
    assert app.turns[1].result.answer == recorded("l10-mona-lisa-turn2")["answer"]


def test_chat_app_needs_an_async_client(replay_env):
    from helpers.chat_app import ChatApp

    with pytest.raises(TypeError, match="async client"):
        ChatApp(clients.openai_client(), model="DeepSeek-R1")
