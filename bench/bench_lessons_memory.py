"""Memory of eleven open lessons: one recorded endpoint per kernel (the baseline) vs one shared by all kernels.

Starts eleven IPython kernels with jupyter_client, runs each lesson's first cell (`helpers.setup()`) in them,
and sums the resident memory (RSS) of the kernels and every process they started, plus the shared endpoint's
process. Each way runs in a fresh Jupyter runtime directory, so no endpoint left over from elsewhere is found.

    .venv/bin/python bench/bench_lessons_memory.py [--kernels 11]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import psutil
from jupyter_client.manager import start_new_kernel

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SETUP = "import helpers\nsettings = helpers.setup(quiet=True)\nprint(getattr(helpers.recorded_server(), 'pid', ''))"


def rss_of(processes: set[int]) -> int:
    total = 0
    for pid in processes:
        try:
            total += psutil.Process(pid).memory_info().rss
        except psutil.Error:
            pass
    return total


def measure(kernels: int, shared: bool) -> tuple[float, int]:
    """Total RSS in MiB of `kernels` kernels after their setup cell, and how many endpoint processes ran."""
    with tempfile.TemporaryDirectory() as runtime:
        env = {**os.environ, "COURSE_MODE": "recorded", "REPLAY_TIMING": "none", "JUPYTER_RUNTIME_DIR": runtime,
               "COURSE_SHARED_ENDPOINT": "1" if shared else "0"}  # fmt: skip
        started = []
        try:
            for _ in range(kernels):
                manager, client = start_new_kernel(kernel_name="python3", cwd=str(NOTEBOOKS), env=env)
                started.append((manager, client))
            endpoints: set[int] = set()
            for _, client in started:
                printed: list[dict] = []
                reply = client.execute_interactive(SETUP, timeout=120, output_hook=printed.append)
                assert reply["content"]["status"] == "ok", reply["content"]
                text = "".join(m["content"].get("text", "") for m in printed if m["msg_type"] == "stream").strip()
                if text:
                    endpoints.add(int(text))
            processes = set(endpoints)
            for manager, _ in started:
                kernel = psutil.Process(manager.provisioner.pid)
                processes |= {kernel.pid, *(child.pid for child in kernel.children(recursive=True))}
            return rss_of(processes) / 2**20, len(endpoints) if shared else kernels
        finally:
            for manager, client in started:
                client.stop_channels()
                manager.shutdown_kernel(now=True)
            for endpoint in endpoints if "endpoints" in locals() else ():
                try:
                    psutil.Process(endpoint).terminate()
                except psutil.Error:
                    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", type=int, default=11)
    args = parser.parse_args()
    own, own_servers = measure(args.kernels, shared=False)
    shared, shared_servers = measure(args.kernels, shared=True)
    print(f"{args.kernels} kernels, a recorded endpoint in each (baseline): {own:8.0f} MiB, {own_servers} servers")
    print(f"{args.kernels} kernels, one shared recorded endpoint:          {shared:8.0f} MiB, {shared_servers} server")
    print(f"ratio shared / baseline: {shared / own:.2f}")


if __name__ == "__main__":
    main()
