"""`python -m recorded_endpoint serve` as a workshop room uses it: start, export what it prints, run the seeds' code."""

from __future__ import annotations

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


@pytest.fixture(scope="module")
def served():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "recorded_endpoint", "serve", "--port", str(port), "--timing", "none"],
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


def exported(printed: str) -> dict[str, str]:
    return {name: value.strip("'") for name, value in re.findall(r"^export (\w+)=(\S+)$", printed, re.M)}


def test_serve_prints_the_variables_to_export(served):
    env = exported(served)
    assert {
        "AZURE_OPENAI_ENDPOINT",
        "AZURE_OPENAI_API_KEY",
        "AZURE_INFERENCE_ENDPOINT",
        "AZURE_INFERENCE_CREDENTIAL",
        "AZURE_DEEPSEEK_DEPLOYMENT",
        "DEEPINFRA_TOKEN",
    } <= set(env)


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


def test_listening_beyond_loopback_without_a_key_is_refused():
    result = subprocess.run(
        [sys.executable, "-m", "recorded_endpoint", "serve", "--host", "0.0.0.0", "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "without a key" in result.stderr and "--api-key" in result.stderr
