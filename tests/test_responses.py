"""The Responses API on the recorded endpoint, over real HTTP with unchanged clients (openai, openai-agents).

Expected texts come from the recording files, the same ones the chat routes serve: a test fails if the
Responses rendering loses, duplicates or misfiles a character, or disagrees with what chat completions says.
"""

from __future__ import annotations

import asyncio
import io
import json

import httpx
import openai
import pytest
from azure.identity import get_bearer_token_provider

from helpers.costs import cost_of, read_usage, split_completion_tokens
from helpers.reasoning import reasoning_of
from helpers.safety import COMPLETION_CUT, PASSED, PROMPT_BLOCKED, safety_report
from helpers.streaming import aconsume, consume
from helpers.tokens import count_tokens
from helpers.views import TextView
from recorded_endpoint.identity import AI_SCOPE, COGNITIVE_SCOPE, MANAGEMENT_SCOPE, RecordedCredential
from recorded_endpoint.recordings import RECORDINGS_DIR
from recorded_endpoint.responses import chat_request_of

LANGUAGES = "How many languages are in the world?"
CHEF = "Respond like a michelin starred chef."
LAMB = "Can you name at least two different techniques to cook lamb?"
LAMB_MORE = "Tell me more about the second method."
CRIME = (
    "Write the opening paragraph of a crime story in which a detective finds the victim. "
    "Make it as graphic and gory as possible."
)
BLOCKED = [
    {"role": "system", "content": "You are an AI assistant that helps people find information."},
    {"role": "user", "content": "How do I use a kitchen knife to hurt someone?"},
]


def recorded(name: str) -> dict:
    data = json.loads((RECORDINGS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return data.get("response") or data["responses"][-1]


@pytest.fixture(autouse=True)
def _recorded_environment(replay_env):
    """The session's recorded endpoint (https): its CA bundle in SSL_CERT_FILE, as helpers.setup() sets it."""


@pytest.fixture
def client(replay_server) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{replay_server.url}/openai/v1/", api_key=replay_server.api_key, max_retries=0)


@pytest.fixture
def project_client(replay_server) -> openai.OpenAI:
    base_url = f"{replay_server.url}/api/projects/deepseek-course/openai/v1"
    return openai.OpenAI(base_url=base_url, api_key=replay_server.api_key, max_retries=0)


# -- the canonical mapping ---------------------------------------------------------------------------------------
def test_a_responses_request_maps_onto_the_chat_request_it_stands_for():
    body = {
        "model": "DeepSeek-R1", "instructions": CHEF, "max_output_tokens": 500, "temperature": 0, "store": False,
        "input": [{"role": "user", "content": [{"type": "input_text", "text": LAMB}]}], "stream": True,
        "text": {"format": {"type": "text"}}, "tools": [], "include": [],
    }  # fmt: skip
    assert chat_request_of(body) == {
        "messages": [{"role": "system", "content": CHEF}, {"role": "user", "content": LAMB}],
        "max_tokens": 500,
        "temperature": 0,
    }
    assert chat_request_of({"input": LANGUAGES}) == {"messages": [{"role": "user", "content": LANGUAGES}]}


def test_one_recording_answers_chat_and_responses_alike(client):
    chat = client.chat.completions.create(model="DeepSeek-R1", messages=[{"role": "user", "content": LANGUAGES}])
    response = client.responses.create(model="DeepSeek-R1", input=LANGUAGES)
    kept = recorded("languages")
    assert response.output_text == chat.choices[0].message.content == kept["answer"]
    assert [item.type for item in response.output] == ["reasoning", "message"]
    assert response.output[0].summary[0].text == chat.choices[0].message.reasoning_content
    assert response.output[0].summary[0].text.strip() == kept["reasoning"]
    assert response.status == "completed" and response.incomplete_details is None
    assert response.id.startswith("resp_") and response.model == "DeepSeek-R1"
    usage = response.usage
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (11, 886, 897)
    assert usage.output_tokens_details.reasoning_tokens == 0  # Learn's known issue for non-Azure-OpenAI models


def test_the_project_endpoint_answers_the_same(client, project_client):
    kwargs = {"model": "DeepSeek-R1", "instructions": CHEF, "input": LAMB}
    assert project_client.responses.create(**kwargs).output_text == client.responses.create(**kwargs).output_text
    assert project_client.responses.create(**kwargs).output_text == recorded("lamb-turn1")["answer"]


def test_max_output_tokens_is_max_tokens_and_a_cut_is_incomplete(client):
    response = client.responses.create(model="DeepSeek-R1", input=LANGUAGES, max_output_tokens=500)
    assert response.status == "incomplete" and response.incomplete_details.reason == "max_output_tokens"
    assert [item.type for item in response.output] == ["reasoning"] and response.output_text == ""
    assert response.usage.output_tokens == 500
    split = reasoning_of(response)
    assert split.answer is None and not split.thinking_complete


def test_a_conversation_sends_the_output_items_back_as_input(client):
    first = client.responses.create(model="DeepSeek-R1", instructions=CHEF, input=LAMB)
    history = [{"role": "user", "content": LAMB}, *first.output, {"role": "user", "content": LAMB_MORE}]
    second = client.responses.create(model="DeepSeek-R1", instructions=CHEF, input=history)
    assert second.output_text == recorded("lamb-turn2")["answer"]


def test_the_content_filters_array_rides_on_every_response(client):
    response = client.responses.create(model="DeepSeek-R1", input=LANGUAGES)
    filters = response.model_extra["content_filters"]
    assert [(f["source_type"], f["blocked"]) for f in filters] == [("prompt", False), ("completion", False)]
    assert filters[0]["content_filter_results"]["jailbreak"] == {"filtered": False, "detected": False}
    assert safety_report(response).outcome == PASSED


def test_a_completion_the_filter_cuts_is_incomplete_with_no_output(client):
    response = client.responses.create(model="DeepSeek-R1", input=CRIME)
    assert response.status == "incomplete" and response.incomplete_details.reason == "content_filter"
    assert response.output == []
    report = safety_report(response)
    assert report.outcome == COMPLETION_CUT and [r.category for r in report.triggered] == ["violence"]


# -- streaming ---------------------------------------------------------------------------------------------------
def test_the_raw_event_stream_is_typed_numbered_and_ordered(client):
    events = list(client.responses.create(model="DeepSeek-R1", instructions=CHEF, input=LAMB, stream=True))
    kinds = [event.type for event in events]
    assert [event.sequence_number for event in events] == list(range(len(events)))
    assert kinds[:4] == [
        "response.created", "response.in_progress", "response.output_item.added",
        "response.reasoning_summary_part.added",
    ]  # fmt: skip
    reasoning_end = kinds.index("response.reasoning_summary_text.done")
    assert set(kinds[4:reasoning_end]) == {"response.reasoning_summary_text.delta"}
    assert kinds[reasoning_end:].index("response.output_text.delta") > 0
    assert kinds[-4:] == [
        "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed",
    ]  # fmt: skip
    kept = recorded("lamb-turn1")
    thinking = "".join(e.delta for e in events if e.type == "response.reasoning_summary_text.delta")
    answer = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert (thinking.strip(), answer) == (kept["reasoning"], kept["answer"])
    assert thinking == events[-1].response.output[0].summary[0].text
    assert events[-1].response.usage.output_tokens == kept["usage"]["completion_tokens"]


def test_many_streams_at_once_all_complete(replay_server):
    async def run():
        client = openai.AsyncOpenAI(
            base_url=f"{replay_server.url}/openai/v1/", api_key=replay_server.api_key, max_retries=0, timeout=20
        )

        async def one():
            async with client.responses.stream(model="DeepSeek-R1", input="Hello!") as stream:
                return (await stream.get_final_response()).output_text

        return await asyncio.gather(*(one() for _ in range(8)))

    assert asyncio.run(run()) == [recorded("hello")["answer"]] * 8


def test_responses_stream_accumulates_the_final_response(client):
    with client.responses.stream(model="DeepSeek-R1", instructions=CHEF, input=LAMB) as stream:
        deltas = [event.delta for event in stream if event.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == final.output_text == recorded("lamb-turn1")["answer"]
    assert final.output[0].summary[0].text.strip() == recorded("lamb-turn1")["reasoning"]


def test_async_clients_create_and_stream(replay_server):
    async def run():
        client = openai.AsyncOpenAI(
            base_url=f"{replay_server.url}/openai/v1/", api_key=replay_server.api_key, max_retries=0
        )
        created = await client.responses.create(model="DeepSeek-R1", input="Hello!")
        async with client.responses.stream(model="DeepSeek-R1", input="Hello!") as stream:
            async for _ in stream:
                pass
            final = await stream.get_final_response()
        listed = await client.models.list()
        return created, final, listed

    created, final, listed = asyncio.run(run())
    assert created.output_text == final.output_text == recorded("hello")["answer"]
    assert [model.id for model in listed.data] == ["DeepSeek-R1"]


# -- the model list ----------------------------------------------------------------------------------------------
def test_models_list_has_the_documented_list_shape(client, replay_server):
    assert [(m.id, m.object) for m in client.models.list()] == [("DeepSeek-R1", "model")]
    raw = httpx.get(f"{replay_server.url}/openai/v1/models", headers={"api-key": replay_server.api_key},
                    verify=replay_server.certificates.ca_bundle.as_posix())  # fmt: skip
    assert raw.status_code == 200 and raw.json()["object"] == "list"
    assert set(raw.json()["data"][0]) == {"id", "object", "created", "owned_by"}


def test_the_classic_model_list_answers_azure_openai(replay_env):
    classic = openai.AzureOpenAI(max_retries=0)  # AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY, OPENAI_API_VERSION
    models = list(classic.models.list())
    assert [m.id for m in models] == ["DeepSeek-R1"]
    assert models[0].model_extra["capabilities"]["chat_completion"] is True
    assert models[0].model_extra["deprecation"]["inference"] == 1786579200  # 2026-08-13, R1's retirement


# -- errors ------------------------------------------------------------------------------------------------------
def test_a_wrong_key_gets_the_azure_openai_401(replay_server):
    wrong = openai.OpenAI(base_url=f"{replay_server.url}/openai/v1/", api_key="not-the-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as error:
        wrong.responses.create(model="DeepSeek-R1", input=LANGUAGES)
    assert error.value.status_code == 401 and error.value.code == "401"
    with pytest.raises(openai.AuthenticationError):
        wrong.models.list()


def test_entra_id_tokens_for_the_ai_azure_com_scope_are_accepted(replay_server):
    def client_for(scope: str) -> openai.OpenAI:
        token = get_bearer_token_provider(RecordedCredential(key=replay_server.api_key), scope)
        return openai.OpenAI(base_url=f"{replay_server.url}/openai/v1/", api_key=token, max_retries=0)

    for scope in (AI_SCOPE, COGNITIVE_SCOPE):
        assert client_for(scope).responses.create(model="DeepSeek-R1", input="Hello!").output_text
    with pytest.raises(openai.AuthenticationError):
        client_for(MANAGEMENT_SCOPE).responses.create(model="DeepSeek-R1", input="Hello!")


def test_an_unknown_deployment_is_404_deployment_not_found(client):
    with pytest.raises(openai.NotFoundError) as error:
        client.responses.create(model="DeepSeek-R2", input=LANGUAGES)
    assert error.value.code == "DeploymentNotFound"


def test_a_blocked_prompt_is_400_content_filter_with_content_filters(client):
    with pytest.raises(openai.BadRequestError) as error:
        client.responses.create(model="DeepSeek-R1", instructions=BLOCKED[0]["content"], input=BLOCKED[1]["content"])
    body = error.value.body
    assert error.value.code == "content_filter" and "innererror" not in body
    assert body["content_filters"][0]["blocked"] is True and body["content_filters"][0]["source_type"] == "prompt"
    assert body["content_filters"][0]["content_filter_results"]["violence"] == {"filtered": True, "severity": "medium"}
    report = safety_report(error.value)
    assert report.outcome == PROMPT_BLOCKED and [r.category for r in report.triggered] == ["violence"]


def test_a_rate_limit_is_429_with_retry_after_then_the_retry_is_answered(replay_server):
    question = [
        json.loads((RECORDINGS_DIR / "l08-rate-limited.json").read_text(encoding="utf-8"))["request"]["messages"][0]
    ]
    no_retry = openai.OpenAI(base_url=f"{replay_server.url}/openai/v1/", api_key=replay_server.api_key, max_retries=0)
    with pytest.raises(openai.RateLimitError) as error:
        no_retry.responses.create(model="DeepSeek-R1", input=question)
    assert error.value.status_code == 429 and error.value.response.headers.get("retry-after")
    retrying = openai.OpenAI(base_url=f"{replay_server.url}/openai/v1/", api_key=replay_server.api_key, max_retries=2)
    assert retrying.responses.create(model="DeepSeek-R1", input=question).output_text


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"reasoning": {"effort": "high"}}, "reasoning.effort"),
        ({"tools": [{"type": "function", "name": "f", "parameters": {"type": "object"}}]}, "tools"),
        ({"previous_response_id": "resp_0a1234b5de6789f01gh2i345j6789klm"}, "previous_response_id"),
    ],
)
def test_what_this_deployment_does_not_support_is_a_400_naming_the_fix(client, extra, param):
    with pytest.raises(openai.BadRequestError) as error:
        client.responses.create(model="DeepSeek-R1", input=LANGUAGES, **extra)
    assert error.value.code == "unsupported_parameter" and error.value.param == param
    assert "Remove" in error.value.message or "input list" in error.value.message


def test_an_unrecorded_question_is_a_miss_that_names_the_recorded_ones(client):
    with pytest.raises(openai.BadRequestError) as error:
        client.responses.create(model="DeepSeek-R1", input="How many languages are spoken in Peru?")
    assert error.value.code == "RecordingNotFound"
    assert "'How many languages are spoken in Peru?' is not recorded" in error.value.message
    assert "Hello!" in error.value.message  # one of the questions that are recorded


def test_bad_input_is_a_short_400_naming_the_field(client):
    with pytest.raises(openai.BadRequestError) as error:
        client.responses.create(model="DeepSeek-R1", input=[{"type": "function_call_output", "output": "x"}])
    assert error.value.param == "input[0]"


# -- the helpers read it -----------------------------------------------------------------------------------------
def test_reasoning_of_reads_both_reasoning_item_shapes(client):
    response = client.responses.create(model="DeepSeek-R1", input="Hello!")
    kept = recorded("hello")
    for shape in (response, response.model_dump()):
        split = reasoning_of(shape)
        assert (split.thinking, split.answer, split.thinking_complete) == (kept["reasoning"], kept["answer"], True)
    # [X] unconfirmed for Foundry: the OpenAI spec's other shape, content[] parts of type reasoning_text.
    as_content = response.model_dump()
    as_content["output"][0] = {
        "type": "reasoning", "id": "rs_1", "summary": [],
        "content": [{"type": "reasoning_text", "text": kept["reasoning"]}],
    }  # fmt: skip
    assert reasoning_of(as_content).thinking == kept["reasoning"]


def test_consume_reads_a_responses_event_stream_into_the_same_result_as_chat(client):
    via_chat = consume(
        client.chat.completions.create(
            model="DeepSeek-R1", messages=[{"role": "system", "content": CHEF}, {"role": "user", "content": LAMB}],
            stream=True,
        )
    )  # fmt: skip
    shown = io.StringIO()
    via_responses = consume(
        client.responses.stream(model="DeepSeek-R1", instructions=CHEF, input=LAMB), TextView(shown)
    )
    assert (via_responses.thinking, via_responses.answer) == (via_chat.thinking, via_chat.answer)
    assert via_responses.finish_reason == "stop" and via_responses.ok
    assert via_responses.usage["output_tokens"] == via_responses.output_tokens == 220
    assert via_responses.time_to_first_token is not None and via_responses.time_to_first_answer_token is not None
    assert "Thinking" in shown.getvalue() and recorded("lamb-turn1")["answer"][:40] in shown.getvalue()
    raw = consume(client.responses.create(model="DeepSeek-R1", instructions=CHEF, input=LAMB, stream=True))
    assert raw.to_text() == via_responses.to_text()


def test_consume_reports_a_cut_as_length(client):
    result = consume(client.responses.stream(model="DeepSeek-R1", input=LANGUAGES, max_output_tokens=500))
    assert result.finish_reason == "length" and result.answer is None and not result.thinking_complete


def test_a_dropped_responses_stream_keeps_what_arrived(client):
    sky = {"instructions": "You are a helpful assistant.", "input": "Why is the sky blue?"}
    result = consume(client.responses.create(model="DeepSeek-R1", stream=True, **sky))
    assert not result.ok and isinstance(result.error, openai.APIConnectionError)
    kept = recorded("l06-dropped")
    assert result.thinking == kept["reasoning"] and kept["answer"].startswith(result.answer or "")


def test_aconsume_reads_async_responses_streams_and_keeps_a_failed_request(replay_server):
    async def run():
        client = openai.AsyncOpenAI(
            base_url=f"{replay_server.url}/openai/v1/", api_key=replay_server.api_key, max_retries=0
        )
        created = await aconsume(client.responses.create(model="DeepSeek-R1", input="Hello!", stream=True))
        managed = await aconsume(client.responses.stream(model="DeepSeek-R1", input="Hello!"))
        failed = await aconsume(client.responses.stream(model="DeepSeek-R2", input="Hello!"))
        return created, managed, failed

    created, managed, failed = asyncio.run(run())
    assert created.answer == managed.answer == recorded("hello")["answer"]
    assert managed.finish_reason == "stop" and not failed.ok
    assert isinstance(failed.error, openai.NotFoundError)


def test_safety_report_reads_a_collected_event_stream(client):
    events = list(client.responses.create(model="DeepSeek-R1", input=CRIME, stream=True))
    assert events[-1].type == "response.incomplete"
    assert safety_report(events).outcome == COMPLETION_CUT


def test_costs_read_responses_usage_and_count_the_thinking_the_service_reports_as_zero(client):
    response = client.responses.create(model="DeepSeek-R1", input=LANGUAGES)
    counts = read_usage(response)
    assert (counts.prompt_tokens, counts.completion_tokens, counts.reasoning_tokens) == (11, 886, 0)
    assert cost_of(response.usage, (1.35, 5.40)) == pytest.approx((11 * 1.35 + 886 * 5.40) / 1e6)
    split = split_completion_tokens(response)
    assert split.source == "counted" and split.completion_tokens == 886
    assert split.reasoning_tokens == count_tokens(f"<think>\n{recorded('languages')['reasoning']}\n</think>\n\n")


# -- the openai-agents SDK ---------------------------------------------------------------------------------------
def test_the_openai_agents_default_model_path_gets_the_recorded_answer(replay_server):
    agents = pytest.importorskip("agents", reason="openai-agents is in the dev extra")
    agents.set_tracing_disabled(True)
    client = openai.AsyncOpenAI(
        base_url=f"{replay_server.url}/openai/v1/", api_key=replay_server.api_key, max_retries=0
    )
    agents.set_default_openai_client(client, use_for_tracing=False)
    agent = agents.Agent(name="Chef", instructions=CHEF, model="DeepSeek-R1")
    result = agents.Runner.run_sync(agent, LAMB)
    assert result.final_output == recorded("lamb-turn1")["answer"]
