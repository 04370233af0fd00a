"""One recorded endpoint per machine: the first kernel starts it, the others find it, a dead one is replaced."""

from __future__ import annotations

import json
import subprocess
import sys

import psutil
import pytest

CONNECT = (
    "import json, sys; from helpers.shared_endpoint import connect; e = connect(sys.argv[1]); "
    "print(json.dumps({'url': e.url, 'pid': e.pid}))"
)


def connect_from_another_process(timing: str, env: dict) -> dict:
    """What a kernel's `helpers.setup()` finds: run `connect` in a process of its own, as each kernel is."""
    done = subprocess.run([sys.executable, "-c", CONNECT, timing], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


@pytest.mark.slow  # a kernel or a subprocess of its own
def test_kernels_share_one_endpoint_and_a_dead_one_is_replaced(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))  # a runtime directory of this test's own
    import os

    env = dict(os.environ)
    first = connect_from_another_process("none", env)
    try:
        second = connect_from_another_process("none", env)
        assert second == first  # found, not started again
        other_timing = connect_from_another_process("scaled:10", env)
        assert other_timing["pid"] != first["pid"]  # a different timing setting gets its own server
        psutil.Process(other_timing["pid"]).terminate()

        psutil.Process(first["pid"]).terminate()
        psutil.Process(first["pid"]).wait(timeout=10)
        replaced = connect_from_another_process("none", env)
        assert replaced["pid"] != first["pid"] and replaced["url"] != first["url"]
        psutil.Process(replaced["pid"]).terminate()
    finally:
        for process in psutil.process_iter(["cmdline"]):
            cmdline = process.info["cmdline"] or []
            if "helpers.shared_endpoint" in cmdline and str(tmp_path) in " ".join(cmdline):
                process.terminate()
