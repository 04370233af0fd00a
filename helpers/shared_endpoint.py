"""One recorded endpoint per machine and user, shared by every open lesson.

Each lesson's first cell needs a recorded endpoint. Instead of each kernel starting its own server (eleven
open lessons, eleven servers), the first `helpers.setup()` starts one in a process of its own and writes where
it listens to a small file in Jupyter's per-user runtime directory; the kernels after it read that file,
check that the server answers, and use it. A server that is gone or does not answer is replaced.
Each timing setting (`REPLAY_TIMING`) and each copy of the course gets its own server.

The server stops by itself once no kernel that used it is alive any more (each kernel leaves its process id
in a "lease" file next to the discovery file). `COURSE_SHARED_ENDPOINT=0` starts one in the kernel instead.

    python -m helpers.shared_endpoint --timing none --discovery FILE   # what setup() runs, detached
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

START_TIMEOUT_S = 30.0
IDLE_GRACE_S = 60.0  # how long the server waits for a first (or next) kernel before it stops
POLL_S = 2.0


@dataclass(frozen=True)
class SharedEndpoint:
    """Where the shared recorded endpoint listens, as its discovery file says."""

    url: str
    api_key: str
    ca_bundle: str | None
    pid: int
    timing: str
    discovery: Path
    environment: dict[str, str]  # what `recorded_endpoint.environment_for` gives for this server

    @property
    def certificates(self) -> SimpleNamespace | None:
        """The shape `recorded_endpoint.environment_for` reads (``certificates.ca_bundle``)."""
        return SimpleNamespace(ca_bundle=Path(self.ca_bundle)) if self.ca_bundle else None

    def stop(self) -> None:
        """Give up this kernel's lease; stop the server now if no other kernel holds one."""
        lease_of(self.discovery, os.getpid()).unlink(missing_ok=True)
        if not live_leases(self.discovery):
            _terminate(self.pid)


def runtime_dir() -> Path:
    """The per-user directory for the discovery files (Jupyter's runtime directory)."""
    from jupyter_core.paths import jupyter_runtime_dir

    path = Path(jupyter_runtime_dir()) / "deepseek-course"
    path.mkdir(parents=True, exist_ok=True)
    return path


def discovery_file(timing: str) -> Path:
    """One file per copy of the course and timing setting."""
    from importlib.util import find_spec

    spec = find_spec("recorded_endpoint")  # found, not imported: kernels stay small
    if spec is None or spec.origin is None:
        raise RuntimeError("The recorded endpoint package is missing: run `make install` in the course's folder.")
    package = Path(spec.origin).resolve().parent
    key = hashlib.sha256(f"{package}|{timing}".encode()).hexdigest()[:12]
    return runtime_dir() / f"endpoint-{key}.json"


def lease_of(discovery: Path, pid: int) -> Path:
    return discovery.with_suffix(".leases") / str(pid)


def live_leases(discovery: Path) -> list[int]:
    """The process ids of the kernels using the server that are still alive (dead ones are removed)."""
    import psutil

    alive = []
    for lease in discovery.with_suffix(".leases").glob("[0-9]*"):
        if psutil.pid_exists(int(lease.name)):
            alive.append(int(lease.name))
        else:
            lease.unlink(missing_ok=True)
    return alive


def connect(timing: str) -> SharedEndpoint:
    """The shared endpoint for `timing`: the running one if it answers, else a new one; this kernel takes a lease."""
    from filelock import FileLock

    discovery = discovery_file(timing)
    with FileLock(str(discovery.with_suffix(".lock")), timeout=START_TIMEOUT_S):
        endpoint = _read(discovery)
        if endpoint is None or not healthy(endpoint):
            if endpoint is not None:
                _terminate(endpoint.pid)  # there but not answering: replace it
            endpoint = _start(discovery, timing)
        lease = lease_of(discovery, os.getpid())
        lease.parent.mkdir(exist_ok=True)
        lease.touch()
    return endpoint


def healthy(endpoint: SharedEndpoint) -> bool:
    """Whether the process is alive and the server answers an authenticated request."""
    import httpx
    import psutil

    if not psutil.pid_exists(endpoint.pid):
        return False
    try:
        reply = httpx.get(
            f"{endpoint.url}/openai/v1/models",
            headers={"api-key": endpoint.api_key},
            verify=endpoint.ca_bundle or True,
            timeout=3.0,
        )
    except httpx.HTTPError:
        return False
    return reply.status_code == 200


def _read(discovery: Path) -> SharedEndpoint | None:
    try:
        data = json.loads(discovery.read_text(encoding="utf-8"))
        return SharedEndpoint(discovery=discovery, **data)
    except (OSError, ValueError, TypeError):
        return None


def _start(discovery: Path, timing: str) -> SharedEndpoint:
    discovery.unlink(missing_ok=True)
    log = open(discovery.with_suffix(".log"), "ab")  # noqa: SIM115 - handed to the child process
    detach: dict[str, Any]
    if sys.platform == "win32":
        detach = {"creationflags": subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP}
    else:
        detach = {"start_new_session": True}  # not in the kernel's process group: a kernel restart leaves it running
    command = [sys.executable, "-m", "helpers.shared_endpoint", "--timing", timing, "--discovery", str(discovery)]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, **detach)
    log.close()
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        endpoint = _read(discovery)
        if endpoint is not None and endpoint.pid == process.pid:
            return endpoint
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"The recorded endpoint did not start: see {discovery.with_suffix('.log')}")


def _terminate(pid: int) -> None:
    import psutil

    try:
        psutil.Process(pid).terminate()
    except psutil.Error:
        pass


def serve(timing: str, discovery: Path) -> None:
    """Run the server until no kernel holds a lease for `IDLE_GRACE_S` seconds (or it is terminated)."""
    import signal

    from recorded_endpoint import environment_for, start

    server = start(timing=timing)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ca_bundle = str(server.certificates.ca_bundle) if server.certificates else None
    info = {"url": server.url, "api_key": server.api_key, "ca_bundle": ca_bundle, "pid": os.getpid(), "timing": timing,
            "environment": environment_for(server)}  # fmt: skip
    partial = discovery.with_suffix(".tmp")
    partial.write_text(json.dumps(info), encoding="utf-8")
    partial.replace(discovery)  # readers never see half a file
    idle_since = time.monotonic()
    try:
        while True:
            time.sleep(POLL_S)
            if live_leases(discovery):
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > IDLE_GRACE_S:
                break
    finally:
        current = _read(discovery)
        if current is not None and current.pid == os.getpid():
            discovery.unlink(missing_ok=True)
        server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The recorded endpoint shared by the course's kernels.")
    parser.add_argument("--timing", default="recorded")
    parser.add_argument("--discovery", type=Path, required=True)
    args = parser.parse_args(argv)
    serve(args.timing, args.discovery)


if __name__ == "__main__":
    main()
