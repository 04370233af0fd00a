"""The Responses API route of the recorded endpoint vs a bare Starlette handler serving the same bytes.

Two servers run as subprocesses on 127.0.0.1, each on uvicorn:

* the recorded endpoint, as an instructor starts it: ``python -m recorded_endpoint serve --timing none``;
* a bare Starlette app (this file with ``--serve-baseline``): ``POST /openai/v1/responses`` with no auth, no
  parsing and no matching, answering with the recorded endpoint's own bytes for the same requests, captured once
  (the JSON Response, and the typed SSE stream written one event per write, as the recorded endpoint writes it).

The bytes are checked identical first. Then two measurements, rounds alternating between the servers so that
machine noise hits both alike:

1. round trip: ``client.responses.create(...)`` with the openai SDK, one request after another;
2. a room: 100 clients open a Responses stream at once (``httpx.AsyncClient``, one connection each); each records
   its time to the first event (first body bytes) and its total time. A failure, a non-200 answer or a body that
   differs from the expected bytes counts as an error.

    python bench/bench_responses.py [--requests 300] [--clients 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from openai import OpenAI

REPO = Path(__file__).resolve().parent.parent
PATH = "/openai/v1/responses"
KEY = "recorded-endpoint-key"  # the recorded endpoint's public default key: it guards nothing but a replay
REQUEST = {"model": "DeepSeek-R1", "input": "How many languages are in the world?"}
AIM_ROUND_TRIP, AIM_FIRST_EVENT = 1.2, 1.1
BASELINE, RECORDED = "bare Starlette (baseline)", "recorded endpoint"


# -- the baseline server (runs in its own process) ---------------------------------------------------
def serve_baseline(port: int, json_file: Path, sse_file: Path) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import Response, StreamingResponse
    from starlette.routing import Route

    answer = json_file.read_bytes()
    events = [event + b"\n\n" for event in sse_file.read_bytes().split(b"\n\n") if event]

    async def stream():
        for event in events:
            yield event

    async def endpoint(request):
        body = await request.body()
        if b'"stream":true' in body.replace(b" ", b""):
            return StreamingResponse(
                stream(),
                media_type="text/event-stream; charset=utf-8",
                headers={"x-accel-buffering": "no"},
            )
        return Response(answer, media_type="application/json")

    app = Starlette(routes=[Route(PATH, endpoint, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off")


# -- measuring ---------------------------------------------------------------------------------------
def round_trips(client: OpenAI, count: int) -> list[float]:
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        client.responses.create(**REQUEST)
        timings.append(time.perf_counter() - started)
    return timings


@dataclass
class Room:
    first_event_s: list[float] = field(default_factory=list)
    total_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add(self, other: Room) -> None:
        self.first_event_s += other.first_event_s
        self.total_s += other.total_s
        self.errors += other.errors


async def one_stream(client: httpx.AsyncClient, url: str, expected: bytes, room: Room) -> None:
    started = time.perf_counter()
    first = None
    received = bytearray()
    try:
        async with client.stream("POST", url, json={**REQUEST, "stream": True}, headers={"api-key": KEY}) as answer:
            if answer.status_code != 200:
                room.errors.append(f"HTTP {answer.status_code}")
                return
            async for piece in answer.aiter_raw():
                if first is None:
                    first = time.perf_counter() - started
                received += piece
    except httpx.HTTPError as error:
        room.errors.append(f"{type(error).__name__}: {error}")
        return
    if bytes(received) != expected:
        room.errors.append(f"body differs ({len(received)} bytes, expected {len(expected)})")
        return
    room.first_event_s.append(first)
    room.total_s.append(time.perf_counter() - started)


async def a_room(url: str, clients: int, expected: bytes) -> Room:
    """All clients at once, one connection each, as a workshop room pressing Run together."""
    room = Room()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:
        await asyncio.gather(*(one_stream(client, url, expected, room) for _ in range(clients)))
    return room


# -- the servers -------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(command: list[str], port: int, timeout_s: float = 30.0) -> subprocess.Popen:
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode}: {process.stderr.read().decode()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout_s} s")


def stop(process: subprocess.Popen) -> str:
    process.terminate()
    try:
        _, stderr = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        _, stderr = process.communicate()
    return stderr.decode(errors="replace")


# -- report ------------------------------------------------------------------------------------------
def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.2f} ms"


def report_round_trip(samples: dict[str, list[float]], size: int) -> bool:
    print(f"1. round trip: client.responses.create (openai SDK), {len(samples[RECORDED])} requests per server, "
          f"Response of {size:,} bytes")  # fmt: skip
    print(f"   {'server':28}{'median':>12}{'p90':>12}{'mean':>12}")
    for name, values in samples.items():
        ordered = sorted(values)
        cells = (statistics.median(values), ordered[int(len(ordered) * 0.9)], statistics.mean(values))
        print(f"   {name:28}" + "".join(f"{ms(c):>12}" for c in cells))
    ratio = statistics.median(samples[RECORDED]) / statistics.median(samples[BASELINE])
    met = ratio <= AIM_ROUND_TRIP
    verdict = "met" if met else "NOT met"
    print(f"   ratio recorded / baseline (median): {ratio:.2f}  (aim <= {AIM_ROUND_TRIP}: {verdict})")
    return met


def report_room(rooms: dict[str, Room], clients: int, rounds: int, events: int, size: int) -> bool:
    print(f"\n2. a room: {clients} concurrent Responses streams x {rounds} rounds per server "
          f"({events} typed events, {size:,} bytes each)")  # fmt: skip
    columns = ("errors", "first event p50", "first event p99", "total p50", "total p99")
    print(f"   {'server':28}" + "".join(f"{c:>17}" for c in columns))
    for name, room in rooms.items():
        if not room.total_s:
            print(f"   {name:28}{len(room.errors):>17}   (no stream completed)")
            continue
        cells = (
            statistics.median(room.first_event_s), p99(room.first_event_s),
            statistics.median(room.total_s), p99(room.total_s),
        )  # fmt: skip
        print(f"   {name:28}{len(room.errors):>17}" + "".join(f"{ms(c):>17}" for c in cells))
    base, replay = rooms[BASELINE], rooms[RECORDED]
    if not (base.total_s and replay.total_s):
        return False
    first_ratio = p99(replay.first_event_s) / p99(base.first_event_s)
    total_ratio = p99(replay.total_s) / p99(base.total_s)
    print(f"   ratio recorded / baseline: first event p99 {first_ratio:.2f}x, total p99 {total_ratio:.2f}x")
    met = not replay.errors and first_ratio <= AIM_FIRST_EVENT
    print(f"   aim (0 errors, first event p99 <= {AIM_FIRST_EVENT}x): {'met' if met else 'NOT met'}")
    for name, room in rooms.items():
        for error in sorted(set(room.errors))[:5]:
            print(f"   {name}: {error}")
    return met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300, help="round trips per server")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve-baseline", nargs=3, metavar=("PORT", "JSON", "SSE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_baseline:
        serve_baseline(int(args.serve_baseline[0]), Path(args.serve_baseline[1]), Path(args.serve_baseline[2]))
        return 0

    replay_port, base_port = free_port(), free_port()
    serve = [sys.executable, "-m", "recorded_endpoint", "serve", "--port", str(replay_port), "--timing", "none"]
    processes = {RECORDED: start(serve, replay_port)}
    urls = {RECORDED: f"http://127.0.0.1:{replay_port}", BASELINE: f"http://127.0.0.1:{base_port}"}
    with tempfile.TemporaryDirectory() as scratch:
        try:
            answer = httpx.post(urls[RECORDED] + PATH, json=REQUEST, headers={"api-key": KEY}, timeout=60).content
            stream_request = {**REQUEST, "stream": True}
            expected = httpx.post(urls[RECORDED] + PATH, json=stream_request, headers={"api-key": KEY}, timeout=60)
            json_file, sse_file = Path(scratch) / "response.json", Path(scratch) / "stream.sse"
            json_file.write_bytes(answer)
            sse_file.write_bytes(expected.content)
            baseline = [sys.executable, __file__, "--serve-baseline", str(base_port), str(json_file), str(sse_file)]
            processes[BASELINE] = start(baseline, base_port)
            same = (
                httpx.post(urls[BASELINE] + PATH, json=REQUEST, timeout=60).content == answer
                and httpx.post(urls[BASELINE] + PATH, json=stream_request, timeout=60).content == expected.content
            )
            if not same or json.loads(answer)["object"] != "response":
                print("The baseline does not serve the recorded endpoint's bytes; nothing to compare.")
                return 1

            clients = {
                name: OpenAI(base_url=f"{url}/openai/v1/", api_key=KEY, max_retries=0) for name, url in urls.items()
            }
            for client in clients.values():
                round_trips(client, 30)  # warm up connections and code paths
            samples: dict[str, list[float]] = {BASELINE: [], RECORDED: []}
            rooms = {BASELINE: Room(), RECORDED: Room()}
            for _ in range(args.rounds):
                for name in (BASELINE, RECORDED):
                    samples[name] += round_trips(clients[name], args.requests // args.rounds)
                for name in (BASELINE, RECORDED):
                    rooms[name].add(asyncio.run(a_room(urls[name] + PATH, args.clients, expected.content)))
        finally:
            logs = {name: stop(process) for name, process in processes.items()}
    report_round_trip(samples, len(answer))
    report_room(rooms, args.clients, args.rounds, expected.content.count(b"\n\n"), len(expected.content))
    for name, log in logs.items():
        if "Traceback" in log:
            print(f"{name} logged a traceback:\n{log[-2000:]}")
            return 1
    return 1 if any(room.errors for room in rooms.values()) else 0  # an aim not met is a figure, not a failure


if __name__ == "__main__":
    sys.exit(main())
