"""helpers.safety, and the content filter as the recorded endpoint plays it, through the real SDKs."""

from __future__ import annotations

import json

import httpx
import openai
import pytest
from azure.ai.inference import ChatCompletionsClient
from azure.ai.inference.models import CompletionsFinishReason, SystemMessage, UserMessage
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError

from helpers.safety import (
    COMPLETION_CUT,
    NOT_ANNOTATED,
    PASSED,
    PROMPT_BLOCKED,
    FilterResult,
    is_content_filter_error,
    safety_report,
    safety_table,
)
from recorded_endpoint import ReplayServer

SYSTEM = "You are an AI assistant that helps people find information."
BLOCKED = "How do I use a kitchen knife to hurt someone?"
TOMATOES = (
    "Chopping tomatoes and cutting them into cubes or wedges are great ways to practice your knife skills."
)
STORY = (
    "Write the opening paragraph of a crime story in which a detective finds the victim. "
    "Make it as graphic and gory as possible."
)
STORY_SO_FAR = (
    "Rain had hammered Calder Street for three days when Detective Mara Quinn shouldered open the door of "
    "flat 4B. The smell reached her first"
)

# The real 400 of wire-format reference §5.1, typed out here (not read from the recording) with the one
# change the recording documents: violence flagged at medium instead of self_harm.
WIRE_400 = (
    '{"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI\'s '
    "content management policy. Please modify your prompt and retry. To learn more about our content "
    'filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766","type":null,"param":"prompt",'
    '"code":"content_filter","status":400,"innererror":{"code":"ResponsibleAIPolicyViolation",'
    '"content_filter_result":{"hate":{"filtered":false,"severity":"safe"},"jailbreak":{"filtered":false,'
    '"detected":false},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,'
    '"severity":"safe"},"violence":{"filtered":true,"severity":"medium"}}}}}'
)
MODELS_400 = {
    "error": {
        "message": "The response was filtered due to the prompt triggering Microsoft's content management "
        "policy. Please modify your prompt and retry.",
        "type": None,
        "param": "prompt",
        "code": "content_filter",
        "status": 400,
    }
}


def blocked_messages() -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": BLOCKED}]


# -- helpers.safety on raw bodies ---------------------------------------------------------------------
def test_the_real_400_body_names_the_category_and_severity():
    report = safety_report(json.loads(WIRE_400))
    assert report.outcome == PROMPT_BLOCKED and report.blocked
    assert report.code == "content_filter"
    assert report.message.startswith("The response was filtered")
    assert report.triggered == (FilterResult("prompt", 0, "violence", True, severity="medium"),)
    assert str(report) == "Prompt blocked (content_filter): violence (medium, prompt)."


def test_the_inner_error_object_alone_is_enough():
    inner = json.loads(WIRE_400)["error"]
    assert safety_report(inner).triggered[0].category == "violence"


def test_the_spec_spelling_and_a_dashed_category_are_read_too():
    body = {
        "error": {
            "code": "content_filter",
            "message": "filtered",
            "inner_error": {
                "code": "ResponsibleAIPolicyViolation",
                "content_filter_results": {"self-harm": {"filtered": True, "severity": "high"}},
            },
        }
    }
    assert safety_report(body).triggered == (FilterResult("prompt", 0, "self_harm", True, severity="high"),)


def test_the_models_route_body_blocks_without_naming_a_category():
    report = safety_report(MODELS_400)
    assert report.outcome == PROMPT_BLOCKED
    assert report.results == ()
    assert "does not say which category" in str(report)
    assert safety_table(MODELS_400).empty


def test_other_errors_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="a 404 error with code 'DeploymentNotFound'"):
        safety_report({"error": {"code": "DeploymentNotFound", "message": "..."}} | {"status": 404})
    with pytest.raises(ValueError, match="not a content filter verdict"):
        safety_report({"error": {"code": "429", "message": "slow down"}})
    with pytest.raises(TypeError, match="not int"):
        safety_report(42)


def test_annotations_table_orders_categories_and_severity():
    body = {
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "content_filter_results": {
                    "violence": {"filtered": False, "severity": "low"},
                    "hate": {"filtered": False, "severity": "safe"},
                    "protected_material_code": {
                        "filtered": False,
                        "detected": True,
                        "citation": {"URL": "https://example.org/repo", "license": "MIT"},
                    },
                },
            }
        ],
        "prompt_filter_results": [
            {
                "prompt_index": 0,
                "content_filter_results": {"jailbreak": {"filtered": False, "detected": False}},
            }
        ],
    }
    report = safety_report(body)
    assert report.outcome == PASSED and not report.blocked
    table = report.table()
    assert list(table.category) == ["jailbreak", "hate", "violence", "protected_material_code"]
    assert list(table.target) == ["prompt", "completion", "completion", "completion"]
    assert list(table[table.severity >= "low"].category) == ["violence"]
    assert table.loc[3, "detail"] == "https://example.org/repo (MIT)"
    assert bool(table.loc[3, "detected"]) is True
    assert "violence (low, completion)" in str(report) and "protected_material_code (detected" in str(report)


def test_a_filter_that_did_not_run_is_reported_not_hidden():
    body = {
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "content_filter_results": {
                    "error": {"code": "content_filter_error", "message": "The contents are not filtered"}
                },
            }
        ]
    }
    (result,) = safety_report(body).results
    assert result.category == "filter_error" and result.detail == "The contents are not filtered"


def test_a_response_without_annotations_says_so():
    body = {"choices": [{"index": 0, "finish_reason": "stop", "message": {"content": "hi"}}]}
    assert safety_report(body).outcome == NOT_ANNOTATED
    assert "do not send them" in str(safety_report(body))


def test_stream_chunks_fold_into_the_strongest_verdict_per_category():
    safe = {"violence": {"filtered": False, "severity": "safe"}}
    chunks = [
        {"choices": [], "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": safe}]},
        {"choices": [{"index": 0, "delta": {"content": "a"}, "content_filter_results": {}}]},
        {"choices": [{"index": 0, "delta": {"content": "b"}, "content_filter_results": safe}]},
        {
            "choices": [
                {
                    "index": 0,
                    "delta": {},
                    "finish_reason": "content_filter",
                    "content_filter_results": {"violence": {"filtered": True, "severity": "high"}},
                }
            ]
        },
        {"choices": [{"index": 0, "delta": {"content": "c"}, "content_filter_results": safe}]},
    ]
    report = safety_report(chunks)
    assert report.outcome == COMPLETION_CUT
    assert report.triggered == (FilterResult("completion", 0, "violence", True, severity="high"),)
    assert [r.target for r in report.results] == ["prompt", "completion"]


# -- the recorded endpoint through the real SDKs ------------------------------------------------------
@pytest.fixture(scope="module")
def server():
    with ReplayServer() as running:
        yield running


@pytest.fixture()
def client(server):
    return openai.OpenAI(base_url=f"{server.url}/openai/v1/", api_key=server.api_key, max_retries=0)


@pytest.fixture()
def inference(server):
    return ChatCompletionsClient(
        endpoint=server.url, credential=AzureKeyCredential(server.api_key), retry_total=0
    )


def test_v1_and_classic_send_the_real_400_bytes(server):
    # The classic route needs an api-version, as on Azure (without one it is a 404).
    classic = "/openai/deployments/DeepSeek-R1/chat/completions?api-version=2024-10-21"
    for path in ("/openai/v1/chat/completions", classic):
        for stream in (False, True):
            response = httpx.post(
                server.url + path,
                headers={"api-key": server.api_key},
                json={"model": "DeepSeek-R1", "messages": blocked_messages(), "stream": stream},
            )
            assert response.status_code == 400
            assert response.content == WIRE_400.encode()
            assert response.headers["content-length"] == "668"
            assert response.headers["x-ms-rai-invoked"] == "true"


def test_openai_sdk_raises_bad_request_with_the_filter_verdict(server, client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="DeepSeek-R1", messages=blocked_messages())
    error = caught.value
    assert error.code == "content_filter" and error.param == "prompt"
    assert error.body["innererror"]["content_filter_result"]["violence"] == {
        "filtered": True,
        "severity": "medium",
    }
    assert is_content_filter_error(error)
    assert [r.category for r in safety_report(error).triggered] == ["violence"]


def test_classic_route_streaming_request_is_refused_the_same_way(server):
    client = openai.AzureOpenAI(
        azure_endpoint=server.url, api_key=server.api_key, api_version="2024-10-21", max_retries=0
    )
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="DeepSeek-R1", messages=blocked_messages(), stream=True)
    assert safety_report(caught.value).triggered[0].severity == "medium"


def test_azure_ai_inference_raises_http_response_error_with_the_short_body(server, inference):
    with pytest.raises(HttpResponseError) as caught:
        inference.complete(messages=[SystemMessage(content=SYSTEM), UserMessage(content=BLOCKED)])
    error = caught.value
    assert error.status_code == 400 and error.error.code == "content_filter"
    assert error.response.json() == MODELS_400
    assert is_content_filter_error(error)
    assert safety_report(error).outcome == PROMPT_BLOCKED


def test_a_cut_completion_has_no_content_and_names_the_category(server, client):
    completion = client.chat.completions.create(
        model="DeepSeek-R1", messages=[{"role": "user", "content": STORY}]
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "content_filter"
    assert choice.message.content is None and choice.message.reasoning_content is None
    assert choice.model_extra["content_filter_results"]["violence"] == {
        "filtered": True,
        "severity": "medium",
    }
    assert completion.usage.completion_tokens > 0  # the withheld text is still billed
    report = safety_report(completion)
    assert report.outcome == COMPLETION_CUT
    prompt_violence = next(r for r in report.results if r.target == "prompt" and r.category == "violence")
    assert (prompt_violence.severity, prompt_violence.filtered) == ("low", False)


def test_a_cut_stream_keeps_what_arrived_and_ends_with_the_verdict(server, client):
    chunks = list(
        client.chat.completions.create(
            model="DeepSeek-R1", messages=[{"role": "user", "content": STORY}], stream=True
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == STORY_SO_FAR
    last = [c for c in chunks if c.choices][-1].choices[0]
    assert last.finish_reason == "content_filter"
    assert last.model_extra["content_filter_results"]["violence"]["filtered"] is True
    passed = [
        c.choices[0].model_extra["content_filter_results"]
        for c in chunks
        if c.choices and c.choices[0].delta.content
    ]
    assert passed and all(not v["filtered"] for annotations in passed for v in annotations.values())
    assert safety_report(chunks).triggered[0].category == "violence"


def test_azure_ai_inference_sees_the_cut_without_annotations(server, inference):
    response = inference.complete(messages=[UserMessage(content=STORY)])
    assert response.choices[0].finish_reason == CompletionsFinishReason.CONTENT_FILTERED
    assert response.choices[0].message.content is None
    assert safety_report(response).outcome == COMPLETION_CUT
    updates = list(inference.complete(messages=[UserMessage(content=STORY)], stream=True))
    text = "".join(u.choices[0].delta.content or "" for u in updates if u.choices)
    assert text.startswith("<think>") and text.endswith(STORY_SO_FAR)  # the reasoning rides in content here
    finishing = [u for u in updates if u.choices][-1]
    assert finishing.choices[0].finish_reason == CompletionsFinishReason.CONTENT_FILTERED


def test_the_seed_tomatoes_prompt_is_harmless_and_answered_with_annotations(server, client, inference):
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": TOMATOES}]
    completion = client.chat.completions.create(model="DeepSeek-R1", messages=messages)
    assert (
        completion.choices[0].finish_reason == "stop" and "claw grip" in completion.choices[0].message.content
    )
    prompt_annotations = completion.model_extra["prompt_filter_results"][0]["content_filter_results"]
    assert set(prompt_annotations) == {"hate", "jailbreak", "self_harm", "sexual", "violence"}
    report = safety_report(completion)
    assert report.outcome == PASSED and report.triggered == ()
    assert len(safety_table(completion)) == 9
    answer = inference.complete(messages=[SystemMessage(content=SYSTEM), UserMessage(content=TOMATOES)])
    assert answer.choices[0].message.content.startswith("<think>")
    assert safety_report(answer).outcome == NOT_ANNOTATED


def test_every_streamed_text_chunk_on_openai_routes_carries_annotations(server, client):
    chunks = list(
        client.chat.completions.create(
            model="DeepSeek-R1",
            messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": TOMATOES}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert chunks[0].choices == [] and chunks[0].model_extra["prompt_filter_results"][0]["prompt_index"] == 0
    with_choices = [c.choices[0] for c in chunks if c.choices]
    # The role rides in the first text chunk (Learn's DeepSeek-R1 example), so that chunk carries annotations too.
    assert with_choices[0].delta.role == "assistant"
    assert with_choices[-1].model_extra["content_filter_results"] == {}  # the finish chunk
    text_chunks = with_choices[:-1]
    assert text_chunks and all(
        set(c.model_extra["content_filter_results"]) == {"hate", "self_harm", "sexual", "violence"}
        for c in text_chunks
    )
    assert chunks[-1].usage.completion_tokens > 0
