"""The seeds' own client code against the recorded endpoint, over real HTTP with the real SDKs."""

from __future__ import annotations

import json
import os

import httpx
import pytest
from azure.ai.inference import ChatCompletionsClient
from azure.ai.inference.models import SystemMessage, UserMessage
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError
from azure.identity import get_bearer_token_provider
from openai import AsyncAzureOpenAI, AuthenticationError, AzureOpenAI, BadRequestError, NotFoundError, OpenAI

from recorded_endpoint.identity import COGNITIVE_SCOPE, RecordedCredential

QUESTION = "How many languages are in the world?"
SEED_MESSAGES = [{"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": QUESTION}]


def v1_client(api_key) -> OpenAI:
    return OpenAI(base_url=f"{os.environ['AZURE_OPENAI_ENDPOINT']}/openai/v1/", api_key=api_key, max_retries=0)


def test_seed_000_model_info(replay_env, capsys):
    client = ChatCompletionsClient(
        endpoint=os.environ["AZURE_INFERENCE_ENDPOINT"],
        credential=AzureKeyCredential(os.environ["AZURE_INFERENCE_CREDENTIAL"]),
    )
    model_info = client.get_model_info()
    print("Model name:", model_info.model_name)
    print("Model type:", model_info.model_type)
    print("Model provider name:", model_info.model_provider_name)
    assert capsys.readouterr().out.splitlines() == [
        "Model name: DeepSeek-R1",
        "Model type: chat-completions",
        "Model provider name: DeepSeek",
    ]


def test_seed_000_complete_puts_think_tags_in_content(replay_env):
    client = ChatCompletionsClient(
        endpoint=os.environ["AZURE_INFERENCE_ENDPOINT"],
        credential=AzureKeyCredential(os.environ["AZURE_INFERENCE_CREDENTIAL"]),
    )
    response = client.complete(
        messages=[SystemMessage(content="You are a helpful assistant."), UserMessage(content=QUESTION)]
    )
    import re

    match = re.match(r"<think>(.*?)</think>(.*)", response.choices[0].message.content, re.DOTALL)
    assert match and match.group(1).strip().startswith("Okay, the user is asking how many languages")
    assert "7,000 languages" in match.group(2)
    assert response.model == "DeepSeek-R1"
    assert response.usage.total_tokens == response.usage.prompt_tokens + response.usage.completion_tokens


def test_seed_000_streaming_print_stream(replay_env, capsys):
    client = ChatCompletionsClient(
        endpoint=os.environ["AZURE_INFERENCE_ENDPOINT"],
        credential=AzureKeyCredential(os.environ["AZURE_INFERENCE_CREDENTIAL"]),
    )
    result = client.complete(
        messages=[SystemMessage(content="You are a helpful assistant."), UserMessage(content=QUESTION)],
        temperature=0,
        top_p=1,
        max_tokens=2048,
        stream=True,
    )

    def print_stream(result):
        for update in result:
            if update.choices:
                print(update.choices[0].delta.content, end="")

    print_stream(result)
    printed = capsys.readouterr().out
    assert printed.startswith("<think>\nOkay, the user")
    assert printed.endswith("approximately **7,000 languages** globally.")


def test_foundry_models_route_needs_the_deployment_as_model(replay_env):
    client = ChatCompletionsClient(
        endpoint=f"{os.environ['AZURE_OPENAI_ENDPOINT']}/models",
        credential=AzureKeyCredential(os.environ["AZURE_INFERENCE_CREDENTIAL"]),
    )
    response = client.complete(messages=[UserMessage(content=QUESTION)], model="deepseek-r1")  # as seed 002 spells it
    assert response.usage.prompt_tokens == 11
    with pytest.raises(HttpResponseError) as missing_model:
        client.complete(messages=[UserMessage(content=QUESTION)])
    assert missing_model.value.status_code == 400


def test_seed_001_v1_client_with_key_and_with_entra(replay_env):
    for api_key in (
        os.environ["AZURE_OPENAI_API_KEY"],
        get_bearer_token_provider(RecordedCredential(), COGNITIVE_SCOPE),
    ):
        response = v1_client(api_key).chat.completions.create(model="DeepSeek-R1", messages=SEED_MESSAGES)
        message = response.choices[0].message
        assert message.content.startswith("The exact number of languages")
        assert message.reasoning_content.startswith("Okay, the user is asking")
        assert "<think>" not in message.content


def test_entra_token_for_the_wrong_scope_is_refused_like_azure(replay_env):
    client = ChatCompletionsClient(
        endpoint=f"{os.environ['AZURE_OPENAI_ENDPOINT']}/models", credential=RecordedCredential()
    )  # the SDK's default scope is https://ml.azure.com/.default
    with pytest.raises(ClientAuthenticationError, match="Unauthorized. Access token is missing, invalid, audience"):
        client.complete(messages=[UserMessage(content=QUESTION)], model="DeepSeek-R1")


def test_seed_003_async_azure_openai_stream(replay_env):
    import asyncio

    async def chat() -> str:
        client = AsyncAzureOpenAI(
            azure_endpoint=os.environ["AZURE_INFERENCE_ENDPOINT"],
            azure_ad_token_provider=get_bearer_token_provider(RecordedCredential(), COGNITIVE_SCOPE),
            api_version="2024-10-21",
        )
        thoughts, answer = "", ""
        async for update in await client.chat.completions.create(
            model=os.environ["AZURE_DEEPSEEK_DEPLOYMENT"],
            messages=[
                {"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": "Who painted the Mona Lisa?"},
            ],
            stream=True,
        ):
            if update.choices:
                delta = update.choices[0].delta
                thoughts += getattr(delta, "reasoning_content", None) or ""
                answer += delta.content or ""
        await client.close()
        return thoughts, answer

    thoughts, answer = asyncio.run(chat())
    assert "Leonardo da Vinci" in answer and "Leonardo" in thoughts


def test_seed_004_provider_route_with_plain_http(replay_env):
    response = httpx.post(
        f"{os.environ['DEEPINFRA_BASE_URL']}/chat/completions",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {os.environ['DEEPINFRA_TOKEN']}"},
        json={"model": "deepseek-ai/DeepSeek-R1-Turbo", "messages": [{"role": "user", "content": "Hello!"}]},
        verify=os.environ["SSL_CERT_FILE"],
    )
    body = response.json()
    assert response.status_code == 200
    assert body["model"] == "deepseek-ai/DeepSeek-R1-Turbo"
    usage = body["usage"]
    assert usage["estimated_cost"] == pytest.approx(
        (usage["prompt_tokens"] * 1.0 + usage["completion_tokens"] * 3.0) / 1e6
    )


def test_classic_route_and_case_insensitive_deployment_names(replay_env):
    client = AzureOpenAI(
        azure_endpoint=os.environ["AZURE_OPENAI_ENDPOINT"],
        api_key=os.environ["AZURE_OPENAI_API_KEY"],
        api_version="2024-10-21",
    )
    response = client.chat.completions.create(model="deepseek-r1", messages=SEED_MESSAGES)
    assert response.choices[0].message.reasoning_content


def test_unknown_deployment_is_deployment_not_found(replay_env):
    with pytest.raises(NotFoundError) as error:
        v1_client(os.environ["AZURE_OPENAI_API_KEY"]).chat.completions.create(
            model="deepseek-r1-prod", messages=SEED_MESSAGES
        )
    assert error.value.code == "DeploymentNotFound"


@pytest.mark.parametrize("key", ["wrong-key", ""])
def test_wrong_or_missing_key_gets_the_real_401_bodies(replay_env, key):
    with pytest.raises(AuthenticationError) as v1_error:
        v1_client(key or "x").chat.completions.create(model="DeepSeek-R1", messages=SEED_MESSAGES)
    assert "Access denied due to invalid subscription key" in str(v1_error.value)
    client = ChatCompletionsClient(
        endpoint=os.environ["AZURE_INFERENCE_ENDPOINT"], credential=AzureKeyCredential(key or "x")
    )
    with pytest.raises(ClientAuthenticationError, match="Auth token validation failed"):
        client.complete(messages=[UserMessage(content=QUESTION)])


def test_info_on_an_azure_openai_endpoint_is_404(replay_env):
    client = ChatCompletionsClient(
        endpoint=f"{os.environ['AZURE_OPENAI_ENDPOINT']}/openai/deployments/DeepSeek-R1",
        credential=AzureKeyCredential(os.environ["AZURE_OPENAI_API_KEY"]),
        api_version="2024-10-21",
    )
    with pytest.raises(ResourceNotFoundError) as error:
        client.get_model_info()
    assert error.value.status_code == 404
    assert error.value.message == "Model information is not available on this endpoint (`/info` route not supported)."


def test_an_unrecorded_prompt_names_the_nearest_recording_and_how_to_go_live(replay_env):
    with pytest.raises(BadRequestError) as error:
        v1_client(os.environ["AZURE_OPENAI_API_KEY"]).chat.completions.create(
            model="DeepSeek-R1", messages=[{"role": "user", "content": "How many languages are spoken in Peru?"}]
        )
    message = str(error.value)
    assert error.value.code == "RecordingNotFound"
    assert "Your question 'How many languages are spoken in Peru?' is not recorded" in message
    assert "Recorded questions here:" in message
    assert "go live" in message


def test_an_extra_parameter_is_a_miss_that_names_it(replay_env):
    with pytest.raises(BadRequestError, match="parameter max_tokens: 5 sent, not recorded"):
        v1_client(os.environ["AZURE_OPENAI_API_KEY"]).chat.completions.create(
            model="DeepSeek-R1", messages=SEED_MESSAGES, max_tokens=5
        )


def raw_stream(path: str, body: dict) -> list[str]:
    with httpx.stream(
        "POST",
        f"{os.environ['AZURE_OPENAI_ENDPOINT']}{path}",
        json=body,
        headers={"api-key": os.environ["AZURE_OPENAI_API_KEY"]},
        verify=os.environ["SSL_CERT_FILE"],
    ) as response:
        assert response.status_code == 200
        return response.read().decode().split("\n\n")


def test_sse_framing_is_what_the_strictest_sdk_needs(replay_env):
    events = raw_stream(
        "/openai/v1/chat/completions", {"model": "DeepSeek-R1", "messages": SEED_MESSAGES, "stream": True}
    )
    assert events[-1] == ""  # every event ends with a blank line
    events = events[:-1]
    assert all(event.startswith("data: ") and "\n" not in event and "\r" not in event for event in events)
    assert events[-1] == "data: [DONE]"
    first = json.loads(events[0][6:])
    assert first["choices"] == [] and first["prompt_filter_results"][0]["prompt_index"] == 0
    last_chunk = json.loads(events[-2][6:])
    assert last_chunk["choices"][0]["finish_reason"] == "stop" and last_chunk["usage"]["total_tokens"] > 0


def test_model_inference_stream_sends_think_tags_as_their_own_tokens(replay_env):
    events = raw_stream(
        "/models/chat/completions", {"model": "DeepSeek-R1", "messages": SEED_MESSAGES[1:], "stream": True}
    )
    contents = [
        json.loads(e[6:])["choices"][0]["delta"].get("content")
        for e in events[:-1]
        if e != "data: [DONE]" and json.loads(e[6:])["choices"]
    ]
    assert "<think>" in contents and "</think>" in contents
    # Usage rides in the finish chunk, as Learn's inference tab shows it (wire-format reference W5, [X]).
    finish_chunk = json.loads(events[-3][6:])  # then [DONE] and the final blank
    assert finish_chunk["choices"][0]["finish_reason"] == "stop"
    assert finish_chunk["usage"] == {"prompt_tokens": 11, "completion_tokens": 886, "total_tokens": 897}


def chunks_of(events: list[str]) -> list[dict]:
    return [json.loads(e[6:]) for e in events if e.startswith("data: {")]


def test_model_inference_chunks_carry_the_fields_of_the_real_capture(replay_env):
    body = {"model": "DeepSeek-R1", "messages": SEED_MESSAGES[1:], "stream": True}
    chunks = chunks_of(raw_stream("/models/chat/completions", body))
    for chunk in chunks:  # lobe-chat's capture of DeepSeek-R1 on Azure (wire-format reference §2.3)
        choice = chunk["choices"][0]
        assert set(choice["delta"]) == {"content", "reasoning_content", "role", "tool_calls"}
        assert choice["delta"]["reasoning_content"] is None and "matched_stop" in choice and "usage" in chunk
    assert [c["choices"][0]["delta"]["role"] for c in chunks[:2]] == ["assistant", None]
    assert chunks[0]["choices"][0]["delta"]["content"] == "<think>", "the role arrives with the first token"
    assert all(c["usage"] is None for c in chunks[:-1])


def test_azure_openai_stream_fuses_the_role_into_the_first_token_and_ends_with_a_full_usage_chunk(replay_env):
    options = {"include_usage": True}
    body = {"model": "DeepSeek-R1", "messages": SEED_MESSAGES, "stream": True, "stream_options": options}
    chunks = chunks_of(raw_stream("/openai/v1/chat/completions", body))
    first = chunks[1]["choices"][0]["delta"]  # after the empty-choices chunk with the prompt's verdicts
    assert first == {"role": "assistant", "content": "", "reasoning_content": "Okay"}  # Learn: "Okay," fused
    assert all("role" not in c["choices"][0]["delta"] for c in chunks[2:-1])
    usage = chunks[-1]  # Mirascope's v1 capture: the usage chunk has the full chunk envelope
    assert usage["choices"] == [] and usage["object"] == "chat.completion.chunk" and usage["created"] > 0
    assert "system_fingerprint" in usage and usage["system_fingerprint"] is None and usage["usage"]["total_tokens"]


def test_reasoning_content_keeps_its_trailing_newline(replay_env):
    client = v1_client(os.environ["AZURE_OPENAI_API_KEY"])
    message = client.chat.completions.create(model="DeepSeek-R1", messages=SEED_MESSAGES).choices[0].message
    assert message.reasoning_content.endswith("succinctly.\n")  # Learn's example: the text inside <think>…</think>
    body = {"model": "DeepSeek-R1", "messages": SEED_MESSAGES, "stream": True}
    chunks = chunks_of(raw_stream("/openai/v1/chat/completions", body))
    streamed = "".join(c["choices"][0]["delta"].get("reasoning_content") or "" for c in chunks if c["choices"])
    assert streamed == message.reasoning_content


AZURE_OPENAI_HEADERS = {  # the real classic (azure-sdk-assets) and v1 (Mirascope) captures, wire-format §4.3
    "apim-request-id",
    "x-request-id",
    "x-ms-region",
    "x-ms-rai-invoked",
    "x-ms-deployment-name",
    "x-ms-client-request-id",
    "x-ratelimit-limit-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-tokens",
    "strict-transport-security",
    "x-content-type-options",
}


def test_answers_carry_azures_headers_with_a_fresh_request_id_each(replay_env):
    client = v1_client(os.environ["AZURE_OPENAI_API_KEY"])
    first = client.chat.completions.with_raw_response.create(model="DeepSeek-R1", messages=SEED_MESSAGES)
    second = client.chat.completions.with_raw_response.create(model="DeepSeek-R1", messages=SEED_MESSAGES)
    assert AZURE_OPENAI_HEADERS <= set(first.headers)
    assert first.headers["x-content-type-options"] == "nosniff" and first.headers["x-ms-rai-invoked"] == "true"
    assert "server" not in first.headers
    assert first.parse()._request_id == first.headers["x-request-id"]  # the openai SDK's request id is set
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    assert first.headers["apim-request-id"] != second.headers["apim-request-id"]
    classic = AzureOpenAI(
        azure_endpoint=os.environ["AZURE_OPENAI_ENDPOINT"],
        api_key=os.environ["AZURE_OPENAI_API_KEY"],
        api_version="2024-10-21",
    )
    raw = classic.chat.completions.with_raw_response.create(model="DeepSeek-R1", messages=SEED_MESSAGES)
    assert raw.headers["x-ms-deployment-name"] == "DeepSeek-R1"


def test_streams_carry_azures_headers_and_no_cache_control(replay_env):
    with httpx.stream(
        "POST",
        f"{os.environ['AZURE_OPENAI_ENDPOINT']}/openai/v1/chat/completions",
        json={"model": "DeepSeek-R1", "messages": SEED_MESSAGES, "stream": True},
        headers={"api-key": os.environ["AZURE_OPENAI_API_KEY"], "x-ms-client-request-id": "lesson-06"},
        verify=os.environ["SSL_CERT_FILE"],
    ) as response:
        response.read()
    assert AZURE_OPENAI_HEADERS <= set(response.headers)
    assert response.headers["x-ms-client-request-id"] == "lesson-06"  # echoed as Azure does; else "Not-Set"
    assert response.headers["x-accel-buffering"] == "no"
    assert "cache-control" not in response.headers and "server" not in response.headers


def test_the_serverless_route_carries_the_maas_headers_only(replay_env):
    key = AzureKeyCredential(os.environ["AZURE_OPENAI_API_KEY"])
    client = ChatCompletionsClient(endpoint=os.environ["AZURE_INFERENCE_ENDPOINT"], credential=key)
    seen = {}
    client.complete(
        messages=[SystemMessage(content=SEED_MESSAGES[0]["content"]), UserMessage(content=QUESTION)],
        raw_response_hook=lambda response: seen.update(response.http_response.headers),
    )
    names = {name.lower() for name in seen}
    assert {"x-request-id", "x-ms-rai-invoked"} <= names
    assert "apim-request-id" not in names and "x-ms-region" not in names  # the MaaS capture has neither


def test_a_deployment_name_that_is_no_header_value_is_not_echoed(replay_env):
    response = httpx.post(
        f"{os.environ['AZURE_OPENAI_ENDPOINT']}/openai/deployments/bad%0d%0aset-cookie:x/chat/completions",
        params={"api-version": "2024-10-21"},
        json={"messages": SEED_MESSAGES},
        headers={"api-key": os.environ["AZURE_OPENAI_API_KEY"]},
        verify=os.environ["SSL_CERT_FILE"],
    )
    assert response.status_code == 404 and response.json()["error"]["code"] == "DeploymentNotFound"
    assert response.headers["x-ms-deployment-name"] == "DeepSeek-R1" and "set-cookie" not in response.headers
