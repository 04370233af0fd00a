"""`python -m recorded_endpoint serve` as a workshop room uses it: start, export what it prints, run the seeds' code."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time

import pytest

from recorded_endpoint.server import free_port

# The seeds' own snippets, verbatim but for the lines that join them (seed 000/002, 001, 003).
SEEDS_CODE = textwrap.dedent('''
    import os, re, asyncio
    from azure.ai.inference import ChatCompletionsClient
    from azure.core.credentials import AzureKeyCredential

    client = ChatCompletionsClient(
        endpoint=os.environ["AZURE_INFERENCE_ENDPOINT"],
        credential=AzureKeyCredential(os.environ["AZURE_INFERENCE_CREDENTIAL"]),
    )
    model_info = client.get_model_info()
    print("Model name:", model_info.model_name)
    print("Model type:", model_info.model_type)
    print("Model provider name:", model_info.model_provider_name)

    from azure.ai.inference.models import SystemMessage, UserMessage

    response = client.complete(
        messages=[
            SystemMessage(content="You are a helpful assistant."),
            UserMessage(content="How many languages are in the world?"),
        ],
    )
    match = re.match(r"<think>(.*?)</think>(.*)", response.choices[0].message.content, re.DOTALL)
    print("Response:", )
    if match:
        print("\\tThinking:", match.group(1)[:40])
        print("\\tAnswer:", match.group(2)[-40:])
    print("Model:", response.model)

    result = client.complete(
        messages=[
            SystemMessage(content="You are a helpful assistant."),
            UserMessage(content="How many languages are in the world?"),
        ],
        temperature=0,
        top_p=1,
        max_tokens=2048,
        stream=True,
    )

    def print_stream(result):
        """
        Prints the chat completion with streaming.
        """
        for update in result:
            if update.choices:
                print(update.choices[0].delta.content, end="")

    print_stream(result)
    print()

    from openai import OpenAI
    client = OpenAI(
        base_url=os.environ["AZURE_OPENAI_ENDPOINT"] + "/openai/v1/",
        api_key=os.environ["AZURE_OPENAI_API_KEY"],
    )
    response = client.chat.completions.create(
        model="DeepSeek-R1",
        messages=[{"role": "system", "content": "You are a helpful assistant."},
                  {"role": "user", "content": "How many languages are in the world?"}],
    )
    print("v1 usage:", response.usage.prompt_tokens, response.usage.completion_tokens)

    from openai import AsyncAzureOpenAI
    async def seed_003():
        client = AsyncAzureOpenAI(azure_endpoint=os.environ["AZURE_INFERENCE_ENDPOINT"],
                                  api_key=os.environ["AZURE_OPENAI_API_KEY"], api_version="2024-10-21")
        chat_coroutine = client.chat.completions.create(
            model=os.getenv("AZURE_DEEPSEEK_DEPLOYMENT"),
            messages=[{"role": "system", "content": "You are a helpful assistant."},
                      {"role": "user", "content": "Who painted the Mona Lisa?"}],
            stream=True,
        )
        lines = 0
        async for update in await chat_coroutine:
            if update.choices:
                lines += bool(update.choices[0].model_dump_json())
        await client.close()
        print("seed 003 updates:", lines)
    asyncio.run(seed_003())
''')


def run_serve(*options: str):
    """``serve`` in a subprocess until the generator is closed; yields what it printed up to "Ctrl+C"."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "recorded_endpoint", "serve", "--port", str(port), "--timing", "none", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if "Ctrl+C" in line:
            break
    time.sleep(0.3)
    yield "".join(lines)
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def served():
    yield from run_serve()


@pytest.fixture(scope="module")
def served_tls():
    """Over https: azure-core sends Bearer tokens to https URLs only."""
    yield from run_serve("--tls")


def exported(printed: str) -> dict[str, str]:
    """The variables ``serve`` prints, as a shell would set them (``$PATH`` expanded)."""
    found = re.findall(r"^export (\w+)=(\S+)", printed, re.M)
    return {name: value.strip("'\"").replace("$PATH", os.environ["PATH"]) for name, value in found}


# Programs nobody here wrote, run unchanged with what serve prints: an official azure-ai-inference sample
# (sample_chat_completions_streaming_with_entra_id_auth.py: DefaultAzureCredential, the SDK's default scope),
# deepseek-python's client set-up (src/quartapp/chat.py: AzureDeveloperCliCredential, AsyncOpenAI on
# AZURE_INFERENCE_ENDPOINT; its httpx import follows the openai SDK pinned here), and
# AzureCliCredential for the v1 API with Microsoft's current scope.
ENTRA_PROGRAMS = textwrap.dedent('''
    import asyncio, os
    from azure.ai.inference import ChatCompletionsClient
    from azure.ai.inference.models import SystemMessage, UserMessage
    from azure.identity import AzureCliCredential, DefaultAzureCredential, get_bearer_token_provider

    endpoint = os.environ["AZURE_AI_CHAT_ENDPOINT"]
    client = ChatCompletionsClient(endpoint=endpoint, credential=DefaultAzureCredential())
    response = client.complete(
        stream=True,
        messages=[SystemMessage("You are a helpful assistant."), UserMessage("How many languages are in the world?")],
        temperature=0, top_p=1, max_tokens=2048,
    )
    print("sample streamed:", sum(1 for update in response if update.choices))

    import httpx2 as httpx  # the one change: the openai SDK pinned here is built on httpx2, not httpx
    from azure.identity.aio import AzureDeveloperCliCredential
    from azure.identity.aio import get_bearer_token_provider as async_provider
    from openai import AsyncOpenAI, DefaultAsyncHttpxClient

    async def deepseek_python():
        credential = AzureDeveloperCliCredential(tenant_id=os.environ["AZURE_TENANT_ID"])
        provider = async_provider(credential, "https://cognitiveservices.azure.com/.default")

        class TokenBasedAuth(httpx.Auth):
            async def async_auth_flow(self, request):
                request.headers["Authorization"] = f"Bearer {await provider()}"
                yield request

        client = AsyncOpenAI(
            base_url=os.environ["AZURE_INFERENCE_ENDPOINT"], api_key="placeholder",
            default_query={"api-version": "2024-05-01-preview"},
            http_client=DefaultAsyncHttpxClient(auth=TokenBasedAuth()),
        )
        stream = await client.chat.completions.create(
            model=os.getenv("AZURE_DEEPSEEK_DEPLOYMENT"), stream=True,
            messages=[{"role": "system", "content": "You are a helpful assistant."},
                      {"role": "user", "content": "Who painted the Mona Lisa?"}],
        )
        print("deepseek-python updates:", sum([1 async for update in stream if update.choices]))
        await client.close()
        await credential.close()

    asyncio.run(deepseek_python())

    from openai import OpenAI
    v1 = OpenAI(
        base_url=os.environ["AZURE_OPENAI_ENDPOINT"] + "/openai/v1/",
        api_key=get_bearer_token_provider(AzureCliCredential(), "https://ai.azure.com/.default"),
    )
    answer = v1.chat.completions.create(model="DeepSeek-R1", messages=[{"role": "user", "content": "Hello!"}])
    print("v1 with az:", answer.choices[0].message.content[:6])
''')


def test_serve_prints_the_variables_to_export(served):
    env = exported(served)
    assert {
        "AZURE_OPENAI_ENDPOINT",
        "AZURE_OPENAI_API_KEY",
        "AZURE_INFERENCE_ENDPOINT",
        "AZURE_INFERENCE_CREDENTIAL",
        "AZURE_DEEPSEEK_DEPLOYMENT",
        "DEEPINFRA_TOKEN",
        "AZURE_AI_CHAT_ENDPOINT",
        "AZURE_AI_CHAT_KEY",
        "AZURE_TENANT_ID",
        "PATH",
    } <= set(env)


@pytest.mark.slow  # a kernel or a subprocess of its own
def test_the_seeds_code_runs_unchanged_against_it(served):
    env = {**os.environ, **exported(served)}
    result = subprocess.run([sys.executable, "-c", SEEDS_CODE], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Model name: DeepSeek-R1\nModel type: chat-completions\nModel provider name: DeepSeek\n" in out
    assert "\tThinking: \nOkay, the user is asking how many" in out
    assert "Model: DeepSeek-R1" in out
    assert "<think>\nOkay, the user is asking" in out and "**7,000 languages** globally.\n" in out
    assert "v1 usage: 17 785" in out
    assert re.search(r"seed 003 updates: \d{2,}", out)


@pytest.mark.slow  # a kernel or a subprocess of its own
def test_entra_id_programs_run_unchanged_with_the_az_and_azd_stand_ins(served_tls):
    env = {**os.environ, **exported(served_tls)}
    result = subprocess.run(
        [sys.executable, "-c", ENTRA_PROGRAMS], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"sample streamed: \d{2,}", result.stdout)
    assert re.search(r"deepseek-python updates: \d{2,}", result.stdout)
    assert "v1 with az: Hello!" in result.stdout


def test_the_stand_ins_sign_with_the_key_they_are_given(tmp_path):
    from recorded_endpoint.cli_standin import DEFAULT_KEY, TENANT_ID, write_tools
    from recorded_endpoint.constants import DEFAULT_API_KEY, RECORDED_TENANT_ID
    from recorded_endpoint.identity import verify_token

    assert (DEFAULT_KEY, TENANT_ID) == (DEFAULT_API_KEY, RECORDED_TENANT_ID)  # the stand-in keeps its own copies
    tools = write_tools(tmp_path)
    command = [str(tools / "az"), "account", "get-access-token", "--output", "json", "--resource", "https://ai.azure.com"]
    env = {**os.environ, "AZURE_OPENAI_API_KEY": "room-key-of-this-test"}
    token = json.loads(subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout)
    claims = verify_token(token["accessToken"], "room-key-of-this-test")
    assert claims is not None and claims.audience == "ai.azure.com"
    assert verify_token(token["accessToken"], DEFAULT_API_KEY) is None
    who = [str(tools / "az"), "ad", "signed-in-user", "show", "--query", "id", "-o", "tsv"]
    assert subprocess.run(who, capture_output=True, text=True, check=True).stdout.strip().count("-") == 4  # a GUID
    unknown = subprocess.run([str(tools / "azd"), "up"], capture_output=True, text=True)
    assert unknown.returncode == 2 and "stand-in" in unknown.stderr


def test_listening_beyond_loopback_without_a_key_is_refused():
    result = subprocess.run(
        [sys.executable, "-m", "recorded_endpoint", "serve", "--host", "0.0.0.0", "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "without a key" in result.stderr and "--api-key" in result.stderr
