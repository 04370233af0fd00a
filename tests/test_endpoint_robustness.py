"""The recorded endpoint under bad input, dropped clients and the errors lesson 08 teaches, over real HTTP.

Whatever a client sends, the answer is an Azure-shaped JSON 4xx: never a 500, never a traceback (in the
response or in the server's log).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import subprocess
import sys
import time

import httpx
import openai
import pytest
from azure.ai.inference import ChatCompletionsClient
from azure.ai.inference.models import UserMessage
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recorded_endpoint import ReplayServer
from recorded_endpoint.__main__ import main as replay_cli
from recorded_endpoint.app import MAX_BODY_BYTES
from recorded_endpoint.identity import COGNITIVE_SCOPE, RecordedCredential
from recorded_endpoint.server import free_port

CHAT_PATHS = {
    "v1": "/openai/v1/chat/completions",
    "classic": "/openai/deployments/DeepSeek-R1/chat/completions?api-version=2024-10-21",
    "inference": "/models/chat/completions",
    "serverless": "/chat/completions",
    "provider": "/v1/openai/chat/completions",
}
HELLO = [{"role": "user", "content": "Hello!"}]
QUICK_SUM = [{"role": "user", "content": "What is 17 times 24?"}]
PAPERCLIP = [{"role": "user", "content": "Name three uses for a paperclip."}]


class ErrorLog(logging.Handler):
    """Collects what the server logs at ERROR level (an 'Exception in ASGI application' traceback)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def server():
    with ReplayServer() as running:
        yield running


@pytest.fixture(scope="module")
def http(server):
    with httpx.Client(base_url=server.url, headers={"api-key": server.api_key}, timeout=10) as client:
        yield client


@pytest.fixture(autouse=True)
def no_server_errors():
    """Fails any test during which the server logged an error (uvicorn logs tracebacks there)."""
    log = ErrorLog()
    logger = logging.getLogger("uvicorn.error")
    logger.addHandler(log)
    yield
    logger.removeHandler(log)
    assert [r.getMessage() for r in log.records] == []


def assert_azure_error(response: httpx.Response, status: int | None = None) -> dict:
    """A 4xx with a JSON error body in the shape of the route; returns the body."""
    assert 400 <= response.status_code < 500, response.text
    if status is not None:
        assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert "Traceback" not in response.text
    body = response.json()
    if "error" in body:  # Azure OpenAI and v1 shape
        assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str)
    elif "statusCode" in body:  # model inference 401 shape
        assert body["statusCode"] == response.status_code and body["message"]
    else:  # the OpenAI-compatible provider's 401
        assert body == {"detail": {"error": "Invalid API key"}}
    return body


def post_json(http: httpx.Client, path: str, body: object) -> httpx.Response:
    return http.post(path, content=json.dumps(body), headers={"content-type": "application/json"})


# -- bad input -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b"{nope}", b"\xff\xfe\x00", b"null", b"[]", b'"text"', b"42", b'{"a":' + b"9" * 5000 + b"}"],
)
def test_malformed_json_is_a_400(http, raw):
    response = http.post(CHAT_PATHS["v1"], content=raw, headers={"content-type": "application/json"})
    assert assert_azure_error(response, 400)["error"]["code"] == "BadRequest"


def test_json_nested_too_deep_is_a_400_not_a_recursion_error(http):
    for depth in (40, 5_000, 200_000):
        raw = b'{"messages":' + b"[" * depth + b"]" * depth + b"}"
        body = assert_azure_error(
            http.post(CHAT_PATHS["v1"], content=raw, headers={"content-type": "application/json"}), 400
        )
        assert "nests deeper" in body["error"]["message"]


@pytest.mark.parametrize(
    "body, param",
    [
        ({"model": "DeepSeek-R1"}, "messages"),
        ({"model": "DeepSeek-R1", "messages": []}, "messages"),
        ({"model": "DeepSeek-R1", "messages": "Hello!"}, "messages"),
        ({"model": "DeepSeek-R1", "messages": ["Hello!"]}, "messages[0]"),
        ({"model": "DeepSeek-R1", "messages": [{"role": 5, "content": "Hello!"}]}, "messages[0]"),
        ({"model": "DeepSeek-R1", "messages": [{"role": "user", "content": 5}]}, "messages[0]"),
        (
            {
                "model": "DeepSeek-R1",
                "messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}],
            },
            "messages[0]",
        ),
        ({"model": "DeepSeek-R1", "messages": [{"role": "user", "content": ["Hello!"]}]}, "messages[0]"),
        ({"model": "DeepSeek-R1", "messages": HELLO, "stream": "yes"}, "stream"),
        (
            {"model": "DeepSeek-R1", "messages": HELLO, "stream": True, "stream_options": "usage"},
            "stream_options",
        ),
        ({"messages": HELLO}, "model"),
    ],
)
def test_wrong_types_and_missing_fields_are_a_400_naming_the_field(http, body, param):
    assert assert_azure_error(post_json(http, CHAT_PATHS["v1"], body), 400)["error"]["param"] == param


def test_parameters_of_any_type_are_a_recording_miss_not_a_crash(http):
    body = {
        "model": "DeepSeek-R1",
        "messages": HELLO,
        "max_tokens": {"deep": [1, None, 2.5]},
        "temperature": "hot",
    }
    error = assert_azure_error(post_json(http, CHAT_PATHS["v1"], body), 400)["error"]
    assert error["code"] == "RecordingNotFound" and "go live" in error["message"]


@pytest.mark.parametrize(
    "method, path", [("GET", "/nope"), ("POST", "/openai/v2/chat/completions"), ("GET", "/")]
)
def test_unknown_route_is_a_404(http, method, path):
    assert assert_azure_error(http.request(method, path), 404) == {
        "error": {"code": "404", "message": "Resource not found"}
    }


def test_wrong_method_is_a_405(http):
    assert assert_azure_error(http.get(CHAT_PATHS["v1"]), 405)["error"]["code"] == "MethodNotAllowed"


@pytest.mark.parametrize(
    "path, model",
    [
        ("/openai/deployments/deepseek-r2/chat/completions?api-version=2024-10-21", "DeepSeek-R1"),
        (CHAT_PATHS["v1"], "DeepSeek-R1-0528"),
        (CHAT_PATHS["v1"], ["DeepSeek-R1"]),
        (CHAT_PATHS["inference"], "gpt-4o"),
    ],
)
def test_unknown_deployment_is_deployment_not_found(http, path, model):
    body = assert_azure_error(post_json(http, path, {"model": model, "messages": HELLO}), 404)
    assert body["error"]["code"] == "DeploymentNotFound"


def test_oversized_body_is_a_413_whether_declared_or_streamed(http):
    big = b'{"messages":"' + b"x" * (MAX_BODY_BYTES + 10) + b'"}'
    declared = http.post(CHAT_PATHS["v1"], content=big, headers={"content-type": "application/json"})
    assert assert_azure_error(declared, 413)["error"]["code"] == "RequestEntityTooLarge"

    def chunked():  # no Content-Length: the server must count as it reads
        for start in range(0, len(big), 64_000):
            yield big[start : start + 64_000]

    streamed = http.post(CHAT_PATHS["v1"], content=chunked(), headers={"content-type": "application/json"})
    assert assert_azure_error(streamed, 413)["error"]["code"] == "RequestEntityTooLarge"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_wrong_content_type_is_a_415(http, content_type):
    response = http.post(
        CHAT_PATHS["v1"], content=json.dumps({"messages": HELLO}), headers={"content-type": content_type}
    )
    assert assert_azure_error(response, 415)["error"]["code"] == "UnsupportedMediaType"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"api-key": "not-the-key"},
        {"authorization": "Bearer not-the-key"},
        {"authorization": "Basic dXNlcjpwYXNz"},
        {"authorization": "Bearer"},
    ],
)
@pytest.mark.parametrize("family", list(CHAT_PATHS))
def test_wrong_auth_header_is_the_401_of_that_route(server, family, headers):
    response = httpx.post(
        server.url + CHAT_PATHS[family], headers=headers, json={"model": "DeepSeek-R1", "messages": HELLO}
    )
    body = assert_azure_error(response, 401)
    if family in ("v1", "classic"):
        assert body["error"]["code"] == "401" and body["error"]["message"].startswith("Access denied")
    elif family in ("inference", "serverless"):
        assert body["message"].startswith("Auth token validation failed")
        assert response.headers["x-ms-error-reason"] == "Invalid JWT."


def test_a_request_cut_mid_body_ends_quietly_and_the_server_carries_on(server, http):
    for declared in (100, 500_000):
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(
                b"POST /openai/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"api-key: " + server.api_key.encode() + b"\r\ncontent-type: application/json\r\n"
                b"content-length: " + str(declared).encode() + b'\r\n\r\n{"messages": [{"ro'
            )
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(5)
            assert sock.recv(1000) == b""  # the server closes without a word: there is no one to tell
    time.sleep(0.2)  # let the server finish with the cut requests, so any log of theirs lands in this test
    assert post_json(http, CHAT_PATHS["v1"], {"model": "DeepSeek-R1", "messages": HELLO}).status_code == 200


# -- property-based: any JSON, any bytes, any key ------------------------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
messages = st.lists(
    st.fixed_dictionaries(
        {"role": st.sampled_from(["user", "system", "assistant", "tool", "robot"]) | json_values},
        optional={"content": st.text(max_size=30) | json_values},
    ),
    max_size=3,
)
chat_bodies = st.fixed_dictionaries(
    {},
    optional={
        "model": st.sampled_from(["DeepSeek-R1", "deepseek-ai/DeepSeek-R1-Turbo"]) | json_values,
        "messages": messages | json_values,
        "stream": st.booleans() | json_values,
        "stream_options": st.fixed_dictionaries({"include_usage": json_values}) | json_values,
        "max_tokens": json_values,
        "temperature": json_values,
    },
)
fuzz = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def assert_answered_without_crashing(response: httpx.Response) -> None:
    if response.status_code == 200:  # a fuzzed body that happens to match a recording
        return
    assert_azure_error(response)


@fuzz
@given(family=st.sampled_from(list(CHAT_PATHS)), body=chat_bodies | json_values)
def test_any_json_body_gets_a_4xx_json_error(http, family, body):
    assert_answered_without_crashing(post_json(http, CHAT_PATHS[family], body))


@fuzz
@given(family=st.sampled_from(list(CHAT_PATHS)), raw=st.binary(max_size=300))
def test_any_bytes_get_a_4xx_json_error(http, family, raw):
    response = http.post(CHAT_PATHS[family], content=raw, headers={"content-type": "application/json"})
    assert_answered_without_crashing(response)


@fuzz
@given(
    family=st.sampled_from(list(CHAT_PATHS)),
    header=st.sampled_from(["api-key", "authorization"]),
    # HTTP header values cannot start or end with spaces, so the client would refuse those itself.
    value=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60).map(str.strip),
)
def test_any_wrong_key_gets_the_401_of_the_route(server, family, header, value):
    response = httpx.post(
        server.url + CHAT_PATHS[family],
        headers={header: value},
        json={"model": "DeepSeek-R1", "messages": HELLO},
    )
    if value.strip() in (server.api_key, f"Bearer {server.api_key}"):
        return
    assert_azure_error(response, 401)


# -- clients that leave mid-stream -------------------------------------------------------------------
def test_clients_leaving_mid_stream_do_not_disturb_the_others():
    request = {
        "model": "DeepSeek-R1",
        "messages": HELLO,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    with ReplayServer() as fast:
        expected = httpx.post(
            fast.url + CHAT_PATHS["v1"], headers={"api-key": fast.api_key}, json=request
        ).content
    assert expected.endswith(b"data: [DONE]\n\n")

    async def run(server: ReplayServer) -> list[bytes]:
        async with httpx.AsyncClient(
            base_url=server.url, headers={"api-key": server.api_key}, timeout=30
        ) as client:

            async def leave_after(chunks: int) -> None:
                async with client.stream("POST", CHAT_PATHS["v1"], json=request) as response:
                    async for index, _ in _enumerate(response.aiter_raw()):
                        if index >= chunks:
                            break  # closing the response mid-stream drops the connection

            async def stay() -> bytes:
                async with client.stream("POST", CHAT_PATHS["v1"], json=request) as response:
                    return b"".join([piece async for piece in response.aiter_raw()])

            results = await asyncio.gather(stay(), *(leave_after(n) for n in (1, 3, 5, 8, 13)), stay())
            return [results[0], results[-1]]

    # Paced (about a second per stream) so that the leaving clients really leave while the others read.
    with ReplayServer(timing="scaled:2") as paced:
        started = time.monotonic()
        first, last = asyncio.run(run(paced))
        assert time.monotonic() - started > 0.3  # the streams really were paced
        assert first == expected and last == expected
        assert (
            httpx.post(paced.url + CHAT_PATHS["v1"], headers={"api-key": paced.api_key}, json=request).content
            == expected
        )


async def _enumerate(iterator):
    index = 0
    async for item in iterator:
        yield index, item
        index += 1


# -- the errors lesson 08 teaches, through the real SDKs -----------------------------------------------
def test_401_wrong_key_in_both_route_shapes(server):
    with pytest.raises(openai.AuthenticationError) as caught:
        openai.OpenAI(
            base_url=f"{server.url}/openai/v1/", api_key="not-my-key", max_retries=0
        ).chat.completions.create(model="DeepSeek-R1", messages=HELLO)
    assert caught.value.code == "401" and caught.value.body["message"].startswith("Access denied")
    inference = ChatCompletionsClient(endpoint=server.url, credential=AzureKeyCredential("not-my-key"))
    with pytest.raises(ClientAuthenticationError) as refused:
        inference.complete(messages=[UserMessage(content="Hello!")])
    assert refused.value.status_code == 401 and refused.value.error.code is None
    assert refused.value.response.json()["statusCode"] == 401


def test_403_entra_token_without_the_role(server):
    from azure.identity import get_bearer_token_provider

    no_role = get_bearer_token_provider(RecordedCredential(has_role=False), COGNITIVE_SCOPE)
    client = openai.OpenAI(base_url=f"{server.url}/openai/v1/", api_key=no_role, max_retries=0)
    with pytest.raises(openai.PermissionDeniedError) as caught:
        client.chat.completions.create(model="DeepSeek-R1", messages=HELLO)
    assert (
        caught.value.code == "PermissionDenied"
        and "lacks the required data action" in caught.value.body["message"]
    )
    with_role = get_bearer_token_provider(RecordedCredential(has_role=True), COGNITIVE_SCOPE)
    answered = openai.OpenAI(base_url=f"{server.url}/openai/v1/", api_key=with_role).chat.completions.create(
        model="DeepSeek-R1", messages=HELLO
    )
    assert answered.choices[0].message.content.startswith("Hello!")


def test_404_deployment_name_vs_model_name_on_both_openai_routes(server):
    v1 = openai.OpenAI(base_url=f"{server.url}/openai/v1/", api_key=server.api_key, max_retries=0)
    classic = openai.AzureOpenAI(
        azure_endpoint=server.url, api_key=server.api_key, api_version="2024-10-21", max_retries=0
    )
    bodies = []
    for client in (v1, classic):
        with pytest.raises(openai.NotFoundError) as caught:
            client.chat.completions.create(model="DeepSeek-R1-0528", messages=HELLO)
        bodies.append(caught.value.body)
    assert bodies[0] == bodies[1] and bodies[0]["code"] == "DeploymentNotFound"
    assert "within the last 5 minutes" in bodies[0]["message"]
    inference = ChatCompletionsClient(
        endpoint=f"{server.url}/models", credential=AzureKeyCredential(server.api_key)
    )
    with pytest.raises(ResourceNotFoundError):
        inference.complete(messages=[UserMessage(content="Hello!")], model="DeepSeek-R1-0528")


def test_openai_max_retries_rides_out_a_429():
    with ReplayServer() as server:
        client = openai.OpenAI(base_url=f"{server.url}/openai/v1/", api_key=server.api_key, max_retries=2)
        started = time.monotonic()
        raw = client.chat.completions.with_raw_response.create(model="DeepSeek-R1", messages=QUICK_SUM)
        assert raw.retries_taken == 1  # the 429, then the answer
        assert time.monotonic() - started < 0.5  # timing none scales the recorded 1 s retry-after down
        assert "408" in raw.parse().choices[0].message.content
        with pytest.raises(openai.RateLimitError) as caught:  # every client's first try meets the 429
            client.with_options(max_retries=0).chat.completions.create(
                model="DeepSeek-R1", messages=QUICK_SUM
            )
        assert "retry-after-ms" not in caught.value.response.headers  # invented; no real capture has it
        assert caught.value.response.headers["retry-after"] == "0.001"
        assert "Please retry after 1 second" in caught.value.body["message"]


def test_retry_after_is_the_recorded_seconds_at_recorded_timing(monkeypatch):
    with ReplayServer(timing="recorded") as server:
        client = openai.OpenAI(base_url=f"{server.url}/openai/v1/", api_key=server.api_key, max_retries=0)
        with pytest.raises(openai.RateLimitError) as caught:
            client.chat.completions.create(model="DeepSeek-R1", messages=QUICK_SUM)
        assert caught.value.response.headers["retry-after"] == "1"


def test_every_learner_meets_the_429_then_the_answer():
    """Multi-response recordings play per client: by the SDK's retry count or request id, not one shared counter."""
    with ReplayServer() as server:
        for _learner in range(3):
            client = openai.OpenAI(base_url=f"{server.url}/openai/v1/", api_key=server.api_key, max_retries=2)
            raw = client.chat.completions.with_raw_response.create(model="DeepSeek-R1", messages=QUICK_SUM)
            assert raw.retries_taken == 1
        for _learner in range(3):
            statuses: list[int] = []
            inference = ChatCompletionsClient(endpoint=server.url, credential=AzureKeyCredential(server.api_key))
            inference.complete(
                messages=[UserMessage(content=QUICK_SUM[0]["content"])],
                raw_response_hook=lambda response, seen=statuses: seen.append(response.http_response.status_code),
            )
            assert statuses == [429, 200]


def test_openai_gives_up_after_max_retries_when_every_try_is_a_429():
    with ReplayServer() as server:
        client = openai.OpenAI(base_url=f"{server.url}/openai/v1/", api_key=server.api_key, max_retries=2)
        with pytest.raises(openai.RateLimitError) as caught:
            client.chat.completions.create(model="DeepSeek-R1", messages=PAPERCLIP)
        assert caught.value.request.headers["x-stainless-retry-count"] == "2"  # the third try


def test_azure_core_retry_policy_rides_out_a_429_and_can_be_turned_off():
    with ReplayServer() as server:
        statuses: list[int] = []
        client = ChatCompletionsClient(endpoint=server.url, credential=AzureKeyCredential(server.api_key))
        answer = client.complete(
            messages=[UserMessage(content=QUICK_SUM[0]["content"])],
            raw_response_hook=lambda response: statuses.append(response.http_response.status_code),
        )
        assert statuses == [429, 200] and answer.choices[0].message.content.endswith("**408**.")
        impatient = ChatCompletionsClient(
            endpoint=server.url, credential=AzureKeyCredential(server.api_key), retry_total=0
        )
        with pytest.raises(HttpResponseError) as caught:
            impatient.complete(messages=[UserMessage(content=QUICK_SUM[0]["content"])])
        assert caught.value.status_code == 429 and caught.value.error.code == "429"


# -- listening beyond loopback -------------------------------------------------------------------------
def test_beyond_loopback_without_a_key_is_refused(capsys):
    with pytest.raises(ValueError, match="--api-key"):
        ReplayServer(host="0.0.0.0")
    assert replay_cli(["serve", "--host", "0.0.0.0", "--port", str(free_port())]) == 2
    assert "Refusing to listen on 0.0.0.0 without a key" in capsys.readouterr().err


def test_beyond_loopback_with_a_key_says_so_and_requires_it():
    port, key = free_port(), "room-key-for-this-test"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [
        sys.executable,
        "-m",
        "recorded_endpoint",
        "serve",
        "--host",
        "0.0.0.0",
        "--port",
        str(port),
        "--api-key",
        key,
        "--timing",
        "none",
    ]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        banner = []
        for line in server.stdout:
            banner.append(line)
            if "Press Ctrl+C" in line:
                break
        text = "".join(banner)
        assert "Listening beyond loopback on 0.0.0.0: every request must carry the key" in text
        assert key not in text  # a chosen key is never echoed
        _wait_for_port(port)
        url = f"http://127.0.0.1:{port}{CHAT_PATHS['v1']}"
        assert httpx.post(url, json={"model": "DeepSeek-R1", "messages": HELLO}).status_code == 401
        assert (
            httpx.post(
                url,
                headers={"api-key": "recorded-endpoint-key"},
                json={"model": "DeepSeek-R1", "messages": HELLO},
            ).status_code
            == 401
        )
        assert (
            httpx.post(
                url, headers={"api-key": key}, json={"model": "DeepSeek-R1", "messages": HELLO}
            ).status_code
            == 200
        )
    finally:
        server.terminate()
        server.wait(timeout=10)


def _wait_for_port(port: int, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port}")
