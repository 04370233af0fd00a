"""Round trip of one non-streaming chat completion through the recorded endpoint vs a bare Starlette endpoint.

Both servers run on uvicorn in this process on loopback (``recorded_endpoint.background.BackgroundServer``);
the bare one returns the recorded endpoint's response bytes, captured once, from a single route with no auth,
parsing or matching. The client is the openai SDK in both cases. Rounds alternate between the two so that
machine noise hits both alike.

    python bench/bench_roundtrip.py [--requests 200] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import httpx
from openai import OpenAI
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from recorded_endpoint import ReplayServer
from recorded_endpoint.background import BackgroundServer

MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "How many languages are in the world?"},
]


def bare_server(body: bytes) -> BackgroundServer:
    async def endpoint(request):
        await request.body()
        return Response(body, media_type="application/json")

    app = Starlette(routes=[Route("/openai/v1/chat/completions", endpoint, methods=["POST"])])
    return BackgroundServer(app).start()


def time_requests(client: OpenAI, count: int) -> list[float]:
    timings = []
    for _ in range(count):
        start = time.perf_counter()
        client.chat.completions.create(model="DeepSeek-R1", messages=MESSAGES)
        timings.append(time.perf_counter() - start)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    replay = ReplayServer(timing="none").start()
    body = httpx.post(
        f"{replay.url}/openai/v1/chat/completions",
        json={"model": "DeepSeek-R1", "messages": MESSAGES},
        headers={"api-key": replay.api_key},
    ).content
    bare = bare_server(body)
    bare_url = bare.url
    clients = {
        "recorded endpoint": OpenAI(base_url=f"{replay.url}/openai/v1/", api_key=replay.api_key, max_retries=0),
        "bare Starlette": OpenAI(base_url=f"{bare_url}/openai/v1/", api_key="unused", max_retries=0),
    }
    for client in clients.values():
        time_requests(client, 20)  # warm up connections and code paths
    samples: dict[str, list[float]] = {name: [] for name in clients}
    for _ in range(args.rounds):
        for name, client in clients.items():
            samples[name] += time_requests(client, args.requests // args.rounds)

    print(f"non-streaming round trip, openai SDK, {args.requests} requests each, response {len(body):,} bytes")
    print(f"{'server':20} {'median ms':>10} {'p90 ms':>8} {'mean ms':>8}")
    for name, values in samples.items():
        ordered = sorted(values)
        median, p90, mean = statistics.median(values), ordered[int(len(ordered) * 0.9)], statistics.mean(values)
        print(f"{name:20} {median * 1000:10.3f} {p90 * 1000:8.3f} {mean * 1000:8.3f}")
    ratio = statistics.median(samples["recorded endpoint"]) / statistics.median(samples["bare Starlette"])
    print(f"ratio recorded / bare (median): {ratio:.2f}  (aim <= 2)")
    replay.stop()
    bare.stop()


if __name__ == "__main__":
    main()
