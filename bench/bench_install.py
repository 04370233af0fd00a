"""Fresh clone to JupyterLab serving lesson 00: `make install` with pip (the baseline) vs with uv, side by side.

Each round clones the repository afresh, runs `make install INSTALLER=pip` or `INSTALLER=uv` with empty caches
(PIP_NO_CACHE_DIR, a new UV_CACHE_DIR), then starts JupyterLab as `make lab` does and waits until it serves
lesson 00. The two installers alternate, so both see the same machine and network. Downloads the pinned set
from the package index each time: expect about two minutes per round.

    .venv/bin/python bench/bench_install.py [--rounds 1]
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lab_serves_lesson_00(clone: Path) -> float:
    """Seconds from starting `make lab`'s JupyterLab until it serves lesson 00's page and file."""
    token, port = secrets.token_hex(8), free_port()
    allow_root = ["--allow-root"] if os.getuid() == 0 else []
    command = [str(clone / ".venv/bin/jupyter"), "lab", "--config=jupyter_lab_config.py", *allow_root, "--no-browser",
               "--ServerApp.ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}"]  # fmt: skip
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(clone / "build/runtime")}
    started = time.perf_counter()
    server = subprocess.Popen(command, cwd=clone, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/api/contents/notebooks/00_start_here.ipynb?content=0"
        while time.perf_counter() - started < 120:
            try:
                lab = httpx.get(f"http://127.0.0.1:{port}/lab?token={token}", timeout=2)
                lesson = httpx.get(url, headers={"Authorization": f"token {token}"}, timeout=2)
                if lab.status_code == 200 and lesson.status_code == 200:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("JupyterLab did not serve lesson 00 within 120 s")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def one_round(installer: str, workdir: Path) -> tuple[float, float]:
    clone = workdir / f"clone-{installer}-{secrets.token_hex(3)}"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)], check=True)
    caches = Path(tempfile.mkdtemp(dir=workdir))
    env = {**os.environ, "PIP_NO_CACHE_DIR": "1", "UV_CACHE_DIR": str(caches / "uv")}
    for name in ("VIRTUAL_ENV", "MAKEFLAGS", "MAKELEVEL"):
        env.pop(name, None)
    started = time.perf_counter()
    subprocess.run(["make", "install", f"INSTALLER={installer}"], cwd=clone, env=env, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    install = time.perf_counter() - started
    return install, lab_serves_lesson_00(clone)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    times: dict[str, list[tuple[float, float]]] = {"pip": [], "uv": []}
    with tempfile.TemporaryDirectory() as workdir:
        for _ in range(args.rounds):
            for installer in ("pip", "uv"):
                times[installer].append(one_round(installer, Path(workdir)))
                install, lab = times[installer][-1]
                print(f"{installer:>3}: install {install:6.1f} s + JupyterLab serving lesson 00 {lab:4.1f} s"
                      f" = {install + lab:6.1f} s", flush=True)  # fmt: skip
    best = {name: min(i + lab for i, lab in runs) for name, runs in times.items()}
    print(f"fresh clone -> lesson 00 served, best of {args.rounds}: pip {best['pip']:.1f} s, uv {best['uv']:.1f} s;"
          f" ratio uv / pip = {best['uv'] / best['pip']:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
