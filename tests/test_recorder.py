"""Record mode: a recording proxy in front of a FAKE live endpoint that leaks secrets everywhere it can.

The fake upstream below answers like Azure (wire-format reference §4–§6) but puts keys, tokens, subscription
and request ids and its hostname in headers, bodies and URLs. The tests drive the real openai SDK through
the recording proxy, check that no secret reached the written files, then replay the files with
``ReplayServer(recordings_dir=…)`` and check that the SDK sees the same thing it saw live.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx
import openai
import pytest
import uvicorn
from openai import OpenAI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from recorded_endpoint import ReplayServer
from recorded_endpoint.recorder import (
    RecordingProxy,
    RecordingWriter,
    Redactor,
    SSEParser,
    Upstream,
    Upstreams,
    add_record_command,
    find_secret_like,
    split_think,
)
from recorded_endpoint.recordings import RECORDINGS_DIR, RecordingLibrary
from recorded_endpoint.server import free_port
from recorded_endpoint.wire import think_block

# --- the secrets the fake upstream leaks ------------------------------------------------------------
UPSTREAM_KEY = "0123456789abcdef0123456789abcdef"  # a 32-hex Azure key
KEY_84 = "Ab3" * 28  # an 84-character key
SUBSCRIPTION = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
REQUEST_ID = "a60b3a7f-5d2c-4c4e-9f1e-2b7d6c1e0f99"
JWT = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJjb2duaXRpdmVzZXJ2aWNlcyJ9.c2lnbmF0dXJl"
SK_KEY = "sk-proj-Zx81Qw92Lm3Nb4Vc5Xz6Qa7Ws8Ed9"
HOST = "contoso-secret-ai.openai.azure.com"
DEPLOYMENT = "contoso-secret-deployment"
SAS_URL = (
    f"https://{HOST}/subscriptions/{SUBSCRIPTION}/operations/1?api-version=2024-10-21&sig=Zm9vYmFyYmF6cXV4"
)
SESSION = "d20251213111334-884dc36619564918"
SECRETS = [
    UPSTREAM_KEY,
    KEY_84,
    SUBSCRIPTION,
    REQUEST_ID,
    JWT,
    SK_KEY,
    HOST,
    "contoso-secret",
    DEPLOYMENT,
    "Zm9vYmFyYmF6cXV4",
    SESSION,
    "884dc36619564918",
]

SAFE = {c: {"filtered": False, "severity": "safe"} for c in ("hate", "self_harm", "sexual", "violence")}
LEAKY_HEADERS = {
    "apim-request-id": REQUEST_ID,
    "x-request-id": REQUEST_ID,
    "x-ms-deployment-name": DEPLOYMENT,
    "azureml-model-session": SESSION,
    "x-ms-region": "East US 2",
    "operation-location": SAS_URL,
    "set-cookie": f"session={JWT}; HttpOnly",
    "x-echo-key": UPSTREAM_KEY,
    "x-ms-rai-invoked": "true",
}
REASONING = ["Okay", ", the user", " wants", " a count", ".\n\nOne", ", two", ", three", "."]
ANSWER = ["One", ", two", ", three", "!"]
FIRST_TOKEN_S = 0.06


def envelope(**extra):
    return {
        "id": f"chatcmpl-{UPSTREAM_KEY}",
        "object": "chat.completion",
        "created": 1769482843,
        "model": DEPLOYMENT,
        "system_fingerprint": "fp_" + KEY_84[:10],
        "debug": {"host": HOST, "key": UPSTREAM_KEY, "subscription": SUBSCRIPTION},
        **extra,
    }


def completion(reasoning, content, finish="stop", usage=None):
    message = {"role": "assistant", "content": content, "reasoning_content": reasoning, "tool_calls": None}
    return envelope(
        choices=[
            {
                "index": 0,
                "message": message,
                "finish_reason": finish,
                "logprobs": None,
                "content_filter_results": {
                    **SAFE,
                    "protected_material_code": {
                        "filtered": False,
                        "detected": False,
                        "citation": {"URL": SAS_URL},
                    },
                },
            }
        ],
        prompt_filter_results=[
            {
                "prompt_index": 0,
                "content_filter_results": {**SAFE, "jailbreak": {"filtered": False, "detected": False}},
            }
        ],
        usage=usage
        or {
            "prompt_tokens": 9,
            "completion_tokens": 21,
            "total_tokens": 30,
            "completion_tokens_details": {"reasoning_tokens": 15},
            "access_token": JWT,
        },
    )


def sse(payload) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


class Cut(Exception):
    """Raised inside a streamed answer: uvicorn drops the connection, as a broken network would."""


class _HideCuts(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], Cut))


logging.getLogger("uvicorn.error").addFilter(_HideCuts())


async def stream_body(openai_shape: bool, cut_after: int | None = None):
    if openai_shape:
        yield sse(
            {
                "choices": [],
                "created": 0,
                "id": "",
                "model": "",
                "object": "",
                "prompt_filter_results": [
                    {
                        "prompt_index": 0,
                        "content_filter_results": {
                            **SAFE,
                            "jailbreak": {"filtered": False, "detected": False},
                        },
                    }
                ],
            }
        )
    yield sse(
        envelope(
            object="chat.completion.chunk",
            obfuscation=KEY_84[:14],
            choices=[{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}],
        )
    )
    await asyncio.sleep(FIRST_TOKEN_S)
    if openai_shape:
        pieces = [("reasoning_content", t) for t in REASONING] + [("content", t) for t in ANSWER]
    else:
        pieces = [("content", t) for t in ["<think>", "\n", *REASONING, "\n", "</think>", "\n\n", *ANSWER]]
    for index, (field_name, text) in enumerate(pieces):
        if cut_after is not None and index == cut_after:
            raise Cut()
        yield sse(
            envelope(
                object="chat.completion.chunk",
                obfuscation=KEY_84[:9],
                choices=[
                    {
                        "index": 0,
                        "delta": {field_name: text},
                        "finish_reason": None,
                        "content_filter_results": SAFE,
                    }
                ],
            )
        )
        await asyncio.sleep(0.005)
    yield sse(
        envelope(
            object="chat.completion.chunk",
            choices=[{"index": 0, "delta": {}, "finish_reason": "stop", "content_filter_results": {}}],
        )
    )
    yield sse(
        envelope(
            object="chat.completion.chunk",
            choices=[],
            usage={
                "prompt_tokens": 9,
                "completion_tokens": 21,
                "total_tokens": 30,
                "completion_tokens_details": {"reasoning_tokens": 15},
            },
        )
    )
    yield b"data: [DONE]\n\n"


def azure_error(http_status, code, message, headers=None, **extra):
    return JSONResponse(
        {"error": {"code": code, "message": message, **extra}, "debug_key": UPSTREAM_KEY},
        status_code=http_status,
        headers={**LEAKY_HEADERS, **(headers or {})},
    )


def fake_upstream() -> Starlette:
    """A live endpoint that answers like Azure and leaks everything it can."""
    seen = {"rate-limited": 0}

    async def chat(request: Request):
        family = request.scope["route"].name
        keys = {request.headers.get("api-key"), (request.headers.get("authorization") or "")[7:]}
        if UPSTREAM_KEY not in keys:
            return azure_error(
                401, "401", "Access denied due to invalid subscription key or wrong API endpoint."
            )
        body = await request.json()
        question = body["messages"][-1]["content"]
        openai_shape = family != "inference"
        if body.get("stream"):
            cut_after = 5 if question == "Cut me off" else None
            return StreamingResponse(
                stream_body(openai_shape, cut_after), media_type="text/event-stream", headers=LEAKY_HEADERS
            )
        if question == "Rate limit me" and seen["rate-limited"] % 2 == 0:
            seen["rate-limited"] += 1
            return azure_error(
                429,
                "429",
                f"Requests to deployment {DEPLOYMENT} of subscription {SUBSCRIPTION} "
                f"at https://{HOST}/ exceeded the token rate limit. Please retry after 1 second.",
                headers={"retry-after-ms": "1", "retry-after": "1", "x-ratelimit-remaining-tokens": "0"},
            )
        if question == "Rate limit me":
            seen["rate-limited"] += 1
        if question == "Blocked prompt":
            return azure_error(
                400,
                "content_filter",
                "The response was filtered due to the prompt triggering Azure "
                "OpenAI's content management policy.",
                param="prompt",
                type=None,
                status=400,
                innererror={
                    "code": "ResponsibleAIPolicyViolation",
                    "content_filter_result": {
                        **SAFE,
                        "self_harm": {"filtered": True, "severity": "medium"},
                        "jailbreak": {"filtered": False, "detected": False},
                    },
                },
            )
        if question == "Who am I":
            return azure_error(
                403,
                "PermissionDenied",
                f"The principal `{SUBSCRIPTION}` lacks the required data "
                f"action on {HOST} (request {REQUEST_ID}, token {JWT}).",
            )
        if question == "Leak please":
            return JSONResponse(completion("Thinking.", f"Here is a token: {SK_KEY}"), headers=LEAKY_HEADERS)
        reasoning, answer = "".join(REASONING), "".join(ANSWER)
        if openai_shape:  # Azure ends reasoning_content with the newline before </think> (Learn's example)
            return JSONResponse(completion(reasoning + "\n", answer), headers=LEAKY_HEADERS)
        return JSONResponse(completion(None, think_block(reasoning, answer)), headers=LEAKY_HEADERS)

    return Starlette(
        routes=[
            Route("/openai/v1/chat/completions", chat, methods=["POST"], name="v1"),
            Route(
                "/openai/deployments/{deployment}/chat/completions", chat, methods=["POST"], name="classic"
            ),
            Route("/models/chat/completions", chat, methods=["POST"], name="inference"),
        ]
    )


@contextmanager
def serving(app):
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


# --- what the SDK sees ----------------------------------------------------------------------------------
MODEL = "DeepSeek-R1"


def token_counts(usage) -> dict | None:
    """The usage numbers a lesson reads (the fake's extra, leaky usage fields are not among them)."""
    if usage is None:
        return None
    details = usage.completion_tokens_details
    return {
        "prompt": usage.prompt_tokens,
        "completion": usage.completion_tokens,
        "total": usage.total_tokens,
        "reasoning": details.reasoning_tokens if details else None,
    }


def ask(client: OpenAI, question: str):
    response = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": question}], max_tokens=2048
    )
    message = response.choices[0].message
    return (
        message.content,
        getattr(message, "reasoning_content", None),
        response.choices[0].finish_reason,
        token_counts(response.usage),
    )


def ask_streaming(client: OpenAI, question: str):
    pieces, finish, usage, error = [], None, None, None
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": question}],
        stream=True,
        stream_options={"include_usage": True},
    )
    try:
        for chunk in stream:
            usage = token_counts(chunk.usage) or usage
            for choice in chunk.choices:
                reasoning = getattr(choice.delta, "reasoning_content", None)
                if reasoning:
                    pieces.append(("reasoning", reasoning))
                if choice.delta.content:
                    pieces.append(("content", choice.delta.content))
                finish = choice.finish_reason or finish
    except (httpx.HTTPError, openai.APIError) as exc:
        error = type(exc).__name__
    return pieces, finish, usage, error


def error_of(call):
    with pytest.raises(openai.APIStatusError) as caught:
        call()
    e = caught.value
    return e.status_code, e.code, e.param, e.message, e.body


def session(client_for):
    """Everything the tests ask, on the v1, classic and model-inference routes; what the SDK saw."""
    v1, classic, inference = client_for("v1"), client_for("classic"), client_for("inference")
    return {
        "v1 answer": ask(v1, "Count to three"),
        "v1 stream": ask_streaming(v1, "Count to three"),
        "classic answer": ask(classic, "Count to three"),
        "inference answer": ask(inference, "Count to three"),
        "inference stream": ask_streaming(inference, "Count to three"),
        "retried after 429": ask(v1, "Rate limit me"),
        "content filter 400": error_of(lambda: ask(v1, "Blocked prompt")),
        "permission 403": error_of(lambda: ask(v1, "Who am I")),
        "cut stream": ask_streaming(v1, "Cut me off"),
    }


def clients(base_url: str, key: str):
    def client_for(family: str) -> OpenAI:
        if family == "classic":
            return openai.AzureOpenAI(
                azure_endpoint=base_url, api_key=key, api_version="2024-10-21", max_retries=2
            )
        path = "/openai/v1/" if family == "v1" else "/models"
        return OpenAI(base_url=base_url + path, api_key=key, max_retries=2)

    return client_for


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """Run the session live through the recording proxy; return what the SDK saw, the files and the log."""
    out = tmp_path_factory.mktemp("recordings")
    log: list[str] = []
    with serving(fake_upstream()) as upstream_url:
        upstreams = Upstreams(
            azure=Upstream(upstream_url, UPSTREAM_KEY), inference=Upstream(upstream_url, UPSTREAM_KEY)
        )
        with RecordingProxy(upstreams, out, report=log.append) as proxy:
            seen = session(clients(proxy.url, proxy.api_key))
            leak = ask(clients(proxy.url, proxy.api_key)("v1"), "Leak please")
            local_key = proxy.api_key
            time.sleep(0.2)  # let the proxy finish writing the cut stream
    return {"seen": seen, "out": out, "log": log, "leak": leak, "local_key": local_key}


# --- the recordings hold no secret ------------------------------------------------------------------------


def test_every_answer_was_recorded_and_the_leaky_one_refused(recorded):
    names = sorted(p.name for p in recorded["out"].glob("*.json"))
    assert names == sorted(
        [
            "rec-count-to-three-v1.json",
            "rec-count-to-three-v1-stream.json",
            "rec-count-to-three-classic.json",
            "rec-count-to-three-inference.json",
            "rec-count-to-three-inference-stream.json",
            "rec-rate-limit-me-v1.json",
            "rec-blocked-prompt-v1.json",
            "rec-who-am-i-v1.json",
            "rec-cut-me-off-v1-stream.json",
        ]
    ), recorded["log"]
    assert not list(recorded["out"].glob("*.tmp"))
    refusal = [line for line in recorded["log"] if line.startswith("REFUSED")]
    assert len(refusal) == 1 and "rec-leak-please-v1.json" in refusal[0] and "sk-" in refusal[0]
    assert SK_KEY not in refusal[0], "the refusal message must not print the secret it found"
    assert recorded["leak"][0] == f"Here is a token: {SK_KEY}", "the client still gets its answer"


@pytest.mark.parametrize("secret", [*SECRETS, "LOCAL_KEY"])
def test_no_secret_reaches_any_file(recorded, secret):
    secret = recorded["local_key"] if secret == "LOCAL_KEY" else secret
    for path in recorded["out"].glob("*.json"):
        assert secret.lower() not in path.read_text(encoding="utf-8").lower(), path.name


def test_the_files_pass_the_final_scan_and_the_course_library_loads_them(recorded):
    for path in recorded["out"].glob("*.json"):
        assert find_secret_like(json.loads(path.read_text(encoding="utf-8"))) == [], path.name
    library = RecordingLibrary.from_directory(recorded["out"])
    assert len(library.recordings) == 9


def test_provenance_route_and_chunk_timing_are_kept(recorded):
    data = json.loads((recorded["out"] / "rec-count-to-three-v1-stream.json").read_text(encoding="utf-8"))
    assert data["provenance"]["kind"] == "recorded"
    assert data["provenance"]["date"] == datetime.now(UTC).date().isoformat()
    assert data["provenance"]["route"] == "v1" and data["request"]["routes"] == ["v1"]
    assert data["request"]["stream"] is True and "model" not in data["request"].get("params", {})
    response = data["response"]
    assert [c["text"] for c in response["chunks"]] == REASONING + ANSWER
    assert [c["kind"] for c in response["chunks"]] == ["reasoning"] * len(REASONING) + ["answer"] * len(
        ANSWER
    )
    assert response["chunks"][0]["gap_ms"] >= FIRST_TOKEN_S * 1000
    assert response["timing"]["first_token_ms"] == response["chunks"][0]["gap_ms"]
    assert response["usage"]["completion_tokens_details"] == {"reasoning_tokens": 15}
    assert response["reasoning"] == "".join(REASONING) and response["answer"] == "".join(ANSWER)


def test_model_inference_stream_keeps_think_tags_as_content_chunks(recorded):
    response = json.loads(
        (recorded["out"] / "rec-count-to-three-inference-stream.json").read_text(encoding="utf-8")
    )["response"]
    assert {c["kind"] for c in response["chunks"]} == {"content"}
    assert response["chunks"][0]["text"] == "<think>"
    assert response["reasoning"] == "".join(REASONING) and response["answer"] == "".join(ANSWER)


def test_errors_keep_only_allowlisted_headers_and_body_fields(recorded):
    data = json.loads((recorded["out"] / "rec-rate-limit-me-v1.json").read_text(encoding="utf-8"))
    first, second = data["responses"]
    assert first["kind"] == "error" and first["status"] == 429 and second["kind"] == "completion"
    assert first["headers"] == {
        "retry-after-ms": "1",
        "retry-after": "1",
        "x-ratelimit-remaining-tokens": "0",
    }
    assert set(first["body"]) == {"error"}
    assert first["body"]["error"]["message"] == (
        "Requests to deployment <deployment> of subscription 00000000-0000-0000-0000-000000000000 at "
        "https://<resource>.openai.azure.com/ exceeded the token rate limit. Please retry after 1 second."
    )


def test_a_cut_stream_is_kept_up_to_the_cut(recorded):
    response = json.loads((recorded["out"] / "rec-cut-me-off-v1-stream.json").read_text(encoding="utf-8"))[
        "response"
    ]
    assert response["drop_after_chunks"] == 5
    assert "".join(c["text"] for c in response["chunks"]) == "".join(REASONING[:5])
    assert "tokenizer" in response["usage_source"]
    assert recorded["seen"]["cut stream"][3] is not None, "the client saw the cut too"


# --- replaying gives the SDK what it saw live ---------------------------------------------------------------


def test_replaying_the_recordings_gives_the_same_sdk_results(recorded):
    with ReplayServer(recordings_dir=recorded["out"], api_key="replay-key") as replay:
        replayed = session(clients(replay.url, "replay-key"))
    live = recorded["seen"]
    for name in (
        "v1 answer",
        "v1 stream",
        "classic answer",
        "inference answer",
        "inference stream",
        "retried after 429",
        "cut stream",
    ):
        assert replayed[name] == live[name], name
    for name in ("content filter 400",):
        assert replayed[name] == live[name], name
    status, code, _, message, _ = replayed["permission 403"]
    assert (status, code) == (403, "PermissionDenied")
    assert message == live["permission 403"][3].replace(
        SUBSCRIPTION, "00000000-0000-0000-0000-000000000000"
    ).replace(HOST, "<resource>.openai.azure.com").replace(
        REQUEST_ID, "00000000-0000-0000-0000-000000000000"
    ).replace(JWT, "<redacted>")


def test_live_answers_had_the_expected_shape(recorded):
    """Guards the comparison above: the live session really saw reasoning, answers, usage and errors."""
    live = recorded["seen"]
    assert live["v1 answer"][:3] == ("".join(ANSWER), "".join(REASONING) + "\n", "stop")
    assert live["inference answer"][0] == think_block("".join(REASONING), "".join(ANSWER))
    assert live["v1 stream"][0][0] == ("reasoning", "Okay") and live["v1 stream"][1] == "stop"
    assert live["v1 stream"][2] == {"prompt": 9, "completion": 21, "total": 30, "reasoning": 15}
    assert live["content filter 400"][:3] == (400, "content_filter", "prompt")
    assert live["cut stream"][0] == [("reasoning", t) for t in REASONING[:5]]


# --- the pieces --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sample",
    [
        UPSTREAM_KEY,
        KEY_84,
        JWT,
        SK_KEY,
        f"x {SUBSCRIPTION} y",
        SAS_URL,
        f"Bearer {KEY_84[:30]}",
        "https://contoso-research.services.ai.azure.com/openai",
        "tok Q9x7Lm2Zp4Rt6Vb8Nc1Kd3Fg5Hj7Wq9Es2Ty4Ui6",
    ],
)
def test_the_final_scan_catches_secret_shapes(sample):
    assert find_secret_like({"response": {"answer": sample}})
    assert find_secret_like({sample: 1}), "keys are scanned too"


def test_the_final_scan_finds_known_values_in_any_case():
    assert find_secret_like({"a": "served by MyHost.example.org"}, known_values=["myhost.example.org"])
    assert not find_secret_like({"a": "served by MyHost.example.org"})


def test_the_final_scan_passes_the_text_of_every_shipped_recording():
    """No false alarm on DeepSeek-R1 prose: the prompts, thinking and answers of the course's recordings."""
    for path in sorted(RECORDINGS_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        responses = data.get("responses") or [data["response"]]
        texts = [data.get("title"), data["request"]["messages"]]
        texts += [[r.get("reasoning"), r.get("answer"), r.get("chunks")] for r in responses]
        assert find_secret_like(texts) == [], path.name


@pytest.mark.parametrize(
    "content, finish",
    [
        ("<think>\nHmm.\n</think>\n\nHello!", "stop"),
        ("<think>\n\n</think>\n\nHello!", "stop"),
        ("<think>\nStill thinking when max_tokens hit", "length"),
        ("<think>\nNo closing tag but stop", "stop"),
        ("Hmm.\n</think>\n\nNo opening tag", "stop"),
        ("Plain answer", "stop"),
        ("<think>\nA</think>B", "stop"),
    ],
)
def test_split_think_renders_back_exactly(content, finish):
    reasoning, answer = split_think(content, finish)
    assert think_block(reasoning, answer, finish != "length" or reasoning is None) == content


def test_sse_parser_handles_events_split_anywhere():
    raw = 'data: {"a": "é"}\r\n\r\ndata: one\r\ndata: two\r\n\r\n: comment\n\ndata: [DONE]\n\n'.encode()
    for cut in range(1, len(raw)):
        parser = SSEParser()
        assert parser.feed(raw[:cut]) + parser.feed(raw[cut:]) == ['{"a": "é"}', "one\ntwo", "[DONE]"], cut


def test_a_request_field_off_the_allowlist_is_not_recorded(tmp_path):
    log: list[str] = []
    writer = RecordingWriter(tmp_path, Redactor(), report=log.append)
    body = {"messages": [{"role": "user", "content": "Hi"}], "temperature": 0, "metadata": {"tenant": "x"}}
    assert writer.add("v1", body, {"kind": "completion", "answer": "Hi", "usage": {}}) is None
    assert not list(tmp_path.iterdir())
    assert "'metadata'" in log[0] and "SAFE_PARAMS" in log[0]


def test_a_learned_host_is_replaced_in_answers_and_refused_in_prompts(tmp_path):
    redactor = Redactor()
    redactor.learn_host("https://contoso-llm.example.net")
    writer = RecordingWriter(tmp_path, redactor, report=lambda _: None)
    from recorded_endpoint.recorder import completion_from_body

    answer = completion_from_body(
        {"choices": [{"message": {"content": "Ask contoso-llm.example.net."}}]}, "v1", redactor
    )
    assert answer["answer"] == "Ask <resource>.example.net."
    assert writer.add("v1", {"messages": [{"role": "user", "content": "hello"}]}, answer) is not None
    prompt = {"messages": [{"role": "user", "content": "What is contoso-llm.example.net?"}]}
    assert writer.add("v1", prompt, answer) is None and writer.refused


def test_a_second_run_replaces_its_own_files_and_keeps_other_names(tmp_path):
    body = {"messages": [{"role": "user", "content": "Hi"}]}
    answer = {
        "kind": "completion",
        "reasoning": None,
        "answer": "Hello",
        "finish_reason": "stop",
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
    first = RecordingWriter(tmp_path, Redactor(), report=lambda _: None).add("v1", body, answer)
    first.with_name("rec-hi-v1-stream.json").write_text("{}")  # some other file with a neighbouring name
    again = RecordingWriter(tmp_path, Redactor(), report=lambda _: None)
    assert again.add("v1", body, {**answer, "answer": "Hello again"}) == first
    assert json.loads(first.read_text())["response"]["answer"] == "Hello again"
    other = {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]}
    assert again.add("v1", other, answer).name == "rec-hi-v1-2.json"


def test_record_command_runs_a_command_against_the_proxy(tmp_path, monkeypatch, capsys):
    """`python -m recorded_endpoint record -- COMMAND`: the command's clients reach the live endpoint via it."""
    client_code = f"""
import os
from openai import OpenAI
key, endpoint = os.environ["AZURE_OPENAI_API_KEY"], os.environ["AZURE_OPENAI_ENDPOINT"]
assert key != "{UPSTREAM_KEY}", "the command gets the proxy's key, not the live one"
client = OpenAI(base_url=endpoint + "/openai/v1/", api_key=key)
messages = [{{"role": "user", "content": "Count to three"}}]
model = os.environ["AZURE_DEEPSEEK_DEPLOYMENT"]
answer = client.chat.completions.create(model=model, messages=messages, max_tokens=2048)
print(answer.choices[0].message.content)
"""
    parser = argparse.ArgumentParser()
    add_record_command(parser.add_subparsers())
    with serving(fake_upstream()) as upstream_url:
        monkeypatch.setenv("COURSE_MODE", "live")
        monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", upstream_url)
        monkeypatch.setenv("AZURE_OPENAI_API_KEY", UPSTREAM_KEY)
        monkeypatch.setenv("AZURE_DEEPSEEK_DEPLOYMENT", "DeepSeek-R1")
        monkeypatch.delenv("COURSE_AUTH", raising=False)
        monkeypatch.delenv("AZURE_INFERENCE_ENDPOINT", raising=False)
        args = parser.parse_args(["record", "--out", str(tmp_path), "--", sys.executable, "-c", client_code])
        assert args.run(args) == 0
    assert [p.name for p in tmp_path.glob("*.json")] == ["rec-count-to-three-v1.json"]
    out = capsys.readouterr().out
    assert "1 recordings written" in out and UPSTREAM_KEY not in out


def test_record_command_refuses_without_a_live_deployment(monkeypatch, capsys, tmp_path):
    parser = argparse.ArgumentParser()
    add_record_command(parser.add_subparsers())
    monkeypatch.setenv("COURSE_MODE", "recorded")
    args = parser.parse_args(["record", "--out", str(tmp_path)])
    assert args.run(args) == 2
    assert "needs a live deployment" in capsys.readouterr().err


# --- stored outputs: regenerated from the recordings, and a changed recording is an nbval diff -----------------

NOTEBOOK_CELL = """
import os
from pathlib import Path
from openai import OpenAI
from recorded_endpoint import ReplayServer

server = ReplayServer(recordings_dir=Path(os.environ["COURSE_TEST_RECORDINGS"])).start()
client = OpenAI(base_url=server.url + "/openai/v1/", api_key=server.api_key)
reply = client.chat.completions.create(
    model="DeepSeek-R1", messages=[{"role": "user", "content": "Count to three"}], max_tokens=2048
)
print(reply.choices[0].message.content)
"""


@pytest.mark.slow  # nbconvert, then nbval twice: three kernels and three processes
def test_a_changed_recording_shows_up_as_an_nbval_diff(recorded, tmp_path):
    import shutil
    import subprocess

    import nbformat

    recordings = tmp_path / "recordings"
    recordings.mkdir()
    shutil.copy(recorded["out"] / "rec-count-to-three-v1.json", recordings)
    notebook = tmp_path / "lesson.ipynb"
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cells = [nbformat.v4.new_code_cell(NOTEBOOK_CELL.strip())]
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": kernelspec}), notebook)
    env = {**os.environ, "COURSE_TEST_RECORDINGS": str(recordings)}

    def run(*command: str) -> subprocess.CompletedProcess:
        return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)

    # What `make regen` does: execute in place, so the stored output is what the recording says.
    regen = run(sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace",
                "--ExecutePreprocessor.kernel_name=python3", str(notebook))
    assert regen.returncode == 0, regen.stderr[-2000:]
    stored = nbformat.read(notebook, as_version=4).cells[0].outputs[0]["text"]
    assert stored == "".join(ANSWER) + "\n"

    nbval = (sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env",
             str(notebook))
    assert run(*nbval).returncode == 0, "the regenerated notebook passes nbval"

    path = recordings / "rec-count-to-three-v1.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["response"]["answer"] = "One, two, three, four!"
    path.write_text(json.dumps(data), encoding="utf-8")
    changed = run(*nbval)
    assert changed.returncode == 1
    assert "One, two, three!" in changed.stdout and "One, two, three, four!" in changed.stdout, changed.stdout[-2000:]


def test_the_summary_says_which_course_recording_answers_each_new_file(tmp_path):
    writer = RecordingWriter(tmp_path, Redactor(), report=lambda _: None)
    answer = {"kind": "completion", "reasoning": "Hmm.", "answer": "About 7,000.", "finish_reason": "stop",
              "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
    writer.add("v1", {"messages": [{"role": "user", "content": "How many languages are in the world?"}]}, answer)
    writer.add("v1", {"messages": [{"role": "user", "content": "Count to three"}]}, answer)
    assert writer.placement() == [
        "rec-count-to-three-v1.json: new, no course recording answers this request",
        "rec-how-many-languages-are-in-the-world-v1.json: the course answers this request with languages.json "
        "(transcribed)",
    ]


def test_a_recorded_file_answers_before_an_older_authored_one(tmp_path):
    """Copying a recording into the course is all it takes for it to be served (docs/recording.md)."""
    import shutil

    shutil.copy(RECORDINGS_DIR / "languages.json", tmp_path / "languages.json")
    writer = RecordingWriter(tmp_path, Redactor(), report=lambda _: None)
    answer = {"kind": "completion", "reasoning": "Hmm.", "answer": "About 7,000.", "finish_reason": "stop",
              "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
    question = {"messages": [{"role": "user", "content": "How many languages are in the world?"}]}
    path = writer.add("v1", question, answer)
    library = RecordingLibrary.from_directory(tmp_path)
    assert library.find("v1", question, stream=False).name == path.stem
    assert library.find("v1", question, stream=True).name == "languages", "other stream modes keep the old one"
    assert library.find("inference", question, stream=False).name == "languages", "and so do other routes"


# --- the attack of the December 2026 review: secrets hidden where redaction used to miss them -----------------
# Each case is one question; the fake upstream answers it with a secret hidden in one place. A case passes when
# no written file holds any readable form of its secret: whole, in the pieces the stream split it into, or in
# the copy the case made of it. A case may be written (redacted) or refused; the test names which.
PROVIDER_TOKEN = "Xy7Qw3Er5Ty8Ui9Op0As2Df4Gh6Jk1Lz"  # 33 mixed letters and digits: too short for the token shape
CLIENT_KEY = "c0ffee00c0ffee00c0ffee00c0ffee00"  # a live key a client passes as ?api-key=
HEX_PIECES_8 = [UPSTREAM_KEY[i : i + 8] for i in range(0, 32, 8)]
HEX_PIECES_16 = [UPSTREAM_KEY[:16], UPSTREAM_KEY[16:]]
SPACED_KEY = " ".join(UPSTREAM_KEY[i : i + 4] for i in range(0, 32, 4))


def halves(text: str) -> list[str]:
    return [text[: len(text) // 2], text[len(text) // 2 :]]


ATTACKS: dict[str, dict] = {
    # (a) a secret split across streamed chunks
    "a hex key in 8-char chunks": {"stream": ["The key is ", *HEX_PIECES_8, "."], "forms": HEX_PIECES_8},
    "a hex key in 16-char chunks": {"stream": ["Key: ", *HEX_PIECES_16, "."], "forms": HEX_PIECES_16},
    "a provider token in chunks": {"stream": ["Token ", *halves(PROVIDER_TOKEN)], "forms": halves(PROVIDER_TOKEN)},
    "an Entra token in chunks": {"stream": ["JWT ", *halves(JWT)], "forms": halves(JWT)},
    "the hostname in chunks": {"stream": ["Host ", *halves(HOST)], "forms": [HOST]},
    # (b) a filter verdict's error, non-streamed, in a stream chunk, and in prompt_filter_results
    "a verdict error": {"verdict_error": f"see x{PROVIDER_TOKEN}", "forms": [PROVIDER_TOKEN]},
    "a verdict error in a stream": {
        "stream": ["Fine."],
        "verdict_error": f"see x{PROVIDER_TOKEN}",
        "forms": [PROVIDER_TOKEN],
    },
    "a prompt verdict error": {"prompt_verdict_error": f"x{PROVIDER_TOKEN}", "forms": [PROVIDER_TOKEN]},
    "a verdict error code": {"verdict_code": f"x{PROVIDER_TOKEN}", "forms": [PROVIDER_TOKEN]},
    # (c) the finish reason
    "a finish reason": {"finish": f"len-{PROVIDER_TOKEN}", "forms": [PROVIDER_TOKEN]},
    "a finish reason in a stream": {"stream": ["Done."], "finish": f"len-{PROVIDER_TOKEN}", "forms": [PROVIDER_TOKEN]},
    # (d) a key the client passed as ?api-key=, echoed bare
    "a query key in the answer": {"query_key": True, "answer": f"Your key {CLIENT_KEY}x", "forms": [CLIENT_KEY]},
    "a query key in an error": {"query_key": True, "error": f"bad key {CLIENT_KEY}", "forms": [CLIENT_KEY]},
    "a query key in a verdict": {"query_key": True, "verdict_error": f"k={CLIENT_KEY}", "forms": [CLIENT_KEY]},
    # (e) known values inside a word, in the request's own prompt
    "a provider token inside a word": {"prompt": f"Say x{PROVIDER_TOKEN}", "forms": [PROVIDER_TOKEN]},
    "the proxy key inside a word": {"prompt": "Say xLOCAL_KEY", "forms": ["LOCAL_KEY"]},
    # (f) transformed copies
    "a key in groups of four": {"answer": f"Key: {SPACED_KEY}.", "forms": [SPACED_KEY, *SPACED_KEY.split()[:2]]},
    "a reversed token": {"answer": f"Backwards: {PROVIDER_TOKEN[::-1]}", "forms": [PROVIDER_TOKEN[::-1]]},
    "a base64 key": {
        "answer": "Encoded: " + __import__("base64").b64encode(UPSTREAM_KEY.encode()).decode(),
        "forms": [__import__("base64").b64encode(UPSTREAM_KEY.encode()).decode()[:24]],
    },
}


def attack_upstream() -> Starlette:
    """A live endpoint whose answer to each attack question hides that attack's secret."""

    def verdicts(case):
        results = dict(SAFE)
        if "verdict_error" in case or "verdict_code" in case:
            results["error"] = {"code": case.get("verdict_code", "content_filter_error"),
                                "message": case.get("verdict_error", "ok")}  # fmt: skip
        return results

    async def chat(request: Request):
        body = await request.json()
        question = body["messages"][-1]["content"]
        case = ATTACKS.get(question.removeprefix("Attack: "), {})
        if "error" in case:
            return JSONResponse({"error": {"code": "401", "message": case["error"]}}, status_code=401)
        prompt_results = {**SAFE, "jailbreak": {"filtered": False, "detected": False}}
        if "prompt_verdict_error" in case:
            prompt_results["error"] = {"code": "content_filter_error", "message": case["prompt_verdict_error"]}
        finish = case.get("finish", "stop")
        usage = {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21}
        if not body.get("stream"):
            return JSONResponse(
                {
                    "id": "chatcmpl-1", "object": "chat.completion", "created": 1769482843, "model": "DeepSeek-R1",
                    "choices": [{"index": 0, "finish_reason": finish, "content_filter_results": verdicts(case),
                                 "message": {"role": "assistant", "content": case.get("answer", "Fine."),
                                             "reasoning_content": "Thinking."}}],
                    "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": prompt_results}],
                    "usage": usage,
                }
            )  # fmt: skip

        async def events():
            base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1769482843, "model": MODEL}
            yield sse({"choices": [], "created": 0, "id": "", "model": "", "object": "",
                       "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": prompt_results}]})
            for text in case["stream"]:
                choice = {"index": 0, "delta": {"content": text}, "finish_reason": None,
                          "content_filter_results": verdicts(case)}
                yield sse({**base, "choices": [choice]})
            yield sse({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
            yield sse({**base, "choices": [], "usage": usage})
            yield b"data: [DONE]\n\n"  # fmt: skip

        return StreamingResponse(events(), media_type="text/event-stream")

    return Starlette(routes=[Route("/openai/v1/chat/completions", chat, methods=["POST"])])


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    """Every attack question sent through the recording proxy; the files written and the log."""
    out = tmp_path_factory.mktemp("attacked")
    log: list[str] = []
    with serving(attack_upstream()) as upstream_url:
        upstreams = Upstreams(
            azure=Upstream(upstream_url, UPSTREAM_KEY),
            inference=Upstream(upstream_url, UPSTREAM_KEY),
            provider=Upstream(upstream_url, PROVIDER_TOKEN),
        )
        with RecordingProxy(upstreams, out, report=log.append) as proxy:
            for name, case in ATTACKS.items():
                prompt = case.get("prompt", f"Attack: {name}").replace("LOCAL_KEY", proxy.api_key)
                params = {"api-key": CLIENT_KEY} if case.get("query_key") else {}
                body = {"model": MODEL, "messages": [{"role": "user", "content": prompt}]}
                if "stream" in case:
                    body["stream"] = True
                with httpx.Client(base_url=proxy.url, timeout=10) as http:
                    http.post(
                        "/openai/v1/chat/completions", json=body, params=params, headers={"api-key": proxy.api_key}
                    ).read()
            local_key = proxy.api_key
            time.sleep(0.2)  # let the proxy finish writing the last stream
    files = {path.name: path.read_bytes() for path in out.glob("*.json")}
    return {"files": files, "log": log, "local_key": local_key}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_no_hidden_secret_is_written_readably(attacked, name):
    forms = [attacked["local_key"] if form == "LOCAL_KEY" else form for form in ATTACKS[name]["forms"]]
    for file_name, content in attacked["files"].items():
        text = content.decode("utf-8").lower()
        for form in forms:
            assert form.lower() not in text, f"{name}: {file_name} holds {form[:2]}…"
            assert json.dumps(form)[1:-1].lower() not in text, f"{name}: {file_name} holds an escaped copy"


def test_every_attack_was_answered_and_either_redacted_or_refused(attacked):
    written = len(attacked["files"])
    refused = [line for line in attacked["log"] if line.startswith("REFUSED")]
    assert written + len(refused) == len(ATTACKS), attacked["log"]
    assert written >= len(ATTACKS) // 2, "redaction, not refusal, should handle most of them"
    streamed = json.loads(attacked["files"]["rec-attack-a-hex-key-in-8-char-chunks-v1-stream.json"])
    assert streamed["response"]["answer"] == "The key is <redacted>."
    assert "".join(c["text"] for c in streamed["response"]["chunks"]) == "The key is <redacted>."


def test_refusal_messages_show_no_part_of_a_secret(attacked):
    refused = [line for line in attacked["log"] if line.startswith("REFUSED")]
    assert refused, "the Entra token split across chunks must be refused: nothing learned it as a value"
    local_random = attacked["local_key"].removeprefix("record-proxy-")  # the prefix is public, like "rec-"
    secrets_seen = [UPSTREAM_KEY, PROVIDER_TOKEN, CLIENT_KEY, JWT, HOST.split(".")[0], local_random]
    for line in refused:
        for secret in secrets_seen:
            pieces = {secret[i : i + 5].lower() for i in range(len(secret) - 4)}  # 4 would find "cont" in "content"
            assert not any(piece in line.lower() for piece in pieces), line
            if secret != JWT:  # "eyJ" is how every JSON web token starts: the shape's name, not a part of this one
                assert f"({secret[:3]}…)" not in line, "the old refusal message printed the first 3 characters"


def test_known_secrets_match_inside_words_and_short_names_only_as_words():
    redactor = Redactor(secrets={PROVIDER_TOKEN, "abcd"})
    assert redactor.names_in(f"x{PROVIDER_TOKEN}y") == "x<redacted>y"
    assert redactor.names_in("abcdef and abcd") == "abcdef and <redacted>"
    assert find_secret_like({"a": f"see x{PROVIDER_TOKEN}"}, redactor.known_values)


def test_a_query_string_key_is_learned_as_a_secret():
    redactor = Redactor()
    redactor.learn_query([("api-version", "2024-10-21"), ("api-key", CLIENT_KEY)])
    assert redactor.secrets == {CLIENT_KEY}


# --- the Responses API through the recorder -------------------------------------------------------------------
# The reasoning ends with the newline before </think>, as the chat routes' reasoning_content does [X].
R_REASONING, R_ANSWER = ["Two", " plus", " two.\n"], ["Four", "."]


def responses_upstream() -> Starlette:
    """A live Responses endpoint: a reasoning item and a message, non-streamed or as typed events."""

    def response(status="completed"):
        return {
            "id": f"resp_{UPSTREAM_KEY}", "object": "response", "created_at": 1769482843, "model": "DeepSeek-R1",
            "status": status, "tool_choice": "auto", "tools": [], "parallel_tool_calls": True,
            "output": [
                {"id": "rs_1", "type": "reasoning",
                 "summary": [{"type": "summary_text", "text": "".join(R_REASONING)}]},
                {"id": "msg_1", "type": "message", "role": "assistant", "status": "completed",
                 "content": [{"type": "output_text", "text": "".join(R_ANSWER), "annotations": []}]},
            ],
            "usage": {"input_tokens": 9, "output_tokens": 12, "total_tokens": 21,
                      "input_tokens_details": {"cached_tokens": 0}, "output_tokens_details": {"reasoning_tokens": 0}},
        }  # fmt: skip

    def event(kind, **fields):
        return f"event: {kind}\ndata: {json.dumps({'type': kind, 'sequence_number': 0, **fields})}\n\n".encode()

    async def responses(request: Request):
        body = await request.json()
        if not body.get("stream"):
            return JSONResponse(response(), headers=LEAKY_HEADERS)

        async def events():
            yield event("response.created", response={**response("in_progress"), "output": [], "usage": None})
            reasoning_item = {"id": "rs_1", "type": "reasoning", "summary": []}
            yield event("response.output_item.added", output_index=0, item=reasoning_item)
            for text in R_REASONING:
                where = {"item_id": "rs_1", "output_index": 0, "summary_index": 0}
                yield event("response.reasoning_summary_text.delta", **where, delta=text)
            item = {"id": "msg_1", "type": "message", "role": "assistant", "status": "in_progress", "content": []}
            yield event("response.output_item.added", output_index=1, item=item)
            for text in R_ANSWER:
                where = {"item_id": "msg_1", "output_index": 1, "content_index": 0}
                yield event("response.output_text.delta", **where, delta=text, logprobs=[])
            yield event("response.completed", response=response())

        return StreamingResponse(events(), media_type="text/event-stream", headers=LEAKY_HEADERS)

    return Starlette(routes=[Route("/openai/v1/responses", responses, methods=["POST"])])


def ask_responses(client: OpenAI, stream: bool):
    kwargs = {"model": MODEL, "instructions": "Be brief.", "input": "What is 2 + 2?", "max_output_tokens": 256}
    if not stream:
        response = client.responses.create(**kwargs)
        reasoning = "".join(s.text for item in response.output if item.type == "reasoning" for s in item.summary)
        return response.output_text, reasoning, response.usage.output_tokens
    text, reasoning, usage = "", "", None
    for event in client.responses.create(**kwargs, stream=True):
        if event.type == "response.output_text.delta":
            text += event.delta
        elif event.type == "response.reasoning_summary_text.delta":
            reasoning += event.delta
        elif event.type == "response.completed":
            usage = event.response.usage.output_tokens
    return text, reasoning, usage


def test_responses_traffic_is_recorded_and_replays_the_same(tmp_path):
    log: list[str] = []
    with serving(responses_upstream()) as upstream_url:
        upstreams = Upstreams(azure=Upstream(upstream_url, UPSTREAM_KEY), inference=Upstream(upstream_url))
        with RecordingProxy(upstreams, tmp_path, report=log.append) as proxy:
            client = OpenAI(base_url=proxy.url + "/openai/v1/", api_key=proxy.api_key)
            live = {stream: ask_responses(client, stream) for stream in (False, True)}
            time.sleep(0.2)
    assert live[False] == live[True] == ("".join(R_ANSWER), "".join(R_REASONING), 12)
    names = sorted(p.name for p in tmp_path.glob("*.json"))
    assert names == ["rec-what-is-2-2-responses-stream.json", "rec-what-is-2-2-responses.json"], log
    streamed = json.loads((tmp_path / names[0]).read_text(encoding="utf-8"))
    assert streamed["request"] == {
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is 2 + 2?"}],
        "params": {"max_tokens": 256},
        "stream": True,
        "routes": ["responses"],
    }
    assert streamed["model"] == {"name": "DeepSeek-R1"}
    assert [c["kind"] for c in streamed["response"]["chunks"]] == ["reasoning"] * 3 + ["answer"] * 2
    assert streamed["response"]["usage"]["completion_tokens"] == 12
    for path in tmp_path.glob("*.json"):
        assert UPSTREAM_KEY not in path.read_text(encoding="utf-8")
    with ReplayServer(recordings_dir=tmp_path, api_key="replay-key") as server:
        replay = OpenAI(base_url=server.url + "/openai/v1/", api_key="replay-key")
        assert {stream: ask_responses(replay, stream) for stream in (False, True)} == live


def test_a_secret_split_across_chunks_is_merged_into_one_redacted_chunk():
    redactor = Redactor(secrets={UPSTREAM_KEY})
    pieces = ["Key ", *HEX_PIECES_8, " end"]
    chunks = [{"kind": "answer", "text": text, "gap_ms": float(i)} for i, text in enumerate(pieces)]
    kept = redactor.chunks_in(chunks)
    assert [c["text"] for c in kept] == ["Key ", "<redacted>", " end"]
    assert [c["gap_ms"] for c in kept] == [0.0, 1.0, 5.0]  # the merged chunk keeps the pause before its first piece
    untouched = [{"kind": "answer", "text": t, "gap_ms": 0.0} for t in ("One", ", two")]
    assert redactor.chunks_in(untouched) == untouched


def test_a_secret_split_between_reasoning_and_answer_is_refused_by_the_joined_scan():
    redactor = Redactor(secrets={UPSTREAM_KEY})
    chunks = [
        {"kind": "reasoning", "text": "Thinking " + UPSTREAM_KEY[:16], "gap_ms": 0.0},
        {"kind": "answer", "text": UPSTREAM_KEY[16:], "gap_ms": 0.0},
    ]
    kept = redactor.chunks_in(chunks)
    findings = find_secret_like({"response": {"chunks": kept}}, redactor.known_values)
    assert [f.where for f in findings] == ["$.response.chunks[*].text joined"] * len(findings) and findings
