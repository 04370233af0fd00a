"""A recording with several responses ("429, then the answer") plays in full for every client.

Two learners in one room hit the same recording at the same time: each must see the 429 first and the answer
on its retry, whatever the order their tries arrive in. The tries are interleaved on purpose: both first
tries reach the server before either retry.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest
from azure.ai.inference import ChatCompletionsClient
from azure.ai.inference.models import UserMessage
from azure.core.credentials import AzureKeyCredential

QUESTION = "What is 17 times 24?"  # l08-rate-limited: a 429, then the answer 408


def test_two_openai_clients_each_see_the_429_then_the_answer(http_server):
    def client():
        return openai.OpenAI(base_url=f"{http_server.url}/openai/v1/", api_key=http_server.api_key, max_retries=0)

    def attempt(learner, retry):
        # What the SDK's own retry loop sends on try number `retry` (openai numbers its tries in this header).
        return learner.chat.completions.with_raw_response.create(
            model="DeepSeek-R1",
            messages=[{"role": "user", "content": QUESTION}],
            extra_headers={"x-stainless-retry-count": str(retry)},
        )

    first, second = client(), client()
    for learner in (first, second):  # both first tries, before any retry
        with pytest.raises(openai.RateLimitError) as caught:
            attempt(learner, 0)
        assert caught.value.status_code == 429
    for learner in (first, second):
        assert attempt(learner, 1).parse().choices[0].message.content.endswith("**408**.")


def test_two_azure_clients_retrying_at_once_each_see_the_429_then_the_answer(http_server):
    both_first_tries_done = threading.Barrier(2, timeout=20)

    def learner() -> list[int]:
        statuses: list[int] = []

        def seen(response):
            statuses.append(response.http_response.status_code)
            if len(statuses) == 1:
                both_first_tries_done.wait()  # hold this client's retry until the other's first try is answered

        client = ChatCompletionsClient(endpoint=http_server.url, credential=AzureKeyCredential(http_server.api_key))
        answer = client.complete(messages=[UserMessage(content=QUESTION)], raw_response_hook=seen)
        assert answer.choices[0].message.content.endswith("**408**.")
        return statuses

    with ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(learner) for _ in range(2)]
        assert [run.result(timeout=60) for run in runs] == [[429, 200], [429, 200]]
