"""A workshop room on one machine: 100 concurrent streaming clients against the recorded endpoint.

Two servers run as subprocesses on 127.0.0.1, each on uvicorn:

* the recorded endpoint, exactly as an instructor starts it: ``python -m recorded_endpoint serve --timing none``;
* a bare Starlette SSE endpoint (this file with ``--serve-baseline``): one route, no auth, no parsing, no
  matching, streaming the recorded endpoint's own SSE bytes for the same request, captured once, one event
  per write, as the recorded endpoint writes them.

The bytes are checked identical first. Then rounds alternate between the two servers so that machine noise
hits both alike; in each round all clients start at once (``httpx.AsyncClient``, one connection each) and
each records its time to first chunk (first body bytes) and total time. Any failure, non-200 answer or body
that differs from the expected bytes counts as an error.

    python bench/bench_load.py [--clients 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
PATH = "/openai/v1/chat/completions"
KEY = "recorded-endpoint-key"  # the recorded endpoint's public default key: it guards nothing but a replay
REQUEST = {
    "model": "DeepSeek-R1",
    "messages": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "How many languages are in the world?"},
    ],
    "stream": True,
    "stream_options": {"include_usage": True},
}
AIM = 1.5
BASELINE, RECORDED = "bare Starlette SSE (baseline)", "recorded endpoint"


# -- the baseline server (runs in its own process) ---------------------------------------------------
def serve_baseline(port: int, body_file: Path) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import StreamingResponse
    from starlette.routing import Route

    events = [event + b"\n\n" for event in body_file.read_bytes().split(b"\n\n") if event]

    async def stream():
        for event in events:
            yield event

    async def endpoint(request):
        await request.body()
        return StreamingResponse(
            stream(),
            media_type="text/event-stream; charset=utf-8",
            headers={"x-accel-buffering": "no", "cache-control": "no-cache"},
        )

    app = Starlette(routes=[Route(PATH, endpoint, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off")


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
    total = time.perf_counter() - started
    if bytes(received) != expected:
        run.errors.append(f"body differs ({len(received)} bytes, expected {len(expected)})")
        return
    run.first_chunk_s.append(first)
    run.total_s.append(total)


async def room(url: str, clients: int, expected: bytes) -> Run:
    """All clients at once, one connection each, as a workshop room pressing Run together."""
    run = Run()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:
        await asyncio.gather(*(one_client(client, url, expected, run) for _ in range(clients)))
    return run


# -- the servers -------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout_s} s")


def start(command: list[str], port: int) -> subprocess.Popen:
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for_port(port, process)
    return process


def stop(process: subprocess.Popen) -> str:
    process.terminate()
    try:
        _, stderr = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        _, stderr = process.communicate()
    return stderr.decode(errors="replace")


# -- report ------------------------------------------------------------------------------------------
def p50(values: list[float]) -> float:
    return statistics.median(values)


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def report(results: dict[str, Run], clients: int, rounds: int, events: int, size: int) -> None:
    print(f"{clients} concurrent streaming clients x {rounds} rounds per server, loopback, no delays")
    print(f"request: v1 stream of 'How many languages are in the world?': {events} SSE events, {size:,} bytes\n")
    columns = ("errors", "first chunk p50", "first chunk p99", "total p50", "total p99")
    print(f"{'server':30}" + "".join(f"{c:>16}" for c in columns))
    for name, run in results.items():
        if not run.total_s:
            print(f"{name:30}{len(run.errors):>16}   (no stream completed)")
            continue
        cells = (p50(run.first_chunk_s), p99(run.first_chunk_s), p50(run.total_s), p99(run.total_s))
        print(f"{name:30}{len(run.errors):>16}" + "".join(f"{ms(c):>16}" for c in cells))
    base, replay = results[BASELINE], results[RECORDED]
    if base.total_s and replay.total_s:
        ratios = [
            p50(replay.first_chunk_s) / p50(base.first_chunk_s),
            p99(replay.first_chunk_s) / p99(base.first_chunk_s),
            p50(replay.total_s) / p50(base.total_s),
            p99(replay.total_s) / p99(base.total_s),
        ]
        print(f"{'ratio recorded / baseline':30}{'':>16}" + "".join(f"{r:>15.2f}x" for r in ratios))
        met = max(ratios) <= AIM and not replay.errors
        print(f"\naim (0 errors, every ratio <= {AIM}): {'met' if met else 'NOT met'}")
    for name, run in results.items():
        for error in sorted(set(run.errors))[:5]:
            print(f"{name}: {error}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve-baseline", nargs=2, metavar=("PORT", "BODY_FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_baseline:
        serve_baseline(int(args.serve_baseline[0]), Path(args.serve_baseline[1]))
        return 0

    replay_port, base_port = free_port(), free_port()
    serve = [sys.executable, "-m", "recorded_endpoint", "serve", "--port", str(replay_port), "--timing", "none"]
    servers = {RECORDED: (start(serve, replay_port), f"http://127.0.0.1:{replay_port}{PATH}")}
    with tempfile.TemporaryDirectory() as scratch:
        try:
            expected = httpx.post(servers[RECORDED][1], json=REQUEST, headers={"api-key": KEY}, timeout=60).content
            body_file = Path(scratch) / "stream.sse"
            body_file.write_bytes(expected)
            base = start([sys.executable, __file__, "--serve-baseline", str(base_port), str(body_file)], base_port)
            servers[BASELINE] = (base, f"http://127.0.0.1:{base_port}{PATH}")
            baseline_bytes = httpx.post(servers[BASELINE][1], json=REQUEST, timeout=60).content
            if baseline_bytes != expected:
                print("The baseline does not serve the recorded endpoint's bytes; nothing to compare.")
                return 1
            results = {name: Run() for name in (BASELINE, RECORDED)}
            for _ in range(args.rounds):
                for name in results:
                    results[name].add(asyncio.run(room(servers[name][1], args.clients, expected)))
        finally:
            logs = {name: stop(process) for name, (process, _) in servers.items()}
    report(results, args.clients, args.rounds, expected.count(b"\n\n"), len(expected))
    for name, log in logs.items():
        if "Traceback" in log:
            print(f"{name} logged a traceback:\n{log[-2000:]}")
            return 1
    return 1 if any(run.errors for run in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
