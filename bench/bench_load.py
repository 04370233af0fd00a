"""A workshop room on one machine: many concurrent streaming clients against the recorded endpoint.

Every server runs as a subprocess on 127.0.0.1, on uvicorn:

* the recorded endpoint exactly as an instructor starts it (``python -m recorded_endpoint serve``), at
  ``--timing none`` and at ``--timing recorded``;
* a bare Starlette SSE endpoint (this file with ``--serve-baseline``): one route, no auth, no parsing, no
  matching, streaming the recorded endpoint's own SSE bytes for the same request, captured once, one event per
  write, and (for the recorded-pace comparison) with the recording's own pauses between events.

The bytes are checked identical first. Rounds alternate between the servers compared, so machine noise hits
both alike; in each round all clients start at once (``httpx.AsyncClient``, one connection each) and each
records its time to first chunk and total time. Any failure, non-200 answer or body that differs from the
expected bytes counts as an error. The scenarios:

1. N concurrent streams at ``--timing none``: recorded endpoint vs baseline (p99 first chunk, aim <= 1.2x);
2. M concurrent streams at recorded pace: recorded endpoint vs paced baseline;
3. resident memory of each server after each of five rounds of 200 streams (aim: flat);
4. 100 streaming clients alone vs the same 100 while one client sends a 1 MB request that matches no
   recording (p99 first chunk, aim: moves by less than 10 %).

    python bench/bench_load.py            # --quick: 500 / 300 clients, one round each (1.5-2.5 min on 2 cores)
    python bench/bench_load.py --full     # three rounds of each
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import string
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

REPO = Path(__file__).resolve().parent.parent
PATH = "/openai/v1/chat/completions"
KEY = "recorded-endpoint-key"  # the recorded endpoint's public default key: it guards nothing but a replay
REQUEST = {"model": "DeepSeek-R1", "messages": [{"role": "user", "content": "Hello!"}], "stream": True}
AIM_RATIO, AIM_MOVE = 1.2, 1.10


# -- the baseline server (runs in its own process) ---------------------------------------------------
def serve_baseline(port: int, events_file: Path) -> None:
    """Serve ``[[pause_s, event], ...]`` from ``events_file`` as SSE, sleeping each pause first."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import StreamingResponse
    from starlette.routing import Route

    events = [(pause, event.encode()) for pause, event in json.loads(events_file.read_text(encoding="utf-8"))]

    async def stream():
        for pause, event in events:
            if pause:
                await asyncio.sleep(pause)
            yield event

    async def endpoint(request):
        await request.body()
        return StreamingResponse(stream(), media_type="text/event-stream; charset=utf-8")

    app = Starlette(routes=[Route(PATH, endpoint, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off")


def recorded_events(paced: bool) -> list[tuple[float, str]]:
    """The recorded endpoint's SSE events for REQUEST with the pauses it sleeps at recorded timing."""
    from recorded_endpoint.recordings import RecordingLibrary
    from recorded_endpoint.wire import Completion, sse_frame

    recording = RecordingLibrary.from_directory().find("v1", REQUEST, True)
    completion = Completion(recording.response_for(0), recording.name)
    events = completion.events("v1", False)
    return [(pause / 1000 if paced else 0.0, sse_frame(data).decode()) for pause, data in events]


# -- measuring ---------------------------------------------------------------------------------------
@dataclass
class Run:
    first_chunk_s: list[float] = field(default_factory=list)
    total_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add(self, other: Run) -> None:
        self.first_chunk_s += other.first_chunk_s
        self.total_s += other.total_s
        self.errors += other.errors


async def one_client(client: httpx.AsyncClient, url: str, expected: bytes, run: Run) -> None:
    started = time.perf_counter()
    first = None
    received = bytearray()
    try:
        async with client.stream("POST", url, json=REQUEST, headers={"api-key": KEY}) as response:
            if response.status_code != 200:
                run.errors.append(f"HTTP {response.status_code}")
                return
            async for piece in response.aiter_raw():
                if first is None:
                    first = time.perf_counter() - started
                received += piece
    except httpx.HTTPError as error:
        run.errors.append(f"{type(error).__name__}: {error}")
        return
    if bytes(received) != expected:
        run.errors.append(f"body differs ({len(received)} bytes, expected {len(expected)})")
        return
    run.first_chunk_s.append(first)
    run.total_s.append(time.perf_counter() - started)


async def big_miss(client: httpx.AsyncClient, url: str, body: bytes, run: Run) -> None:
    """The 1 MB request nothing matches: it must get its 400, and hold up nobody meanwhile."""
    response = await client.post(url, content=body, headers={"api-key": KEY, "content-type": "application/json"})
    if response.status_code != 400:
        run.errors.append(f"1 MB request: HTTP {response.status_code}")


async def room(url: str, clients: int, expected: bytes, miss: bytes | None = None) -> Run:
    """All clients at once, one connection each, as a workshop room pressing Run together."""
    run, extra = Run(), Run()
    limits = httpx.Limits(max_connections=clients + 1, max_keepalive_connections=clients + 1)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:
        tasks = [one_client(client, url, expected, run) for _ in range(clients)]
        if miss is not None:
            tasks.insert(0, big_miss(client, url, miss, extra))
        await asyncio.gather(*tasks)
    run.errors += extra.errors
    return run


def one_mb_miss() -> bytes:
    words = random.Random(7)
    text = " ".join("".join(words.choices(string.ascii_lowercase, k=7)) for _ in range(120_000))
    return json.dumps({"model": "DeepSeek-R1", "messages": [{"role": "user", "content": text[:990_000]}]}).encode()


# -- the servers -------------------------------------------------------------------------------------
@dataclass
class Server:
    name: str
    process: subprocess.Popen
    url: str

    def rss_mb(self) -> float:
        return psutil.Process(self.process.pid).memory_info().rss / 1e6


def start(name: str, command: list[str]) -> Server:
    """Start ``command`` on a free port (``{port}`` in it), and wait until it answers HTTP."""
    from recorded_endpoint.background import free_port

    port = free_port()
    process = subprocess.Popen(
        [part.replace("{port}", str(port)) for part in command], cwd=REPO, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with code {process.returncode}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=0.5)
            return Server(name, process, f"http://127.0.0.1:{port}{PATH}")
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"{name} did not start")


def stop(server: Server) -> str:
    server.process.terminate()
    try:
        _, stderr = server.process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        _, stderr = server.process.communicate()
    return stderr.decode(errors="replace")


# -- report ------------------------------------------------------------------------------------------
def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98] if len(values) > 1 else values[0]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def compare(title: str, runs: dict[str, Run], aim: float) -> bool:
    """Print p50/p99 of first chunk and total per run, and the ratio of the second run to the first."""
    print(f"\n{title}")
    columns = ("errors", "first p50", "first p99", "total p50", "total p99")
    print(f"  {'':44}" + "".join(f"{c:>12}" for c in columns))
    for name, run in runs.items():
        if not run.total_s:
            print(f"  {name:44}{len(run.errors):>12}   (no stream completed) {sorted(set(run.errors))[:3]}")
            return False
        cells = (
            statistics.median(run.first_chunk_s), p99(run.first_chunk_s),
            statistics.median(run.total_s), p99(run.total_s),
        )
        print(f"  {name:44}{len(run.errors):>12}" + "".join(f"{ms(c):>12}" for c in cells))
    base, measured = runs.values()
    ratio = p99(measured.first_chunk_s) / p99(base.first_chunk_s)
    total = p99(measured.total_s) / p99(base.total_s)
    met = ratio <= aim and not measured.errors and not base.errors
    print(f"  ratio (second / first): p99 first chunk {ratio:.2f}x, p99 total {total:.2f}x"
          f"  -> aim <= {aim}x and 0 errors: {'met' if met else 'NOT met'}")
    return met


def alternate(servers: list[tuple[str, Server, bytes | None]], clients: int, rounds: int, expected: bytes):
    runs = {name: Run() for name, _, _ in servers}
    for _ in range(rounds):
        for name, server, miss in servers:
            runs[name].add(asyncio.run(room(server.url, clients, expected, miss)))
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", default=True, help="one round each (default)")
    parser.add_argument("--full", action="store_true", help="three rounds each")
    parser.add_argument("--clients", type=int, default=500, help="concurrent streams at --timing none")
    parser.add_argument("--paced-clients", type=int, default=300, help="concurrent streams at recorded pace")
    parser.add_argument("--serve-baseline", nargs=2, metavar=("PORT", "EVENTS_FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_baseline:
        serve_baseline(int(args.serve_baseline[0]), Path(args.serve_baseline[1]))
        return 0
    rounds = 3 if args.full else 1

    serve = [sys.executable, "-m", "recorded_endpoint", "serve", "--port", "{port}", "--timing"]
    baseline = [sys.executable, __file__, "--serve-baseline", "{port}"]
    started: list[Server] = []
    results: list[bool] = []
    with tempfile.TemporaryDirectory() as scratch:
        fast_events, paced_events = Path(scratch) / "fast.json", Path(scratch) / "paced.json"
        fast_events.write_text(json.dumps(recorded_events(paced=False)), encoding="utf-8")
        paced_events.write_text(json.dumps(recorded_events(paced=True)), encoding="utf-8")
        try:
            fast = start("recorded endpoint, --timing none", [*serve, "none"])
            bare = start("bare Starlette SSE", [*baseline, str(fast_events)])
            paced = start("recorded endpoint, --timing recorded", [*serve, "recorded"])
            bare_paced = start("bare Starlette SSE, recorded pauses", [*baseline, str(paced_events)])
            started += [fast, bare, paced, bare_paced]
            expected = httpx.post(fast.url, json=REQUEST, headers={"api-key": KEY}, timeout=60).content
            # One request warms each server (the first stream loads the tokenizer), as a room's server is warm.
            if httpx.post(paced.url, json=REQUEST, headers={"api-key": KEY}, timeout=60).content != expected:
                print("The recorded endpoint serves other bytes at recorded timing.")
                return 1
            if httpx.post(bare.url, json=REQUEST, timeout=60).content != expected:
                print("The baseline does not serve the recorded endpoint's bytes; nothing to compare.")
                return 1
            print(f"stream: v1, 'Hello!': {expected.count(b'data: ')} SSE events, {len(expected):,} bytes; "
                  f"{rounds} round(s) per server, rounds alternating; loopback")

            runs = alternate([("bare Starlette", bare, None), ("recorded endpoint", fast, None)],
                             args.clients, rounds, expected)
            results.append(compare(f"1. {args.clients} concurrent streams, --timing none", runs, AIM_RATIO))

            runs = alternate([("bare Starlette, recorded pauses", bare_paced, None),
                              ("recorded endpoint, --timing recorded", paced, None)],
                             args.paced_clients, rounds, expected)
            results.append(compare(f"2. {args.paced_clients} concurrent streams at recorded pace", runs, AIM_RATIO))

            print("\n3. resident memory after each of five rounds of 200 streams (MB)")
            for server in (bare, fast):
                sizes = []
                for _ in range(5):
                    asyncio.run(room(server.url, 200, expected))
                    sizes.append(server.rss_mb())
                growth = sizes[-1] / sizes[0]
                print(f"  {server.name:44}" + "".join(f"{size:>8.1f}" for size in sizes)
                      + f"   last / first {growth:.2f}x")
            results.append(growth <= 1.05)

            miss = one_mb_miss()
            pair = [("100 streams alone", fast, None), ("100 streams + one 1 MB unmatched request", fast, miss)]
            runs = alternate(pair, 100, 2 * rounds, expected)
            results.append(compare("4. one 1 MB unmatched request among 100 streams (--timing none)", runs, AIM_MOVE))
        finally:
            logs = {server.name: stop(server) for server in started}
    for name, log in logs.items():
        if "Traceback" in log:
            print(f"{name} logged a traceback:\n{log[-2000:]}")
            return 1
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
